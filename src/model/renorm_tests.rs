//! Noisy BN and Batch Renorm against a reference written here in f64 (forward, and
//! gradients by central differences with r, d and the noise held fixed), the fused ops
//! against dfdx's, train against inference, the running statistics, and the noise's seed.

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fused_tests::check_step_with;
use super::renorm::{Limits, Schedule};
use super::*;

const ROWS: usize = 8;

fn spec(variant: Variant, seed: u64) -> NetSpec {
    NetSpec {
        variant,
        depth: 1,
        activation: Activation::Tanh,
        init: Init::Gaussian { sigma: 0.1 },
        seed,
        settings: VariantSettings::default(),
    }
}

fn inputs(seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..ROWS * INPUT)
        .map(|_| {
            if rng.gen_bool(0.6) {
                0.0
            } else {
                rng.gen_range(0.0..1.0)
            }
        })
        .collect()
}

/// Running statistics far from any batch's, so r and d clip in some units and not others.
fn skew_running(net: &mut Net) {
    let bn = net.bn_of_mut(0).expect("a BN");
    let rm: Vec<f32> = (0..HIDDEN).map(|j| (j % 7) as f32 * 0.2 - 0.6).collect();
    let rv: Vec<f32> = (0..HIDDEN)
        .map(|j| 10f32.powi((j % 5) as i32 - 2))
        .collect();
    bn.running_mean.copy_from(&rm);
    bn.running_var.copy_from(&rv);
}

/// The one-block net's parameters in f64.
#[derive(Clone)]
struct Params {
    w: Vec<f64>,
    b: Vec<f64>,
    gamma: Vec<f64>,
    beta: Vec<f64>,
    rm: Vec<f64>,
    rv: Vec<f64>,
    hw: Vec<f64>,
    hb: Vec<f64>,
}

fn f64s<S: Shape>(t: &Tensor<S, E, Dev>) -> Vec<f64> {
    t.as_vec().into_iter().map(f64::from).collect()
}

fn params(net: &Net) -> Params {
    let bn = net.bn_of(0).expect("a BN");
    Params {
        w: f64s(&net.first.lin.weight),
        b: f64s(&net.first.lin.bias),
        gamma: f64s(&bn.scale),
        beta: f64s(&bn.bias),
        rm: f64s(&bn.running_mean),
        rv: f64s(&bn.running_var),
        hw: f64s(&net.head.weight),
        hb: f64s(&net.head.bias),
    }
}

/// What the block adds to BN in training, as the reference takes it.
#[derive(Clone)]
enum Extra {
    Renorm(Limits),
    Noisy { scale: Vec<f64>, shift: Vec<f64> },
}

const EPS: f64 = 1e-5;

/// The batch mean and biased variance of the pre-activations, per unit.
fn batch_stats(p: &Params, x: &[f32]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut z = vec![0.0; ROWS * HIDDEN];
    for r in 0..ROWS {
        for j in 0..HIDDEN {
            let row = &p.w[j * INPUT..(j + 1) * INPUT];
            let xr = &x[r * INPUT..(r + 1) * INPUT];
            z[r * HIDDEN + j] = p.b[j]
                + row
                    .iter()
                    .zip(xr)
                    .map(|(w, &x)| w * f64::from(x))
                    .sum::<f64>();
        }
    }
    let n = ROWS as f64;
    let mean: Vec<f64> = (0..HIDDEN)
        .map(|j| (0..ROWS).map(|r| z[r * HIDDEN + j]).sum::<f64>() / n)
        .collect();
    let var = (0..HIDDEN)
        .map(|j| {
            (0..ROWS)
                .map(|r| (z[r * HIDDEN + j] - mean[j]).powi(2))
                .sum::<f64>()
                / n
        })
        .collect();
    (z, mean, var)
}

/// r and d by the paper's formulas, from the running statistics before the step.
fn paper_rd(p: &Params, x: &[f32], l: Limits) -> (Vec<f64>, Vec<f64>) {
    let (_, mean, var) = batch_stats(p, x);
    let (rmax, dmax) = (f64::from(l.r_max), f64::from(l.d_max));
    (0..HIDDEN)
        .map(|j| {
            let sigma = (p.rv[j] + EPS).sqrt();
            let r = ((var[j] + EPS).sqrt() / sigma).clamp(1.0 / rmax, rmax);
            let d = ((mean[j] - p.rm[j]) / sigma).clamp(-dmax, dmax);
            (r, d)
        })
        .unzip()
}

/// The logits in training mode, r and d (for Batch Renorm) given rather than computed, so
/// a finite difference holds them fixed as the paper's backward pass does.
fn logits(p: &Params, x: &[f32], extra: &Extra, rd: &(Vec<f64>, Vec<f64>)) -> Vec<f64> {
    let (z, mean, var) = batch_stats(p, x);
    let mut out = vec![0.0; ROWS * OUTPUT];
    for r in 0..ROWS {
        let a: Vec<f64> = (0..HIDDEN)
            .map(|j| {
                let xh = (z[r * HIDDEN + j] - mean[j]) / (var[j] + EPS).sqrt();
                let n = match extra {
                    Extra::Renorm(_) => p.gamma[j] * (xh * rd.0[j] + rd.1[j]) + p.beta[j],
                    Extra::Noisy { scale, shift } => {
                        (p.gamma[j] * xh + p.beta[j]) * scale[j] + shift[r * HIDDEN + j]
                    }
                };
                n.tanh()
            })
            .collect();
        for k in 0..OUTPUT {
            let row = &p.hw[k * HIDDEN..(k + 1) * HIDDEN];
            out[r * OUTPUT + k] = p.hb[k] + row.iter().zip(&a).map(|(w, a)| w * a).sum::<f64>();
        }
    }
    out
}

/// The loss the tests differentiate: Σ logits ⊙ C.
fn weights() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    (0..ROWS * OUTPUT)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect()
}

fn loss(p: &Params, x: &[f32], extra: &Extra, rd: &(Vec<f64>, Vec<f64>)) -> f64 {
    let c = weights();
    logits(p, x, extra, rd)
        .iter()
        .zip(&c)
        .map(|(l, &c)| l * f64::from(c))
        .sum()
}

/// One training step of `net` on `x` through the fused ops or dfdx's: the logits, the
/// gradients of W (first row's used inputs), b, γ, β, and the net after the step.
fn train_step(net: &mut Net, x: &[f32], dfdx_ops: bool) -> (Vec<f32>, Gradients<E, Dev>) {
    let dev = Dev::default();
    let xt: Batch<INPUT> = dev.tensor_from_vec(x.to_vec(), (ROWS, Const));
    let c: Tensor<(usize, Const<OUTPUT>), E, Dev> = dev.tensor_from_vec(weights(), (ROWS, Const));
    let traced = xt.traced(net.alloc_grads());
    let out = if dfdx_ops {
        net.forward_train_dfdx(traced)
    } else {
        net.forward_train(traced)
    };
    let v = out.retaped::<NoneTape>().as_vec();
    (v, (out * c).sum().backward())
}

fn extra_of(net: &Net, x: &[f32]) -> Extra {
    match net.first.norm() {
        Norm::BatchRenorm => Extra::Renorm(net.renorm.limits_at(net.renorm.step + 1)),
        Norm::BnNoisy => {
            let (s, m) = net.stream.clone().bn_noise(x.len() / INPUT, HIDDEN);
            Extra::Noisy {
                scale: s.into_iter().map(f64::from).collect(),
                shift: m.into_iter().map(f64::from).collect(),
            }
        }
        n => panic!("no extra for {n:?}"),
    }
}

/// Forward, gradients and running statistics of one step against the f64 reference.
fn check_against_reference(mut net: Net, dfdx_ops: bool) {
    let x = inputs(5);
    let p = params(&net);
    let extra = extra_of(&net, &x);
    let rd = match &extra {
        Extra::Renorm(l) => paper_rd(&p, &x, *l),
        Extra::Noisy { .. } => (vec![1.0; HIDDEN], vec![0.0; HIDDEN]),
    };
    let want = logits(&p, &x, &extra, &rd);
    let (got, grads) = train_step(&mut net, &x, dfdx_ops);
    let what = format!("{:?} dfdx {dfdx_ops}", net.first.norm());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (f64::from(*g) - w).abs() < 1e-4 * (1.0 + w.abs()),
            "{what} logit {i}: {g} vs {w}"
        );
    }
    // Central differences of the reference, r, d and the noise fixed.
    let fd = |set: &dyn Fn(&mut Params, f64)| {
        let h = 1e-5;
        let (mut a, mut b) = (p.clone(), p.clone());
        set(&mut a, h);
        set(&mut b, -h);
        (loss(&a, &x, &extra, &rd) - loss(&b, &x, &extra, &rd)) / (2.0 * h)
    };
    let bn = net.bn_of(0).expect("a BN");
    let (dg, db) = (grads.get(&bn.scale).as_vec(), grads.get(&bn.bias).as_vec());
    let (dw, dbias) = (
        grads.get(&net.first.lin.weight).as_vec(),
        grads.get(&net.first.lin.bias).as_vec(),
    );
    let used: Vec<usize> = (0..INPUT).filter(|&k| x[k] != 0.0).take(4).collect();
    for j in [0, 1, 2, 3, 4, 17, 58, 99] {
        let mut checks = vec![
            ("γ", dg[j], fd(&|q: &mut Params, h| q.gamma[j] += h)),
            ("β", db[j], fd(&|q: &mut Params, h| q.beta[j] += h)),
            ("b", dbias[j], fd(&|q: &mut Params, h| q.b[j] += h)),
        ];
        for &k in &used {
            checks.push((
                "W",
                dw[j * INPUT + k],
                fd(&|q: &mut Params, h| q.w[j * INPUT + k] += h),
            ));
        }
        for (name, g, w) in checks {
            assert!(
                (f64::from(g) - w).abs() < 2e-3 * (1.0 + w.abs()),
                "{what} ∂{name}[{j}]: {g} vs {w}"
            );
        }
    }
    // The running statistics move as BN's do: momentum 0.1, the variance unbiased.
    let (_, mean, var) = batch_stats(&p, &x);
    let n = ROWS as f64;
    let (rm, rv) = (f64s(&bn.running_mean), f64s(&bn.running_var));
    for j in 0..HIDDEN {
        let want_m = 0.9 * p.rm[j] + 0.1 * mean[j];
        let want_v = 0.9 * p.rv[j] + 0.1 * var[j] * n / (n - 1.0);
        assert!(
            (rm[j] - want_m).abs() < 1e-5 * (1.0 + want_m.abs()),
            "{what} mean {j}"
        );
        assert!(
            (rv[j] - want_v).abs() < 1e-4 * (1.0 + want_v.abs()),
            "{what} var {j}"
        );
    }
}

fn renorm_net(schedule: Schedule, skew: bool) -> Net {
    let mut net = build(&Dev::default(), &spec(Variant::BatchRenorm, 3));
    net.renorm = schedule;
    if skew {
        skew_running(&mut net);
    }
    net
}

#[test]
fn batch_renorm_matches_the_reference_clipped_or_not() {
    // Full limits, half-relaxed limits (clipping binds in many units), and the warm-up.
    for (schedule, skew) in [
        (
            Schedule {
                total: 20,
                step: 100,
            },
            true,
        ),
        (Schedule { total: 20, step: 1 }, true),
        (
            Schedule {
                total: 20,
                step: 100,
            },
            false,
        ),
        (Schedule::new(20), true),
    ] {
        let net = renorm_net(schedule, skew);
        let l = net.renorm.limits_at(schedule.step + 1);
        let (r, d) = paper_rd(&params(&net), &inputs(5), l);
        if skew && l != Limits::BN {
            assert!(
                r.iter().any(|&r| r == f64::from(l.r_max)),
                "some r clip high"
            );
            assert!(
                d.iter().any(|&d| d.abs() == f64::from(l.d_max)),
                "some d clip"
            );
            assert!(r
                .iter()
                .any(|&r| r < f64::from(l.r_max) && r > 1.0 / f64::from(l.r_max)));
        }
        for dfdx_ops in [false, true] {
            check_against_reference(net.clone(), dfdx_ops);
        }
    }
}

#[test]
fn noisy_bn_matches_the_reference_on_both_paths() {
    let net = build(&Dev::default(), &spec(Variant::BnNoisy, 3));
    for dfdx_ops in [false, true] {
        check_against_reference(net.clone(), dfdx_ops);
    }
}

#[test]
fn renorm_at_r_one_d_zero_is_batchnorm() {
    let x = inputs(9);
    let mut bn = build(&Dev::default(), &spec(Variant::Bn, 3));
    let mut rn = renorm_net(Schedule::new(1000), true);
    bn.bn_of_mut(0)
        .unwrap()
        .running_mean
        .copy_from(&rn.bn_of(0).unwrap().running_mean.as_vec());
    bn.bn_of_mut(0)
        .unwrap()
        .running_var
        .copy_from(&rn.bn_of(0).unwrap().running_var.as_vec());
    for dfdx_ops in [false, true] {
        let (a, ga) = train_step(&mut bn.clone(), &x, dfdx_ops);
        let (b, gb) = train_step(&mut rn.clone(), &x, dfdx_ops);
        if dfdx_ops {
            // dfdx's BN multiplies by γ/σ, the reference Renorm by 1/σ, then r, then γ.
            assert!(a
                .iter()
                .zip(&b)
                .all(|(u, v)| (u - v).abs() <= 1e-6 * (1.0 + u.abs())));
        } else {
            assert_eq!(a, b, "the fused warm-up's logits are BN's bits");
        }
        let (pa, pb) = (bn.bn_of(0).unwrap(), rn.bn_of(0).unwrap());
        for (ta, tb) in [(&pa.scale, &pb.scale), (&pa.bias, &pb.bias)] {
            let (u, v) = (ga.get(ta).as_vec(), gb.get(tb).as_vec());
            for (u, v) in u.iter().zip(&v) {
                assert!(
                    (u - v).abs() <= 1e-6 * (1.0 + u.abs()),
                    "dfdx {dfdx_ops}: {u} vs {v}"
                );
            }
        }
        let (u, v) = (
            ga.get(&bn.first.lin.weight).as_vec(),
            gb.get(&rn.first.lin.weight).as_vec(),
        );
        assert!(u
            .iter()
            .zip(&v)
            .all(|(u, v)| (u - v).abs() <= 1e-6 * (1.0 + u.abs())));
    }
    // Inference is BN's with the running statistics, whatever the schedule.
    rn.renorm = Schedule {
        total: 20,
        step: 100,
    };
    let xt: Batch<INPUT> = Dev::default().tensor_from_vec(x, (ROWS, Const));
    assert_eq!(
        bn.forward_infer(xt.clone(), None).as_vec(),
        rn.forward_infer(xt, None).as_vec()
    );
}

#[test]
fn noise_follows_the_seed_and_is_absent_in_inference() {
    let x = inputs(11);
    let noisy = build(&Dev::default(), &spec(Variant::BnNoisy, 3));
    let bn = build(&Dev::default(), &spec(Variant::Bn, 3));
    let (a, _) = train_step(&mut noisy.clone(), &x, false);
    let (b, _) = train_step(&mut noisy.clone(), &x, false);
    assert_eq!(a, b, "a seed gives its noise");
    let (c, _) = train_step(
        &mut build(&Dev::default(), &spec(Variant::BnNoisy, 4)),
        &x,
        false,
    );
    let (d, _) = train_step(&mut bn.clone(), &x, false);
    assert_ne!(a, d, "training adds noise");
    assert_ne!(c, d);
    // Two steps draw fresh noise: the second step's distribution is another one.
    let mut s = noisy.stream.clone();
    assert_ne!(s.bn_noise(ROWS, HIDDEN), s.bn_noise(ROWS, HIDDEN));
    let (scale, shift) = noisy.stream.clone().bn_noise(1000, HIDDEN);
    assert!(scale.iter().all(|s| (0.5..1.5).contains(s)));
    let m0 = (0..1000).map(|r| shift[r * HIDDEN]).sum::<f32>() / 1000.0;
    assert!(m0.abs() <= 1.02 && m0 != 0.0, "unit 0's noise mean {m0}");
    // Inference draws nothing and is plain BN's.
    let xt: Batch<INPUT> = Dev::default().tensor_from_vec(x, (ROWS, Const));
    let before = noisy.stream.clone().bn_noise(1, 1);
    assert_eq!(
        noisy.forward_infer(xt.clone(), None).as_vec(),
        bn.forward_infer(xt.clone(), None).as_vec()
    );
    assert_eq!(
        noisy.forward_infer_dfdx(xt.clone(), None).as_vec(),
        bn.forward_infer_dfdx(xt, None).as_vec()
    );
    assert_eq!(noisy.stream.clone().bn_noise(1, 1), before);
}

#[test]
fn the_new_variants_fused_match_dfdx_deep_and_over_steps() {
    for act in [Activation::Sigmoid, Activation::Relu, Activation::Tanh] {
        check_step_with(Variant::BnNoisy, act, 60, 3, |_| {});
        check_step_with(Variant::BatchRenorm, act, 60, 3, |n| {
            n.renorm = Schedule { total: 20, step: 4 };
        });
    }
    check_step_with(Variant::BatchRenorm, Activation::Sigmoid, 4, 3, |n| {
        n.renorm = Schedule {
            total: 20,
            step: 100,
        };
    });
}

#[test]
fn the_new_variants_hold_a_bn_and_parse_by_name() {
    for (v, name) in [
        (Variant::BnNoisy, "bn-noisy"),
        (Variant::BatchRenorm, "batch-renorm"),
    ] {
        assert!(v.has_bn() && v.norm().uses_bn(), "{v}");
        assert_eq!(Variant::parse(name), Some(v));
        assert_eq!(v.as_str(), name);
        assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
        let net = build(&Dev::default(), &spec(v, 1));
        assert!(net.bn_of(0).is_some() && net.ln_of(0).is_none());
        assert!(net.layer_stats(None)[0]
            .bn
            .as_ref()
            .is_some_and(|b| b.running_mean.len() == HIDDEN));
    }
    assert_eq!(Variant::ALL[7..9], [Variant::BnNoisy, Variant::BatchRenorm]);
}
