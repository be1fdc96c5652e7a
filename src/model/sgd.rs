//! Plain SGD (no momentum, no weight decay), `p ← p − lr·g`, as a dfdx tensor visitor using
//! dfdx's own axpy kernel. dfdx's `Sgd` with `Momentum::Classic(0)` computes the same bits
//! (`v = g + 0·v`, `p − v·lr`) but in a scalar loop that also reads and writes a velocity
//! buffer as large as the network; this update touches only the parameters and gradients.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut,
};
use dfdx::prelude::*;

use super::block::{Dev, E};

#[derive(Debug, Clone, Copy)]
pub struct PlainSgd {
    pub lr: f64,
}

/// An optimizer step that the tensor backend refused; carries the backend's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{optimizer} update failed: {detail}")]
pub struct UpdateError {
    pub optimizer: &'static str,
    pub detail: String,
}

impl PlainSgd {
    pub fn update<M: TensorCollection<E, Dev>>(
        &self,
        module: &mut M,
        grads: &Gradients<E, Dev>,
    ) -> Result<(), UpdateError> {
        let mut step = Step { lr: self.lr, grads };
        M::iter_tensors(&mut RecursiveWalker {
            m: module,
            f: &mut step,
        })
        .map(|_| ())
        .map_err(|e| UpdateError {
            optimizer: "SGD",
            detail: format!("{e:?}"),
        })
    }
}

struct Step<'a> {
    lr: f64,
    grads: &'a Gradients<E, Dev>,
}

impl TensorVisitor<E, Dev> for Step<'_> {
    type Viewer = ViewTensorMut;
    type Err = <Dev as HasErr>::Err;
    type E2 = E;
    type D2 = Dev;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, E, Dev>,
        p: &mut Tensor<S, E, Dev>,
    ) -> Result<Option<Tensor<S, E, Dev>>, Self::Err> {
        if opts.do_gradient_update {
            // `get` copies the gradient into a cached buffer; axpy then runs vectorized.
            let g = self.grads.get(p);
            p.try_axpy(1.0, &g, -self.lr)?;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use dfdx::losses::cross_entropy_with_logits_loss;
    use dfdx::optim::{Momentum, Optimizer, Sgd, SgdConfig};

    use super::*;
    use crate::model::{build, Activation, Init, Net, NetSpec, Network, Variant};

    #[test]
    fn same_bits_as_dfdx_sgd_without_momentum() {
        let dev = Dev::seed_from_u64(1);
        let spec = NetSpec {
            variant: Variant::Bn,
            depth: 3,
            activation: Activation::Sigmoid,
            init: Init::Gaussian { sigma: 0.1 },
            seed: 5,
            settings: Default::default(),
        };
        let mut a = build(&dev, &spec);
        let mut b = a.clone();
        let cfg = SgdConfig {
            lr: 0.37,
            momentum: Some(Momentum::Classic(0.0)),
            weight_decay: None,
        };
        let mut reference = Sgd::new(&b, cfg);
        let x: Tensor<(usize, Const<784>), E, Dev> = dev.sample_normal_like(&(16, Const));
        let y: Tensor<(usize, Const<10>), E, Dev> = dev.sample_uniform_like(&(16, Const));
        // Clones share tensor ids, so one set of gradients drives both updates.
        for _ in 0..3 {
            let grads = cross_entropy_with_logits_loss(
                a.forward_train(x.clone().traced(a.alloc_grads())),
                y.clone(),
            )
            .backward();
            PlainSgd { lr: 0.37 }.update(&mut a, &grads).unwrap();
            reference.update(&mut b, &grads).unwrap();
        }
        let flat = |n: &Net| -> Vec<u32> {
            n.flat()
                .layers
                .iter()
                .flat_map(|l| l.weight.iter().chain(&l.bias).map(|v| v.to_bits()))
                .collect()
        };
        assert_eq!(flat(&a), flat(&b));
        let scale = |n: &Net| n.bn_of(0).expect("a BN net").scale.as_vec();
        assert_eq!(scale(&a), scale(&b), "BN scale");
    }
}
