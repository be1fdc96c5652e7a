//! Inference on a flat copy of a network's parameters, taken once per evaluation: no tape,
//! no per-layer tensors, buffers reused across chunks.

use super::flat_layer::FlatLayer;
use super::pixel_input::PixelInput;
use super::types::E;
use crate::data::nonzero::Pixel;

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
