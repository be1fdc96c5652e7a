//! The first layer at inference, read straight from `u8` pixels. About four in five MNIST
//! pixels are 0, and a 0 pixel adds the same constant to every image's pre-activation, so that
//! constant goes into the bias once and each image costs only its non-zero pixels: a fifth of
//! the dense product's work. The sums are the same maths in a different order, so the results
//! match the dense path to rounding (tested), and every CPU gives the same bits (no fused
//! multiply-add, the scalar path adds in the same order).

use super::flat_layer::FlatLayer;
use super::types::E;
use crate::data::nonzero::Pixel;
use crate::kernels;

#[derive(Debug, Clone)]
pub struct PixelInput {
    outputs: usize,
    /// `outputs` rounded up to whole vectors; the padding weights are 0.
    stride: usize,
    /// `pixels × stride`: row `p` holds the weights leaving pixel `p`.
    by_pixel: Vec<E>,
    /// The layer's bias plus what every pixel adds at value 0, padded to `stride`.
    bias: Vec<E>,
    /// `table[v] − table[0]`: a pixel's input relative to a 0 pixel (exactly 0 at `v = 0`).
    delta: [E; 256],
}

impl PixelInput {
    /// `None` when the weights are not all finite: a 0 pixel times an infinite weight is NaN
    /// on the dense path, and skipping it here would hide that.
    pub fn new(layer: &FlatLayer, table: &[E; 256]) -> Option<Self> {
        if !kernels::all_finite(&layer.weight) {
            return None;
        }
        let (outputs, inputs) = (layer.outputs, layer.inputs);
        let stride = kernels::padded(outputs);
        let mut by_pixel = vec![0.0; inputs * stride];
        kernels::transpose(
            &layer.weight,
            inputs,
            outputs,
            inputs,
            &mut by_pixel,
            stride,
            false,
        );
        let mut bias = vec![0.0; stride];
        let base = table[0];
        for ((b, row), &b0) in bias
            .iter_mut()
            .zip(layer.weight.chunks_exact(inputs))
            .zip(&layer.bias)
        {
            // Unit-scaled pixels map 0 to 0.0: nothing to fold, and no serial sum to pay for.
            *b = if base == 0.0 {
                b0
            } else {
                b0 + base * row.iter().sum::<E>()
            };
        }
        let delta = std::array::from_fn(|v| table[v] - base);
        Some(Self {
            outputs,
            stride,
            by_pixel,
            bias,
            delta,
        })
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Pre-activations (rows of `outputs`) of images given by their non-zero pixels, into `out`.
    pub fn linear<'a>(&self, images: impl ExactSizeIterator<Item = &'a [Pixel]>, out: &mut Vec<E>) {
        let rows = images.len();
        // Every value is overwritten below.
        out.resize(rows * self.outputs, 0.0);
        let mut acc = vec![0.0; self.stride];
        for (image, row) in images.zip(out.chunks_exact_mut(self.outputs)) {
            acc.copy_from_slice(&self.bias);
            self.sum_rows(image, &mut acc);
            row.copy_from_slice(&acc[..self.outputs]);
        }
    }

    /// `acc += Σ delta[v] · by_pixel[p]` over the image's pixels.
    fn sum_rows(&self, image: &[Pixel], acc: &mut [E]) {
        let items = image
            .iter()
            .map(|&(p, v)| (usize::from(p), self.delta[usize::from(v)]));
        kernels::add_rows(&self.by_pixel, self.stride, items, acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::nonzero::NonzeroPixels;
    use crate::kernels::row_sums;

    fn layer(inputs: usize, outputs: usize, seed: u32) -> FlatLayer {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        FlatLayer {
            inputs,
            outputs,
            weight: (0..inputs * outputs).map(|_| next()).collect(),
            bias: (0..outputs).map(|_| next()).collect(),
            act: None,
            bn: None,
            bn_after: false,
            ln: None,
        }
    }

    fn images(rows: usize, inputs: usize) -> Vec<u8> {
        // Digit-like: mostly 0, some 255, some in between.
        (0..rows * inputs)
            .map(|i| match (i * 7919) % 10 {
                0 => 255,
                1 => (i % 254 + 1) as u8,
                _ => 0,
            })
            .collect()
    }

    fn dense(l: &FlatLayer, px: &[u8], rows: usize, table: &[E; 256]) -> Vec<E> {
        let x: Vec<E> = px.iter().map(|&p| table[p as usize]).collect();
        let mut out = vec![0.0; rows * l.outputs];
        kernels::fill_rows(&mut out, &l.bias);
        kernels::abt(rows, l.outputs, l.inputs, &x, &l.weight, &mut out, true);
        out
    }

    fn check(outputs: usize, table: &[E; 256]) {
        let (rows, inputs) = (7, 784);
        let l = layer(inputs, outputs, outputs as u32);
        let px = images(rows, inputs);
        let mut sparse = Vec::new();
        let nz = NonzeroPixels::of(px.chunks_exact(inputs));
        let pi = PixelInput::new(&l, table).unwrap();
        pi.linear((0..rows).map(|i| nz.get(i)), &mut sparse);
        let want = dense(&l, &px, rows, table);
        assert_eq!(sparse.len(), want.len());
        for (i, (a, b)) in sparse.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "outputs {outputs}, item {i}: {a} vs {b}"
            );
        }
    }

    #[test]
    fn matches_the_dense_product_for_unit_pixels() {
        let unit = std::array::from_fn(|p| p as f32 / 255.0);
        for outputs in [1, 8, 10, 100, 104, 130, 250] {
            check(outputs, &unit);
        }
    }

    #[test]
    fn folds_a_standardized_zero_into_the_bias() {
        let std = std::array::from_fn(|p| (p as f32 / 255.0 - 0.13) / 0.31);
        for outputs in [10, 100] {
            check(outputs, &std);
        }
    }

    #[test]
    fn vector_and_scalar_paths_give_the_same_bits() {
        let l = layer(784, 100, 3);
        let unit = std::array::from_fn(|p| p as f32 / 255.0);
        let pi = PixelInput::new(&l, &unit).unwrap();
        let nz = NonzeroPixels::of(std::iter::once(&images(1, 784)[..]));
        let mut fast = pi.bias.clone();
        pi.sum_rows(nz.get(0), &mut fast);
        let mut slow = pi.bias.clone();
        let items = nz
            .get(0)
            .iter()
            .map(|&(p, v)| (usize::from(p), pi.delta[usize::from(v)]));
        row_sums::add_tile_scalar(&pi.by_pixel, pi.stride, items, &mut slow);
        assert_eq!(fast, slow);
    }

    #[test]
    fn refuses_weights_that_are_not_finite() {
        let mut l = layer(784, 10, 1);
        l.weight[5] = f32::INFINITY;
        assert!(PixelInput::new(&l, &[0.0; 256]).is_none());
    }
}
