//! Value-level checks of the statistics every verdict and table rests on, written so that a
//! changed operator or boundary in `stats` changes a result here (see docs/testing.md).

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn mean_skips_non_finite_values_and_needs_one() {
    assert_eq!(mean(&[]), None);
    assert_eq!(mean(&[f64::NAN, f64::INFINITY]), None);
    assert_eq!(mean(&[2.0, f64::NAN, 6.0, f64::NEG_INFINITY]), Some(4.0));
    assert_eq!(mean(&[-3.0]), Some(-3.0));
}

#[test]
fn geometric_mean_uses_only_positive_values() {
    // exp((ln 2 + ln 8) / 2) = 4; zero and negative values have no logarithm.
    let g = geo_mean(&[2.0, 0.0, -5.0, 8.0]).unwrap();
    assert!(close(g, 4.0, 1e-12), "{g}");
    assert!(close(geo_mean(&[0.5]).unwrap(), 0.5, 1e-12));
    assert_eq!(geo_mean(&[0.0, -1.0]), None);
    assert_eq!(geo_mean(&[]), None);
}

#[test]
fn sample_std_divides_by_n_minus_one() {
    assert_eq!(std(&[]), None);
    assert_eq!(std(&[1.0]), None);
    assert_eq!(std(&[1.0, f64::NAN]), None);
    // (1, 3): mean 2, squares 1 + 1, / (2 - 1) → √2.
    assert!(close(std(&[1.0, 3.0]).unwrap(), 2f64.sqrt(), 1e-12));
    // (2, 4, 4, 4, 5, 5, 7, 9): sum of squares 32, / 7.
    let s = std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
    assert!(close(s, (32.0f64 / 7.0).sqrt(), 1e-12), "{s}");
    // Non-finite values are dropped before counting.
    assert!(close(
        std(&[1.0, f64::INFINITY, 3.0]).unwrap(),
        2f64.sqrt(),
        1e-12
    ));
}

#[test]
fn t_quantile_matches_the_table_and_the_expansion_beyond_it() {
    // Student's t, two-sided 95%, from any statistics table.
    for (df, t) in [
        (2, 4.303),
        (3, 3.182),
        (5, 2.571),
        (10, 2.228),
        (29, 2.045),
        (30, 2.042),
    ] {
        assert!(close(t975(df), t, 1e-9), "df {df}: {}", t975(df));
    }
    assert_eq!(t975(0), f64::INFINITY);
    // Beyond the table: the Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5 to 1/n².
    let z = 1.959_964f64;
    let expansion = |n: f64| {
        let g1 = (z.powi(3) + z) / 4.0;
        let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
        z + g1 / n + g2 / (n * n)
    };
    for df in [31usize, 45, 1000] {
        let got = t975(df);
        assert!(close(got, expansion(df as f64), 1e-12), "df {df}: {got}");
    }
    // …which is within 1e-3 of the exact quantiles (R's qt(0.975, df)).
    for (df, t) in [
        (31, 2.039513),
        (40, 2.021075),
        (60, 2.000298),
        (120, 1.979930),
    ] {
        assert!(close(t975(df), t, 2e-4), "df {df}: {}", t975(df));
    }
}

#[test]
fn estimate_counts_only_finite_values() {
    let e = Estimate::of(&[1.0, f64::NAN, 3.0]).unwrap();
    assert_eq!(e.n, 2);
    assert!(close(e.mean, 2.0, 1e-12));
    // 2 ± t(1) · √2 / √2
    let (lo, hi) = e.ci.unwrap();
    assert!(
        close(lo, 2.0 - 12.706, 1e-9) && close(hi, 2.0 + 12.706, 1e-9),
        "{lo} {hi}"
    );
    let e = Estimate::of(&[5.0]).unwrap();
    assert_eq!((e.n, e.mean, e.std, e.ci), (1, 5.0, None, None));
}

#[test]
fn interval_on_either_side_of_zero_excludes_it() {
    let with = |lo: f64, hi: f64| Estimate {
        n: 3,
        mean: (lo + hi) / 2.0,
        std: Some(1.0),
        ci: Some((lo, hi)),
    };
    assert_eq!(with(0.1, 0.5).ci_excludes_zero(), Some(true));
    assert_eq!(with(-0.5, -0.1).ci_excludes_zero(), Some(true));
    assert_eq!(with(-0.1, 0.1).ci_excludes_zero(), Some(false));
    // An interval that touches zero does not exclude it.
    assert_eq!(with(0.0, 1.0).ci_excludes_zero(), Some(false));
    assert_eq!(with(-1.0, 0.0).ci_excludes_zero(), Some(false));
}
