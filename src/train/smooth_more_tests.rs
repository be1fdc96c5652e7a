//! The landscape probe against the measurement written out here: step each linear layer by
//! −η·g by hand, take loss and gradient there through dfdx's own ops, and reduce to the three
//! numbers (tests/integration/smooth_reference.rs does the same for BN on real digits).

use super::*;
use crate::model::{build, Activation, Init, Net, NetSpec, Variant};
use dfdx::nn::modules::Linear;
use rand::{Rng, SeedableRng};

const ROWS: usize = 24;

fn batch(dev: &Dev) -> (Images, Labels) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let x: Vec<E> = (0..ROWS * PIXELS)
        .map(|_| rng.gen_range(0.0..1.0))
        .collect();
    let mut y = vec![0.0; ROWS * CLASSES];
    for r in 0..ROWS {
        y[r * CLASSES + r % CLASSES] = 1.0;
    }
    (
        dev.tensor_from_vec(x, (ROWS, Const)),
        dev.tensor_from_vec(y, (ROWS, Const)),
    )
}

fn step_linear<const I: usize, const O: usize>(
    l: &mut Linear<I, O, E, Dev>,
    g: &Gradients<E, Dev>,
    eta: f64,
) {
    for t in [&mut l.weight as &mut dyn StepTensor, &mut l.bias] {
        t.step(g, eta);
    }
}

trait StepTensor {
    fn step(&mut self, g: &Gradients<E, Dev>, eta: f64);
}

impl<S: Shape> StepTensor for Tensor<S, E, Dev> {
    fn step(&mut self, g: &Gradients<E, Dev>, eta: f64) {
        let d = g.get(&*self).as_vec();
        let w: Vec<E> = self
            .as_vec()
            .iter()
            .zip(&d)
            .map(|(w, d)| w - eta as E * d)
            .collect();
        self.copy_from(&w);
    }
}

fn flat<const I: usize, const O: usize>(
    l: &Linear<I, O, E, Dev>,
    g: &Gradients<E, Dev>,
    out: &mut Vec<f64>,
) {
    out.extend(g.get(&l.weight).as_vec().iter().map(|&v| f64::from(v)));
    out.extend(g.get(&l.bias).as_vec().iter().map(|&v| f64::from(v)));
}

fn grads_of(net: &Net, g: &Gradients<E, Dev>) -> Vec<f64> {
    let mut v = Vec::new();
    flat(&net.first.lin, g, &mut v);
    for b in &net.hidden {
        flat(&b.lin, g, &mut v);
    }
    flat(&net.head, g, &mut v);
    v
}

fn loss_and_grads(net: &Net, x: &Images, y: &Labels) -> (f64, Gradients<E, Dev>) {
    let mut n = net.clone();
    let g = n.alloc_grads();
    let loss = cross_entropy_with_logits_loss(n.forward_train_dfdx(x.clone().traced(g)), y.clone());
    (f64::from(loss.array()), loss.backward())
}

fn reference(net: &Net, x: &Images, y: &Labels, lr: f64) -> [f64; 3] {
    let (_, grads) = loss_and_grads(net, x, y);
    let g0 = grads_of(net, &grads);
    let gnorm = g0.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (mut lo, mut hi, mut change, mut beta) = (f64::MAX, f64::MIN, 0f64, 0f64);
    for m in STEP_MULTIPLES {
        let eta = lr * m;
        let mut moved = net.clone();
        step_linear(&mut moved.first.lin, &grads, eta);
        for b in &mut moved.hidden {
            step_linear(&mut b.lin, &grads, eta);
        }
        step_linear(&mut moved.head, &grads, eta);
        let (l, g) = loss_and_grads(&moved, x, y);
        let g1 = grads_of(&moved, &g);
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

fn plain_net(dev: &Dev) -> Net {
    build(
        dev,
        &NetSpec {
            depth: 2,
            variant: Variant::Plain,
            activation: Activation::Sigmoid,
            init: Init::Gaussian { sigma: 1.0 },
            seed: 5,
            settings: Default::default(),
        },
    )
}

#[test]
fn the_probe_matches_the_measurement_written_out() {
    let dev = Dev::default();
    let net = plain_net(&dev);
    let (x, y) = batch(&dev);
    let lr = 0.5;
    let (_, grads) = loss_and_grads(&net, &x, &y);
    for reference_ops in [false, true] {
        let mut out = Vec::new();
        probe(&net, &grads, (&x, &y), lr, reference_ops, &mut out);
        let names: Vec<Metric> = out.iter().map(|p| p.0).collect();
        assert_eq!(
            names,
            [
                Metric::SmoothLossRange,
                Metric::SmoothGradChange,
                Metric::SmoothBeta
            ]
        );
        for ((name, got), want) in out.iter().zip(reference(&net, &x, &y, lr)) {
            assert!(want > 1e-3, "{name}: reference {want} is too small to tell");
            assert!(
                (got - want).abs() <= 1e-3 * want,
                "{name}: {got}, the reference gives {want}"
            );
        }
    }
}

#[test]
fn with_no_gradient_nothing_moves_and_beta_stays_zero() {
    let dev = Dev::default();
    let net = plain_net(&dev);
    let (x, y) = batch(&dev);
    let zero = net.alloc_grads();
    let mut out = Vec::new();
    probe(&net, &zero, (&x, &y), 0.5, false, &mut out);
    let (_, g) = loss_and_grads(&net, &x, &y);
    let gnorm = grads_of(&net, &g).iter().map(|v| v * v).sum::<f64>().sqrt();
    // Every trial point is the start: no loss range, the change is the gradient itself.
    assert_eq!(out[0].1, 0.0);
    assert!(
        (out[1].1 - gnorm).abs() <= 1e-3 * gnorm,
        "{} vs {gnorm}",
        out[1].1
    );
    assert_eq!(out[2].1, 0.0);
}
