//! Fused training ops for this project's layers, recorded on dfdx's tape.
//!
//! dfdx builds a hidden block from a dozen small ops (matmul, broadcast add, mean, sub,
//! square, sqrt, div, mul, sigmoid), each with its own pass over memory, allocation and
//! backward closure, and its CPU matmul has no AVX-512 kernels. Here one op does
//! linear → [BatchNorm] → activation (or linear → activation → BatchNorm) in one forward pass with `gemm`, and pushes one backward
//! closure onto the same tape that writes the gradients of the dfdx parameter tensors.
//! The parameters stay in the dfdx tensors; dfdx's optimizers update them as before.

use dfdx::nn::modules::{BatchNorm1D, LayerNorm1D, Linear};
use dfdx::prelude::*;

use super::activate::{activate, times_derivative};
use super::kinds::Activation;
use super::renorm::{self, Limits};
use super::types::{Batch, Dev, Traced, E};
use crate::data::nonzero::MAX_DENSITY;
use crate::kernels::{self, batchnorm, layernorm, pool, SparseRows};

/// `t`'s values in a pooled buffer (dfdx's `as_vec` walks strides element by element).
fn read<S: Shape>(t: &Tensor<S, E, Dev, impl Tape<E, Dev>>, len: usize) -> Vec<E> {
    let mut v = pool::take(len);
    t.copy_into(&mut v);
    v
}

/// A layer's input as its backward needs it.
enum Input {
    Dense(Vec<E>),
    /// Mostly exact zeros (scaled digits at the first layer): only the non-zero values.
    Sparse(SparseRows),
}

impl Input {
    /// `dw += dzᵀ · x`.
    fn weight_grad(&self, dz: &[E], outputs: usize, dw: &mut [E]) {
        match self {
            Input::Dense(x) => {
                let (rows, inputs) = (dz.len() / outputs, dw.len() / outputs);
                kernels::atb(outputs, inputs, rows, dz, x, dw, true);
            }
            Input::Sparse(x) => x.weight_grad(dz, outputs, dw),
        }
    }

    fn recycle(self) {
        if let Input::Dense(x) = self {
            pool::give([x]);
        }
    }
}

/// The backward of `affine`, shared by every fused op: from `dz` = ∂L/∂z it accumulates ∂W,
/// ∂b and (with `input_grad`) ∂x, then gives the input's buffers back to the pool. A macro,
/// because dfdx 0.13 keeps the ghost tensors' types private, so no function can name them.
macro_rules! affine_backward {
    ($grads:ident, $xv:ident, $dz:expr, $w:expr, ($w_g:ident, $b_g:ident, $x_g:ident), $rows:expr, $input_grad:expr) => {{
        $xv.weight_grad($dz, O, $grads.get_or_alloc_mut(&$w_g)?);
        kernels::add_column_sums($dz, $grads.get_or_alloc_mut(&$b_g)?);
        if $input_grad {
            kernels::ab($rows, I, O, $dz, $w, $grads.get_or_alloc_mut(&$x_g)?, true);
        }
        $xv.recycle();
    }};
}

/// `x Wᵀ + b` in a pooled buffer, with the input and `W` that the backward needs. Without
/// `input_grad` (the first layer, whose input is the data), a mostly-zero batch goes through
/// the sparse products, unless `W` holds a value that is not finite (the dense product turns
/// it into NaN even where it meets a zero input).
fn affine<const I: usize, const O: usize>(
    x: &Batch<I>,
    lin: &Linear<I, O, E, Dev>,
    input_grad: bool,
) -> (Input, Vec<E>, Vec<E>) {
    let rows = x.shape().0;
    let xv = read(x, rows * I);
    let w = read(&lin.weight, O * I);
    let bias = read(&lin.bias, O);
    let mut z = pool::take(rows * O);
    kernels::fill_rows(&mut z, &bias);
    pool::give([bias]);
    let sparse = if input_grad || !kernels::all_finite(&w) {
        None
    } else {
        SparseRows::of(&xv, rows, I, MAX_DENSITY)
    };
    let input = match sparse {
        Some(s) => {
            s.forward(&w, O, &mut z);
            pool::give([xv]);
            Input::Sparse(s)
        }
        None => {
            kernels::abt(rows, O, I, &xv, &w, &mut z, true);
            Input::Dense(xv)
        }
    };
    (input, w, z)
}

/// `act(x Wᵀ + b)`, or the plain affine map when `act` is `None` (the head).
/// `input_grad: false` skips the gradient of `x` (the first layer's input is the data).
pub fn linear_act<const I: usize, const O: usize>(
    x: Batch<I, Traced>,
    lin: &Linear<I, O, E, Dev>,
    act: Option<Activation>,
    input_grad: bool,
) -> Batch<O, Traced> {
    let (x, mut tape) = x.split_tape();
    let rows = x.shape().0;
    let (xv, w, mut a) = affine(&x, lin, input_grad);
    if let Some(act) = act {
        activate(act, &mut a);
    }
    let mut out = x.device().zeros_like(&(rows, Const::<O>));
    out.copy_from(&a);
    let (out_g, w_g, b_g, x_g) = (out.ghost(), lin.weight.ghost(), lin.bias.ghost(), x.ghost());
    tape.add_backward_op(move |grads| {
        let mut dz = pool::copy_of(grads.get_or_alloc_mut(&out_g)?);
        if let Some(act) = act {
            times_derivative(act, &a, &mut dz);
        }
        affine_backward!(grads, xv, &dz, &w, (w_g, b_g, x_g), rows, input_grad);
        pool::give([dz, a, w]);
        Ok(())
    });
    out.put_tape(tape)
}

/// What a BN-before block does in training besides plain BatchNorm.
#[derive(Debug, Clone, PartialEq)]
pub enum BnTrain {
    Plain,
    /// Noisy BN: the BN output y becomes `scale[j]·y + shift[i·O + j]` before the
    /// activation (`Stream::bn_noise`).
    Noisy {
        scale: Vec<E>,
        shift: Vec<E>,
    },
    /// Batch Renormalization with this step's clipping limits.
    Renorm(Limits),
}

/// `act(BN(x Wᵀ + b))` in training mode: batch statistics, running statistics updated
/// the way dfdx's `BatchNorm1D::forward_mut` updates them (unbiased variance). `mode` adds
/// noisy BN's noise or Batch Renorm's correction, whose r and d are constants to the
/// backward pass: with them, γ·(r·x̂ + d) + β is BN's scale-shift with γ·r and γ·d + β.
pub fn linear_bn_act<const I: usize, const O: usize>(
    x: Batch<I, Traced>,
    lin: &Linear<I, O, E, Dev>,
    bn: &mut BatchNorm1D<O, E, Dev>,
    act: Activation,
    input_grad: bool,
    mode: BnTrain,
) -> Batch<O, Traced> {
    let (x, mut tape) = x.split_tape();
    let rows = x.shape().0;
    let (xv, w, mut z) = affine(&x, lin, input_grad);

    let (mut mean, mut var) = (vec![0.0; O], vec![0.0; O]);
    // z becomes the centred values, then x̂.
    batchnorm::center(&mut z, &mut mean, &mut var);
    let eps = bn.epsilon as E;
    let inv_std = batchnorm::inv_std(&var, eps);
    let mut gamma = read(&bn.scale, O);
    let mut beta = read(&bn.bias, O);
    // Batch Renorm's r and d, from the running statistics before this step's update.
    let rd = match mode {
        BnTrain::Renorm(limits) => {
            let (rm, rv) = (read(&bn.running_mean, O), read(&bn.running_var, O));
            let (r, d) = renorm::factors(&mean, &var, &rm, &rv, eps, limits);
            pool::give([rm, rv]);
            for ((g, b), (r, d)) in gamma.iter_mut().zip(beta.iter_mut()).zip(r.iter().zip(&d)) {
                *b += *g * d;
                *g *= r;
            }
            Some((r, d))
        }
        _ => None,
    };
    update_running(bn, &mean, &var, rows);

    let mut a = pool::take(rows * O);
    batchnorm::scale_shift(&mut z, &inv_std, &gamma, &beta, &mut a);
    let noise_scale = match mode {
        BnTrain::Noisy { scale, shift } => {
            for (ar, sr) in a.chunks_exact_mut(O).zip(shift.chunks_exact(O)) {
                for ((a, s), m) in ar.iter_mut().zip(&scale).zip(sr) {
                    *a = *a * s + m;
                }
            }
            Some(scale)
        }
        _ => None,
    };
    activate(act, &mut a);
    pool::give([beta]);
    let x_hat = z;
    let mut out = x.device().zeros_like(&(rows, Const::<O>));
    out.copy_from(&a);
    let (out_g, w_g, b_g, x_g, gamma_g, beta_g) = (
        out.ghost(),
        lin.weight.ghost(),
        lin.bias.ghost(),
        x.ghost(),
        bn.scale.ghost(),
        bn.bias.ghost(),
    );
    tape.add_backward_op(move |grads| {
        let mut dy = pool::copy_of(grads.get_or_alloc_mut(&out_g)?);
        times_derivative(act, &a, &mut dy);
        if let Some(scale) = &noise_scale {
            for row in dy.chunks_exact_mut(O) {
                row.iter_mut().zip(scale).for_each(|(d, s)| *d *= s);
            }
        }
        let (mut sum_dy, mut sum_dy_xhat) = (vec![0.0; O], vec![0.0; O]);
        // dy becomes the gradient of z.
        batchnorm::backward(
            &mut dy,
            &x_hat,
            &gamma,
            &inv_std,
            &mut sum_dy,
            &mut sum_dy_xhat,
        );
        // Renorm's output is γ·(r·x̂ + d) + β: ∂γ = r·Σ dy·x̂ + d·Σ dy.
        if let Some((r, d)) = &rd {
            for ((g, s), (r, d)) in sum_dy_xhat.iter_mut().zip(&sum_dy).zip(r.iter().zip(d)) {
                *g = *g * r + d * s;
            }
        }
        for (param, sums) in [(&beta_g, &sum_dy), (&gamma_g, &sum_dy_xhat)] {
            let g = grads.get_or_alloc_mut(param)?;
            g.iter_mut().zip(sums).for_each(|(g, s)| *g += s);
        }
        let dz = dy;
        affine_backward!(grads, xv, &dz, &w, (w_g, b_g, x_g), rows, input_grad);
        pool::give([dz, a, w, x_hat, gamma]);
        Ok(())
    });
    out.put_tape(tape)
}

/// `BN(act(x Wᵀ + b))` in training mode: BN after the activation, with the same batch and
/// running statistics as `linear_bn_act`, so the two placements cost the same per step.
pub fn linear_act_bn<const I: usize, const O: usize>(
    x: Batch<I, Traced>,
    lin: &Linear<I, O, E, Dev>,
    bn: &mut BatchNorm1D<O, E, Dev>,
    act: Activation,
    input_grad: bool,
) -> Batch<O, Traced> {
    let (x, mut tape) = x.split_tape();
    let rows = x.shape().0;
    let (xv, w, mut v) = affine(&x, lin, input_grad);
    activate(act, &mut v);
    // The activation's derivative is written in terms of its output, which BN overwrites.
    let a = pool::copy_of(&v);
    let (mut mean, mut var) = (vec![0.0; O], vec![0.0; O]);
    batchnorm::center(&mut v, &mut mean, &mut var);
    let inv_std = batchnorm::inv_std(&var, bn.epsilon as E);
    update_running(bn, &mean, &var, rows);
    let gamma = read(&bn.scale, O);
    let beta = read(&bn.bias, O);
    let mut y = pool::take(rows * O);
    batchnorm::scale_shift(&mut v, &inv_std, &gamma, &beta, &mut y);
    let x_hat = v;
    let mut out = x.device().zeros_like(&(rows, Const::<O>));
    out.copy_from(&y);
    pool::give([beta, y]);
    let (out_g, w_g, b_g, x_g, gamma_g, beta_g) = (
        out.ghost(),
        lin.weight.ghost(),
        lin.bias.ghost(),
        x.ghost(),
        bn.scale.ghost(),
        bn.bias.ghost(),
    );
    tape.add_backward_op(move |grads| {
        let mut dy = pool::copy_of(grads.get_or_alloc_mut(&out_g)?);
        let (mut sum_dy, mut sum_dy_xhat) = (vec![0.0; O], vec![0.0; O]);
        // dy becomes the gradient of the activation's output, then of z.
        batchnorm::backward(
            &mut dy,
            &x_hat,
            &gamma,
            &inv_std,
            &mut sum_dy,
            &mut sum_dy_xhat,
        );
        for (param, sums) in [(&beta_g, &sum_dy), (&gamma_g, &sum_dy_xhat)] {
            let g = grads.get_or_alloc_mut(param)?;
            g.iter_mut().zip(sums).for_each(|(g, s)| *g += s);
        }
        times_derivative(act, &a, &mut dy);
        let dz = dy;
        affine_backward!(grads, xv, &dz, &w, (w_g, b_g, x_g), rows, input_grad);
        pool::give([dz, a, w, x_hat, gamma]);
        Ok(())
    });
    out.put_tape(tape)
}

/// `act(LN(x Wᵀ + b))`: LayerNorm over each sample's features, the same in training and
/// inference.
pub fn linear_ln_act<const I: usize, const O: usize>(
    x: Batch<I, Traced>,
    lin: &Linear<I, O, E, Dev>,
    ln: &LayerNorm1D<O, E, Dev>,
    act: Activation,
    input_grad: bool,
) -> Batch<O, Traced> {
    let (x, mut tape) = x.split_tape();
    let rows = x.shape().0;
    let (xv, w, mut z) = affine(&x, lin, input_grad);
    let gamma = read(&ln.gamma, O);
    let beta = read(&ln.beta, O);
    let (mut inv_std, mut a) = (vec![0.0; rows], pool::take(rows * O));
    // z becomes x̂.
    layernorm::forward(&mut z, ln.epsilon as E, &gamma, &beta, &mut inv_std, &mut a);
    activate(act, &mut a);
    pool::give([beta]);
    let x_hat = z;
    let mut out = x.device().zeros_like(&(rows, Const::<O>));
    out.copy_from(&a);
    let (out_g, w_g, b_g, x_g, gamma_g, beta_g) = (
        out.ghost(),
        lin.weight.ghost(),
        lin.bias.ghost(),
        x.ghost(),
        ln.gamma.ghost(),
        ln.beta.ghost(),
    );
    tape.add_backward_op(move |grads| {
        let mut dy = pool::copy_of(grads.get_or_alloc_mut(&out_g)?);
        times_derivative(act, &a, &mut dy);
        let (mut dgamma, mut dbeta) = (vec![0.0; O], vec![0.0; O]);
        // dy becomes the gradient of z.
        layernorm::backward(&mut dy, &x_hat, &gamma, &inv_std, &mut dgamma, &mut dbeta);
        for (param, sums) in [(&beta_g, &dbeta), (&gamma_g, &dgamma)] {
            let g = grads.get_or_alloc_mut(param)?;
            g.iter_mut().zip(sums).for_each(|(g, s)| *g += s);
        }
        let dz = dy;
        affine_backward!(grads, xv, &dz, &w, (w_g, b_g, x_g), rows, input_grad);
        pool::give([dz, a, w, x_hat, gamma]);
        Ok(())
    });
    out.put_tape(tape)
}

/// running ← (1 − m)·running + m·batch, with the batch variance made unbiased, as dfdx does.
pub(super) fn update_running<const O: usize>(
    bn: &mut BatchNorm1D<O, E, Dev>,
    mean: &[E],
    var: &[E],
    rows: usize,
) {
    let m = bn.momentum;
    let n = rows as f64;
    let (keep, take) = ((1.0 - m) as E, m as E);
    let take_var = (m * n / (n - 1.0)) as E;
    let mut rm = read(&bn.running_mean, O);
    batchnorm::blend(&mut rm, mean, keep, take);
    bn.running_mean.copy_from(&rm);
    let mut rv = read(&bn.running_var, O);
    batchnorm::blend(&mut rv, var, keep, take_var);
    bn.running_var.copy_from(&rv);
    pool::give([rm, rv]);
}
