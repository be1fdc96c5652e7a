//! Hand-written compute on slices: the only module with `unsafe` code or `std::arch`.
//!
//! Everything here is a safe function (or a type with safe methods) over plain slices of
//! `f32` or `u8`; the model, the data pipeline, the trainer and the benchmark call it. Each
//! kernel with a vector version chooses it through one mechanism, [`dispatch`], and is
//! tested against its portable version: the same bits wherever the code promises them.

pub(crate) mod activation;
pub(crate) mod batchnorm;
pub(crate) mod dispatch;
pub(crate) mod gemm;
pub(crate) mod layernorm;
pub(crate) mod peak;
pub(crate) mod pixels;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod row_sums;
pub(crate) mod sparse;
pub(crate) mod transpose;

pub use activation::{relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward};
pub use gemm::{ab, abt, atb};
pub use pixels::{prefetch, scale_pixels};
pub use reduce::{add_column_sums, all_finite, fill_rows};
pub use row_sums::add_rows;
pub use sparse::SparseRows;
pub use transpose::transpose;

/// `f32` lanes of an AVX2 vector: the unit the padded layouts here are counted in.
pub const LANES: usize = 8;

/// `n` rounded up to whole vectors: the row length of the transposed, padded matrices here.
pub fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// `n` values in [−0.5, 0.5) from a fixed generator, `zeros` in ten of them exactly 0
/// (8 gives digit-like inputs, 0 dense ones).
#[cfg(test)]
pub(crate) fn test_values(n: usize, seed: u32, zeros: u32) -> Vec<f32> {
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

/// Bit-for-bit equality, NaN and the sign of zero included.
#[cfg(test)]
#[track_caller]
pub(crate) fn same_bits(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "[{i}]: {g} vs {w}");
    }
}
