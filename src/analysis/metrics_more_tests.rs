//! The per-trainer metrics at the level of values, each rule pinned on both sides of its
//! boundary, and `JobMetrics::of` on a crafted record (see docs/testing.md).

use super::*;
use crate::metric::{Layer, LayerMetric, Metric};
use crate::runs::record::MetricRow;
use crate::train::JobId;

/// `(step, epoch, value)` with steps 10 apart and epochs 0.5 apart.
fn s(v: &[f64]) -> Vec<(u64, f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(i, &x)| (i as u64 * 10, i as f64 * 0.5, x))
        .collect()
}

fn record(rows: &[(Metric, &[(u64, f64)])]) -> JobRecord {
    let mut j = JobRecord::new(
        JobId {
            variant: Variant::Bn,
            seed: 4,
            point: 1,
        },
        Some(0.25),
    );
    for (metric, pts) in rows {
        j.push_rows(pts.iter().map(|&(step, value)| MetricRow {
            step,
            epoch: step as f64 / 100.0,
            metric: *metric,
            value,
        }));
    }
    j
}

#[test]
fn reach_is_the_first_point_at_or_above() {
    let x = s(&[0.5, 0.9, 0.95, 0.9]);
    assert_eq!(
        reach(&x, 0.9),
        Some(Reach {
            step: 10,
            epoch: 0.5
        })
    );
    assert_eq!(reach(&x, 0.95).unwrap().step, 20);
    assert_eq!(reach(&x, 0.96), None);
}

#[test]
fn area_weights_by_epoch_and_skips_non_finite_points() {
    // Two points are enough: (0.5 − 0) · (2 + 4) / 2.
    assert_eq!(area(&s(&[2.0, 4.0])), Some(1.5));
    // Uneven epochs: (1 − 0) · (1 + 3) / 2 + (4 − 1) · (3 + 1) / 2 = 8.
    let uneven = [
        (0, 0.0, 1.0),
        (5, 1.0, 3.0),
        (9, 2.5, f64::NAN),
        (20, 4.0, 1.0),
    ];
    assert_eq!(area(&uneven), Some(8.0));
    assert_eq!(area(&s(&[1.0, f64::NAN])), None);
    assert_eq!(area(&[]), None);
}

#[test]
fn tail_is_a_fifth_of_the_series_but_at_least_five_points() {
    let v: Vec<f64> = (0..50).map(f64::from).collect();
    let t = tail(&s(&v)).to_vec();
    assert_eq!(t.len(), 10);
    assert_eq!(t[0].2, 40.0);
    assert_eq!(tail(&s(&v[..12])).len(), 5);
    assert_eq!(tail(&s(&v[..26])).len(), 6);
    assert_eq!(tail(&s(&v[..3])).len(), 3);
}

#[test]
fn tail_std_needs_five_finite_points_in_the_window() {
    let five = [1.0, 2.0, 3.0, 4.0, 5.0];
    let want = super::super::stats::std(&five).unwrap();
    assert_eq!(tail_std(&s(&five)), Some(want));
    assert_eq!(tail_std(&s(&five[..4])), None);
    let mut long: Vec<f64> = (0..20).map(f64::from).collect();
    long[18] = f64::NAN;
    assert_eq!(tail_std(&s(&long)), None);
}

/// The fluctuation written the textbook way: least squares from raw sums, then the residual
/// standard deviation with n − 2 degrees of freedom.
fn reference_fluctuation(pts: &[(u64, f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for p in pts {
        let (x, y) = (p.0 as f64, p.2.ln());
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    let icpt = (sy - slope * sx) / n;
    let ss: f64 = pts
        .iter()
        .map(|p| (p.2.ln() - icpt - slope * p.0 as f64).powi(2))
        .sum();
    (ss / (n - 2.0)).sqrt()
}

#[test]
fn log_fluctuation_matches_a_least_squares_reference() {
    // Uneven steps and an irregular wobble around a falling trend.
    let wobble = [0.0, 0.3, -0.2, 0.1, -0.4, 0.25, 0.05];
    let pts: Vec<(u64, f64, f64)> = wobble
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let step = (i * i * 7 + 3 * i) as u64;
            (step, 0.0, (1.5 - 0.01 * step as f64 + w).exp())
        })
        .collect();
    let got = log_fluctuation(&pts).unwrap();
    // Seven points: the window is the last five.
    let want = reference_fluctuation(&pts[2..]);
    assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    assert!(want > 0.1, "{want}");
    // Five points are enough, four are not.
    assert!(log_fluctuation(&pts[..5]).is_some());
    assert!(log_fluctuation(&pts[..4]).is_none());
    // Every point at one step: no trend to fit, the spread around the mean is what is left.
    let same: Vec<(u64, f64, f64)> = [1.0f64, 2.0, 4.0, 2.0, 1.0]
        .iter()
        .map(|&v| (7, 0.0, v))
        .collect();
    let ln: Vec<f64> = same.iter().map(|p| p.2.ln()).collect();
    let m = ln.iter().sum::<f64>() / 5.0;
    let want = (ln.iter().map(|y| (y - m).powi(2)).sum::<f64>() / 3.0).sqrt();
    let got = log_fluctuation(&same).unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    // An infinite value in the window has no logarithm to fit.
    let mut inf = pts.clone();
    inf[6].2 = f64::INFINITY;
    assert_eq!(log_fluctuation(&inf), None);
}

#[test]
fn spike_steps_and_ties() {
    // Never rose: the factor is 1 from the second point on.
    let sp = max_spike(&s(&[3.0, 2.0, 1.0])).unwrap();
    assert_eq!((sp.rise, sp.step), (1.0, 10));
    assert_eq!(max_spike(&s(&[1.0])), None);
    // The first of two equal rises is reported.
    let sp = max_spike(&s(&[2.0, 1.0, 1.5, 1.0, 1.5])).unwrap();
    assert_eq!((sp.rise, sp.step), (1.5, 20));
    // A running minimum of zero gives no factor.
    let sp = max_spike(&s(&[1.0, 0.0, 0.5])).unwrap();
    assert_eq!((sp.rise, sp.step), (1.0, 10));
}

#[test]
fn blowups_need_both_a_doubling_and_a_rise_relative_to_the_start() {
    // Exactly double, and a rise of half the start: one.
    assert_eq!(blowups(&s(&[1.0, 0.5, 1.0])), 1);
    // Up by 30% of the start, but not double: none.
    assert_eq!(blowups(&s(&[1.0, 0.8, 1.1])), 0);
    // Double, but up by exactly 20% of the start (0.2 · 5 = 1): none.
    assert_eq!(0.2 * 5.0, 1.0);
    assert_eq!(blowups(&s(&[5.0, 1.0, 2.0])), 0);
    assert_eq!(blowups(&s(&[5.0, 1.0, 2.5])), 1);
    // A rise of 0.25 over a start of 1, from a low of 0.25: one.
    assert_eq!(blowups(&s(&[1.0, 0.25, 0.5])), 1);
    // A NaN is a blow-up too, and ends the count.
    assert_eq!(blowups(&s(&[1.0, f64::NAN, 0.1, 5.0])), 1);
    assert_eq!(blowups(&s(&[1.0, 0.9])), 0);
}

#[test]
fn gap_needs_both_accuracies() {
    assert!((gap(Some(0.9), Some(0.85)).unwrap() - 0.05).abs() < 1e-12);
    assert!((gap(Some(0.8), Some(0.85)).unwrap() + 0.05).abs() < 1e-12);
    assert_eq!(gap(None, Some(0.8)), None);
    assert_eq!(gap(Some(0.8), None), None);
    assert_eq!(gap(Some(f64::INFINITY), Some(0.8)), None);
}

#[test]
fn run_mean_late_half_starts_at_the_middle() {
    let m = run_mean(&s(&[4.0, 2.0, 6.0, 1.0, 3.0])).unwrap();
    assert!((m.all - 3.2).abs() < 1e-12);
    assert!((m.late.unwrap() - 10.0 / 3.0).abs() < 1e-12);
    assert_eq!(m.non_finite, 0);
}

#[test]
fn landscape_reads_the_three_probe_series() {
    let j = record(&[
        (Metric::SmoothLossRange, &[(10, 1.0), (20, 3.0)]),
        (Metric::SmoothGradChange, &[(10, 5.0), (20, 7.0)]),
        (Metric::SmoothBeta, &[(10, 9.0), (20, 11.0)]),
    ]);
    let l = Landscape::of(&j);
    let all = [l.loss_range, l.grad_change, l.beta].map(|r| r.map(|r| (r.all, r.late)));
    assert_eq!(
        all,
        [
            Some((2.0, Some(3.0))),
            Some((6.0, Some(7.0))),
            Some((10.0, Some(11.0)))
        ]
    );
}

#[test]
fn gradient_ratio_pairs_steps_and_averages_the_tail() {
    let l1 = LayerMetric::GradNorm.of(Layer::Hidden(1));
    let out = LayerMetric::GradNorm.of(Layer::Out);
    // Ratios at steps 0..50: 1, 2, 3, 4, 5, 6; the tail is the last five (mean 4). Step 60
    // has no output norm, step 70 a zero one: neither gives a ratio.
    let first: Vec<(u64, f64)> = (0..8).map(|i| (i * 10, 2.0 * (i + 1) as f64)).collect();
    let mut last: Vec<(u64, f64)> = (0..6).map(|i| (i * 10, 2.0)).collect();
    last.push((65, 1.0));
    last.push((70, 0.0));
    let j = record(&[(l1, &first), (out, &last)]);
    let got = JobMetrics::of(&j).grad_ratio.unwrap();
    assert!((got - 4.0).abs() < 1e-12, "{got}");
}

#[test]
fn preact_drift_follows_the_last_probed_layer() {
    let p1 = LayerMetric::UnitP50.of(Layer::Hidden(1));
    let p2 = LayerMetric::UnitP50.of(Layer::Hidden(2));
    let j = record(&[
        (p1, &[(0, -9.0), (10, 9.0)]),
        (p2, &[(0, 0.5), (10, 2.0), (20, f64::NAN), (30, -1.0)]),
    ]);
    assert_eq!(
        JobMetrics::of(&j).preact_drift,
        Some((Layer::Hidden(2), 3.0))
    );
    let one = record(&[(p2, &[(0, 0.5)])]);
    assert_eq!(JobMetrics::of(&one).preact_drift, None);
    let two = record(&[(p2, &[(0, 0.5), (10, 0.25)])]);
    assert_eq!(
        JobMetrics::of(&two).preact_drift,
        Some((Layer::Hidden(2), 0.25))
    );
}

#[test]
fn job_metrics_of_a_crafted_record() {
    let loss: Vec<(u64, f64)> = (0..10)
        .map(|i| (i * 10 + 10, 2.0 / (i + 1) as f64))
        .collect();
    let mut j = record(&[
        (Metric::TrainLoss, &loss),
        (Metric::ValAcc, &[(50, 0.8), (100, 0.95)]),
        (Metric::TrainAcc, &[(100, 0.99)]),
    ]);
    j.status = Status::Finished;
    j.step = 100;
    let m = JobMetrics::of(&j);
    assert_eq!(
        (m.variant, m.seed, m.point, m.point_value),
        (Variant::Bn, 4, 1, Some(0.25))
    );
    assert_eq!(m.tail_steps, Some((60, 100)));
    assert_eq!(
        m.reached(0),
        Some(Reach {
            step: 100,
            epoch: 1.0
        })
    );
    assert_eq!(m.reached(2), None);
    assert!((m.gap.unwrap() - 0.04).abs() < 1e-12);
    assert_eq!(m.val_loss_area, None);
    assert!(!m.diverged() && !m.did_not_learn());
    let empty = JobMetrics::of(&record(&[]));
    assert_eq!(empty.tail_steps, None);
    assert!(empty.did_not_learn());
}

#[test]
fn divergence_and_chance_level() {
    let mut m = crate::analysis::test_job(Variant::Plain, 1, CHANCE_BAND);
    // Exactly at the band has learned something.
    assert!(!m.did_not_learn());
    m.final_val_acc = Some((100, 0.19));
    assert!(m.did_not_learn());
    m.final_val_acc = Some((100, 0.5));
    assert!(!m.did_not_learn());
    assert!(!m.diverged());
    m.status = Status::Diverged;
    assert!(m.diverged());
}
