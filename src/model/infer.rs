//! Inference over a data subset: what evaluation and the probes ask of a network. A flat copy
//! of the parameters is taken once, the first layer reads only the non-zero pixels when the
//! images are sparse enough (and its weights all finite), and the buffers are reused.

use std::ops::Range;

use super::flat::{FlatNet, Scratch};
use super::net::Network;
use super::pixel_input::PixelInput;
use super::types::E;
use crate::data::{Normalizer, Subset, PIXELS};

/// A network's parameters ready for inference, with the buffers of its passes.
pub struct Inference {
    flat: FlatNet,
    first: Option<PixelInput>,
    scratch: Scratch,
    x: Vec<E>,
}

impl Inference {
    /// Takes the copy: build one per evaluation, after the parameters last changed.
    pub fn new<N: Network>(net: &N, norm: &Normalizer) -> Self {
        let flat = net.flat();
        let first = flat
            .layers
            .first()
            .and_then(|l| PixelInput::new(l, norm.table()));
        Self {
            flat,
            first,
            scratch: Scratch::default(),
            x: Vec::new(),
        }
    }

    /// Logits (rows of 10) of the subset's items `items` into `out`, with the pixels scaled by
    /// `norm` (the one given to `new`). `taps`, when given, receives one vector per hidden
    /// layer with the inputs of its activation.
    pub fn logits(
        &mut self,
        subset: &Subset,
        items: Range<usize>,
        norm: &Normalizer,
        out: &mut Vec<E>,
        taps: Option<&mut Vec<Vec<E>>>,
    ) {
        match (&self.first, subset.nonzero()) {
            (Some(first), Some(nonzero)) => {
                let images = items.map(|i| nonzero.get(i));
                self.flat
                    .forward_pixels(first, images, &mut self.scratch, out, taps);
            }
            _ => {
                let m = items.len();
                self.x.resize(m * PIXELS, 0.0);
                let images = items.map(|i| subset.pixels(i));
                for (row, image) in self.x.chunks_exact_mut(PIXELS).zip(images) {
                    norm.convert(image, row);
                }
                self.flat.forward(&self.x, m, &mut self.scratch, out, taps);
            }
        }
    }
}
