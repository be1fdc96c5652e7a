//! Batch Renormalization in training mode built from dfdx's own ops: the reference the fused
//! op is checked against (`--reference-ops`), written the way dfdx writes BatchNorm's
//! training forward, with r and d as constants off the tape.

use dfdx::nn::modules::BatchNorm1D;
use dfdx::prelude::*;

use super::fused::update_running;
use super::renorm::{self, Limits};
use super::types::{values, Batch, Traced, E, HIDDEN};

/// γ·((z − μ_B)/σ_B · r + d) + β, then the running statistics updated as BN updates them.
pub fn batch_renorm(
    bn: &mut BatchNorm1D<HIDDEN, E, super::types::Dev>,
    z: Batch<HIDDEN, Traced>,
    limits: Limits,
) -> Batch<HIDDEN, Traced> {
    let shape = *z.shape();
    let rows = shape.0;
    let eps = bn.epsilon as E;
    // Each statistic keeps its own tape until it is consumed, as in dfdx's BN.
    let mean = z.retaped::<Traced>().mean::<Rank1<HIDDEN>, Axis<0>>();
    let mean_v = values(&mean);
    let centered = z - mean.broadcast_like(&shape);
    let var = centered
        .retaped::<Traced>()
        .square()
        .mean::<Rank1<HIDDEN>, Axis<0>>();
    let var_v = values(&var);
    let (r, d) = renorm::factors(
        &mean_v,
        &var_v,
        &values(&bn.running_mean),
        &values(&bn.running_var),
        eps,
        limits,
    );
    update_running(bn, &mean_v, &var_v, rows);
    let dev = centered.device().clone();
    let r = dev
        .tensor_from_vec(r, (Const::<HIDDEN>,))
        .broadcast_like(&shape);
    let d = dev
        .tensor_from_vec(d, (Const::<HIDDEN>,))
        .broadcast_like(&shape);
    let std = (var + eps).sqrt().broadcast_like(&shape);
    let x_hat = centered / std * r + d;
    let gamma = bn.scale.retaped::<Traced>().broadcast_like(&shape);
    let beta = bn.bias.retaped::<Traced>().broadcast_like(&shape);
    x_hat * gamma + beta
}
