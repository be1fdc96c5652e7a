//! Matrix transposes between strided row-major buffers, by 8×8 blocks in vector registers.

use super::dispatch::kernel;
use super::LANES;

/// `dst[c·dst_stride + r] (+)= src[r·src_stride + c]` for `r < rows`, `c < cols`: 8×8 blocks
/// in vector registers where the CPU has AVX2, the edges one value at a time.
#[allow(clippy::too_many_arguments)]
pub fn transpose(
    src: &[f32],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [f32],
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
    let shape = Shape {
        src_stride,
        rows,
        cols,
        dst_stride,
        add,
    };
    let done_blocks = whole_blocks(src, dst, shape);
    let (full_r, full_c) = (rows / LANES * LANES, cols / LANES * LANES);
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

/// A transpose whose bounds `transpose` has checked.
#[derive(Clone, Copy)]
struct Shape {
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst_stride: usize,
    add: bool,
}

kernel! {
    /// Transposes the whole 8×8 blocks and says whether it did; the edges are left to the
    /// caller, as is everything when there are no vector registers for it.
    fn whole_blocks(src: &[f32], dst: &mut [f32], shape: Shape) -> bool =
        Avx2 => avx2::whole_blocks, _ => no_blocks;
}

fn no_blocks(_: &[f32], _: &mut [f32], _: Shape) -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Shape, LANES};

    /// Needs AVX2 and the bounds `transpose` checks: every block at (r, c) with
    /// r + 8 ≤ rows and c + 8 ≤ cols is then inside both slices.
    #[target_feature(enable = "avx2")]
    pub unsafe fn whole_blocks(src: &[f32], dst: &mut [f32], s: Shape) -> bool {
        let (full_r, full_c) = (s.rows / LANES * LANES, s.cols / LANES * LANES);
        for r in (0..full_r).step_by(LANES) {
            for c in (0..full_c).step_by(LANES) {
                transpose8(
                    src.as_ptr().add(r * s.src_stride + c),
                    s.src_stride,
                    dst.as_mut_ptr().add(c * s.dst_stride + r),
                    s.dst_stride,
                    s.add,
                );
            }
        }
        true
    }

    /// Transposes the 8×8 block at `src` (rows `ss` apart) into `dst` (rows `ds` apart),
    /// adding to it when `add`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn transpose8(src: *const f32, ss: usize, dst: *mut f32, ds: usize, add: bool) {
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
    use crate::kernels::{padded, test_values as values};

    /// The definition, one value at a time.
    fn scalar(src: &[f32], ss: usize, rows: usize, cols: usize, dst: &mut [f32], ds: usize) {
        for r in 0..rows {
            for c in 0..cols {
                dst[c * ds + r] += src[r * ss + c];
            }
        }
    }

    #[test]
    fn transposes_every_shape_and_adds_when_asked() {
        for (rows, cols) in [
            (1, 1),
            (3, 17),
            (8, 8),
            (16, 24),
            (100, 784),
            (13, 9),
            (9, 16),
        ] {
            for zeros in [8, 0] {
                let src = values(rows * cols, 1, zeros);
                let stride = padded(rows) + 3;
                let mut dst = vec![1.0; cols * stride];
                transpose(&src, cols, rows, cols, &mut dst, stride, true);
                let mut want = vec![1.0; cols * stride];
                scalar(&src, cols, rows, cols, &mut want, stride);
                assert_eq!(dst, want, "{rows}x{cols}, outside the block untouched");
                transpose(&src, cols, rows, cols, &mut dst, stride, false);
                for r in 0..rows {
                    for c in 0..cols {
                        assert_eq!(dst[c * stride + r], src[r * cols + c]);
                    }
                }
            }
        }
    }

    #[test]
    fn moves_nan_and_negative_zero_bit_for_bit() {
        let (rows, cols) = (16, 16);
        let mut src = values(rows * cols, 4, 0);
        src[3] = f32::NAN;
        src[40] = -0.0;
        src[255] = -0.0;
        let mut dst = vec![0.0; rows * cols];
        transpose(&src, cols, rows, cols, &mut dst, rows, false);
        assert!(dst[3 * rows].is_nan());
        assert_eq!(dst[8 * rows + 2].to_bits(), (-0.0f32).to_bits());
        assert_eq!(dst[255].to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn empty_shapes_and_short_buffers() {
        transpose(&[], 0, 0, 5, &mut [], 0, false);
        transpose(&[1.0], 1, 1, 0, &mut [], 0, true);
        let short = std::panic::catch_unwind(|| {
            transpose(&[0.0; 63], 8, 8, 8, &mut [0.0; 64], 8, false);
        });
        assert!(short.is_err(), "a source one value short is refused");
    }
}
