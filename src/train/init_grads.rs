//! Gradients at initialization against depth (Yang et al. 2019, "A Mean Field Theory of
//! Batch Normalization"): ‖∂L/∂W_l‖ of every layer of the untrained net, the mean over the
//! first batches of the run. Every variant of a seed sees the same batches and starts from
//! the same weights, so the norms differ only by what the variant's layers do to gradients.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::prelude::*;

use crate::data::{Prepared, CLASSES, PIXELS};
use crate::metric::{Layer, LayerMetric, Metric};
use crate::model::{Dev, Network, E};

pub type Images = Tensor<(usize, Const<PIXELS>), E, Dev>;
pub type Labels = Tensor<(usize, Const<CLASSES>), E, Dev>;

/// The images and one-hot labels of the training items at `positions`.
pub fn batch(dev: &Dev, data: &Prepared, positions: &[u32]) -> (Images, Labels) {
    let b = positions.len();
    let (mut x, mut y) = (vec![0f32; b * PIXELS], vec![0u8; b]);
    data.norm.fill_batch(&data.train, positions, &mut x, &mut y);
    let mut onehot = vec![0f32; b * CLASSES];
    for (r, &c) in y.iter().enumerate() {
        onehot[r * CLASSES + c as usize] = 1.0;
    }
    (
        dev.tensor_from_vec(x, (b, Const)),
        dev.tensor_from_vec(onehot, (b, Const)),
    )
}

/// Per linear layer (hidden layers first, the head last), the mean of ‖∂L/∂W‖ over the
/// batches, each a training-mode forward and backward of a copy of `net` (so its running
/// statistics stay as built).
pub fn norms<N: Network>(net: &N, batches: &[(Images, Labels)], reference_ops: bool) -> Vec<f64> {
    let mut sums: Vec<f64> = Vec::new();
    for (x, y) in batches {
        let mut probe = net.clone();
        let g = probe.alloc_grads();
        let logits = if reference_ops {
            probe.forward_train_dfdx(x.clone().traced(g))
        } else {
            probe.forward_train(x.clone().traced(g))
        };
        let grads = cross_entropy_with_logits_loss(logits, y.clone()).backward();
        let stats = probe.layer_stats(Some(&grads));
        sums.resize(stats.len(), 0.0);
        for (s, st) in sums.iter_mut().zip(&stats) {
            *s += f64::from(st.grad_norm);
        }
    }
    let n = batches.len().max(1) as f64;
    sums.into_iter().map(|s| s / n).collect()
}

/// Appends `init_grad_norm.lN` for every layer, measured on the first `count` batches of
/// `order` (the worker passes epoch 0's, the batches training then starts on).
#[allow(clippy::too_many_arguments)]
pub fn probe<N: Network>(
    net: &N,
    dev: &Dev,
    data: &Prepared,
    order: &[u32],
    batch_size: usize,
    count: usize,
    reference_ops: bool,
    out: &mut Vec<(Metric, f64)>,
) {
    let batches: Vec<(Images, Labels)> = order
        .chunks_exact(batch_size)
        .take(count)
        .map(|p| batch(dev, data, p))
        .collect();
    let hidden = net.hidden_layers();
    for (i, v) in norms(net, &batches, reference_ops).into_iter().enumerate() {
        out.push((LayerMetric::InitGradNorm.of(Layer::at(i, hidden)), v));
    }
}

#[cfg(test)]
mod tests {
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::norms;
    use crate::model::block::values;
    use crate::model::{build, Activation, Dev, Init, NetSpec, Network, Variant, E};

    /// The head's ‖∂L/∂W‖ of a one-hidden-layer plain tanh net, written out by hand:
    /// h = tanh(W₁x + b₁), p = softmax(W h + b), ∂L/∂W = Σ_rows (p − y) hᵀ / rows.
    #[test]
    fn the_heads_norm_matches_a_hand_written_backward_and_batches_are_averaged() {
        let dev = Dev::seed_from_u64(1);
        let net = build(
            &dev,
            &NetSpec {
                variant: Variant::Plain,
                depth: 1,
                activation: Activation::Tanh,
                init: Init::Glorot { gain: 1.0 },
                seed: 5,
                settings: Default::default(),
            },
        );
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let rows = 16;
        let mut batches = Vec::new();
        let mut want = 0.0;
        for _ in 0..2 {
            let x: Vec<E> = (0..rows * 784).map(|_| rng.gen_range(0.0..1.0)).collect();
            let labels: Vec<usize> = (0..rows).map(|_| rng.gen_range(0..10)).collect();
            let (w1, b1) = (values(&net.first.lin.weight), values(&net.first.lin.bias));
            let (w2, b2) = (values(&net.head.weight), values(&net.head.bias));
            let mut dw = vec![0f64; 10 * 100];
            for r in 0..rows {
                let xr = &x[r * 784..(r + 1) * 784];
                let h: Vec<f64> = (0..100)
                    .map(|u| {
                        let z: f64 = (0..784).map(|k| f64::from(w1[u * 784 + k] * xr[k])).sum();
                        (z + f64::from(b1[u])).tanh()
                    })
                    .collect();
                let z: Vec<f64> = (0..10)
                    .map(|c| {
                        (0..100)
                            .map(|u| f64::from(w2[c * 100 + u]) * h[u])
                            .sum::<f64>()
                            + f64::from(b2[c])
                    })
                    .collect();
                let m = z.iter().cloned().fold(f64::MIN, f64::max);
                let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                for c in 0..10 {
                    let p = (z[c] - m).exp() / s - if labels[r] == c { 1.0 } else { 0.0 };
                    for u in 0..100 {
                        dw[c * 100 + u] += p * h[u] / rows as f64;
                    }
                }
            }
            want += dw.iter().map(|v| v * v).sum::<f64>().sqrt() / 2.0;
            let mut y = vec![0f32; rows * 10];
            for (r, &c) in labels.iter().enumerate() {
                y[r * 10 + c] = 1.0;
            }
            batches.push((
                dev.tensor_from_vec(x, (rows, Const)),
                dev.tensor_from_vec(y, (rows, Const)),
            ));
        }
        for reference_ops in [false, true] {
            let got = norms(&net, &batches, reference_ops);
            assert_eq!(got.len(), 2);
            let head = got[1];
            assert!((head - want).abs() <= 1e-4 * want, "{head} vs {want}");
        }
        // The net itself is left as built.
        assert_eq!(net.hidden_layers(), 1);
    }
}
