//! The optimizers a run can pick, against PyTorch's update rules written out in the test
//! (`torch.optim.SGD` with momentum, `torch.optim.Adam` with its defaults), step by step on a
//! real net's gradients; and a short real run with each.

use bnlab::metric::Metric;
use std::sync::Arc;

use bnlab::data::DatasetName;
use bnlab::model::{self, Activation, Init, Net, NetSpec, Network, Variant};
use bnlab::runs::RunRecord;
use bnlab::train::optim::Opt;
use bnlab::train::{OptimizerKind, RunConfig, Session, Status};
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;

const ROWS: usize = 40;
const STEPS: usize = 3;

fn data() -> bnlab::data::Prepared {
    let cfg = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    cfg.prepare_data(None).unwrap()
}

fn push<const I: usize, const O: usize>(l: &Linear<I, O, f32, Cpu>, out: &mut Vec<f64>) {
    out.extend(l.weight.as_vec().iter().map(|&v| f64::from(v)));
    out.extend(l.bias.as_vec().iter().map(|&v| f64::from(v)));
}

fn push_grads<const I: usize, const O: usize>(
    l: &Linear<I, O, f32, Cpu>,
    g: &Gradients<f32, Cpu>,
    out: &mut Vec<f64>,
) {
    out.extend(g.get(&l.weight).as_vec().iter().map(|&v| f64::from(v)));
    out.extend(g.get(&l.bias).as_vec().iter().map(|&v| f64::from(v)));
}

fn params(net: &Net) -> Vec<f64> {
    let mut v = Vec::new();
    push(&net.first.lin, &mut v);
    for b in &net.hidden {
        push(&b.lin, &mut v);
    }
    push(&net.head, &mut v);
    v
}

fn grads_of(net: &Net, g: &Gradients<f32, Cpu>) -> Vec<f64> {
    let mut v = Vec::new();
    push_grads(&net.first.lin, g, &mut v);
    for b in &net.hidden {
        push_grads(&b.lin, g, &mut v);
    }
    push_grads(&net.head, g, &mut v);
    v
}

/// Runs `STEPS` updates of bnlab's optimizer on successive batches; returns the initial
/// parameters, each step's gradients and each step's parameters after the update.
#[allow(clippy::type_complexity)]
fn trajectory(
    kind: OptimizerKind,
    lr: f64,
    momentum: f64,
) -> (Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let dev = Cpu::default();
    let data = data();
    let mut net: Net = model::build(
        &dev,
        &NetSpec {
            depth: 3,
            variant: Variant::Plain,
            activation: Activation::Sigmoid,
            init: Init::Gaussian { sigma: 0.5 },
            seed: 11,
            settings: Default::default(),
        },
    );
    let mut opt = Opt::new(&net, kind, lr, momentum);
    let w0 = params(&net);
    let (mut gs, mut ws) = (Vec::new(), Vec::new());
    let n = data.train.len() as u64;
    for k in 0..STEPS as u64 {
        let positions: Vec<u32> = (0..ROWS as u64)
            .map(|i| ((k * ROWS as u64 + i) * 7919 % n) as u32)
            .collect();
        let mut x = vec![0.0; ROWS * 784];
        let mut y = vec![0u8; ROWS];
        data.norm
            .fill_batch(&data.train, &positions, &mut x, &mut y);
        let mut oh = vec![0.0; ROWS * 10];
        for (r, &c) in y.iter().enumerate() {
            oh[r * 10 + c as usize] = 1.0;
        }
        let g = net.alloc_grads();
        let logits = net.forward_train(dev.tensor_from_vec(x, (ROWS, Const)).traced(g));
        let grads = cross_entropy_with_logits_loss(logits, dev.tensor_from_vec(oh, (ROWS, Const)))
            .backward();
        gs.push(grads_of(&net, &grads));
        opt.update(&mut net, &grads).unwrap();
        ws.push(params(&net));
    }
    (w0, gs, ws)
}

/// Each step's parameters against the reference's, within f32 rounding of the weight and of
/// the step taken.
fn compare(name: &str, w0: &[f64], got: &[Vec<f64>], want: &[Vec<f64>]) {
    let mut prev = w0.to_vec();
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        let mut worst = 0f64;
        for ((a, b), p) in g.iter().zip(w).zip(&prev) {
            let tol = 5e-7 * b.abs().max(0.1) + 1e-3 * (b - p).abs();
            worst = worst.max((a - b).abs() / tol);
        }
        assert!(
            worst <= 1.0,
            "{name} step {}: off the reference by {worst}x the tolerance",
            t + 1
        );
        let moved = w
            .iter()
            .zip(&prev)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            moved > 1e-4,
            "{name} step {}: the reference barely moves",
            t + 1
        );
        prev = w.clone();
    }
}

#[test]
fn momentum_sgd_follows_pytorch_updates() {
    let (lr, mu) = (0.1, 0.9);
    let (w0, gs, got) = trajectory(OptimizerKind::Sgd, lr, mu);
    // torch.optim.SGD: b₁ = g₁, bₜ = μ·bₜ₋₁ + gₜ; w ← w − lr·bₜ.
    let mut w = w0.clone();
    let mut buf: Vec<f64> = vec![0.0; w.len()];
    let mut want = Vec::new();
    for (t, g) in gs.iter().enumerate() {
        for ((b, gi), wi) in buf.iter_mut().zip(g).zip(w.iter_mut()) {
            *b = if t == 0 { *gi } else { mu * *b + gi };
            *wi -= lr * *b;
        }
        want.push(w.clone());
    }
    compare("momentum SGD", &w0, &got, &want);
}

#[test]
fn adam_follows_pytorch_updates() {
    let lr = 1e-3;
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let (w0, gs, got) = trajectory(OptimizerKind::Adam, lr, 0.0);
    // torch.optim.Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², bias-corrected, then
    // w ← w − lr·m̂ / (√v̂ + ε).
    let mut w = w0.clone();
    let (mut m, mut v) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    let mut want = Vec::new();
    for (t, g) in gs.iter().enumerate() {
        let t = t as i32 + 1;
        for i in 0..w.len() {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m[i] / (1.0 - b1.powi(t));
            let vh = v[i] / (1.0 - b2.powi(t));
            w[i] -= lr * mh / (vh.sqrt() + eps);
        }
        want.push(w.clone());
    }
    compare("Adam", &w0, &got, &want);
}

fn train(optimizer: OptimizerKind, lr: f64, momentum: f64) -> RunRecord {
    let mut c: RunConfig = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.steps = Some(300);
    c.eval_every = 100;
    c.optimizer = optimizer;
    c.lr = lr;
    c.momentum = momentum;
    c.seeds = 1;
    let data = Arc::new(data());
    let mut rec = RunRecord::new(c.clone(), bnlab::runs::DataInfo::of(&data));
    let s = Session::start(c, data);
    for ev in s.events.iter() {
        rec.apply(&ev);
    }
    rec
}

#[test]
fn both_variants_learn_with_adam_and_with_momentum() {
    for (name, rec) in [
        ("adam", train(OptimizerKind::Adam, 1e-3, 0.0)),
        ("momentum", train(OptimizerKind::Sgd, 0.05, 0.9)),
    ] {
        for j in &rec.jobs {
            assert_eq!(j.status, Status::Finished, "{name} {}", j.id.variant);
            let acc = j.last(Metric::ValAcc).unwrap();
            let loss = j.series(Metric::TrainLoss);
            let (first, last) = (loss[0].2, loss[loss.len() - 1].2);
            assert!(
                acc > 0.5,
                "{name} {}: validation accuracy {acc}",
                j.id.variant
            );
            assert!(
                last < 0.7 * first,
                "{name} {}: training loss {first} -> {last}",
                j.id.variant
            );
        }
    }
}
