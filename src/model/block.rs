//! Hidden blocks: a linear layer followed by an activation, with or without BatchNorm.

use dfdx::nn::modules::{BatchNorm1D, Linear};
use dfdx::prelude::*;

use super::kinds::Activation;

pub type E = f32;
pub type Dev = Cpu;
/// A batch of `N` features with a run-time batch size.
pub type Batch<const N: usize, T = NoneTape> = Tensor<(usize, Const<N>), E, Dev, T>;
pub type Traced = OwnedTape<E, Dev>;

/// What the forward passes of a hidden block need, for one compiled network type per shape.
pub trait Block<const I: usize, const O: usize> {
    fn forward_train(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced>;
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

impl<const I: usize, const O: usize> Block<I, O> for PlainBlock<I, O, E, Dev> {
    fn forward_train(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced> {
        activate(self.act, self.lin.forward(x))
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
    fn forward_train(&mut self, x: Batch<I, Traced>) -> Batch<O, Traced> {
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
