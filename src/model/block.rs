//! Hidden blocks: a linear layer followed by an activation, with or without BatchNorm.

use dfdx::nn::modules::{BatchNorm1D, Linear};
use dfdx::prelude::*;

use super::flat_layer::{BnAffine, FlatLayer};
use super::fused;
use super::kinds::Activation;
pub use super::types::{Batch, Dev, Traced, E};

/// What the forward passes of a hidden block need, for one compiled network type per shape.
pub trait Block<const I: usize, const O: usize> {
    /// Training forward with the fused ops; `input_grad: false` skips the gradient of `x`.
    fn forward_train(&mut self, x: Batch<I, Traced>, input_grad: bool) -> Batch<O, Traced>;
    /// Training forward built from dfdx's own ops: the reference the fused ops are checked
    /// against, and the path for BN after the activation.
    fn forward_train_dfdx(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced>;
    /// The block's parameters copied out for inference.
    fn flat(&self) -> FlatLayer;
    /// Inference forward; `tap` receives the input of the non-linearity (for the probes).
    fn forward_infer(&self, x: Batch<I>, tap: Option<&mut Vec<E>>) -> Batch<O>;
    fn linear(&self) -> &Linear<I, O, E, Dev>;
    fn linear_mut(&mut self) -> &mut Linear<I, O, E, Dev>;
    fn batchnorm(&self) -> Option<&BatchNorm1D<O, E, Dev>>;
    fn configure(&mut self, act: Activation, bn_after: bool);
    fn activation(&self) -> Activation;
    fn bn_after(&self) -> bool;
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

/// A tensor's values by memcpy (dfdx's `as_vec` walks the strides one element at a time).
pub fn values<S: Shape, T>(t: &Tensor<S, E, Dev, T>) -> Vec<E> {
    let mut v = vec![0.0; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

fn tap_into<S: Shape>(tap: Option<&mut Vec<E>>, x: &Tensor<S, E, Dev>) {
    if let Some(t) = tap {
        *t = x.as_vec();
    }
}

/// Linear, then activation.
#[derive(Debug, Clone)]
pub struct PlainBlock<const I: usize, const O: usize, E2: Dtype, D: Storage<E2>> {
    pub lin: Linear<I, O, E2, D>,
    pub act: Activation,
}

/// Linear, BatchNorm and activation; `bn_after` puts BN after the activation.
#[derive(Debug, Clone)]
pub struct BnBlock<const I: usize, const O: usize, E2: Dtype, D: Storage<E2>> {
    pub lin: Linear<I, O, E2, D>,
    pub bn: BatchNorm1D<O, E2, D>,
    pub act: Activation,
    pub bn_after: bool,
}

impl<const I: usize, const O: usize, E2, D> TensorCollection<E2, D> for PlainBlock<I, O, E2, D>
where
    E2: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E2>,
{
    type To<E3: Dtype, D3: Device<E3>> = PlainBlock<I, O, E3, D3>;

    fn iter_tensors<V: ModuleVisitor<Self, E2, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(Self::module("lin", |s| &s.lin, |s| &mut s.lin), |lin| {
            PlainBlock {
                lin,
                act: Activation::default(),
            }
        })
    }
}

impl<const I: usize, const O: usize, E2, D> TensorCollection<E2, D> for BnBlock<I, O, E2, D>
where
    E2: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E2>,
{
    type To<E3: Dtype, D3: Device<E3>> = BnBlock<I, O, E3, D3>;

    fn iter_tensors<V: ModuleVisitor<Self, E2, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("lin", |s| &s.lin, |s| &mut s.lin),
                Self::module("bn", |s| &s.bn, |s| &mut s.bn),
            ),
            |(lin, bn)| BnBlock {
                lin,
                bn,
                act: Activation::default(),
                bn_after: false,
            },
        )
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
    }
}

/// The head: a linear layer without activation.
pub fn flat_head<const I: usize, const O: usize>(lin: &Linear<I, O, E, Dev>) -> FlatLayer {
    flat_linear(lin)
}

impl<const I: usize, const O: usize> Block<I, O> for PlainBlock<I, O, E, Dev> {
    fn forward_train(&mut self, x: Batch<I, Traced>, input_grad: bool) -> Batch<O, Traced> {
        fused::linear_act(x, &self.lin, Some(self.act), input_grad)
    }
    fn forward_train_dfdx(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced> {
        activate(self.act, self.lin.forward(x))
    }
    fn flat(&self) -> FlatLayer {
        FlatLayer {
            act: Some(self.act),
            ..flat_linear(&self.lin)
        }
    }
    fn forward_infer(&self, x: Batch<I>, tap: Option<&mut Vec<E>>) -> Batch<O> {
        let z = self.lin.forward(x);
        tap_into(tap, &z);
        activate(self.act, z)
    }
    fn linear(&self) -> &Linear<I, O, E, Dev> {
        &self.lin
    }
    fn linear_mut(&mut self) -> &mut Linear<I, O, E, Dev> {
        &mut self.lin
    }
    fn batchnorm(&self) -> Option<&BatchNorm1D<O, E, Dev>> {
        None
    }
    fn configure(&mut self, act: Activation, _bn_after: bool) {
        self.act = act;
    }
    fn activation(&self) -> Activation {
        self.act
    }
    fn bn_after(&self) -> bool {
        false
    }
}

impl<const I: usize, const O: usize> Block<I, O> for BnBlock<I, O, E, Dev> {
    fn forward_train(&mut self, x: Batch<I, Traced>, input_grad: bool) -> Batch<O, Traced> {
        assert!(
            !self.bn_after,
            "BN after the activation trains through dfdx's ops"
        );
        fused::linear_bn_act(x, &self.lin, &mut self.bn, self.act, input_grad)
    }
    fn flat(&self) -> FlatLayer {
        let eps = self.bn.epsilon as E;
        let gamma = values(&self.bn.scale);
        let var = values(&self.bn.running_var);
        FlatLayer {
            act: Some(self.act),
            bn: Some(BnAffine {
                mean: values(&self.bn.running_mean),
                // As dfdx's inference: γ / sqrt(var + ε), then (x − mean)·scale + β.
                scale: gamma
                    .iter()
                    .zip(&var)
                    .map(|(g, v)| g / (v + eps).sqrt())
                    .collect(),
                shift: values(&self.bn.bias),
            }),
            bn_after: self.bn_after,
            ..flat_linear(&self.lin)
        }
    }
    fn forward_train_dfdx(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced> {
        let z = self.lin.forward(x);
        if self.bn_after {
            self.bn.forward_mut(activate(self.act, z))
        } else {
            activate(self.act, self.bn.forward_mut(z))
        }
    }
    fn forward_infer(&self, x: Batch<I>, tap: Option<&mut Vec<E>>) -> Batch<O> {
        let z = self.lin.forward(x);
        if self.bn_after {
            tap_into(tap, &z);
            self.bn.forward(activate(self.act, z))
        } else {
            let n = self.bn.forward(z);
            tap_into(tap, &n);
            activate(self.act, n)
        }
    }
    fn linear(&self) -> &Linear<I, O, E, Dev> {
        &self.lin
    }
    fn linear_mut(&mut self) -> &mut Linear<I, O, E, Dev> {
        &mut self.lin
    }
    fn batchnorm(&self) -> Option<&BatchNorm1D<O, E, Dev>> {
        Some(&self.bn)
    }
    fn configure(&mut self, act: Activation, bn_after: bool) {
        self.act = act;
        self.bn_after = bn_after;
    }
    fn activation(&self) -> Activation {
        self.act
    }
    fn bn_after(&self) -> bool {
        self.bn_after
    }
}
