//! Batch Normalization's passes over a batch (rows of features). Zipped
//! rather than indexed, so the loops vectorize across features with no bounds check per
//! element; each feature's sums still run over the rows in order, so the bits do not depend
//! on the instruction set.

/// Leaves `z` (rows of `mean.len()`) centred on its column means, and writes the means and
/// the biased variances.
pub fn center(z: &mut [f32], mean: &mut [f32], var: &mut [f32]) {
    let n = (z.len() / mean.len()) as f32;
    mean.fill(0.0);
    super::add_column_sums(z, mean);
    mean.iter_mut().for_each(|m| *m /= n);
    var.fill(0.0);
    for row in z.chunks_exact_mut(mean.len()) {
        for ((v, m), s) in row.iter_mut().zip(&*mean).zip(var.iter_mut()) {
            *v -= m;
            *s += *v * *v;
        }
    }
    var.iter_mut().for_each(|s| *s /= n);
}

/// `1 / √(var + ε)` per feature.
pub fn inv_std(var: &[f32], eps: f32) -> Vec<f32> {
    var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect()
}

/// Turns the centred `z` into `x̂ = z / σ` in place and writes `a = γ·x̂ + β`.
pub fn scale_shift(z: &mut [f32], inv_std: &[f32], gamma: &[f32], beta: &[f32], a: &mut [f32]) {
    let width = inv_std.len();
    for (zr, ar) in z.chunks_exact_mut(width).zip(a.chunks_exact_mut(width)) {
        let cols = zr.iter_mut().zip(ar.iter_mut()).zip(inv_std);
        for (((z, a), s), (g, b)) in cols.zip(gamma.iter().zip(beta)) {
            *z *= s;
            *a = *z * g + b;
        }
    }
}

/// The backward pass through `γ·x̂ + β`: writes `Σ dy` and `Σ dy·x̂` per feature (the
/// gradients of β and γ), then overwrites `dy` with the gradient of the pre-normalization
/// input, `γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))`.
pub fn backward(
    dy: &mut [f32],
    x_hat: &[f32],
    gamma: &[f32],
    inv_std: &[f32],
    sum_dy: &mut [f32],
    sum_dy_xhat: &mut [f32],
) {
    let width = inv_std.len();
    let n = (dy.len() / width) as f32;
    sum_dy.fill(0.0);
    sum_dy_xhat.fill(0.0);
    for (dr, xr) in dy.chunks_exact(width).zip(x_hat.chunks_exact(width)) {
        let sums = sum_dy.iter_mut().zip(sum_dy_xhat.iter_mut());
        for ((s, sx), (d, x)) in sums.zip(dr.iter().zip(xr)) {
            *s += d;
            *sx += d * x;
        }
    }
    // The per-feature factors, computed once: the same expressions as written inline, so
    // the same bits.
    let scale: Vec<f32> = gamma.iter().zip(inv_std).map(|(g, s)| g * s).collect();
    let mean_dy: Vec<f32> = sum_dy.iter().map(|s| s / n).collect();
    let mean_dy_xhat: Vec<f32> = sum_dy_xhat.iter().map(|s| s / n).collect();
    for (dr, xr) in dy.chunks_exact_mut(width).zip(x_hat.chunks_exact(width)) {
        let cols = dr.iter_mut().zip(xr).zip(&scale);
        for (((d, x), c), (m, mx)) in cols.zip(mean_dy.iter().zip(&mean_dy_xhat)) {
            *d = c * (*d - m - x * mx);
        }
    }
}

/// Inference: `v ← (v − mean)·scale + shift` per feature (rows of `mean.len()`), with the
/// running statistics and γ, β folded into `scale` and `shift`.
pub fn affine(v: &mut [f32], mean: &[f32], scale: &[f32], shift: &[f32]) {
    for row in v.chunks_exact_mut(mean.len()) {
        let cols = row.iter_mut().zip(mean);
        for ((x, m), (s, b)) in cols.zip(scale.iter().zip(shift)) {
            *x = (*x - m) * s + b;
        }
    }
}

/// `running ← keep·running + take·batch`, per feature.
pub fn blend(running: &mut [f32], batch: &[f32], keep: f32, take: f32) {
    running
        .iter_mut()
        .zip(batch)
        .for_each(|(r, &b)| *r = *r * keep + b * take);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    /// Forward and backward by the formulas, one feature at a time in `f64`.
    fn naive(z: &[f32], dy: &[f32], width: usize, eps: f64) -> (Vec<f64>, Vec<f64>) {
        let rows = z.len() / width;
        let n = rows as f64;
        let (mut x_hat, mut dz) = (vec![0.0; z.len()], vec![0.0; z.len()]);
        for j in 0..width {
            let col: Vec<f64> = (0..rows).map(|r| f64::from(z[r * width + j])).collect();
            let g: Vec<f64> = (0..rows).map(|r| f64::from(dy[r * width + j])).collect();
            let mean = col.iter().sum::<f64>() / n;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let s = 1.0 / (var + eps).sqrt();
            let xh: Vec<f64> = col.iter().map(|v| (v - mean) * s).collect();
            let mean_g = g.iter().sum::<f64>() / n;
            let mean_gx = g.iter().zip(&xh).map(|(a, b)| a * b).sum::<f64>() / n;
            for r in 0..rows {
                x_hat[r * width + j] = xh[r];
                // γ = 1 here.
                dz[r * width + j] = s * (g[r] - mean_g - xh[r] * mean_gx);
            }
        }
        (x_hat, dz)
    }

    #[test]
    fn forward_and_backward_follow_the_formulas() {
        // Feature counts around whole vectors, digit-like sparse and dense batches.
        for (rows, width) in [(60, 100), (5, 7), (2, 16), (33, 17), (1, 9)] {
            for zeros in [8, 0] {
                let z0 = values(rows * width, width as u32, zeros);
                let dy0 = values(rows * width, 3, 0);
                let eps = 1e-5;
                let (mut z, mut mean, mut var) = (z0.clone(), vec![0.0; width], vec![0.0; width]);
                center(&mut z, &mut mean, &mut var);
                let s = inv_std(&var, eps);
                let ones = vec![1.0; width];
                let zero = vec![0.0; width];
                let mut a = vec![0.0; rows * width];
                scale_shift(&mut z, &s, &ones, &zero, &mut a);
                assert_eq!(a, z, "γ = 1 and β = 0 give x̂");
                let mut dy = dy0.clone();
                let (mut sd, mut sdx) = (vec![0.0; width], vec![0.0; width]);
                backward(&mut dy, &z, &ones, &s, &mut sd, &mut sdx);
                let (x_hat, dz) = naive(&z0, &dy0, width, f64::from(eps));
                for (i, (got, want)) in z.iter().zip(&x_hat).chain(dy.iter().zip(&dz)).enumerate() {
                    let err = (f64::from(*got) - want).abs();
                    assert!(
                        err <= 1e-4 * (1.0 + want.abs()),
                        "{rows}x{width} [{i}]: {got} vs {want}"
                    );
                }
                for j in 0..width {
                    let col = (0..rows).map(|r| f64::from(dy0[r * width + j]));
                    assert!((f64::from(sd[j]) - col.sum::<f64>()).abs() < 1e-4);
                }
            }
        }
    }

    #[test]
    fn a_nan_stays_in_its_feature() {
        let (rows, width) = (4, 9);
        let mut z = values(rows * width, 5, 0);
        z[2 * width + 3] = f32::NAN;
        z[width + 5] = -0.0;
        let (mut mean, mut var) = (vec![0.0; width], vec![0.0; width]);
        center(&mut z, &mut mean, &mut var);
        for j in 0..width {
            assert_eq!(mean[j].is_nan(), j == 3, "feature {j}");
            assert_eq!(var[j].is_nan(), j == 3);
        }
        let mut v = vec![f32::NAN, 2.0, -0.0, 4.0];
        affine(&mut v, &[1.0, 0.0], &[2.0, -1.0], &[0.5, -0.0]);
        assert!(v[0].is_nan());
        assert_eq!(v[1..], [-2.0, -1.5, -4.0]);
        let mut running = vec![1.0, -0.0];
        blend(&mut running, &[3.0, -0.0], 0.9, 0.1);
        assert!((running[0] - 1.2).abs() < 1e-6);
        assert_eq!(running[1].to_bits(), (-0.0f32).to_bits());
    }
}
