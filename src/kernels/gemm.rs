//! Dense matrix products on row-major slices, through `gemm` (which picks AVX-512, AVX2 or
//! SSE kernels at run time, so the binary stays portable).

use gemm::{gemm, Parallelism};

/// `c (m×n) [+]= a (m×k) · bᵀ`, with `b` stored `n×k` (a linear layer's forward).
pub fn abt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], add: bool) {
    product(m, n, k, c, a, (k, 1), b, (1, k), add);
}

/// `c (m×n) [+]= aᵀ · b`, with `a` stored `k×m` and `b` stored `k×n` (weight gradients).
pub fn atb(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], add: bool) {
    product(m, n, k, c, a, (1, m), b, (n, 1), add);
}

/// `c (m×n) [+]= a (m×k) · b (k×n)` (input gradients).
pub fn ab(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], add: bool) {
    product(m, n, k, c, a, (k, 1), b, (n, 1), add);
}

/// One strided product into row-major `c (m×n)`: element (i, l) of the left factor is
/// `a[i·rs + l·cs]` for `(rs, cs) = a_strides`, and likewise for the right one, so
/// transposes cost nothing. The only `unsafe` call into `gemm`, bounds checked here.
#[allow(clippy::too_many_arguments)]
fn product(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [f32],
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
    add: bool,
) {
    let reach = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(a.len() >= reach(m, k, a_rs, a_cs));
    assert!(b.len() >= reach(k, n, b_rs, b_cs));
    assert!(c.len() >= m * n);
    // SAFETY: the asserts bound every index the strides reach in the three matrices.
    unsafe {
        gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            add,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    /// The scalar definition of a product, summed in `f64`.
    fn naive(
        m: usize,
        n: usize,
        k: usize,
        at: impl Fn(usize, usize) -> f32,
        bt: impl Fn(usize, usize) -> f32,
    ) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k)
                    .map(|p| f64::from(at(i, p)) * f64::from(bt(p, j)))
                    .sum();
                c[i * n + j] = s as f32;
            }
        }
        c
    }

    fn close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "{what}[{i}]: {g} vs {w}"
            );
        }
    }

    #[test]
    fn the_three_products_match_a_naive_loop() {
        // Odd sizes (no multiple of 8 or 16), the net's sizes, and digit-like inputs with
        // four zeros in five as well as dense ones.
        for (m, n, k) in [(7, 5, 11), (60, 100, 784), (13, 17, 33), (1, 1, 1)] {
            for zeros in [8, 0] {
                let a = values(m * k, 1, zeros);
                let b = values(n * k, 2, 0);
                let mut c = vec![0f32; m * n];
                abt(m, n, k, &a, &b, &mut c, false);
                let want = naive(m, n, k, |i, p| a[i * k + p], |p, j| b[j * k + p]);
                close("abt", &c, &want);

                // aᵀ b with a as k×m and b as k×n, added to what c holds.
                let mut c = vec![1f32; m * n];
                atb(m, n, k, &a, &b[..k * n], &mut c, true);
                let want = naive(m, n, k, |i, p| a[p * m + i], |p, j| b[p * n + j]);
                close("atb", &c, &want.iter().map(|v| v + 1.0).collect::<Vec<_>>());

                let mut c = vec![0f32; m * n];
                ab(m, n, k, &a, &b[..k * n], &mut c, false);
                let want = naive(m, n, k, |i, p| a[i * k + p], |p, j| b[p * n + j]);
                close("ab", &c, &want);
            }
        }
    }

    #[test]
    fn empty_products_touch_nothing_or_only_scale() {
        let mut c: Vec<f32> = Vec::new();
        abt(0, 0, 5, &[], &[], &mut c, false);
        abt(0, 3, 4, &[], &[0.0; 12], &mut c, true);
        // k = 0: the product is 0, so `add` keeps c and overwriting clears it.
        let mut c = vec![2.0f32; 6];
        abt(2, 3, 0, &[], &[], &mut c, true);
        assert_eq!(c, [2.0; 6]);
        abt(2, 3, 0, &[], &[], &mut c, false);
        assert_eq!(c, [0.0; 6]);
    }

    #[test]
    fn nan_and_negative_zero_go_through() {
        let (m, n, k) = (3, 9, 17);
        let mut a = vec![0f32; m * k];
        a[k + 4] = f32::NAN;
        a[2 * k] = -0.0;
        let b = values(n * k, 3, 0);
        let mut c = vec![0f32; m * n];
        abt(m, n, k, &a, &b, &mut c, false);
        assert!(c[..n].iter().all(|&v| v == 0.0), "a zero row gives zeros");
        assert!(
            c[n..2 * n].iter().all(|v| v.is_nan()),
            "NaN spreads to its row"
        );
        assert!(c[2 * n..].iter().all(|&v| v == 0.0));
    }

    #[test]
    #[should_panic]
    fn a_short_operand_is_refused() {
        let mut c = vec![0f32; 4];
        abt(2, 2, 3, &[0.0; 5], &[0.0; 6], &mut c, false);
    }
}
