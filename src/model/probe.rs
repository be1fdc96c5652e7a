//! Looks inside a network: activation-input percentiles and per-layer statistics, one
//! `LayerMetric` per layer (hidden layers from 1, the output layer `out`).

use super::net::LayerStats;
use crate::metric::{Layer, LayerMetric as K, Metric};

/// p15, p50, p85 of the values (the bands of Ioffe & Szegedy's Figure 1).
pub fn bands(values: &[f32]) -> [f64; 3] {
    let mut v: Vec<i32> = values
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| key(x))
        .collect();
    let n = v.len();
    let pos = |q: f64| q * n.saturating_sub(1) as f64;
    let (p15, p50, p85) = (pos(0.15), pos(0.50), pos(0.85));
    let mid = p50.floor() as usize;
    if n < 8 || p15.ceil() as usize > mid || (p85.floor() as usize) <= mid {
        return [
            selected_quantile(&mut v, p15),
            selected_quantile(&mut v, p50),
            selected_quantile(&mut v, p85),
        ];
    }
    // The median's selection splits the values around it, so the outer bands are each
    // selected in one part: the lower band's two order statistics lie in `..=mid`, the
    // upper band's in `mid + 1..`.
    let median = selected_quantile(&mut v, p50);
    let (low, high) = v.split_at_mut(mid + 1);
    [
        selected_quantile(low, p15),
        median,
        selected_quantile(high, p85 - (mid + 1) as f64),
    ]
}

/// The value at fractional position `pos` of the sorted values, by linear interpolation,
/// without sorting them all: the two order statistics it interpolates are found by selection
/// (O(n)), so the result is the same to the bit.
fn selected_quantile(v: &mut [i32], pos: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = pos.clamp(0.0, (v.len() - 1) as f64);
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let w = pos - lo as f64;
    let (_, &mut a, above) = v.select_nth_unstable(lo);
    // The next order statistic is the smallest value above position `lo`.
    let b = if hi == lo {
        a
    } else {
        above.iter().copied().min().unwrap_or(a)
    };
    f64::from(value(a)) * (1.0 - w) + f64::from(value(b)) * w
}

/// An integer that orders as `f32::total_cmp` orders the floats: selection on integers is
/// several times faster than on floats through a comparison function.
fn key(x: f32) -> i32 {
    let b = x.to_bits() as i32;
    b ^ (((b >> 31) as u32) >> 1) as i32
}

fn value(k: i32) -> f32 {
    f32::from_bits((k ^ (((k >> 31) as u32) >> 1) as i32) as u32)
}

fn mean_std(v: &[f32]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// Metrics from the activation inputs of each hidden layer on the probe batch.
/// `unit` picks one unit of the last hidden layer whose own distribution is tracked too.
pub fn preact_metrics(taps: &[Vec<f32>], unit: usize, width: usize, out: &mut Vec<(Metric, f64)>) {
    for (i, t) in taps.iter().enumerate() {
        let [p15, p50, p85] = bands(t);
        let l = Layer::Hidden(i as u16 + 1);
        out.push((K::PreactP15.of(l), p15));
        out.push((K::PreactP50.of(l), p50));
        out.push((K::PreactP85.of(l), p85));
    }
    if let Some(last) = taps.last() {
        let column: Vec<f32> = last.iter().skip(unit).step_by(width).copied().collect();
        let [p15, p50, p85] = bands(&column);
        let l = Layer::Hidden(taps.len() as u16);
        out.push((K::UnitP15.of(l), p15));
        out.push((K::UnitP50.of(l), p50));
        out.push((K::UnitP85.of(l), p85));
    }
}

/// |γ| below this switches a unit off: its output is then nearly the constant act(β) (γ
/// starts at 1). Frankle et al. (2020) count such units; the threshold is bnlab's.
pub const GAMMA_OFF: f32 = 0.05;

/// The fraction of `gamma` whose magnitude is below `GAMMA_OFF`.
pub fn gamma_off(gamma: &[f32]) -> f64 {
    let off = gamma.iter().filter(|g| g.abs() < GAMMA_OFF).count();
    off as f64 / gamma.len().max(1) as f64
}

/// Gradient and weight norms of every layer, and BN parameter statistics where present.
/// `previous` holds the last probe's running statistics to measure their drift.
pub fn layer_metrics(
    stats: &[LayerStats],
    hidden_layers: usize,
    previous: &mut Vec<Option<(Vec<f32>, Vec<f32>)>>,
    out: &mut Vec<(Metric, f64)>,
) {
    previous.resize(stats.len(), None);
    for (i, s) in stats.iter().enumerate() {
        let l = Layer::at(i, hidden_layers);
        out.push((K::GradNorm.of(l), f64::from(s.grad_norm)));
        out.push((K::WeightNorm.of(l), f64::from(s.weight_norm)));
        if let Some(bn) = &s.bn {
            let (gm, gs) = mean_std(&bn.gamma);
            let (bm, bs) = mean_std(&bn.beta);
            out.push((K::BnGammaMean.of(l), gm));
            out.push((K::BnGammaStd.of(l), gs));
            out.push((K::BnBetaMean.of(l), bm));
            out.push((K::BnBetaStd.of(l), bs));
            if bn.running_mean.is_empty() {
                // A LayerNorm: γ and β, but no running statistics to report.
                continue;
            }
            out.push((K::BnGammaOff.of(l), gamma_off(&bn.gamma)));
            out.push((K::BnRmeanMean.of(l), mean_std(&bn.running_mean).0));
            out.push((K::BnRvarMean.of(l), mean_std(&bn.running_var).0));
            let drift = |a: &[f32], b: &[f32]| {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| f64::from((x - y).abs()))
                    .sum::<f64>()
                    / a.len().max(1) as f64
            };
            let (dm, dv) = match &previous[i] {
                Some((m, v)) => (drift(&bn.running_mean, m), drift(&bn.running_var, v)),
                None => (0.0, 0.0),
            };
            out.push((K::BnRmeanDrift.of(l), dm));
            out.push((K::BnRvarDrift.of(l), dv));
            previous[i] = Some((bn.running_mean.clone(), bn.running_var.clone()));
        }
    }
}

/// Li et al. (2019)'s variance shift of every BN that sits before its activation: its running
/// variance over the variance its input has in inference mode, geometric mean over units.
/// `taps` are the BN outputs on the probe batch in inference mode (`width` units per row);
/// per unit they are an affine map of the BN's inputs, y = γ(x − μ)/√(σ² + ε) + β, so
/// Var(x) = Var(y)(σ² + ε)/γ². Both variances are unbiased, as the running one is.
pub fn var_shift_metrics(
    stats: &[LayerStats],
    taps: &[Vec<f32>],
    width: usize,
    eps: f64,
    out: &mut Vec<(Metric, f64)>,
) {
    for (i, (s, tap)) in stats.iter().zip(taps).enumerate() {
        let Some(bn) = s.bn.as_ref().filter(|b| !b.running_var.is_empty()) else {
            continue;
        };
        if let Some(v) = var_shift(tap, width, &bn.gamma, &bn.running_var, eps) {
            out.push((K::BnVarShift.of(Layer::Hidden(i as u16 + 1)), v));
        }
    }
}

fn var_shift(tap: &[f32], width: usize, gamma: &[f32], rvar: &[f32], eps: f64) -> Option<f64> {
    let n = tap.len() / width.max(1);
    if n < 2 {
        return None;
    }
    let (mut logs, mut units) = (0.0, 0usize);
    for j in 0..width.min(gamma.len()).min(rvar.len()) {
        let col = || tap.iter().skip(j).step_by(width).map(|&y| f64::from(y));
        let m = col().sum::<f64>() / n as f64;
        let var_y = col().map(|y| (y - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        let (g, rv) = (f64::from(gamma[j]), f64::from(rvar[j]));
        let r = rv * g * g / (var_y * (rv + eps));
        // A unit whose γ is 0 or whose output is constant tells nothing of its input.
        if r.is_finite() && r > 0.0 {
            logs += r.ln();
            units += 1;
        }
    }
    (units > 0).then(|| (logs / units as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference for `bands`: the `q`-quantile (0..=1) of `sorted` by linear interpolation.
    fn quantile(sorted: &[f32], q: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let w = pos - lo as f64;
        f64::from(sorted[lo]) * (1.0 - w) + f64::from(sorted[hi]) * w
    }

    #[test]
    fn bands_are_ordered_and_exact_on_a_ramp() {
        let v: Vec<f32> = (0..=100).rev().map(|x| x as f32).collect();
        let [a, b, c] = bands(&v);
        assert_eq!((a, b, c), (15.0, 50.0, 85.0));
    }

    #[test]
    fn keys_order_as_total_cmp_and_round_trip() {
        let xs = [
            f32::MIN,
            -3.5,
            -1e-30,
            -0.0,
            0.0,
            1e-40,
            0.25,
            7.0,
            f32::MAX,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} < {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn selection_gives_the_same_bands_as_sorting() {
        let v: Vec<f32> = (0..1001)
            .map(|i| ((i * 7919) % 1013) as f32 * 0.37 - 50.0)
            .collect();
        for n in [1, 2, 3, 7, 8, 9, 10, 11, 101, 1000, 1001] {
            let mut s = v[..n].to_vec();
            s.sort_unstable_by(f32::total_cmp);
            let want = [quantile(&s, 0.15), quantile(&s, 0.50), quantile(&s, 0.85)];
            assert_eq!(bands(&v[..n]), want, "n = {n}");
        }
        // Saturated units repeat values many times.
        let v: Vec<f32> = (0..500).map(|i| ((i * 31) % 7) as f32).collect();
        let mut s = v.clone();
        s.sort_unstable_by(f32::total_cmp);
        let want = [quantile(&s, 0.15), quantile(&s, 0.50), quantile(&s, 0.85)];
        assert_eq!(bands(&v), want, "repeated values");
    }

    #[test]
    fn variance_shift_is_the_running_over_the_inference_variance_of_the_input() {
        // Three units, 200 rows of inputs x with known variances; the BN's outputs are
        // computed from x with its running statistics, as inference does.
        let (n, width, eps) = (200usize, 3usize, 1e-5);
        let gamma = [1.5f32, -0.5, 2.0];
        let beta = [0.1f32, 0.0, -1.0];
        let rmean = [0.2f32, -1.0, 3.0];
        let rvar = [4.0f32, 0.25, 1.0];
        let scale = [2.0f64, 1.0, 0.5];
        let x: Vec<f64> = (0..n * width)
            .map(|k| {
                let (i, j) = (k / width, k % width);
                let u = ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5;
                f64::from(rmean[j]) + scale[j] * u
            })
            .collect();
        let tap: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(k, &x)| {
                let j = k % width;
                let xh = (x - f64::from(rmean[j])) / (f64::from(rvar[j]) + eps).sqrt();
                (f64::from(gamma[j]) * xh + f64::from(beta[j])) as f32
            })
            .collect();
        let mut logs = 0.0;
        for (j, &rv) in rvar.iter().enumerate() {
            let col: Vec<f64> = x.iter().skip(j).step_by(width).copied().collect();
            let m = col.iter().sum::<f64>() / n as f64;
            let v = col.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            logs += (f64::from(rv) / v).ln();
        }
        let want = (logs / width as f64).exp();
        let got = var_shift(&tap, width, &gamma, &rvar, eps).unwrap();
        assert!((got / want - 1.0).abs() < 1e-4, "{got} vs {want}");
        // A unit with γ = 0 is left out, not turned into an infinite shift.
        let mut g0 = gamma;
        g0[1] = 0.0;
        let tap0: Vec<f32> = tap
            .iter()
            .enumerate()
            .map(|(k, &y)| if k % width == 1 { 0.0 } else { y })
            .collect();
        assert!(var_shift(&tap0, width, &g0, &rvar, eps)
            .unwrap()
            .is_finite());
        assert_eq!(var_shift(&tap[..width], width, &gamma, &rvar, eps), None);
    }

    #[test]
    fn unit_column_is_taken_with_stride() {
        // Two samples, width 3: unit 1 holds 10 and 20.
        let taps = vec![vec![0.0, 10.0, 0.0, 0.0, 20.0, 0.0]];
        let mut out = Vec::new();
        preact_metrics(&taps, 1, 3, &mut out);
        let p50 = out
            .iter()
            .find(|(k, _)| *k == K::UnitP50.of(Layer::Hidden(1)))
            .unwrap()
            .1;
        assert_eq!(p50, 15.0);
    }
}
