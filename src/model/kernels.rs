//! Dense kernels on row-major slices: matrix products through `gemm` (which picks AVX-512,
//! AVX2 or SSE kernels at run time, so the binary stays portable) and activations.

use gemm::{gemm, Parallelism};

use super::kinds::Activation;

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

/// Applies `act` in place: dfdx's formulas, with a vectorizable `exp` for the sigmoid.
pub fn activate(act: Activation, v: &mut [f32]) {
    match act {
        Activation::Sigmoid => sigmoid(v),
        Activation::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
        Activation::Tanh => v.iter_mut().for_each(|x| *x = x.tanh()),
    }
}

/// `1 / (1 + exp(−x))` in place, on 8 lanes where the CPU has AVX2 (checked at run time).
/// Plain multiplies and adds (never fused), so every instruction set gives the same bits.
pub fn sigmoid(v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { sigmoid_avx2(v) };
        return;
    }
    sigmoid_body(v);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sigmoid_avx2(v: &mut [f32]) {
    sigmoid_body(v);
}

#[inline(always)]
fn sigmoid_body(v: &mut [f32]) {
    for x in v.iter_mut() {
        *x = 1.0 / (1.0 + exp(-*x));
    }
}

/// `exp(x)` to about 1 ulp (Cephes' expf polynomial), branch-free so loops over it vectorize.
/// Inputs are clamped to [−87, 88], where the result stays a normal float.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer.
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    // 2ⁿ from the bits of n + 127 placed in the exponent field.
    let e = (n + (MAGIC + 127.0))
        .to_bits()
        .wrapping_sub(MAGIC.to_bits());
    y * f32::from_bits(e << 23)
}

/// Multiplies `g` by the activation's derivative, written in terms of its output `a`.
pub fn times_derivative(act: Activation, a: &[f32], g: &mut [f32]) {
    match act {
        Activation::Sigmoid => g.iter_mut().zip(a).for_each(|(g, &a)| *g *= a * (1.0 - a)),
        Activation::Relu => g
            .iter_mut()
            .zip(a)
            .for_each(|(g, &a)| *g = if a > 0.0 { *g } else { 0.0 }),
        Activation::Tanh => g.iter_mut().zip(a).for_each(|(g, &a)| *g *= 1.0 - a * a),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
                c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn exp_and_sigmoid_match_the_library() {
        for i in -8700..=8800 {
            let x = i as f32 * 0.01;
            let (got, want) = (exp(x), x.exp());
            assert!(
                (got - want).abs() <= 2e-7 * want,
                "exp({x}) = {got}, want {want}"
            );
        }
        let mut v: Vec<f32> = (-3000..=3000).map(|i| i as f32 * 0.01).collect();
        let want: Vec<f32> = v.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        sigmoid(&mut v);
        for (g, w) in v.iter().zip(&want) {
            assert!((g - w).abs() <= 2.5e-7, "sigmoid: {g} vs {w}");
        }
    }

    #[test]
    fn the_three_products_match_a_naive_loop() {
        let (m, n, k) = (7, 5, 11);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.11).cos()).collect();
        let close = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-5);

        let mut c = vec![0f32; m * n];
        abt(m, n, k, &a, &b, &mut c, false);
        assert!(close(
            &c,
            &naive(m, n, k, |i, p| a[i * k + p], |p, j| b[j * k + p])
        ));

        // aᵀ b with a as k×m and b as k×n.
        let mut c = vec![1f32; m * n];
        atb(m, n, k, &a, &b[..k * n], &mut c, true);
        let want = naive(m, n, k, |i, p| a[p * m + i], |p, j| b[p * n + j]);
        assert!(close(&c, &want.iter().map(|v| v + 1.0).collect::<Vec<_>>()));

        let mut c = vec![0f32; m * n];
        ab(m, n, k, &a, &b[..k * n], &mut c, false);
        assert!(close(
            &c,
            &naive(m, n, k, |i, p| a[i * k + p], |p, j| b[p * n + j])
        ));
    }
}
