//! Inference on a flat copy of a network's parameters, taken once per evaluation: no tape,
//! no per-layer tensors, buffers reused across chunks.

use super::activate::activate;
use super::block::E;
use super::kinds::Activation;
use super::pixel_input::PixelInput;
use crate::data::nonzero::Pixel;
use crate::kernels;

/// BatchNorm with running statistics folded into `y = (x − mean)·scale + shift`.
#[derive(Debug, Clone)]
pub struct BnAffine {
    pub mean: Vec<E>,
    pub scale: Vec<E>,
    pub shift: Vec<E>,
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
}

impl FlatLayer {
    /// `out = x Wᵀ + b`.
    fn linear(&self, x: &[E], rows: usize, out: &mut Vec<E>) {
        out.resize(rows * self.outputs, 0.0);
        kernels::fill_rows(out, &self.bias);
        kernels::abt(rows, self.outputs, self.inputs, x, &self.weight, out, true);
    }

    /// Everything after the product: BatchNorm and the activation, in the layer's order;
    /// `tap` receives the input of the non-linearity.
    fn finish(&self, out: &mut [E], tap: Option<&mut Vec<E>>) {
        let Some(act) = self.act else { return };
        if !self.bn_after {
            if let Some(bn) = &self.bn {
                bn.apply(out);
            }
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

#[derive(Debug, Clone, Default)]
pub struct FlatNet {
    pub layers: Vec<FlatLayer>,
}

/// Two activation buffers that the layers write into by turns.
#[derive(Debug, Default)]
pub struct Scratch {
    a: Vec<E>,
    b: Vec<E>,
}

impl FlatNet {
    /// Logits of `rows` inputs into `out`. `taps`, when given, receives one vector per hidden
    /// layer with the inputs of its activation.
    pub fn forward(
        &self,
        x: &[E],
        rows: usize,
        scratch: &mut Scratch,
        out: &mut Vec<E>,
        taps: Option<&mut Vec<Vec<E>>>,
    ) {
        self.run(rows, scratch, out, taps, |layer, dst| {
            layer.linear(x, rows, dst)
        });
    }

    /// `forward` for images given by their non-zero pixels, the first layer's product taken
    /// by `first`, which was built from this net's first layer.
    pub fn forward_pixels<'a>(
        &self,
        first: &PixelInput,
        images: impl ExactSizeIterator<Item = &'a [Pixel]>,
        scratch: &mut Scratch,
        out: &mut Vec<E>,
        taps: Option<&mut Vec<Vec<E>>>,
    ) {
        let rows = images.len();
        self.run(rows, scratch, out, taps, |layer, dst| {
            debug_assert_eq!(first.outputs(), layer.outputs, "built from another layer");
            first.linear(images, dst)
        });
    }

    /// The layers in turn, the first one's product made by `first`.
    fn run(
        &self,
        rows: usize,
        scratch: &mut Scratch,
        out: &mut Vec<E>,
        mut taps: Option<&mut Vec<Vec<E>>>,
        first: impl FnOnce(&FlatLayer, &mut Vec<E>),
    ) {
        let hidden = self.layers.len().saturating_sub(1);
        if let Some(t) = taps.as_deref_mut() {
            t.resize(hidden, Vec::new());
        }
        let (mut cur, mut next) = (&mut scratch.a, &mut scratch.b);
        let mut first = Some(first);
        for (i, layer) in self.layers.iter().enumerate() {
            let dst = if i == hidden { &mut *out } else { &mut *next };
            match first.take() {
                Some(product) => product(layer, dst),
                None => layer.linear(&cur[..], rows, dst),
            }
            layer.finish(dst, taps.as_deref_mut().and_then(|t| t.get_mut(i)));
            std::mem::swap(&mut cur, &mut next);
        }
    }
}
