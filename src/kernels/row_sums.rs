//! Sums of selected, scaled rows of a table: `acc += Σ z · table[p]` over `(p, z)` items.
//! The sparse products and the first layer at inference are made of these.

use super::dispatch::kernel;
use super::LANES;

/// Accumulators kept in registers per pass over the items (13 × 8 covers 100 outputs).
const MAX_TILE: usize = 13;

/// `acc += Σ z · table[p·stride ..][..acc.len()]` over `(p, z)` in order, `acc.len()` a
/// multiple of 8 and at most `stride`. Tiles of at most `MAX_TILE` vectors keep the sums in
/// registers. Multiplies and adds are not fused, so every CPU gives the same bits.
pub fn add_rows<I>(table: &[f32], stride: usize, items: I, acc: &mut [f32])
where
    I: Iterator<Item = (usize, f32)> + Clone,
{
    assert_eq!(acc.len() % LANES, 0, "whole vectors");
    let vectors = acc.len() / LANES;
    let tiles = vectors.div_ceil(MAX_TILE).max(1);
    let per_tile = vectors.div_ceil(tiles);
    let mut start = 0;
    while start < vectors {
        let width = per_tile.min(vectors - start);
        let cols = start * LANES..(start + width) * LANES;
        add_tile(&table[cols.start..], stride, items.clone(), &mut acc[cols]);
        start += width;
    }
}

kernel! {
    fn add_tile[I: Iterator<Item = (usize, f32)>](
        table: &[f32],
        stride: usize,
        items: I,
        acc: &mut [f32],
    ) = Avx2 => avx2::add_tile, _ => add_tile_scalar;
}

/// `add_tile` one value at a time, in the same order (the same bits as the vector code).
pub(crate) fn add_tile_scalar<I>(table: &[f32], stride: usize, items: I, acc: &mut [f32])
where
    I: Iterator<Item = (usize, f32)>,
{
    for (p, z) in items {
        let row = &table[p * stride..][..acc.len()];
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += z * w;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{LANES, MAX_TILE};

    /// The sums of one tile in `acc.len() / 8` vector registers. Needs AVX2 only: every
    /// load and store is inside a slice bounded by a checked index.
    #[target_feature(enable = "avx2")]
    pub unsafe fn add_tile<I: Iterator<Item = (usize, f32)>>(
        table: &[f32],
        stride: usize,
        items: I,
        acc: &mut [f32],
    ) {
        macro_rules! tile {
            ($($v:literal)*) => {
                match acc.len() / LANES {
                    $($v => sums::<$v, I>(table, stride, items, acc),)*
                    _ => super::add_tile_scalar(table, stride, items, acc),
                }
            };
        }
        const _: () = assert!(MAX_TILE == 13, "the tile widths below");
        tile!(1 2 3 4 5 6 7 8 9 10 11 12 13);
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn sums<const V: usize, I: Iterator<Item = (usize, f32)>>(
        table: &[f32],
        stride: usize,
        items: I,
        acc: &mut [f32],
    ) {
        assert_eq!(acc.len(), V * LANES);
        let mut sums = [_mm256_setzero_ps(); V];
        for (s, a) in sums.iter_mut().zip(acc.chunks_exact(LANES)) {
            *s = _mm256_loadu_ps(a.as_ptr());
        }
        for (p, z) in items {
            let z = _mm256_set1_ps(z);
            // One bounds check per item; the loads below stay inside `row`.
            let row = &table[p * stride..][..V * LANES];
            for (s, w) in sums.iter_mut().zip(row.chunks_exact(LANES)) {
                *s = _mm256_add_ps(*s, _mm256_mul_ps(z, _mm256_loadu_ps(w.as_ptr())));
            }
        }
        for (s, a) in sums.iter().zip(acc.chunks_exact_mut(LANES)) {
            _mm256_storeu_ps(a.as_mut_ptr(), *s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{same_bits, test_values as values};

    #[test]
    fn vector_and_scalar_sums_give_the_same_bits() {
        // Every tile width up to two tiles, digit-like (80% zero) and dense tables.
        for width in (LANES..=27 * LANES).step_by(LANES) {
            for zeros in [8, 0] {
                let stride = width + 3;
                let table = values(50 * stride, width as u32, zeros);
                let items: Vec<(usize, f32)> =
                    (0..50).step_by(3).map(|p| (p, p as f32 * 0.37)).collect();
                let mut fast = values(width, 9, 0);
                let mut slow = fast.clone();
                add_rows(&table, stride, items.iter().copied(), &mut fast);
                add_tile_scalar(&table, stride, items.iter().copied(), &mut slow);
                same_bits(&fast, &slow);
            }
        }
    }

    #[test]
    fn edge_values_sum_as_the_scalar_code_does() {
        let stride = 24;
        let mut table = values(4 * stride, 5, 0);
        table[stride + 3] = f32::NAN;
        table[2 * stride + 9] = -0.0;
        table[3 * stride + 17] = f32::INFINITY;
        let items = [(1, 0.0), (2, -1.0), (3, 2.0), (0, -0.0)];
        let mut fast = vec![-0.0f32; stride];
        let mut slow = fast.clone();
        add_rows(&table, stride, items.iter().copied(), &mut fast);
        add_tile_scalar(&table, stride, items.iter().copied(), &mut slow);
        same_bits(&fast, &slow);
        assert!(fast[3].is_nan(), "0 · NaN is NaN");
        assert_eq!(fast[17], f32::INFINITY);
        // No items: the sums are left as they were, -0.0 included.
        let mut acc = vec![-0.0f32; 16];
        add_rows(&table, stride, std::iter::empty(), &mut acc);
        assert!(acc.iter().all(|v| v.to_bits() == (-0.0f32).to_bits()));
        add_rows(&table, stride, items.iter().copied(), &mut []);
    }

    #[test]
    #[should_panic(expected = "whole vectors")]
    fn partial_vectors_are_refused() {
        add_rows(&[0.0; 16], 16, std::iter::empty(), &mut [0.0; 12]);
    }
}
