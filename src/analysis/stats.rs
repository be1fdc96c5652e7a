//! Small-sample statistics for comparing variants across seeds.

/// Mean of the finite values; `None` when there are none.
pub fn mean(xs: &[f64]) -> Option<f64> {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Geometric mean of the positive finite values; `None` when there are none.
pub fn geo_mean(xs: &[f64]) -> Option<f64> {
    let logs: Vec<f64> = xs.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect();
    mean(&logs).map(f64::exp)
}

/// Sample standard deviation (n − 1); needs at least two values.
pub fn std(xs: &[f64]) -> Option<f64> {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let ss: f64 = v.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (v.len() - 1) as f64).sqrt())
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    // Exact table for the seed counts people actually run; beyond it the
    // Cornish-Fisher expansion is within 1e-3.
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_964;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// Mean of a sample with its spread and, from two values on, a 95% t interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    pub std: Option<f64>,
    pub ci: Option<(f64, f64)>,
}

impl Estimate {
    /// `None` when no value is finite.
    pub fn of(xs: &[f64]) -> Option<Self> {
        let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let m = mean(&v)?;
        let s = std(&v);
        let ci = s.map(|s| {
            let h = t975(v.len() - 1) * s / (v.len() as f64).sqrt();
            (m - h, m + h)
        });
        Some(Self {
            n: v.len(),
            mean: m,
            std: s,
            ci,
        })
    }

    /// True when the 95% interval lies entirely on one side of zero.
    pub fn ci_excludes_zero(&self) -> Option<bool> {
        self.ci.map(|(lo, hi)| lo > 0.0 || hi < 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_and_interval() {
        let e = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(e.n, 3);
        assert!((e.mean - 2.0).abs() < 1e-12);
        assert!((e.std.unwrap() - 1.0).abs() < 1e-12);
        let (lo, hi) = e.ci.unwrap();
        // 2 ± 4.303 / sqrt(3)
        assert!((hi - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert!((2.0 - lo - 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert_eq!(e.ci_excludes_zero(), Some(false));
    }

    #[test]
    fn one_value_has_no_interval() {
        let e = Estimate::of(&[0.5]).unwrap();
        assert_eq!(e.std, None);
        assert_eq!(e.ci, None);
        assert_eq!(e.ci_excludes_zero(), None);
        assert!(Estimate::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn t_quantile_tends_to_normal() {
        assert!((t975(1) - 12.706).abs() < 1e-9);
        assert!((t975(31) - 2.040).abs() < 2e-3);
        assert!((t975(120) - 1.980).abs() < 2e-3);
        assert!((t975(100_000) - 1.96).abs() < 1e-3);
    }
}

#[cfg(test)]
#[path = "stats_more_tests.rs"]
mod more_tests;
