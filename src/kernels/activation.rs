//! Activations and their derivatives, in place on slices: dfdx's formulas, with a
//! vectorizable `exp` for the sigmoid.

use super::dispatch::kernel;

kernel! {
    /// `1 / (1 + exp(−x))` in place, on 8 lanes where the CPU has AVX2. Plain multiplies and
    /// adds (never fused), so every instruction set gives the same bits.
    pub fn sigmoid(v: &mut [f32]) = same_code sigmoid_scalar;
}

#[inline(always)]
fn sigmoid_scalar(v: &mut [f32]) {
    for x in v.iter_mut() {
        *x = 1.0 / (1.0 + exp(-*x));
    }
}

pub fn relu(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = x.max(0.0));
}

pub fn tanh(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = x.tanh());
}

/// `g *= σ'`, with the sigmoid's derivative written in terms of its output `a`.
pub fn sigmoid_backward(a: &[f32], g: &mut [f32]) {
    g.iter_mut().zip(a).for_each(|(g, &a)| *g *= a * (1.0 - a));
}

/// `g` where the ReLU's output `a` is positive, 0 elsewhere.
pub fn relu_backward(a: &[f32], g: &mut [f32]) {
    g.iter_mut()
        .zip(a)
        .for_each(|(g, &a)| *g = if a > 0.0 { *g } else { 0.0 });
}

/// `g *= 1 − a²`, with `a` the tanh's output.
pub fn tanh_backward(a: &[f32], g: &mut [f32]) {
    g.iter_mut().zip(a).for_each(|(g, &a)| *g *= 1.0 - a * a);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{same_bits, test_values};

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
    fn vector_and_scalar_sigmoids_give_the_same_bits() {
        // Lengths around whole vectors, digit-like (mostly 0) and dense, and the edge values.
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 100, 6000] {
            for zeros in [8, 0] {
                let mut v = test_values(n, n as u32, zeros);
                v.iter_mut().for_each(|x| *x *= 40.0);
                let mut slow = v.clone();
                sigmoid(&mut v);
                sigmoid_scalar(&mut slow);
                same_bits(&v, &slow);
            }
        }
        let edges = [
            f32::NAN,
            -0.0,
            0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e30,
            -1e30,
        ];
        let (mut v, mut slow) = (edges.to_vec(), edges.to_vec());
        sigmoid(&mut v);
        sigmoid_scalar(&mut slow);
        same_bits(&v, &slow);
        assert!(v[0].is_nan());
        assert_eq!(v[1..4], [0.5, 0.5, 1.0]);
        assert!(v[4] < 1e-37 && v[5] == 1.0 && v[6] < 1e-37, "{v:?}");
    }

    #[test]
    fn derivatives_follow_the_outputs() {
        let a = [0.25f32, 0.0, -0.5, 1.0];
        let mut g = [2.0f32; 4];
        sigmoid_backward(&a, &mut g);
        assert_eq!(g, [0.375, 0.0, -1.5, 0.0]);
        let mut g = [2.0f32; 4];
        relu_backward(&a, &mut g);
        assert_eq!(g, [2.0, 0.0, 0.0, 2.0]);
        let mut g = [2.0f32; 4];
        tanh_backward(&a, &mut g);
        assert_eq!(g, [1.875, 2.0, 1.5, 0.0]);
        let mut v = [-1.0f32, -0.0, 3.0];
        relu(&mut v);
        assert_eq!(v, [0.0, 0.0, 3.0]);
    }
}
