//! `Net` as a dfdx tensor collection, so dfdx's optimizers, gradient allocation and
//! conversions walk its parameters.
//!
//! dfdx describes a collection's fields without the collection at hand (`iter_tensors` takes
//! only the visitor), which suits shapes fixed at compile time. This net's depth and its BNs
//! are run-time values, so the walk starts by visiting a unit field whose accessor reads the
//! layout off the net being walked: every visitor that walks a net (optimizers, `alloc_grads`,
//! `zero_grads`, device and dtype conversion) calls a field's accessor on the net before it
//! descends into the field. Then exactly the net's tensors are visited: a block without BN
//! offers no BN tensors, so nothing updates, allocates or zeroes a gradient for them. A
//! visitor that builds a collection from nothing (dfdx's `build_module`) has no net to read
//! and gets the one-layer plain net; `model::build` is how nets are made.

use std::cell::RefCell;

use dfdx::nn::modules::{BatchNorm1D, LayerNorm1D, Linear};
use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;

use super::block::{Layer, HIDDEN};
use super::kinds::Block;
use super::net::{Net, INPUT, OUTPUT};
use super::renorm::Schedule;
use super::stream::Stream;

/// Each hidden block's form, the first one's first, the net's random stream and its Batch
/// Renorm schedule: what a net holds besides its tensors.
struct Layout(Vec<Block>, Stream, Schedule);

impl Default for Layout {
    fn default() -> Self {
        Layout(vec![Block::default()], Stream::new(0), Schedule::default())
    }
}

impl Layout {
    fn block<const I: usize, E2: Dtype, D: Storage<E2>>(
        &self,
        layer: usize,
        lin: Linear<I, HIDDEN, E2, D>,
        mut bn: Vec<BatchNorm1D<HIDDEN, E2, D>>,
        mut ln: Vec<LayerNorm1D<HIDDEN, E2, D>>,
    ) -> Layer<I, E2, D> {
        Layer::from_parts(lin, bn.pop(), ln.pop(), self.0[layer])
    }
}

const WALKED_TWO_NETS: &str = "a walk over several nets needs them all of one layout";

impl<E2, D> TensorCollection<E2, D> for Net<E2, D>
where
    E2: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E2>,
{
    type To<E3: Dtype, D3: Device<E3>> = Net<E3, D3>;

    fn iter_tensors<V: ModuleVisitor<Self, E2, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        let seen = RefCell::new(None);
        let read = |s: &Self| {
            seen.borrow_mut()
                .get_or_insert_with(|| Layout(s.layout(), s.stream.clone(), s.renorm));
        };
        visitor.visit_module::<(), _, _>(
            "layout",
            |s| {
                read(s);
                &()
            },
            |s| {
                read(s);
                // A unit is zero-sized: leaking its box allocates nothing.
                Box::leak(Box::new(()))
            },
        )?;
        let layout = seen.into_inner().unwrap_or_default();
        let (lin_names, bn_names): (Vec<String>, Vec<String>) = (0..layout.0.len())
            .map(|i| (format!("hidden.{i}.lin"), format!("hidden.{i}.bn")))
            .unzip();
        let ln_names: Vec<String> = (0..layout.0.len())
            .map(|i| format!("hidden.{i}.ln"))
            .collect();
        // Zero or one BN field per layer, as the layout says.
        let bn_fields = |i: usize| {
            let name = &bn_names[i];
            layout.0[i]
                .norm
                .uses_bn()
                .then(|| {
                    Self::module(
                        name,
                        move |s: &Self| s.bn_of(i).expect(WALKED_TWO_NETS),
                        move |s: &mut Self| s.bn_of_mut(i).expect(WALKED_TWO_NETS),
                    )
                })
                .into_iter()
                .collect::<Vec<_>>()
        };
        let ln_fields = |i: usize| {
            let name = &ln_names[i];
            layout.0[i]
                .norm
                .uses_ln()
                .then(|| {
                    Self::module(
                        name,
                        move |s: &Self| s.ln_of(i).expect(WALKED_TWO_NETS),
                        move |s: &mut Self| s.ln_of_mut(i).expect(WALKED_TWO_NETS),
                    )
                })
                .into_iter()
                .collect::<Vec<_>>()
        };
        let hidden = (1..layout.0.len())
            .map(|i| {
                (
                    Self::module(
                        &lin_names[i],
                        move |s: &Self| &s.hidden.get(i - 1).expect(WALKED_TWO_NETS).lin,
                        move |s: &mut Self| {
                            &mut s.hidden.get_mut(i - 1).expect(WALKED_TWO_NETS).lin
                        },
                    ),
                    bn_fields(i),
                    ln_fields(i),
                )
            })
            .collect::<Vec<_>>();
        let fields = (
            Self::module(&lin_names[0], |s| &s.first.lin, |s| &mut s.first.lin),
            bn_fields(0),
            ln_fields(0),
            hidden,
            Self::module("head", |s| &s.head, |s| &mut s.head),
        );
        visitor.visit_fields(fields, |(first, first_bn, first_ln, hidden, head)| {
            let first: Layer<INPUT, _, _> = layout.block(0, first, first_bn, first_ln);
            let hidden = hidden
                .into_iter()
                .enumerate()
                .map(|(i, (lin, bn, ln))| layout.block(i + 1, lin, bn, ln))
                .collect();
            let head: Linear<HIDDEN, OUTPUT, _, _> = head;
            Net {
                first,
                hidden,
                head,
                stream: layout.1.clone(),
                renorm: layout.2,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use dfdx::losses::cross_entropy_with_logits_loss;
    use dfdx::optim::{Adam, AdamConfig, Momentum, Optimizer, Sgd, SgdConfig};
    use dfdx::prelude::*;

    use crate::model::{Block, Dev, Init, Net, Network, Variant, E};

    fn net(variant: Variant, depth: usize) -> Net {
        crate::model::test_net(variant, depth, Init::Gaussian { sigma: 0.1 })
    }

    /// Every parameter tensor's values, in layer order, BN ones where there are any.
    fn params(n: &Net) -> Vec<Vec<E>> {
        let mut out = vec![n.first.lin.weight.as_vec(), n.first.lin.bias.as_vec()];
        for b in &n.hidden {
            out.extend([b.lin.weight.as_vec(), b.lin.bias.as_vec()]);
        }
        out.extend([n.head.weight.as_vec(), n.head.bias.as_vec()]);
        for i in 0..n.depth() {
            if let Some(bn) = n.bn_of(i) {
                out.extend([bn.scale.as_vec(), bn.bias.as_vec()]);
            }
            if let Some(ln) = n.ln_of(i) {
                out.extend([ln.gamma.as_vec(), ln.beta.as_vec()]);
            }
        }
        out
    }

    #[test]
    fn the_walk_meets_exactly_the_layers_the_net_has() {
        let linear = |depth: usize| 784 * 100 + 100 + (depth - 1) * (100 * 100 + 100) + 1010;
        for depth in [1, 2, 3, 10, 60] {
            assert_eq!(
                net(Variant::Plain, depth).num_trainable_params(),
                linear(depth)
            );
            for v in Variant::ALL
                .into_iter()
                .filter(|v| v.has_bn() || v.norm().uses_ln())
            {
                // γ and β per layer; the running statistics are not trained.
                assert_eq!(
                    net(v, depth).num_trainable_params(),
                    linear(depth) + depth * 200,
                    "{v:?} at depth {depth}"
                );
            }
        }
    }

    /// One step of each optimizer: no parameter is reported unused, and every one moves.
    #[test]
    fn optimizers_update_every_parameter_of_any_depth() {
        let dev = Dev::seed_from_u64(5);
        let x: Tensor<(usize, Const<784>), E, Dev> = dev.sample_normal_like(&(8, Const));
        let y: Tensor<(usize, Const<10>), E, Dev> = dev.sample_uniform_like(&(8, Const));
        for variant in Variant::ALL {
            for depth in [1, 2, 5, 20] {
                let mut a = net(variant, depth);
                let mut s = a.clone();
                let before = params(&a);
                let mut adam = Adam::new(&a, AdamConfig::default());
                let mut sgd = Sgd::new(
                    &s,
                    SgdConfig {
                        lr: 0.1,
                        momentum: Some(Momentum::Classic(0.9)),
                        weight_decay: None,
                    },
                );
                let grads = cross_entropy_with_logits_loss(
                    a.forward_train(x.clone().traced(a.alloc_grads())),
                    y.clone(),
                )
                .backward();
                adam.update(&mut a, &grads).expect("no unused parameter");
                sgd.update(&mut s, &grads).expect("no unused parameter");
                for moved in [params(&a), params(&s)] {
                    assert_eq!(moved.len(), before.len());
                    for (i, (p, q)) in moved.iter().zip(&before).enumerate() {
                        assert_ne!(p, q, "{variant:?} depth {depth}: tensor {i} did not move");
                    }
                }
            }
        }
    }

    #[test]
    fn a_conversion_keeps_the_layout_and_the_values() {
        for variant in Variant::ALL {
            let n = net(variant, 4);
            let copy: Net = n.to_device(&Dev::default());
            assert_eq!(copy.layout(), n.layout());
            assert_eq!(params(&copy), params(&n));
            assert_eq!(
                copy.bn_of(2).map(|b| b.running_var.as_vec()),
                n.bn_of(2).map(|b| b.running_var.as_vec())
            );
        }
    }

    #[test]
    fn built_from_nothing_it_is_the_one_layer_plain_net() {
        let n = <Net as BuildModule<Dev, E>>::build(&Dev::default());
        assert_eq!(n.layout(), vec![Block::default()]);
        assert_eq!(n.num_trainable_params(), 784 * 100 + 100 + 1010);
    }
}
