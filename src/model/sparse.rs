//! Products with inputs that are mostly exact zeros, as scaled digits are (four pixels in five).
//! Each row keeps only its non-zero inputs. The forward adds up the weight rows of `Wᵀ` that
//! they select, and the weight gradient adds up, per input, the output-gradient rows of the
//! samples where it is non-zero: a fifth of the dense products' work, in a different order
//! (the fused-op tests hold both to dfdx's results).

use super::block::E;
use super::pool;

pub const LANES: usize = 8;
/// Accumulators kept in registers per pass over a row's inputs (13 × 8 covers 100 outputs).
const MAX_TILE: usize = 13;
pub use crate::data::nonzero::MAX_DENSITY;

/// `n` rounded up to whole vectors: the row length of the transposed, padded matrices here.
pub fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// Whether every value is finite. The sparse products skip zero inputs, so a non-finite weight
/// that meets only zeros would give a finite sum where the dense product gives NaN; callers
/// take the dense path when this is false.
pub fn all_finite(v: &[E]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { all_finite_avx2(v) };
    }
    all_finite_body(v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn all_finite_avx2(v: &[E]) -> bool {
    all_finite_body(v)
}

/// No early exit, so the loop vectorizes: an exponent of all ones is infinite or NaN.
#[inline(always)]
fn all_finite_body(v: &[E]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    v.iter().fold(0u32, |bad, x| {
        bad | u32::from(x.to_bits() & EXPONENT == EXPONENT)
    }) == 0
}

/// The rows of `m` (rows of `width`) in a pooled buffer with rows of `stride`, zero-padded, so
/// that whole vectors can be read from every row.
fn padded_rows(m: &[E], width: usize, stride: usize) -> Vec<E> {
    let mut out = pool::take(m.len() / width * stride);
    for (d, s) in out.chunks_exact_mut(stride).zip(m.chunks_exact(width)) {
        d[..width].copy_from_slice(s);
        d[width..].fill(0.0);
    }
    out
}

/// `acc += Σ z · table[p·stride ..][..acc.len()]` over `(p, z)` in order, `acc.len()` a
/// multiple of 8 and at most `stride`. Tiles of at most `MAX_TILE` vectors keep the sums in
/// registers. Multiplies and adds are not fused, so every CPU gives the same bits.
pub fn add_rows<I>(table: &[E], stride: usize, items: I, acc: &mut [E])
where
    I: Iterator<Item = (usize, E)> + Clone,
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

fn add_tile<I>(table: &[E], stride: usize, items: I, acc: &mut [E])
where
    I: Iterator<Item = (usize, E)>,
{
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        macro_rules! tile {
            ($($v:literal)*) => {
                match acc.len() / LANES {
                    // SAFETY: AVX2 is present, checked above.
                    $($v => return unsafe { avx2::add_tile::<$v, I>(table, stride, items, acc) },)*
                    _ => {}
                }
            };
        }
        tile!(1 2 3 4 5 6 7 8 9 10 11 12 13);
    }
    add_tile_scalar(table, stride, items, acc);
}

/// `add_tile` one value at a time, in the same order (the same bits as the vector code).
pub(crate) fn add_tile_scalar<I>(table: &[E], stride: usize, items: I, acc: &mut [E])
where
    I: Iterator<Item = (usize, E)>,
{
    for (p, z) in items {
        let row = &table[p * stride..][..acc.len()];
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += z * w;
        }
    }
}

/// `dst[c·dst_stride + r] (+)= src[r·src_stride + c]` for `r < rows`, `c < cols`: 8×8 blocks
/// in vector registers where the CPU has AVX2, the edges one value at a time.
#[allow(clippy::too_many_arguments)]
pub fn transpose(
    src: &[E],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [E],
    dst_stride: usize,
    add: bool,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    // Checked arithmetic: a wrapped bound would let the vector code read or write outside.
    let reach = |n: usize, stride: usize, width: usize| {
        (n - 1)
            .checked_mul(stride)
            .and_then(|r| r.checked_add(width))
    };
    assert!(reach(rows, src_stride, cols).is_some_and(|r| r <= src.len()));
    assert!(reach(cols, dst_stride, rows).is_some_and(|r| r <= dst.len()));
    let (full_r, full_c) = (rows / LANES * LANES, cols / LANES * LANES);
    #[cfg(target_arch = "x86_64")]
    let done_blocks = std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let done_blocks = false;
    #[cfg(target_arch = "x86_64")]
    if done_blocks {
        for r in (0..full_r).step_by(LANES) {
            for c in (0..full_c).step_by(LANES) {
                // SAFETY: AVX2 is present; the asserts above bound the 8×8 block at (r, c) in
                // both matrices, as r + 8 ≤ rows and c + 8 ≤ cols.
                unsafe {
                    avx2::transpose8(
                        src.as_ptr().add(r * src_stride + c),
                        src_stride,
                        dst.as_mut_ptr().add(c * dst_stride + r),
                        dst_stride,
                        add,
                    )
                };
            }
        }
    }
    let mut put = |r: usize, c: usize| {
        let v = src[r * src_stride + c];
        let d = &mut dst[c * dst_stride + r];
        *d = if add { *d + v } else { v };
    };
    for r in 0..rows {
        let from = if done_blocks && r < full_r { full_c } else { 0 };
        for c in from..cols {
            put(r, c);
        }
    }
}

/// A batch's non-zero inputs, row by row.
#[derive(Debug)]
pub struct SparseRows {
    rows: usize,
    cols: usize,
    /// Row `r`'s inputs are `items[starts[r]..starts[r + 1]]`.
    starts: Vec<u32>,
    items: Vec<Entry>,
}

/// A non-zero input: its column and value (C layout, as the vector code stores it).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Entry {
    col: u32,
    val: E,
}

/// Appends `row`'s non-zero values to `out` from position `n` and returns the new end.
/// `out` must have room for 8 entries past the last one written. Each block is compressed in vector registers
/// where the CPU has AVX2. Otherwise whole zero blocks (a digit's margins) are skipped, and in
/// the others every value is written and the end moves past the non-zero ones only, so there
/// is no branch per value to mispredict.
fn compress(row: &[E], out: &mut [Entry], n: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        let n = unsafe { avx2::compress(row, out, n) };
        return compress_tail(row, out, n);
    }
    let n = compress_blocks(row, out, n);
    compress_tail(row, out, n)
}

fn compress_blocks(row: &[E], out: &mut [Entry], mut n: usize) -> usize {
    for (b, block) in row.chunks_exact(LANES).enumerate() {
        if block.iter().fold(0, |a, v| a | v.to_bits()) == 0 {
            continue;
        }
        for (i, &val) in block.iter().enumerate() {
            out[n] = Entry {
                col: (b * LANES + i) as u32,
                val,
            };
            n += usize::from(val != 0.0);
        }
    }
    n
}

/// The values after the last whole block.
fn compress_tail(row: &[E], out: &mut [Entry], mut n: usize) -> usize {
    let base = row.len() / LANES * LANES;
    for (i, &val) in row[base..].iter().enumerate() {
        out[n] = Entry {
            col: (base + i) as u32,
            val,
        };
        n += usize::from(val != 0.0);
    }
    n
}

impl SparseRows {
    /// `None` when too much of `x` (rows of `cols`) is non-zero for the sparse products to win.
    pub fn of(x: &[E], rows: usize, cols: usize) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { Self::of_avx2(x, rows, cols) };
        }
        Self::of_body(x, rows, cols)
    }

    /// The same code with 8-lane compares and counts.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn of_avx2(x: &[E], rows: usize, cols: usize) -> Option<Self> {
        Self::of_body(x, rows, cols)
    }

    #[inline(always)]
    fn of_body(x: &[E], rows: usize, cols: usize) -> Option<Self> {
        assert_eq!(x.len(), rows * cols);
        // Counted in chunks so that dense inputs (standardized pixels) stop early.
        let limit = (MAX_DENSITY * x.len() as f64) as usize;
        let mut nonzero = 0;
        for c in x.chunks(4096) {
            nonzero += c.iter().map(|v| u32::from(*v != 0.0)).sum::<u32>() as usize;
            if nonzero > limit {
                return None;
            }
        }
        let mut starts = Vec::with_capacity(rows + 1);
        // Room for a whole block written past the last entry.
        let mut items = vec![Entry::default(); nonzero + LANES];
        let mut n = 0;
        starts.push(0);
        for row in x.chunks_exact(cols) {
            n = compress(row, &mut items, n);
            starts.push(n as u32);
        }
        items.truncate(n);
        Some(Self {
            rows,
            cols,
            starts,
            items,
        })
    }

    fn row(&self, r: usize) -> &[Entry] {
        &self.items[self.starts[r] as usize..self.starts[r + 1] as usize]
    }

    /// `z (rows × outputs) += x · Wᵀ`, with `w` stored `outputs × cols` (a linear layer):
    /// each row adds up the rows of `Wᵀ` its inputs select, with its sums in registers.
    /// (Sweeping blocks of 8 columns over all rows reads `Wᵀ` from L2 only once, but its
    /// short, data-dependent loops cost more in mispredicted branches than that saves.)
    pub fn forward(&self, w: &[E], outputs: usize, z: &mut [E]) {
        assert_eq!(w.len(), outputs * self.cols);
        assert_eq!(z.len(), self.rows * outputs);
        let stride = padded(outputs);
        let mut wt = pool::take(self.cols * stride);
        transpose(w, self.cols, outputs, self.cols, &mut wt, stride, false);
        let mut zp = padded_rows(z, outputs, stride);
        for (r, acc) in zp.chunks_exact_mut(stride).enumerate() {
            let items = self.row(r).iter().map(|e| (e.col as usize, e.val));
            add_rows(&wt, stride, items, acc);
        }
        for (d, s) in z.chunks_exact_mut(outputs).zip(zp.chunks_exact(stride)) {
            d.copy_from_slice(&s[..outputs]);
        }
        pool::give([wt, zp]);
    }

    /// `dw (outputs × cols) += dzᵀ · x`: per input column, the sum of the rows of `dz` where
    /// that input is non-zero, scaled by it.
    pub fn weight_grad(&self, dz: &[E], outputs: usize, dw: &mut [E]) {
        assert_eq!(dz.len(), self.rows * outputs);
        assert_eq!(dw.len(), outputs * self.cols);
        let stride = padded(outputs);
        let dzp = padded_rows(dz, outputs, stride);
        // The same inputs by column: a counting sort of the items.
        let mut starts = vec![0u32; self.cols + 1];
        for e in &self.items {
            starts[e.col as usize + 1] += 1;
        }
        for c in 0..self.cols {
            starts[c + 1] += starts[c];
        }
        let mut next = starts.clone();
        let mut by_col = vec![(0u32, 0.0); self.items.len()];
        for r in 0..self.rows {
            for e in self.row(r) {
                let slot = &mut next[e.col as usize];
                by_col[*slot as usize] = (r as u32, e.val);
                *slot += 1;
            }
        }
        // Blocks of 8 inputs that are 0 in every row of the batch (a third of the pixels at
        // batch 60) add nothing: they are neither summed nor transposed.
        let mut dwt = pool::take(self.cols * stride);
        for first in (0..self.cols).step_by(LANES) {
            let last = (first + LANES).min(self.cols);
            if starts[first] == starts[last] {
                continue;
            }
            let block = &mut dwt[first * stride..last * stride];
            for (c, acc) in (first..last).zip(block.chunks_exact_mut(stride)) {
                acc.fill(0.0);
                let col = &by_col[starts[c] as usize..starts[c + 1] as usize];
                add_rows(&dzp, stride, col.iter().map(|&(r, v)| (r as usize, v)), acc);
            }
            let n = last - first;
            transpose(block, stride, n, outputs, &mut dw[first..], self.cols, true);
        }
        pool::give([dzp, dwt]);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Entry, E, LANES};

    /// For each 8-bit mask, the lanes whose bit is set, first to last, then zeros.
    static COMPRESS: [[u32; 8]; 256] = compress_table();

    const fn compress_table() -> [[u32; 8]; 256] {
        let mut t = [[0u32; 8]; 256];
        let mut m = 0;
        while m < 256 {
            let (mut k, mut i) = (0, 0);
            while i < 8 {
                if m & (1 << i) != 0 {
                    t[m][k] = i as u32;
                    k += 1;
                }
                i += 1;
            }
            m += 1;
        }
        t
    }

    /// `super::compress` for the whole blocks of `row`: the non-zero lanes of each block are
    /// moved to the front by one permutation and stored with their columns. The caller checks
    /// AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn compress(row: &[E], out: &mut [Entry], mut n: usize) -> usize {
        let zero = _mm256_setzero_ps();
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for (b, block) in row.chunks_exact(LANES).enumerate() {
            let v = _mm256_loadu_ps(block.as_ptr());
            let mask = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(v, zero)) as usize;
            if mask == 0 {
                continue;
            }
            let perm = _mm256_loadu_si256(COMPRESS[mask].as_ptr().cast());
            let vals = _mm256_permutevar8x32_ps(v, perm);
            let cols = _mm256_add_epi32(lanes, _mm256_set1_epi32((b * LANES) as i32));
            let cols = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(cols, perm));
            let lo = _mm256_unpacklo_ps(cols, vals);
            let hi = _mm256_unpackhi_ps(cols, vals);
            // Bounds-checked: the 8 entries written here are inside `out`.
            let dst = out[n..n + LANES].as_mut_ptr().cast::<f32>();
            _mm256_storeu_ps(dst, _mm256_permute2f128_ps::<0x20>(lo, hi));
            _mm256_storeu_ps(dst.add(LANES), _mm256_permute2f128_ps::<0x31>(lo, hi));
            n += mask.count_ones() as usize;
        }
        n
    }

    /// The caller checks AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn add_tile<const V: usize, I: Iterator<Item = (usize, E)>>(
        table: &[E],
        stride: usize,
        items: I,
        acc: &mut [E],
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

    /// Transposes the 8×8 block at `src` (rows `ss` apart) into `dst` (rows `ds` apart),
    /// adding to it when `add`. The caller checks AVX2 and that both blocks are in bounds.
    #[target_feature(enable = "avx2")]
    pub unsafe fn transpose8(src: *const E, ss: usize, dst: *mut E, ds: usize, add: bool) {
        let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * ss)));
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        let out = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (i, v) in out.iter().enumerate() {
            let d = dst.add(i * ds);
            let v = if add {
                _mm256_add_ps(_mm256_loadu_ps(d), *v)
            } else {
                *v
            };
            _mm256_storeu_ps(d, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kernels;

    fn values(n: usize, seed: u32, zeros: u32) -> Vec<E> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if (s >> 16) % 10 < zeros {
                    0.0
                } else {
                    (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                }
            })
            .collect()
    }

    fn close(what: &str, got: &[E], want: &[E]) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{what}[{i}]: {a} vs {b}"
            );
        }
    }

    #[test]
    fn transposes_every_shape_and_adds_when_asked() {
        for (rows, cols) in [(1, 1), (3, 17), (8, 8), (16, 24), (100, 784), (13, 9)] {
            let src = values(rows * cols, 1, 0);
            let stride = padded(rows) + 3;
            let mut dst = vec![1.0; cols * stride];
            transpose(&src, cols, rows, cols, &mut dst, stride, true);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * stride + r],
                        1.0 + src[r * cols + c],
                        "{rows}x{cols}"
                    );
                }
            }
            for c in 0..cols {
                for r in rows..stride {
                    assert_eq!(dst[c * stride + r], 1.0, "outside the block is untouched");
                }
            }
            transpose(&src, cols, rows, cols, &mut dst, stride, false);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(dst[c * stride + r], src[r * cols + c]);
                }
            }
        }
    }

    #[test]
    fn products_match_the_dense_ones() {
        for (rows, cols, outputs) in [(60, 784, 100), (7, 20, 10), (5, 33, 1), (9, 64, 130)] {
            let mut x = values(rows * cols, 2, 8);
            // Inputs 8..16 are 0 in every row, as a digit's margin pixels are.
            for row in x.chunks_exact_mut(cols) {
                row[8..16].fill(0.0);
            }
            let sparse = SparseRows::of(&x, rows, cols).expect("80% zeros");
            let w = values(outputs * cols, 3, 0);
            let bias = values(rows * outputs, 4, 0);
            let (mut z, mut want) = (bias.clone(), bias.clone());
            sparse.forward(&w, outputs, &mut z);
            kernels::abt(rows, outputs, cols, &x, &w, &mut want, true);
            close("forward", &z, &want);
            let dz = values(rows * outputs, 5, 0);
            let start = values(outputs * cols, 6, 0);
            let (mut dw, mut want) = (start.clone(), start.clone());
            sparse.weight_grad(&dz, outputs, &mut dw);
            kernels::atb(outputs, cols, rows, &dz, &x, &mut want, true);
            close("weight grad", &dw, &want);
        }
    }

    #[test]
    fn vector_and_scalar_compression_agree() {
        let row = values(8 * 40 + 5, 11, 7);
        let want: Vec<Entry> = row
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(c, &val)| Entry { col: c as u32, val })
            .collect();
        let mut out = vec![Entry::default(); row.len() + LANES];
        let n = compress(&row, &mut out, 0);
        assert_eq!(out[..n], want[..]);
        let n = compress_blocks(&row, &mut out, 0);
        let n = compress_tail(&row, &mut out, n);
        assert_eq!(out[..n], want[..]);
    }

    #[test]
    fn edge_inputs_match_the_dense_ones() {
        let (cols, outputs) = (20, 10);
        let w = values(outputs * cols, 3, 0);
        let check = |x: &[E], rows: usize| {
            let sparse = SparseRows::of(x, rows, cols).expect("sparse enough");
            let mut z = vec![0.5; rows * outputs];
            let mut want = z.clone();
            sparse.forward(&w, outputs, &mut z);
            kernels::abt(rows, outputs, cols, x, &w, &mut want, true);
            for (a, b) in z.iter().zip(&want) {
                assert!(
                    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-5,
                    "{a} vs {b}"
                );
            }
        };
        check(&[], 0);
        check(&vec![0.0; 5 * cols], 5);
        let mut x = vec![0.0; 3 * cols];
        x[4] = f32::NAN;
        x[cols + 7] = -0.0;
        x[2 * cols + 19] = 2.0;
        check(&x, 3);
        // Exactly 40% non-zero is sparse enough; one more value is not.
        let mut x = vec![0.0; 10 * cols];
        x.iter_mut().take(80).for_each(|v| *v = 1.0);
        assert!(SparseRows::of(&x, 10, cols).is_some());
        x[80] = 1.0;
        assert!(SparseRows::of(&x, 10, cols).is_none());
    }

    #[test]
    fn finds_values_that_are_not_finite() {
        let mut v = values(1000, 1, 3);
        assert!(all_finite(&v));
        for bad in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
            let keep = v[777];
            v[777] = bad;
            assert!(!all_finite(&v), "{bad}");
            v[777] = keep;
        }
        assert!(all_finite(&[f32::MAX, f32::MIN_POSITIVE, -0.0, 1e-45]));
    }

    #[test]
    fn dense_inputs_are_left_to_gemm() {
        assert!(SparseRows::of(&values(600, 7, 0), 6, 100).is_none());
        assert!(SparseRows::of(&values(600, 7, 9), 6, 100).is_some());
    }

    #[test]
    fn vector_and_scalar_sums_give_the_same_bits() {
        let table = values(50 * 104, 8, 0);
        let items: Vec<(usize, E)> = (0..50).step_by(3).map(|p| (p, p as E * 0.37)).collect();
        let mut fast = values(104, 9, 0);
        let mut slow = fast.clone();
        add_rows(&table, 104, items.iter().copied(), &mut fast);
        add_tile_scalar(&table, 104, items.iter().copied(), &mut slow);
        assert_eq!(fast, slow);
    }
}
