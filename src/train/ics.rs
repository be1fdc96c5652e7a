//! Internal covariate shift as Santurkar et al. (2018, "How Does Batch Normalization Help
//! Optimization?", section 2.2) measure it. At a step t, G is the gradient of layer i's
//! weights on the step's batch; G′ is the same gradient on the same batch after layers
//! 1 … i−1 (and only they) took their step-t update. If the inputs a layer sees shifted
//! under it in a way that mattered, G′ would differ from G: ‖G − G′‖₂ large, cos(G, G′) low.
//!
//! The update is a plain SGD step of the trainer's learning rate (the presets that probe ICS
//! train with plain SGD, so it is the step training takes). The layers below are moved one
//! at a time on one copy of the net, so a probe costs one forward and backward per layer.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::modules::{BatchNorm1D, Linear};
use dfdx::prelude::*;

use super::init_grads::{Images, Labels};
use crate::metric::{Layer, LayerMetric as K, Metric};
use crate::model::block::values;
use crate::model::{Dev, Net, Network, E};

fn sgd_step<S: Shape>(t: &mut Tensor<S, E, Dev>, grads: &Gradients<E, Dev>, lr: E) {
    let mut w = values(t);
    let g = values(&grads.get(&*t));
    w.iter_mut().zip(&g).for_each(|(w, g)| *w -= lr * g);
    t.copy_from(&w);
}

fn step_linear<const I: usize, const O: usize>(
    lin: &mut Linear<I, O, E, Dev>,
    bn: Option<&mut BatchNorm1D<O, E, Dev>>,
    grads: &Gradients<E, Dev>,
    lr: E,
) {
    sgd_step(&mut lin.weight, grads, lr);
    sgd_step(&mut lin.bias, grads, lr);
    if let Some(bn) = bn {
        sgd_step(&mut bn.scale, grads, lr);
        sgd_step(&mut bn.bias, grads, lr);
    }
}

/// Moves hidden layer `i` (0 = the first) of `net` by one SGD step.
fn step_layer(net: &mut Net, i: usize, grads: &Gradients<E, Dev>, lr: E) {
    if i == 0 {
        step_block(&mut net.first, grads, lr);
    } else if let Some(b) = net.hidden.get_mut(i - 1) {
        step_block(b, grads, lr);
    }
}

fn step_block<const I: usize>(
    b: &mut crate::model::block::Layer<I, E, Dev>,
    grads: &Gradients<E, Dev>,
    lr: E,
) {
    // `batchnorm_mut` borrows the whole block, so the linear layer is moved on a copy
    // (tensors are copy-on-write) and put back.
    let mut lin = b.lin.clone();
    step_linear(&mut lin, b.batchnorm_mut(), grads, lr);
    b.lin = lin;
}

fn weight_grad(net: &Net, i: usize, grads: &Gradients<E, Dev>) -> Vec<E> {
    match i {
        0 => values(&grads.get(&net.first.lin.weight)),
        i if i <= net.hidden.len() => values(&grads.get(&net.hidden[i - 1].lin.weight)),
        _ => values(&grads.get(&net.head.weight)),
    }
}

/// ‖a − b‖₂, cos(a, b) and ‖a − b‖ / ‖a‖.
pub fn compare(a: &[E], b: &[E]) -> (f64, f64, f64) {
    let (mut d, mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        d += (x - y).powi(2);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    let cos = if aa > 0.0 && bb > 0.0 {
        ab / (aa.sqrt() * bb.sqrt())
    } else {
        f64::NAN
    };
    let rel = if aa > 0.0 {
        d.sqrt() / aa.sqrt()
    } else {
        f64::NAN
    };
    (d.sqrt(), cos, rel)
}

/// Appends `ics_l2`, `ics_cos` and `ics_rel` of every layer from the second hidden layer to
/// the head (the first has no layers below it). `grads` are the step's gradients of `net`
/// on `(x, y)`, before the update.
pub fn probe(
    net: &Net,
    grads: &Gradients<E, Dev>,
    (x, y): (&Images, &Labels),
    lr: f64,
    reference_ops: bool,
    out: &mut Vec<(Metric, f64)>,
) {
    let hidden = net.hidden_layers();
    let mut moved = net.clone();
    for i in 1..=hidden {
        step_layer(&mut moved, i - 1, grads, lr as E);
        let mut probe = moved.clone();
        let g = probe.alloc_grads();
        let logits = if reference_ops {
            probe.forward_train_dfdx(x.clone().traced(g))
        } else {
            probe.forward_train(x.clone().traced(g))
        };
        let g2 = cross_entropy_with_logits_loss(logits, y.clone()).backward();
        let (l2, cos, rel) = compare(&weight_grad(net, i, grads), &weight_grad(&probe, i, &g2));
        let l = Layer::at(i, hidden);
        // A layer whose gradient is exactly zero (every ReLU below it dead) has no direction
        // to compare; a non-finite value would also read as a diverged trainer.
        for (k, v) in [(K::IcsL2, l2), (K::IcsCos, cos), (K::IcsRel, rel)] {
            if v.is_finite() {
                out.push((k.of(l), v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn compare_is_distance_cosine_and_relative_distance() {
        let (l2, cos, rel) = compare(&[3.0, 4.0], &[3.0, 4.0]);
        assert_eq!((l2, cos, rel), (0.0, 1.0, 0.0));
        let (l2, cos, rel) = compare(&[1.0, 0.0], &[0.0, 2.0]);
        assert!((l2 - 5f64.sqrt()).abs() < 1e-12);
        assert!(cos.abs() < 1e-12);
        assert!((rel - 5f64.sqrt()).abs() < 1e-12);
        let (_, cos, _) = compare(&[1.0, 1.0], &[-2.0, -2.0]);
        assert!((cos + 1.0).abs() < 1e-12);
    }
}

#[cfg(test)]
mod reference {
    use dfdx::losses::cross_entropy_with_logits_loss;
    use dfdx::optim::{Momentum, Optimizer, Sgd, SgdConfig};
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::{compare, probe, weight_grad, Images, Labels};
    use crate::metric::{Layer, LayerMetric as K, Metric};
    use crate::model::{build, Activation, Dev, Init, Net, NetSpec, Network, Variant, E};

    fn batch(dev: &Dev, rows: usize) -> (Images, Labels) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let x: Vec<E> = (0..rows * 784).map(|_| rng.gen_range(0.0..1.0)).collect();
        let mut y = vec![0.0; rows * 10];
        for r in 0..rows {
            y[r * 10 + rng.gen_range(0..10)] = 1.0;
        }
        (
            dev.tensor_from_vec(x, (rows, Const)),
            dev.tensor_from_vec(y, (rows, Const)),
        )
    }

    fn grads_of(net: &Net, (x, y): &(Images, Labels)) -> Gradients<E, Dev> {
        let mut n = net.clone();
        let g = n.alloc_grads();
        let logits = n.forward_train_dfdx(x.clone().traced(g));
        cross_entropy_with_logits_loss(logits, y.clone()).backward()
    }

    fn value(out: &[(Metric, f64)], m: Metric) -> f64 {
        out.iter().find(|(k, _)| *k == m).map(|p| p.1).unwrap()
    }

    /// G′ of layer `i` computed another way: dfdx's own SGD moves a copy of the whole net,
    /// then layers i and above are put back as they were, and the gradient is taken
    /// through dfdx's own ops.
    fn reference_g_prime(
        net: &Net,
        grads: &Gradients<E, Dev>,
        b: &(Images, Labels),
        i: usize,
        lr: f64,
    ) -> Vec<E> {
        let mut moved = net.clone();
        let mut sgd = Sgd::new(
            &moved,
            SgdConfig {
                lr,
                momentum: Some(Momentum::Classic(0.0)),
                weight_decay: None,
            },
        );
        sgd.update(&mut moved, grads).unwrap();
        for j in i..net.hidden.len() + 1 {
            if j == 0 {
                moved.first = net.first.clone();
            } else {
                moved.hidden[j - 1] = net.hidden[j - 1].clone();
            }
        }
        moved.head = net.head.clone();
        weight_grad(&moved, i, &grads_of(&moved, b))
    }

    #[test]
    fn ics_matches_a_reference_built_from_dfdx_sgd_and_ops() {
        let dev = Dev::seed_from_u64(1);
        for variant in [Variant::Plain, Variant::Bn] {
            let net = build(
                &dev,
                &NetSpec {
                    variant,
                    depth: 3,
                    activation: Activation::Sigmoid,
                    init: Init::Gaussian { sigma: 0.1 },
                    seed: 3,
                    settings: Default::default(),
                },
            );
            let b = batch(&dev, 32);
            let grads = grads_of(&net, &b);
            let lr = 0.5;
            let mut out = Vec::new();
            probe(&net, &grads, (&b.0, &b.1), lr, false, &mut out);
            for i in 1..=3 {
                let want = compare(
                    &weight_grad(&net, i, &grads),
                    &reference_g_prime(&net, &grads, &b, i, lr),
                );
                let l = Layer::at(i, 3);
                let got = (
                    value(&out, K::IcsL2.of(l)),
                    value(&out, K::IcsCos.of(l)),
                    value(&out, K::IcsRel.of(l)),
                );
                assert!(
                    (got.0 - want.0).abs() <= 1e-4 * want.0.max(1e-6),
                    "{variant} {l}: {got:?} vs {want:?}"
                );
                assert!(
                    (got.1 - want.1).abs() <= 1e-5,
                    "{variant} {l}: {got:?} vs {want:?}"
                );
                assert!(want.0 > 0.0, "the layers below moved");
            }
            // The first layer has nothing below it and is not reported.
            assert!(!out.iter().any(|(k, _)| k.layer() == Some(Layer::Hidden(1))));
            // A step of length zero moves nothing: no shift beyond the rounding that
            // separates the fused ops (the probe's) from dfdx's (the gradients given).
            let mut still = Vec::new();
            probe(&net, &grads, (&b.0, &b.1), 0.0, false, &mut still);
            assert!(value(&still, K::IcsRel.of(Layer::Out)) < 1e-5);
            assert!((value(&still, K::IcsCos.of(Layer::Out)) - 1.0).abs() < 1e-9);
        }
    }
}
