//! The fused ops and the flat inference path against dfdx's own ops: outputs, gradients,
//! running statistics and a few SGD steps must agree within 1e-5.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::optim::{Momentum, Optimizer, Sgd, SgdConfig};
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const TOL: f32 = 1e-5;

fn close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1.0);
        assert!(
            err <= TOL,
            "{what}[{i}]: fused {g} vs dfdx {w} (error {err:e})"
        );
    }
}

/// A batch whose inputs are `zeros` (a fraction) exactly zero, the rest uniform in [0, 1):
/// scaled digits are mostly exact zeros, standardized ones have none.
fn batch(
    dev: &Dev,
    rows: usize,
    seed: u64,
    zeros: f64,
) -> (Batch<INPUT>, Tensor<(usize, Const<OUTPUT>), E, Dev>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<E> = (0..rows * INPUT)
        .map(|_| {
            if rng.gen_bool(zeros) {
                0.0
            } else {
                rng.gen_range(0.0..1.0)
            }
        })
        .collect();
    let mut y = vec![0.0; rows * OUTPUT];
    for r in 0..rows {
        y[r * OUTPUT + rng.gen_range(0..OUTPUT)] = 1.0;
    }
    (
        dev.tensor_from_vec(x, (rows, Const)),
        dev.tensor_from_vec(y, (rows, Const)),
    )
}

/// Every trainable tensor's gradient, and the BN running statistics, in a fixed order.
fn collect(net: &Net, grads: &Gradients<E, Dev>) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    let mut layer = |name: String, lin_w: Vec<f32>, lin_b: Vec<f32>| {
        out.push((format!("{name}.weight.grad"), lin_w));
        out.push((format!("{name}.bias.grad"), lin_b));
    };
    layer(
        "l1".into(),
        grads.get(&net.first.lin.weight).as_vec(),
        grads.get(&net.first.lin.bias).as_vec(),
    );
    for (i, b) in net.hidden.iter().enumerate() {
        layer(
            format!("l{}", i + 2),
            grads.get(&b.lin.weight).as_vec(),
            grads.get(&b.lin.bias).as_vec(),
        );
    }
    layer(
        "head".into(),
        grads.get(&net.head.weight).as_vec(),
        grads.get(&net.head.bias).as_vec(),
    );
    for i in 0..net.depth() {
        if let Some(bn) = net.bn_of(i) {
            out.push((format!("bn{i}.gamma.grad"), grads.get(&bn.scale).as_vec()));
            out.push((format!("bn{i}.beta.grad"), grads.get(&bn.bias).as_vec()));
            out.push((format!("bn{i}.running_mean"), bn.running_mean.as_vec()));
            out.push((format!("bn{i}.running_var"), bn.running_var.as_vec()));
        }
        if let Some(ln) = net.ln_of(i) {
            out.push((format!("ln{i}.gamma.grad"), grads.get(&ln.gamma).as_vec()));
            out.push((format!("ln{i}.beta.grad"), grads.get(&ln.beta).as_vec()));
        }
    }
    out
}

fn check_step(variant: Variant, act: Activation, rows: usize, depth: usize) {
    check_step_with(variant, act, rows, depth, |_| {});
}

/// `check_step` on a net that `prep` changes first (a Batch Renorm schedule, running
/// statistics far from the batch's).
pub(super) fn check_step_with(
    variant: Variant,
    act: Activation,
    rows: usize,
    depth: usize,
    prep: fn(&mut Net),
) {
    let dev = Dev::seed_from_u64(7);
    let spec = NetSpec {
        variant,
        depth,
        activation: act,
        init: Init::Gaussian { sigma: 0.1 },
        seed: 3,
        settings: Default::default(),
    };
    let mut fused = build(&dev, &spec);
    prep(&mut fused);
    assert_eq!(fused.hidden_layers(), depth);
    let mut opt = Sgd::new(&fused, sgd());
    let mut gf = fused.alloc_grads();
    for step in 0..3 {
        // Each step starts both paths from the same parameters (rounding differences would
        // otherwise compound through the updates), at a new point of the trajectory.
        let mut reference = fused.clone();
        let gr = reference.alloc_grads();
        let (x, y) = batch(&dev, rows, step, if step % 2 == 0 { 0.8 } else { 0.0 });
        let lf = fused.forward_train(x.clone().traced(gf));
        let lr = reference.forward_train_dfdx(x.clone().traced(gr));
        let (vf, vr) = (
            lf.retaped::<NoneTape>().as_vec(),
            lr.retaped::<NoneTape>().as_vec(),
        );
        close(
            &format!("{variant:?} {act:?} {rows}x{depth} logits"),
            &vf,
            &vr,
        );
        let loss_f = cross_entropy_with_logits_loss(lf, y.clone());
        let loss_r = cross_entropy_with_logits_loss(lr, y);
        close("loss", &[loss_f.array()], &[loss_r.array()]);
        gf = loss_f.backward();
        let gr = loss_r.backward();
        let (cf, cr) = (collect(&fused, &gf), collect(&reference, &gr));
        assert_eq!(cf.len(), cr.len());
        for ((name, a), (_, b)) in cf.iter().zip(cr.iter()) {
            close(
                &format!("{variant:?} {act:?} {rows}x{depth} step {step} {name}"),
                a,
                b,
            );
        }
        opt.update(&mut fused, &gf).expect("update");
        fused.zero_grads(&mut gf);
    }
    let reference = fused.clone();
    // Inference through the flat copy matches dfdx's, taps included, on mostly-zero
    // inputs and on dense ones.
    for zeros in [0.8, 0.0] {
        let (x, _) = batch(&dev, 37, 99, zeros);
        let (mut tf, mut tr) = (Vec::new(), Vec::new());
        let yf = fused.forward_infer(x.clone(), Some(&mut tf)).as_vec();
        let yr = reference.forward_infer_dfdx(x, Some(&mut tr)).as_vec();
        close("inference logits", &yf, &yr);
        assert_eq!(tf.len(), depth);
        assert_eq!(tf.len(), tr.len());
        for (i, (a, b)) in tf.iter().zip(&tr).enumerate() {
            close(&format!("tap {i}"), a, b);
        }
    }
}

fn sgd() -> SgdConfig {
    SgdConfig {
        lr: 0.5,
        momentum: Some(Momentum::Classic(0.0)),
        weight_decay: None,
    }
}

#[test]
fn plain_matches_dfdx_for_every_activation() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        check_step(Variant::Plain, act, 60, 3);
    }
}

#[test]
fn bn_matches_dfdx_for_every_activation() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        check_step(Variant::Bn, act, 60, 3);
    }
}

#[test]
fn bn_after_matches_dfdx_for_every_activation() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        check_step(Variant::BnAfter, act, 60, 3);
    }
}

#[test]
fn bn_after_and_odd_batches_match_dfdx() {
    check_step(Variant::BnAfter, Activation::Sigmoid, 60, 3);
    check_step(Variant::Plain, Activation::Sigmoid, 7, 3);
    check_step(Variant::Bn, Activation::Sigmoid, 5, 3);
    check_step(Variant::Bn, Activation::Sigmoid, 256, 10);
    check_step(Variant::BnAfter, Activation::Tanh, 5, 3);
    // ReLU at depth 10 drifts to 1.1e-5 in the logits: ten BNs each amplify a rounding
    // difference of dfdx's (x − μ)·(γ/σ) against the fused (x − μ)·(1/σ)·γ.
    check_step(Variant::BnAfter, Activation::Sigmoid, 256, 10);
    check_step(Variant::BnAfter, Activation::Relu, 256, 5);
}

#[test]
fn any_depth_matches_dfdx() {
    for depth in [1, 2, 5] {
        check_step(Variant::Plain, Activation::Tanh, 16, depth);
        check_step(Variant::Bn, Activation::Relu, 16, depth);
        check_step(Variant::BnAfter, Activation::Sigmoid, 16, depth);
    }
}

#[test]
fn dropout_variants_match_dfdx() {
    check_step(Variant::PlainDropout, Activation::Relu, 60, 3);
    check_step(Variant::BnDropout, Activation::Sigmoid, 60, 3);
    check_step(Variant::BnDropoutBefore, Activation::Tanh, 16, 4);
    check_step(Variant::BnDropoutBefore, Activation::Sigmoid, 16, 1);
}

#[test]
fn layernorm_matches_dfdx() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        check_step(Variant::LayerNorm, act, 60, 3);
    }
    check_step(Variant::LayerNorm, Activation::Tanh, 1, 5);
    check_step(Variant::LayerNorm, Activation::Sigmoid, 256, 10);
}

#[test]
fn layernorm_is_the_same_in_training_and_inference() {
    let dev = Dev::seed_from_u64(2);
    let spec = NetSpec {
        variant: Variant::LayerNorm,
        depth: 3,
        activation: Activation::Tanh,
        init: Init::Gaussian { sigma: 0.1 },
        seed: 8,
        settings: Default::default(),
    };
    let mut net = build(&dev, &spec);
    // One row and many: a sample's output does not depend on the rest of its batch.
    for rows in [1, 33] {
        let (x, _) = batch(&dev, rows, 4, 0.5);
        let g = net.alloc_grads();
        let train = net.forward_train(x.clone().traced(g)).retaped::<NoneTape>();
        close(
            "train vs infer",
            &train.as_vec(),
            &net.forward_infer(x, None).as_vec(),
        );
    }
}
