//! One layer of a network's flat inference copy: weights, bias, BatchNorm folded to an affine
//! map, and the activation. Its own module so that the flat network and the pixel-input first
//! layer both build on it without importing each other.

use super::activate::activate;
use super::kinds::Activation;
use super::types::E;
use crate::kernels;

/// BatchNorm with running statistics folded into `y = (x − mean)·scale + shift`.
#[derive(Debug, Clone)]
pub struct BnAffine {
    pub mean: Vec<E>,
    pub scale: Vec<E>,
    pub shift: Vec<E>,
}

/// LayerNorm's parameters: each row is normalized by its own statistics, at inference too.
#[derive(Debug, Clone)]
pub struct LnParams {
    pub gamma: Vec<E>,
    pub beta: Vec<E>,
    pub eps: E,
}

#[derive(Debug, Clone)]
pub struct FlatLayer {
    pub inputs: usize,
    pub outputs: usize,
    /// `outputs × inputs`, as dfdx stores a linear layer.
    pub weight: Vec<E>,
    pub bias: Vec<E>,
    /// `None` for the head.
    pub act: Option<Activation>,
    pub bn: Option<BnAffine>,
    pub bn_after: bool,
    /// LayerNorm before the activation.
    pub ln: Option<LnParams>,
}

impl FlatLayer {
    /// `out = x Wᵀ + b`.
    pub(super) fn linear(&self, x: &[E], rows: usize, out: &mut Vec<E>) {
        out.resize(rows * self.outputs, 0.0);
        kernels::fill_rows(out, &self.bias);
        kernels::abt(rows, self.outputs, self.inputs, x, &self.weight, out, true);
    }

    /// Everything after the product: the normalization and the activation, in the layer's order;
    /// `tap` receives the input of the non-linearity.
    pub(super) fn finish(&self, out: &mut [E], tap: Option<&mut Vec<E>>) {
        let Some(act) = self.act else { return };
        if !self.bn_after {
            if let Some(bn) = &self.bn {
                bn.apply(out);
            }
        }
        if let Some(ln) = &self.ln {
            kernels::layernorm::apply(out, ln.eps, &ln.gamma, &ln.beta);
        }
        if let Some(t) = tap {
            t.clear();
            t.extend_from_slice(out);
        }
        activate(act, out);
        if self.bn_after {
            if let Some(bn) = &self.bn {
                bn.apply(out);
            }
        }
    }
}

impl BnAffine {
    fn apply(&self, v: &mut [E]) {
        kernels::batchnorm::affine(v, &self.mean, &self.scale, &self.shift);
    }
}
