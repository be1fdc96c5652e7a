//! A hidden block: a linear layer to the hidden width, an optional BatchNorm before or after
//! the activation, the activation and an optional dropout, all chosen at run time.

use dfdx::nn::modules::{BatchNorm1D, LayerNorm1D, Linear};
use dfdx::prelude::*;

use super::flat_layer::{BnAffine, FlatLayer, LnParams};
use super::fused;
use super::fused::BnTrain;
use super::kinds::{Activation, Block, Norm};
use super::renorm::Limits;
use super::renorm_dfdx;
use super::stream::Stream;
pub use super::types::{values, Batch, Dev, Traced, E, HIDDEN};

/// `I` inputs to `HIDDEN` outputs. `bn` is present exactly when `norm` uses it, so a block
/// without normalization holds no BN parameters for an optimizer or a probe to meet.
#[derive(Debug, Clone)]
pub struct Layer<const I: usize, E2: Dtype, D: Storage<E2>> {
    pub lin: Linear<I, HIDDEN, E2, D>,
    bn: Option<BatchNorm1D<HIDDEN, E2, D>>,
    /// Present exactly when `norm` is LayerNorm.
    ln: Option<LayerNorm1D<HIDDEN, E2, D>>,
    norm: Norm,
    act: Activation,
    /// Inverted dropout's rate after the activation, in training only; 0 is none.
    dropout: f32,
}

impl<const I: usize, E2: Dtype, D: Storage<E2>> Layer<I, E2, D> {
    /// A block from its parts; panics when `bn`'s or `ln`'s presence disagrees with the
    /// block's norm or the dropout rate is outside [0, 1).
    pub fn from_parts(
        lin: Linear<I, HIDDEN, E2, D>,
        bn: Option<BatchNorm1D<HIDDEN, E2, D>>,
        ln: Option<LayerNorm1D<HIDDEN, E2, D>>,
        block: Block,
    ) -> Self {
        let Block { norm, act, dropout } = block;
        assert_eq!(
            bn.is_some(),
            norm.uses_bn(),
            "a BN exactly when {norm:?} uses one"
        );
        assert_eq!(
            ln.is_some(),
            norm.uses_ln(),
            "a LayerNorm exactly when {norm:?} uses one"
        );
        assert!(
            (0.0..1.0).contains(&dropout),
            "dropout rate {dropout} is outside [0, 1)"
        );
        Self {
            lin,
            bn,
            ln,
            norm,
            act,
            dropout,
        }
    }

    /// The block's form, as `from_parts` takes it.
    pub fn block(&self) -> Block {
        Block {
            norm: self.norm,
            act: self.act,
            dropout: self.dropout,
        }
    }

    pub fn norm(&self) -> Norm {
        self.norm
    }

    pub fn activation(&self) -> Activation {
        self.act
    }

    pub fn batchnorm(&self) -> Option<&BatchNorm1D<HIDDEN, E2, D>> {
        self.bn.as_ref()
    }

    pub fn batchnorm_mut(&mut self) -> Option<&mut BatchNorm1D<HIDDEN, E2, D>> {
        self.bn.as_mut()
    }

    pub fn layernorm(&self) -> Option<&LayerNorm1D<HIDDEN, E2, D>> {
        self.ln.as_ref()
    }

    pub fn layernorm_mut(&mut self) -> Option<&mut LayerNorm1D<HIDDEN, E2, D>> {
        self.ln.as_mut()
    }
}

fn activate<S: Shape, T: Tape<E, Dev>>(
    act: Activation,
    x: Tensor<S, E, Dev, T>,
) -> Tensor<S, E, Dev, T> {
    match act {
        Activation::Sigmoid => x.sigmoid(),
        Activation::Relu => x.relu(),
        Activation::Tanh => x.tanh(),
    }
}

fn tap_into<S: Shape>(tap: Option<&mut Vec<E>>, x: &Tensor<S, E, Dev>) {
    if let Some(t) = tap {
        *t = x.as_vec();
    }
}

fn flat_linear<const I: usize, const O: usize>(lin: &Linear<I, O, E, Dev>) -> FlatLayer {
    FlatLayer {
        inputs: I,
        outputs: O,
        weight: values(&lin.weight),
        bias: values(&lin.bias),
        act: None,
        bn: None,
        bn_after: false,
        ln: None,
    }
}

/// The head: a linear layer without activation.
pub fn flat_head<const I: usize, const O: usize>(lin: &Linear<I, O, E, Dev>) -> FlatLayer {
    flat_linear(lin)
}

/// BN with its running statistics folded into an affine map, as dfdx's inference computes
/// it: γ / sqrt(var + ε), then (x − mean)·scale + β.
fn bn_affine(bn: &BatchNorm1D<HIDDEN, E, Dev>) -> BnAffine {
    let eps = bn.epsilon as E;
    let gamma = values(&bn.scale);
    let var = values(&bn.running_var);
    BnAffine {
        mean: values(&bn.running_mean),
        scale: gamma
            .iter()
            .zip(&var)
            .map(|(g, v)| g / (v + eps).sqrt())
            .collect(),
        shift: values(&bn.bias),
    }
}

impl<const I: usize> Layer<I, E, Dev> {
    /// A block with fresh parameters on `dev`, built in the order dfdx builds a module
    /// (linear, then BN), so the device's random stream is consumed as before.
    pub fn new(dev: &Dev, block: Block) -> Self {
        let lin = Linear::<I, HIDDEN, E, Dev>::build(dev);
        let bn = block
            .norm
            .uses_bn()
            .then(|| BatchNorm1D::<HIDDEN, E, Dev>::build(dev));
        let ln = block
            .norm
            .uses_ln()
            .then(|| LayerNorm1D::<HIDDEN, E, Dev>::build(dev));
        Self::from_parts(lin, bn, ln, block)
    }

    /// What this block's BN does in training besides BatchNorm; noisy BN's noise is drawn
    /// from `stream` here, so both paths draw the same values at the same positions.
    fn bn_mode(&self, rows: usize, stream: &mut Stream, limits: Limits) -> BnTrain {
        match self.norm {
            Norm::BnNoisy => {
                let (scale, shift) = stream.bn_noise(rows, HIDDEN);
                BnTrain::Noisy { scale, shift }
            }
            Norm::BatchRenorm => BnTrain::Renorm(limits),
            _ => BnTrain::Plain,
        }
    }

    /// Training forward with the fused ops; `input_grad: false` skips the gradient of `x`.
    /// Dropout masks and noisy BN's noise come from `stream`; `limits` are this step's
    /// Batch Renorm clipping limits.
    pub fn forward_train(
        &mut self,
        x: Batch<I, Traced>,
        input_grad: bool,
        stream: &mut Stream,
        limits: Limits,
    ) -> Batch<HIDDEN, Traced> {
        let mode = self.bn_mode(x.shape().0, stream, limits);
        let h = match (&mut self.bn, self.norm) {
            (None, Norm::LayerNorm) => {
                let ln = self.ln.as_ref().expect("a LayerNorm block has one");
                fused::linear_ln_act(x, &self.lin, ln, self.act, input_grad)
            }
            (None, _) => fused::linear_act(x, &self.lin, Some(self.act), input_grad),
            (Some(bn), Norm::BnBefore | Norm::BnNoisy | Norm::BatchRenorm) => {
                fused::linear_bn_act(x, &self.lin, bn, self.act, input_grad, mode)
            }
            (Some(bn), Norm::BnAfter) => {
                fused::linear_act_bn(x, &self.lin, bn, self.act, input_grad)
            }
            (Some(_), Norm::None | Norm::LayerNorm) => {
                unreachable!("a BN exactly when the norm uses one")
            }
        };
        self.drop_out(h, stream)
    }

    /// Inverted dropout, one mask value per output, through dfdx's product on both paths:
    /// it is a small fraction of a block's work, and both paths then drop the same bits.
    fn drop_out(&self, h: Batch<HIDDEN, Traced>, stream: &mut Stream) -> Batch<HIDDEN, Traced> {
        if self.dropout == 0.0 {
            return h;
        }
        let rows = h.shape().0;
        let mask = stream.dropout_mask(rows * HIDDEN, self.dropout);
        let mask = h.device().tensor_from_vec(mask, (rows, Const::<HIDDEN>));
        h * mask
    }

    /// Training forward built from dfdx's own ops: the reference the fused ops are checked
    /// against (`--reference-ops`).
    pub fn forward_train_dfdx(
        &mut self,
        x: Batch<I, Traced>,
        stream: &mut Stream,
        limits: Limits,
    ) -> Batch<HIDDEN, Traced> {
        let mode = self.bn_mode(x.shape().0, stream, limits);
        let z = self.lin.forward(x);
        let h = match (&mut self.bn, mode) {
            (Some(bn), BnTrain::Noisy { scale, shift }) => {
                let rows = z.shape().0;
                let dev = z.device().clone();
                let scale = dev.tensor_from_vec(scale.repeat(rows), (rows, Const::<HIDDEN>));
                let shift = dev.tensor_from_vec(shift, (rows, Const::<HIDDEN>));
                activate(self.act, bn.forward_mut(z) * scale + shift)
            }
            (Some(bn), BnTrain::Renorm(limits)) => {
                activate(self.act, renorm_dfdx::batch_renorm(bn, z, limits))
            }
            (Some(bn), _) if self.norm == Norm::BnAfter => bn.forward_mut(activate(self.act, z)),
            (Some(bn), _) => activate(self.act, bn.forward_mut(z)),
            (None, _) => match &self.ln {
                Some(ln) => activate(self.act, ln.forward(z)),
                None => activate(self.act, z),
            },
        };
        self.drop_out(h, stream)
    }

    /// The block's parameters copied out for inference.
    pub fn flat(&self) -> FlatLayer {
        FlatLayer {
            act: Some(self.act),
            bn: self.bn.as_ref().map(bn_affine),
            bn_after: self.norm == Norm::BnAfter,
            ln: self.ln.as_ref().map(|ln| LnParams {
                gamma: values(&ln.gamma),
                beta: values(&ln.beta),
                eps: ln.epsilon as E,
            }),
            ..flat_linear(&self.lin)
        }
    }

    /// Inference forward (dropout is the identity there); `tap` receives the input of the
    /// non-linearity (for the probes).
    pub fn forward_infer(&self, x: Batch<I>, tap: Option<&mut Vec<E>>) -> Batch<HIDDEN> {
        let z = self.lin.forward(x);
        match (&self.bn, self.norm) {
            (Some(bn), Norm::BnAfter) => {
                tap_into(tap, &z);
                bn.forward(activate(self.act, z))
            }
            (Some(bn), _) => {
                let n = bn.forward(z);
                tap_into(tap, &n);
                activate(self.act, n)
            }
            (None, _) => {
                let n = match &self.ln {
                    Some(ln) => ln.forward(z),
                    None => z,
                };
                tap_into(tap, &n);
                activate(self.act, n)
            }
        }
    }
}
