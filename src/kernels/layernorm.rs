//! Layer Normalization's passes (Ba et al. 2016): each row (one sample's features) is
//! normalized over its own features, with the biased variance, the same in training and
//! inference. Sums run over a row in order, so the bits do not depend on the instruction set.

/// Turns each row of `v` (rows of `gamma.len()`) into `x̂ = (x − mean) / √(var + ε)` in place,
/// writes each row's `1 / √(var + ε)` to `inv_std` and `γ·x̂ + β` to `out`.
pub fn forward(
    v: &mut [f32],
    eps: f32,
    gamma: &[f32],
    beta: &[f32],
    inv_std: &mut [f32],
    out: &mut [f32],
) {
    let width = gamma.len();
    let n = width as f32;
    let rows = v.chunks_exact_mut(width).zip(out.chunks_exact_mut(width));
    for ((row, o), s) in rows.zip(inv_std.iter_mut()) {
        let mean = row.iter().sum::<f32>() / n;
        let mut var = 0.0;
        for x in row.iter_mut() {
            *x -= mean;
            var += *x * *x;
        }
        *s = 1.0 / (var / n + eps).sqrt();
        for ((x, o), (g, b)) in row.iter_mut().zip(o.iter_mut()).zip(gamma.iter().zip(beta)) {
            *x *= *s;
            *o = *x * g + b;
        }
    }
}

/// The backward pass: adds `Σ dy·x̂` and `Σ dy` over the rows to `dgamma` and `dbeta`, then
/// overwrites `dy` with the gradient of the input, per row
/// `1/σ · (g − mean(g) − x̂·mean(g·x̂))` with `g = γ·dy`.
pub fn backward(
    dy: &mut [f32],
    x_hat: &[f32],
    gamma: &[f32],
    inv_std: &[f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let width = gamma.len();
    let n = width as f32;
    let rows = dy.chunks_exact_mut(width).zip(x_hat.chunks_exact(width));
    for ((d, x), s) in rows.zip(inv_std) {
        let (mut mean_g, mut mean_gx) = (0.0, 0.0);
        for (((d, x), g), (dg, db)) in d
            .iter_mut()
            .zip(x)
            .zip(gamma)
            .zip(dgamma.iter_mut().zip(dbeta.iter_mut()))
        {
            *dg += *d * x;
            *db += *d;
            *d *= g;
            mean_g += *d;
            mean_gx += *d * x;
        }
        mean_g /= n;
        mean_gx /= n;
        for (d, x) in d.iter_mut().zip(x) {
            *d = s * (*d - mean_g - x * mean_gx);
        }
    }
}

/// Inference: `forward`'s output in place, in the same order of operations (so the same
/// bits), without keeping x̂.
pub fn apply(v: &mut [f32], eps: f32, gamma: &[f32], beta: &[f32]) {
    let width = gamma.len();
    let n = width as f32;
    for row in v.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / n;
        let mut var = 0.0;
        for x in row.iter_mut() {
            *x -= mean;
            var += *x * *x;
        }
        let s = 1.0 / (var / n + eps).sqrt();
        for (x, (g, b)) in row.iter_mut().zip(gamma.iter().zip(beta)) {
            *x = *x * s * g + b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    #[test]
    fn forward_and_backward_follow_pytorchs_formulas() {
        for (rows, width) in [(7, 100), (3, 9), (1, 16)] {
            let z = values(rows * width, 11, 2);
            let dy = values(rows * width, 5, 0);
            let gamma: Vec<f32> = values(width, 3, 0).iter().map(|g| 1.0 + g).collect();
            let beta = values(width, 4, 0);
            let eps = 1e-5;
            let (mut x_hat, mut s, mut out) = (z.clone(), vec![0.0; rows], vec![0.0; rows * width]);
            forward(&mut x_hat, eps, &gamma, &beta, &mut s, &mut out);
            let (mut d, mut dg, mut db) = (dy.clone(), vec![0.0; width], vec![0.0; width]);
            backward(&mut d, &x_hat, &gamma, &s, &mut dg, &mut db);
            let (mut want_dg, mut want_db) = (vec![0.0f64; width], vec![0.0f64; width]);
            for r in 0..rows {
                let f = |v: &[f32], j: usize| f64::from(v[r * width + j]);
                let mean = (0..width).map(|j| f(&z, j)).sum::<f64>() / width as f64;
                let var = (0..width).map(|j| (f(&z, j) - mean).powi(2)).sum::<f64>() / width as f64;
                let sd = (var + f64::from(eps)).sqrt();
                let xh: Vec<f64> = (0..width).map(|j| (f(&z, j) - mean) / sd).collect();
                let g: Vec<f64> = (0..width)
                    .map(|j| f(&dy, j) * f64::from(gamma[j]))
                    .collect();
                let mg = g.iter().sum::<f64>() / width as f64;
                let mgx = g.iter().zip(&xh).map(|(a, b)| a * b).sum::<f64>() / width as f64;
                for j in 0..width {
                    let y = f64::from(gamma[j]) * xh[j] + f64::from(beta[j]);
                    let dx = (g[j] - mg - xh[j] * mgx) / sd;
                    let near = |got: f32, want: f64| {
                        (f64::from(got) - want).abs() <= 1e-4 * (1.0 + want.abs())
                    };
                    assert!(near(out[r * width + j], y), "{rows}x{width} y[{r},{j}]");
                    assert!(near(d[r * width + j], dx), "{rows}x{width} dx[{r},{j}]");
                    want_dg[j] += f(&dy, j) * xh[j];
                    want_db[j] += f(&dy, j);
                }
            }
            let mut applied = z.clone();
            apply(&mut applied, eps, &gamma, &beta);
            assert_eq!(applied, out, "inference gives training's bits");
            for j in 0..width {
                assert!((f64::from(dg[j]) - want_dg[j]).abs() < 1e-4, "dγ[{j}]");
                assert!((f64::from(db[j]) - want_db[j]).abs() < 1e-4, "dβ[{j}]");
            }
        }
    }
}
