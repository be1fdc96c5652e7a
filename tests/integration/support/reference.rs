//! The MLP's maths written out again in f64, from a network's parameters: the reference the
//! tests hold bnlab's fused training ops and flat inference path against.

use bnlab::model::Net;
use dfdx::nn::modules::{BatchNorm1D, Linear};
use dfdx::prelude::*;

pub const MOMENTUM: f64 = 0.1;

#[derive(Debug, Clone)]
pub struct RefBn {
    pub gamma: Vec<f64>,
    pub beta: Vec<f64>,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub eps: f64,
}

/// One linear layer, `outputs × inputs` row-major as dfdx stores it, with optional BN before
/// a sigmoid; the head has neither.
#[derive(Debug, Clone)]
pub struct RefLayer {
    pub inputs: usize,
    pub outputs: usize,
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub bn: Option<RefBn>,
    pub sigmoid: bool,
}

fn f64s<S: Shape>(t: &Tensor<S, f32, Cpu>) -> Vec<f64> {
    t.as_vec().into_iter().map(f64::from).collect()
}

fn layer<const I: usize, const O: usize>(
    lin: &Linear<I, O, f32, Cpu>,
    bn: Option<&BatchNorm1D<O, f32, Cpu>>,
    sigmoid: bool,
) -> RefLayer {
    RefLayer {
        inputs: I,
        outputs: O,
        w: f64s(&lin.weight),
        b: f64s(&lin.bias),
        bn: bn.map(|bn| RefBn {
            gamma: f64s(&bn.scale),
            beta: f64s(&bn.bias),
            mean: f64s(&bn.running_mean),
            var: f64s(&bn.running_var),
            eps: bn.epsilon,
        }),
        sigmoid,
    }
}

/// The layers of a sigmoid BN net (BN before the activation), head last.
pub fn bn_layers(net: &Net) -> Vec<RefLayer> {
    let mut v = vec![layer(&net.first.lin, net.first.batchnorm(), true)];
    for b in &net.hidden {
        v.push(layer(&b.lin, b.batchnorm(), true));
    }
    v.push(layer(&net.head, None, false));
    v
}

/// The layers of a sigmoid plain net, head last.
pub fn plain_layers(net: &Net) -> Vec<RefLayer> {
    let mut v = vec![layer(&net.first.lin, None, true)];
    for b in &net.hidden {
        v.push(layer(&b.lin, None, true));
    }
    v.push(layer(&net.head, None, false));
    v
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Per-column mean and biased variance of `rows × cols` values.
pub fn column_stats(z: &[f64], cols: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (z.len() / cols) as f64;
    let mut mean = vec![0.0; cols];
    for r in z.chunks_exact(cols) {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v / n;
        }
    }
    let mut var = vec![0.0; cols];
    for r in z.chunks_exact(cols) {
        for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    (mean, var)
}

/// Logits of `x` (`rows × inputs`). `train`: BN normalizes with the batch's statistics and
/// the running statistics are updated as PyTorch and dfdx do (momentum 0.1, unbiased
/// variance); otherwise BN uses the running statistics.
pub fn forward(layers: &mut [RefLayer], x: &[f64], train: bool) -> Vec<f64> {
    let mut h = x.to_vec();
    for l in layers.iter_mut() {
        let rows = h.len() / l.inputs;
        let mut z = vec![0.0; rows * l.outputs];
        for r in 0..rows {
            let xr = &h[r * l.inputs..(r + 1) * l.inputs];
            for o in 0..l.outputs {
                let wr = &l.w[o * l.inputs..(o + 1) * l.inputs];
                z[r * l.outputs + o] = l.b[o] + xr.iter().zip(wr).map(|(a, b)| a * b).sum::<f64>();
            }
        }
        if let Some(bn) = &mut l.bn {
            let (mean, var) = if train {
                let (m, v) = column_stats(&z, l.outputs);
                let unbiased = rows as f64 / (rows as f64 - 1.0);
                for j in 0..l.outputs {
                    bn.mean[j] = (1.0 - MOMENTUM) * bn.mean[j] + MOMENTUM * m[j];
                    bn.var[j] = (1.0 - MOMENTUM) * bn.var[j] + MOMENTUM * v[j] * unbiased;
                }
                (m, v)
            } else {
                (bn.mean.clone(), bn.var.clone())
            };
            for r in z.chunks_exact_mut(l.outputs) {
                for (j, v) in r.iter_mut().enumerate() {
                    *v = bn.gamma[j] * (*v - mean[j]) / (var[j] + bn.eps).sqrt() + bn.beta[j];
                }
            }
        }
        if l.sigmoid {
            z.iter_mut().for_each(|v| *v = sigmoid(*v));
        }
        h = z;
    }
    h
}

/// Mean softmax cross-entropy and accuracy of `logits` (`rows × 10`).
pub fn loss_and_accuracy(logits: &[f64], labels: &[u8]) -> (f64, f64) {
    let (mut loss, mut correct) = (0.0, 0usize);
    for (row, &y) in logits.chunks_exact(10).zip(labels) {
        let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        loss += lse - row[y as usize];
        let best = (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        correct += usize::from(best == y as usize);
    }
    let n = labels.len() as f64;
    (loss / n, correct as f64 / n)
}

/// The largest |a − b| relative to max(1, |b|).
pub fn max_rel_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}
