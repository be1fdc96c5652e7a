//! Dropout against a reference written here: masks, scaling, values and gradients in
//! training, the identity in inference, and p = 0 the same bits as no dropout.

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::stream::Stream;
use super::*;

fn spec(variant: Variant, depth: usize, act: Activation, p: f32) -> NetSpec {
    NetSpec {
        variant,
        depth,
        activation: act,
        init: Init::Gaussian { sigma: 0.1 },
        seed: 21,
        settings: VariantSettings { dropout: p },
    }
}

fn uniform(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

#[test]
fn masks_keep_one_minus_p_and_scale_by_its_inverse() {
    let mut s = Stream::new(1);
    for p in [0.1f32, 0.5, 0.8] {
        let n = 200_000;
        let m = s.dropout_mask(n, p);
        let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
        let sd = (f64::from(p) * f64::from(1.0 - p) / n as f64).sqrt();
        assert!(
            (kept - f64::from(1.0 - p)).abs() < 5.0 * sd,
            "p {p}: kept {kept}"
        );
        assert!(m.iter().all(|&v| v == 0.0 || v == 1.0 / (1.0 - p)), "p {p}");
    }
    let (a, b) = (
        Stream::new(4).dropout_mask(64, 0.5),
        Stream::new(4).dropout_mask(64, 0.5),
    );
    assert_eq!(a, b, "a seed gives its masks");
    assert_ne!(a, Stream::new(5).dropout_mask(64, 0.5));
}

#[test]
fn each_variant_drops_out_where_it_says() {
    let rates = |v: Variant| -> Vec<f32> {
        let n = build(&Dev::default(), &spec(v, 3, Activation::Relu, 0.3));
        n.layout().iter().map(|b| b.dropout).collect()
    };
    assert_eq!(rates(Variant::PlainDropout), [0.3, 0.3, 0.3]);
    assert_eq!(rates(Variant::BnDropout), [0.0, 0.0, 0.3]);
    assert_eq!(rates(Variant::BnDropoutBefore), [0.3, 0.3, 0.0]);
    for v in [Variant::Plain, Variant::Bn, Variant::BnAfter] {
        assert_eq!(rates(v), [0.0; 3], "{v}");
    }
}

fn derivative(act: Activation, a: f64) -> f64 {
    match act {
        Activation::Sigmoid => a * (1.0 - a),
        Activation::Relu => f64::from(u8::from(a > 0.0)),
        Activation::Tanh => 1.0 - a * a,
    }
}

fn close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(*g) - w).abs() / w.abs().max(1.0);
        assert!(err <= 2e-5, "{what}[{i}]: {g} vs reference {w}");
    }
}

/// One training forward and backward of a one-block plain-dropout net, loss Σ logits·G,
/// against the same maths in f64 with the mask the net's stream draws.
fn check_against_reference(act: Activation, rows: usize, reference_ops: bool) {
    let (i, h, o) = (INPUT, HIDDEN, OUTPUT);
    let p = 0.4;
    let dev = Dev::default();
    let mut net = build(&dev, &spec(Variant::PlainDropout, 1, act, p));
    let mask = net.stream.clone().dropout_mask(rows * h, p);
    let x = uniform(rows * i, 1)
        .iter()
        .map(|v| v.abs())
        .collect::<Vec<_>>();
    let g = uniform(rows * o, 2);
    let xt: Batch<INPUT> = dev.tensor_from_vec(x.clone(), (rows, Const));
    let gt: Batch<OUTPUT> = dev.tensor_from_vec(g.clone(), (rows, Const));
    let traced = xt.traced(net.alloc_grads());
    let logits = if reference_ops {
        net.forward_train_dfdx(traced)
    } else {
        net.forward_train(traced)
    };
    let values = logits.retaped::<NoneTape>().as_vec();
    let grads = (logits * gt).sum::<Rank0, _>().backward();

    let f = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let (w1, b1) = (
        f(&net.first.lin.weight.as_vec()),
        f(&net.first.lin.bias.as_vec()),
    );
    let (w2, b2) = (f(&net.head.weight.as_vec()), f(&net.head.bias.as_vec()));
    let (x, g, mask) = (f(&x), f(&g), f(&mask));
    let mut a = vec![0.0; rows * h];
    for r in 0..rows {
        for j in 0..h {
            let z = b1[j] + (0..i).map(|k| x[r * i + k] * w1[j * i + k]).sum::<f64>();
            a[r * h + j] = f64::from(act.apply(z as f32));
        }
    }
    let dropped: Vec<f64> = a.iter().zip(&mask).map(|(a, m)| a * m).collect();
    let mut want = vec![0.0; rows * o];
    let (mut dw2, mut db2) = (vec![0.0; o * h], vec![0.0; o]);
    let (mut dw1, mut db1) = (vec![0.0; h * i], vec![0.0; h]);
    for r in 0..rows {
        for k in 0..o {
            want[r * o + k] = b2[k]
                + (0..h)
                    .map(|j| dropped[r * h + j] * w2[k * h + j])
                    .sum::<f64>();
            db2[k] += g[r * o + k];
            for j in 0..h {
                dw2[k * h + j] += g[r * o + k] * dropped[r * h + j];
            }
        }
        for j in 0..h {
            let dh: f64 = (0..o).map(|k| g[r * o + k] * w2[k * h + j]).sum();
            let dz = dh * mask[r * h + j] * derivative(act, a[r * h + j]);
            db1[j] += dz;
            for k in 0..i {
                dw1[j * i + k] += dz * x[r * i + k];
            }
        }
    }
    let what = format!("{act:?} {rows} rows, reference ops {reference_ops}");
    close(&format!("{what} logits"), &values, &want);
    close(
        &format!("{what} head dW"),
        &grads.get(&net.head.weight).as_vec(),
        &dw2,
    );
    close(
        &format!("{what} head db"),
        &grads.get(&net.head.bias).as_vec(),
        &db2,
    );
    close(
        &format!("{what} dW"),
        &grads.get(&net.first.lin.weight).as_vec(),
        &dw1,
    );
    let db = grads.get(&net.first.lin.bias).as_vec();
    close(&format!("{what} db"), &db, &db1);
    if rows == 1 {
        // One row: a dropped unit gets no gradient at all.
        for (j, (d, m)) in db.iter().zip(&mask).enumerate() {
            // A ReLU that is off passes no gradient either, kept or not.
            if *m == 0.0 || act != Activation::Relu {
                assert_eq!(
                    *m == 0.0,
                    *d == 0.0,
                    "{what}: unit {j}, mask {m}, gradient {d}"
                );
            }
        }
        assert!(mask.contains(&0.0) && mask.iter().any(|&m| m != 0.0));
    }
}

#[test]
fn training_matches_the_reference_on_both_paths() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        for reference_ops in [false, true] {
            check_against_reference(act, 1, reference_ops);
            check_against_reference(act, 6, reference_ops);
        }
    }
}

#[test]
fn every_step_draws_a_new_mask_and_inference_is_the_identity() {
    let dev = Dev::default();
    let mut drop = build(&dev, &spec(Variant::PlainDropout, 2, Activation::Tanh, 0.5));
    let plain = build(&dev, &spec(Variant::Plain, 2, Activation::Tanh, 0.5));
    let x: Batch<INPUT> = dev.tensor_from_vec(uniform(5 * INPUT, 3), (5, Const));
    let step = |n: &mut Net| {
        let g = n.alloc_grads();
        n.forward_train(x.clone().traced(g))
            .retaped::<NoneTape>()
            .as_vec()
    };
    assert_ne!(step(&mut drop), step(&mut drop), "a new mask each step");
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    let (mut t1, mut t2) = (Vec::new(), Vec::new());
    assert_eq!(
        bits(drop.forward_infer(x.clone(), Some(&mut t1)).as_vec()),
        bits(plain.forward_infer(x.clone(), Some(&mut t2)).as_vec())
    );
    assert_eq!(t1, t2);
    assert_eq!(
        bits(drop.forward_infer_dfdx(x.clone(), None).as_vec()),
        bits(plain.forward_infer_dfdx(x, None).as_vec())
    );
}

#[test]
fn rate_zero_is_no_dropout_to_the_bit() {
    let dev = Dev::default();
    for (with, without) in [
        (Variant::PlainDropout, Variant::Plain),
        (Variant::BnDropout, Variant::Bn),
        (Variant::BnDropoutBefore, Variant::Bn),
    ] {
        for reference_ops in [false, true] {
            let mut a = build(&dev, &spec(with, 3, Activation::Sigmoid, 0.0));
            let mut b = build(&dev, &spec(without, 3, Activation::Sigmoid, 0.0));
            for step in 0..3 {
                let x: Batch<INPUT> = dev.tensor_from_vec(uniform(8 * INPUT, step), (8, Const));
                let run = |n: &mut Net| {
                    let g = n.alloc_grads();
                    let t = x.clone().traced(g);
                    let out = if reference_ops {
                        n.forward_train_dfdx(t)
                    } else {
                        n.forward_train(t)
                    };
                    let v = out.retaped::<NoneTape>().as_vec();
                    let grads = out.square().sum::<Rank0, _>().backward();
                    sgd::PlainSgd { lr: 0.1 }.update(n, &grads).unwrap();
                    v
                };
                let (va, vb) = (run(&mut a), run(&mut b));
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&va), bits(&vb), "{with} step {step}");
            }
            let params = |n: &Net| {
                let f = n.flat();
                f.layers
                    .iter()
                    .flat_map(|l| l.weight.iter().chain(&l.bias).map(|v| v.to_bits()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(params(&a), params(&b), "{with}: parameters after 3 steps");
        }
    }
}
