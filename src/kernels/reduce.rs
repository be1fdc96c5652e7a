//! Row and column passes over row-major matrices, and the finiteness check the sparse
//! products rely on.

use super::dispatch::kernel;

/// Sets every row of `c` (rows of `bias.len()`) to `bias`.
pub fn fill_rows(c: &mut [f32], bias: &[f32]) {
    for row in c.chunks_exact_mut(bias.len()) {
        row.copy_from_slice(bias);
    }
}

/// Adds the column sums of `g` (rows of `out.len()`) to `out`.
pub fn add_column_sums(g: &[f32], out: &mut [f32]) {
    for row in g.chunks_exact(out.len()) {
        out.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
    }
}

kernel! {
    /// Whether every value is finite. The sparse products skip zero inputs, so a non-finite
    /// weight that meets only zeros would give a finite sum where the dense product gives NaN;
    /// callers take the dense path when this is false.
    pub fn all_finite(v: &[f32]) -> bool = same_code all_finite_scalar;
}

/// No early exit, so the loop vectorizes: an exponent of all ones is infinite or NaN.
#[inline(always)]
fn all_finite_scalar(v: &[f32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    v.iter().fold(0u32, |bad, x| {
        bad | u32::from(x.to_bits() & EXPONENT == EXPONENT)
    }) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    #[test]
    fn finds_values_that_are_not_finite() {
        for n in [1, 7, 8, 9, 16, 17, 1000] {
            let mut v = values(n, 1, 3);
            assert!(all_finite(&v));
            for at in [0, n / 2, n - 1] {
                for bad in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
                    let keep = v[at];
                    v[at] = bad;
                    assert!(!all_finite(&v), "{bad} at {at} of {n}");
                    assert!(!all_finite_scalar(&v));
                    v[at] = keep;
                }
            }
        }
        assert!(all_finite(&[]));
        assert!(all_finite(&[f32::MAX, f32::MIN_POSITIVE, -0.0, 1e-45]));
        assert!(all_finite(&values(800, 2, 8)), "digit-like");
    }

    #[test]
    fn row_fills_and_column_sums() {
        let bias = [1.0f32, -0.0, 2.5];
        let mut c = vec![9.0f32; 12];
        fill_rows(&mut c, &bias);
        assert!(c.chunks_exact(3).all(|r| r == bias));
        let mut out = [0.5f32, 0.0, f32::NAN];
        add_column_sums(&c, &mut out);
        assert_eq!(out[..2], [4.5, 0.0]);
        assert!(out[2].is_nan());
        let mut none = [1.0f32; 3];
        add_column_sums(&[], &mut none);
        assert_eq!(none, [1.0; 3]);
    }
}
