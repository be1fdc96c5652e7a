//! Products with inputs that are mostly exact zeros, as scaled digits are (four pixels in five).
//! Each row keeps only its non-zero inputs. The forward adds up the weight rows of `Wᵀ` that
//! they select, and the weight gradient adds up, per input, the output-gradient rows of the
//! samples where it is non-zero: a fifth of the dense products' work, in a different order
//! (the tests hold both to the dense products, the fused-op tests to dfdx's results).

use super::dispatch::kernel;
use super::row_sums::add_rows;
use super::transpose::transpose;
use super::{padded, pool, LANES};

/// The rows of `m` (rows of `width`) in a pooled buffer with rows of `stride`, zero-padded, so
/// that whole vectors can be read from every row.
fn padded_rows(m: &[f32], width: usize, stride: usize) -> Vec<f32> {
    let mut out = pool::take(m.len() / width * stride);
    for (d, s) in out.chunks_exact_mut(stride).zip(m.chunks_exact(width)) {
        d[..width].copy_from_slice(s);
        d[width..].fill(0.0);
    }
    out
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
    val: f32,
}

/// Appends `row`'s non-zero values to `out` from position `n` and returns the new end.
/// `out` must have room for 8 entries past the last one written. Each block is compressed in
/// vector registers where the CPU has AVX2. Otherwise whole zero blocks (a digit's margins)
/// are skipped, and in the others every value is written and the end moves past the non-zero
/// ones only, so there is no branch per value to mispredict.
fn compress(row: &[f32], out: &mut [Entry], n: usize) -> usize {
    let n = compress_whole_blocks(row, out, n);
    compress_tail(row, out, n)
}

kernel! {
    /// The whole blocks of `row`, by one permutation per block where the CPU has AVX2.
    fn compress_whole_blocks(row: &[f32], out: &mut [Entry], n: usize) -> usize =
        Avx2 => avx2::compress, _ => compress_blocks;
}

fn compress_blocks(row: &[f32], out: &mut [Entry], mut n: usize) -> usize {
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
fn compress_tail(row: &[f32], out: &mut [Entry], mut n: usize) -> usize {
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
    /// `None` when more than `max_density` of `x` (rows of `cols`) is non-zero: then the
    /// sparse products no longer win over the dense ones.
    pub fn of(x: &[f32], rows: usize, cols: usize, max_density: f64) -> Option<Self> {
        sparse_rows(x, rows, cols, max_density)
    }

    fn row(&self, r: usize) -> &[Entry] {
        &self.items[self.starts[r] as usize..self.starts[r + 1] as usize]
    }

    /// `z (rows × outputs) += x · Wᵀ`, with `w` stored `outputs × cols` (a linear layer):
    /// each row adds up the rows of `Wᵀ` its inputs select, with its sums in registers.
    /// (Sweeping blocks of 8 columns over all rows reads `Wᵀ` from L2 only once, but its
    /// short, data-dependent loops cost more in mispredicted branches than that saves.)
    pub fn forward(&self, w: &[f32], outputs: usize, z: &mut [f32]) {
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
    pub fn weight_grad(&self, dz: &[f32], outputs: usize, dw: &mut [f32]) {
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

kernel! {
    /// `SparseRows::of` compiled for AVX2 too (8-lane compares and counts).
    fn sparse_rows(x: &[f32], rows: usize, cols: usize, max_density: f64) -> Option<SparseRows> =
        same_code sparse_rows_scalar;
}

#[inline(always)]
fn sparse_rows_scalar(x: &[f32], rows: usize, cols: usize, max_density: f64) -> Option<SparseRows> {
    assert_eq!(x.len(), rows * cols);
    // Counted in chunks so that dense inputs (standardized pixels) stop early.
    let limit = (max_density * x.len() as f64) as usize;
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
    Some(SparseRows {
        rows,
        cols,
        starts,
        items,
    })
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Entry, LANES};

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

    /// `super::compress_blocks` in vector registers: the non-zero lanes of each block are
    /// moved to the front by one permutation and stored with their columns. Needs AVX2 only:
    /// each store is into a bounds-checked slice of `out`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn compress(row: &[f32], out: &mut [Entry], mut n: usize) -> usize {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::gemm;
    use crate::kernels::test_values as values;

    const DENSITY: f64 = 0.4;

    fn close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!(
                a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{what}[{i}]: {a} vs {b}"
            );
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
            let sparse = SparseRows::of(&x, rows, cols, DENSITY).expect("80% zeros");
            let w = values(outputs * cols, 3, 0);
            let bias = values(rows * outputs, 4, 0);
            let (mut z, mut want) = (bias.clone(), bias.clone());
            sparse.forward(&w, outputs, &mut z);
            gemm::abt(rows, outputs, cols, &x, &w, &mut want, true);
            close("forward", &z, &want);
            let dz = values(rows * outputs, 5, 0);
            let start = values(outputs * cols, 6, 0);
            let (mut dw, mut want) = (start.clone(), start.clone());
            sparse.weight_grad(&dz, outputs, &mut dw);
            gemm::atb(outputs, cols, rows, &dz, &x, &mut want, true);
            close("weight grad", &dw, &want);
        }
    }

    #[test]
    fn vector_and_scalar_compression_agree() {
        for len in [0, 1, 7, 8, 9, 16, 17, 8 * 40 + 5, 784] {
            for zeros in [7, 0, 10] {
                let mut row = values(len, 11, zeros);
                if len > 3 {
                    row[1] = -0.0;
                    row[len - 2] = f32::NAN;
                }
                let want: Vec<Entry> = row
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(c, &val)| Entry { col: c as u32, val })
                    .collect();
                let mut out = vec![Entry::default(); row.len() + LANES];
                let n = compress(&row, &mut out, 0);
                let bits = |e: &[Entry]| {
                    e.iter()
                        .map(|e| (e.col, e.val.to_bits()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(&out[..n]), bits(&want), "length {len}");
                let n = compress_blocks(&row, &mut out, 0);
                let n = compress_tail(&row, &mut out, n);
                assert_eq!(bits(&out[..n]), bits(&want), "length {len}, scalar");
            }
        }
    }

    #[test]
    fn edge_inputs_match_the_dense_ones() {
        let (cols, outputs) = (20, 10);
        let w = values(outputs * cols, 3, 0);
        let check = |x: &[f32], rows: usize| {
            let sparse = SparseRows::of(x, rows, cols, DENSITY).expect("sparse enough");
            let mut z = vec![0.5; rows * outputs];
            let mut want = z.clone();
            sparse.forward(&w, outputs, &mut z);
            gemm::abt(rows, outputs, cols, x, &w, &mut want, true);
            close("forward", &z, &want);
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
        assert!(SparseRows::of(&x, 10, cols, DENSITY).is_some());
        x[80] = 1.0;
        assert!(SparseRows::of(&x, 10, cols, DENSITY).is_none());
    }

    #[test]
    fn dense_inputs_are_left_to_gemm() {
        assert!(SparseRows::of(&values(600, 7, 0), 6, 100, DENSITY).is_none());
        assert!(SparseRows::of(&values(600, 7, 9), 6, 100, DENSITY).is_some());
    }

    #[test]
    fn vector_and_scalar_builds_give_the_same_rows() {
        let x = values(60 * 784, 12, 8);
        let fast = SparseRows::of(&x, 60, 784, DENSITY).unwrap();
        let slow = sparse_rows_scalar(&x, 60, 784, DENSITY).unwrap();
        assert_eq!(fast.starts, slow.starts);
        assert_eq!(fast.items, slow.items);
    }
}
