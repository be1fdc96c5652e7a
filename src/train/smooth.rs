//! The loss landscape along the gradient (Santurkar et al. 2018, "How does batch
//! normalization help optimization?"): from the current weights, step along −g by several
//! multiples of the learning rate and measure, on the same batch, how much the loss varies
//! and how much the gradient changes. A smoother landscape shows smaller numbers.

use crate::metric::Metric;
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::optim::{Momentum, Optimizer, Sgd, SgdConfig};
use dfdx::prelude::*;

use crate::data::{CLASSES, PIXELS};
use crate::model::{Dev, Network, E};

type Images = Tensor<(usize, Const<PIXELS>), E, Dev>;
type Labels = Tensor<(usize, Const<CLASSES>), E, Dev>;

/// Step sizes, as multiples of the learning rate.
pub const STEP_MULTIPLES: [f64; 4] = [0.25, 0.5, 1.0, 2.0];

fn dist(a: &[E], b: &[E]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Appends `smooth_loss_range`, `smooth_grad_change` (max ‖g(w − ηg) − g(w)‖) and
/// `smooth_beta` (the largest ‖Δg‖ / ‖Δw‖, an effective smoothness constant).
pub fn probe<N: Network>(
    net: &N,
    grads: &Gradients<E, Dev>,
    (x, y): (&Images, &Labels),
    lr: f64,
    reference_ops: bool,
    out: &mut Vec<(Metric, f64)>,
) {
    let g0 = net.grad_vector(grads);
    let gnorm = g0.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut change, mut beta) = (0f64, 0f64);
    for m in STEP_MULTIPLES {
        let eta = lr * m;
        let mut moved = net.clone();
        let mut sgd = Sgd::new(
            &moved,
            SgdConfig {
                lr: eta,
                momentum: Some(Momentum::Classic(0.0)),
                weight_decay: None,
            },
        );
        if sgd.update(&mut moved, grads).is_err() {
            return;
        }
        let g = moved.alloc_grads();
        // The trial steps go through the same ops as training, so `--reference-ops` probes
        // the landscape dfdx's own ops see.
        let logits = if reference_ops {
            moved.forward_train_dfdx(x.clone().traced(g))
        } else {
            moved.forward_train(x.clone().traced(g))
        };
        let loss = cross_entropy_with_logits_loss(logits, y.clone());
        let l = f64::from(loss.array());
        let g1 = moved.grad_vector(&loss.backward());
        if !l.is_finite() {
            hi = f64::INFINITY;
            continue;
        }
        lo = lo.min(l);
        hi = hi.max(l);
        let d = dist(&g1, &g0);
        change = change.max(d);
        if gnorm > 0.0 {
            beta = beta.max(d / (eta * gnorm));
        }
    }
    out.push((Metric::SmoothLossRange, hi - lo));
    out.push((Metric::SmoothGradChange, change));
    out.push((Metric::SmoothBeta, beta));
}

#[cfg(test)]
#[path = "smooth_more_tests.rs"]
mod more_tests;
