//! The loss-landscape probe (`train::smooth`) against the same measurement written out in
//! the test: step the weights along −g by each multiple of the learning rate, take the loss
//! and gradient there through dfdx's own ops, and reduce to the three numbers.

use bnlab::data::DatasetName;
use bnlab::metric::Metric;
use bnlab::model::{self, Activation, Init, Net, NetSpec, Network, Variant};
use bnlab::train::smooth::{probe, STEP_MULTIPLES};
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::modules::Linear;
use dfdx::prelude::*;

type X = Tensor<(usize, Const<784>), f32, Cpu>;
type Y = Tensor<(usize, Const<10>), f32, Cpu>;

fn batch(dev: &Cpu) -> (X, Y) {
    let cfg = bnlab::presets::find("smoothness")
        .unwrap()
        .config(DatasetName::Mnist5k);
    let data = cfg.prepare_data(None).unwrap();
    let rows = 60;
    let n = data.train.len() as u32;
    let positions: Vec<u32> = (0..rows as u32).map(|i| i * 7919 % n).collect();
    let mut x = vec![0.0; rows * 784];
    let mut y = vec![0u8; rows];
    data.norm
        .fill_batch(&data.train, &positions, &mut x, &mut y);
    let mut oh = vec![0.0; rows * 10];
    for (r, &c) in y.iter().enumerate() {
        oh[r * 10 + c as usize] = 1.0;
    }
    (
        dev.tensor_from_vec(x, (rows, Const)),
        dev.tensor_from_vec(oh, (rows, Const)),
    )
}

fn step<S: Shape>(t: &mut Tensor<S, f32, Cpu>, grads: &Gradients<f32, Cpu>, eta: f64) {
    let g = grads.get(&*t).as_vec();
    let w: Vec<f32> = t
        .as_vec()
        .iter()
        .zip(&g)
        .map(|(w, g)| w - eta as f32 * g)
        .collect();
    t.copy_from(&w);
}

fn step_linear<const I: usize, const O: usize>(
    l: &mut Linear<I, O, f32, Cpu>,
    grads: &Gradients<f32, Cpu>,
    eta: f64,
) {
    step(&mut l.weight, grads, eta);
    step(&mut l.bias, grads, eta);
}

fn linear_grads<const I: usize, const O: usize>(
    l: &Linear<I, O, f32, Cpu>,
    grads: &Gradients<f32, Cpu>,
    out: &mut Vec<f64>,
) {
    out.extend(grads.get(&l.weight).as_vec().iter().map(|&v| f64::from(v)));
    out.extend(grads.get(&l.bias).as_vec().iter().map(|&v| f64::from(v)));
}

/// What the test needs of a net: move every trained parameter by −η·g, and the linear
/// layers' gradients flattened (the probe measures those).
trait Probed: Network {
    fn step_all(&mut self, grads: &Gradients<f32, Cpu>, eta: f64);
    fn linear_grads(&self, grads: &Gradients<f32, Cpu>) -> Vec<f64>;
}

impl Probed for Net {
    fn step_all(&mut self, grads: &Gradients<f32, Cpu>, eta: f64) {
        step_linear(&mut self.first.lin, grads, eta);
        if let Some(bn) = self.first.batchnorm_mut() {
            step(&mut bn.scale, grads, eta);
            step(&mut bn.bias, grads, eta);
        }
        for b in &mut self.hidden {
            step_linear(&mut b.lin, grads, eta);
            if let Some(bn) = b.batchnorm_mut() {
                step(&mut bn.scale, grads, eta);
                step(&mut bn.bias, grads, eta);
            }
        }
        step_linear(&mut self.head, grads, eta);
    }
    fn linear_grads(&self, grads: &Gradients<f32, Cpu>) -> Vec<f64> {
        // γ and β are trained, and the trial step moves them: their gradients count too.
        let bn = |bn: Option<&dfdx::nn::modules::BatchNorm1D<100, f32, Cpu>>, v: &mut Vec<f64>| {
            if let Some(bn) = bn {
                v.extend(grads.get(&bn.scale).as_vec().iter().map(|&x| f64::from(x)));
                v.extend(grads.get(&bn.bias).as_vec().iter().map(|&x| f64::from(x)));
            }
        };
        let mut v = Vec::new();
        linear_grads(&self.first.lin, grads, &mut v);
        bn(self.first.batchnorm(), &mut v);
        for b in &self.hidden {
            linear_grads(&b.lin, grads, &mut v);
            bn(b.batchnorm(), &mut v);
        }
        linear_grads(&self.head, grads, &mut v);
        v
    }
}

/// Loss and gradients of `net` on the batch, through dfdx's ops.
fn loss_and_grads<N: Probed>(net: &N, x: &X, y: &Y) -> (f64, Gradients<f32, Cpu>) {
    let mut n = net.clone();
    let g = n.alloc_grads();
    let loss = cross_entropy_with_logits_loss(n.forward_train_dfdx(x.clone().traced(g)), y.clone());
    (f64::from(loss.array()), loss.backward())
}

/// (loss range, largest gradient change, largest ‖Δg‖ / ‖Δw‖).
fn reference<N: Probed>(net: &N, x: &X, y: &Y, lr: f64) -> [f64; 3] {
    let (_, grads) = loss_and_grads(net, x, y);
    let g0 = net.linear_grads(&grads);
    let gnorm = g0.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (mut lo, mut hi, mut change, mut beta) = (f64::MAX, f64::MIN, 0.0f64, 0.0f64);
    for m in STEP_MULTIPLES {
        let eta = lr * m;
        let mut moved = net.clone();
        moved.step_all(&grads, eta);
        let (l, g) = loss_and_grads(&moved, x, y);
        let g1 = moved.linear_grads(&g);
        let d = g1
            .iter()
            .zip(&g0)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        lo = lo.min(l);
        hi = hi.max(l);
        change = change.max(d);
        beta = beta.max(d / (eta * gnorm));
    }
    [hi - lo, change, beta]
}

fn check(variant: Variant) {
    let dev = Cpu::default();
    let net: Net = model::build(
        &dev,
        &NetSpec {
            depth: 3,
            variant,
            activation: Activation::Sigmoid,
            init: Init::Gaussian { sigma: 1.0 },
            seed: 3,
            settings: Default::default(),
        },
    );
    let (x, y) = batch(&dev);
    let lr = 0.5;
    // The gradients the trainer hands the probe: its own fused forward at the current weights.
    let mut n = net.clone();
    let g = n.alloc_grads();
    let grads =
        cross_entropy_with_logits_loss(n.forward_train(x.clone().traced(g)), y.clone()).backward();
    let mut out = Vec::new();
    probe(&net, &grads, (&x, &y), lr, false, &mut out);
    let got: Vec<(String, f64)> = out.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let want = reference(&net, &x, &y, lr);
    let names = [
        Metric::SmoothLossRange,
        Metric::SmoothGradChange,
        Metric::SmoothBeta,
    ]
    .map(|m| m.to_string());
    assert_eq!(
        got.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        names,
        "{got:?}"
    );
    for ((name, g), w) in got.iter().zip(want) {
        assert!(
            w > 1e-3,
            "{variant}: reference {name} {w} is too small to tell"
        );
        assert!(
            (g - w).abs() <= 1e-3 * w,
            "{variant}: {name} is {g}, the reference gives {w}"
        );
    }
}

#[test]
fn the_smoothness_probe_matches_a_reference_for_plain() {
    check(Variant::Plain);
}

#[test]
fn the_smoothness_probe_matches_a_reference_for_bn() {
    check(Variant::Bn);
}
