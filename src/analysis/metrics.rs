//! Comparison metrics of one trainer, computed from its logged curves.
//! One module used by the CLI, the UI and the report, so they never disagree.

use crate::metric::{Layer, LayerMetric, Metric};
use crate::model::Variant;
use crate::runs::JobRecord;
use crate::train::Status;

/// `(step, epoch, value)` points of one metric, in step order.
pub type Series = [(u64, f64, f64)];

/// Validation-accuracy levels whose first crossing measures convergence speed.
pub const THRESHOLDS: [f64; 3] = crate::metric::ACC_THRESHOLDS;

/// Share of the logged training loss, at the end, over which stability is measured.
pub const TAIL_FRACTION: f64 = 0.2;
/// Fewest logged points in the stability window.
pub const TAIL_MIN_POINTS: usize = 5;
/// A blow-up: the logged loss at least doubles its lowest earlier value and rises above it by
/// more than this share of the series' first value. Relative to the start, so that a net whose
/// loss is a scaled copy of another's has the same blow-ups, and a loss of 0.001 doubling to
/// 0.002 (ordinary noise near zero) is not one.
pub const BLOWUP_MIN_RISE: f64 = 0.2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    pub step: u64,
    pub epoch: f64,
}

/// First point at which `series` reached `threshold`.
pub fn reach(series: &Series, threshold: f64) -> Option<Reach> {
    series.iter().find(|p| p.2 >= threshold).map(|p| Reach {
        step: p.0,
        epoch: p.1,
    })
}

/// Area under the curve against epochs (trapezoids), over finite points only.
pub fn area(series: &Series) -> Option<f64> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .filter(|p| p.2.is_finite())
        .map(|p| (p.1, p.2))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    Some(
        pts.windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
            .sum(),
    )
}

/// The trailing part of a series used to measure stability.
pub fn tail(series: &Series) -> &Series {
    let n = series.len();
    let k = ((n as f64 * TAIL_FRACTION).ceil() as usize)
        .max(TAIL_MIN_POINTS)
        .min(n);
    &series[n - k..]
}

/// Standard deviation of the values in the trailing window; `None` below the minimum points.
pub fn tail_std(series: &Series) -> Option<f64> {
    let t = tail(series);
    if t.len() < TAIL_MIN_POINTS || t.iter().any(|p| !p.2.is_finite()) {
        return None;
    }
    let v: Vec<f64> = t.iter().map(|p| p.2).collect();
    super::stats::std(&v)
}

/// Fluctuation of a positive series relative to its level: the standard deviation of the
/// residuals of `ln(value)` around a straight line in the step (the trend a still-falling loss
/// has), over the trailing window. A loss that is `c` times another's has the same value, so
/// a net is not called less stable for having reached a lower loss. `None` below the minimum
/// points or with a non-positive value.
pub fn log_fluctuation(series: &Series) -> Option<f64> {
    let t = tail(series);
    if t.len() < TAIL_MIN_POINTS || t.iter().any(|p| !(p.2.is_finite() && p.2 > 0.0)) {
        return None;
    }
    let n = t.len() as f64;
    let xs: Vec<f64> = t.iter().map(|p| p.0 as f64).collect();
    let ys: Vec<f64> = t.iter().map(|p| p.2.ln()).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let ss: f64 = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
        .sum();
    // Two parameters were fitted.
    Some((ss / (n - 2.0)).sqrt())
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// The largest factor by which the loss rose above its lowest earlier value (1 = never
    /// rose; infinite for a non-finite loss). A factor, so it does not depend on the level.
    pub rise: f64,
    pub step: u64,
}

/// The largest rise of the series above its running minimum, as a factor.
pub fn max_spike(series: &Series) -> Option<Spike> {
    let mut low = f64::INFINITY;
    let mut best: Option<Spike> = None;
    for &(step, _, v) in series {
        if !v.is_finite() {
            return Some(Spike {
                rise: f64::INFINITY,
                step,
            });
        }
        if low.is_finite() && low > 0.0 {
            let rise = (v / low).max(1.0);
            if best.is_none_or(|b| rise > b.rise) {
                best = Some(Spike { rise, step });
            }
        }
        low = low.min(v);
    }
    best
}

/// Times the series entered a blow-up: at least double its lowest earlier value and more than
/// `BLOWUP_MIN_RISE` times its first value above it. A non-finite value counts as one.
pub fn blowups(series: &Series) -> usize {
    let first = series.first().map_or(f64::NAN, |p| p.2.abs());
    let mut low = f64::INFINITY;
    let mut inside = false;
    let mut count = 0;
    for &(_, _, v) in series {
        let up = !v.is_finite()
            || (low.is_finite() && v >= 2.0 * low && v - low > BLOWUP_MIN_RISE * first);
        if up && !inside {
            count += 1;
        }
        inside = up;
        if !v.is_finite() {
            break;
        }
        low = low.min(v);
    }
    count
}

/// Last finite value of a series with its step.
pub fn last(series: &Series) -> Option<(u64, f64)> {
    series
        .iter()
        .rev()
        .find(|p| p.2.is_finite())
        .map(|p| (p.0, p.2))
}

/// Best (highest) finite value with its step; the first step on ties.
pub fn best(series: &Series) -> Option<(u64, f64)> {
    series
        .iter()
        .filter(|p| p.2.is_finite())
        .fold(None, |acc: Option<(u64, f64)>, p| match acc {
            Some(a) if a.1 >= p.2 => Some(a),
            _ => Some((p.0, p.2)),
        })
}

/// Train accuracy minus validation accuracy at the end of training.
pub fn gap(final_train_acc: Option<f64>, final_val_acc: Option<f64>) -> Option<f64> {
    Some(final_train_acc? - final_val_acc?).filter(|g| g.is_finite())
}

/// Everything the report compares, for one trainer.
#[derive(Debug, Clone, PartialEq)]
pub struct JobMetrics {
    pub variant: Variant,
    pub seed: u64,
    pub point: usize,
    pub point_value: Option<f64>,
    pub status: Status,
    pub message: Option<String>,
    /// Last step measured.
    pub steps: u64,
    pub epochs: f64,
    /// First crossing of each of `THRESHOLDS`.
    pub reach: [Option<Reach>; 3],
    /// Area under the validation-loss curve in loss x epochs; `None` if training stopped early.
    pub val_loss_area: Option<f64>,
    pub final_val_acc: Option<(u64, f64)>,
    pub best_val_acc: Option<(u64, f64)>,
    pub final_val_loss: Option<(u64, f64)>,
    pub final_train_acc: Option<(u64, f64)>,
    pub final_train_loss: Option<(u64, f64)>,
    pub test_acc: Option<f64>,
    pub test_loss: Option<f64>,
    /// Final train accuracy minus final validation accuracy.
    pub gap: Option<f64>,
    /// Standard deviation of the logged training loss over the trailing window (in loss
    /// units: it shrinks with the loss level, so verdicts use `loss_log_fluct`).
    pub loss_tail_std: Option<f64>,
    /// Fluctuation of the training loss relative to its level (`log_fluctuation`).
    pub loss_log_fluct: Option<f64>,
    /// Steps covered by the trailing window.
    pub tail_steps: Option<(u64, u64)>,
    pub spike: Option<Spike>,
    pub blowups: usize,
    pub elapsed_s: f64,
    pub samples_per_sec: f64,
    /// First-layer over output-layer gradient norm (`grad_norm.l1 / grad_norm.out`), mean over
    /// the trailing window of probes: how much of the gradient reaches the bottom of the net.
    pub grad_ratio: Option<f64>,
    /// Range (max - min) of the median input of the probed unit of the last hidden layer over
    /// training (`unit_p50.lN`), with the layer name: how far its distribution moved.
    pub preact_drift: Option<(Layer, f64)>,
    /// The tracked unit's bands, relative to their own width (`probes::unit_bands`).
    pub unit_bands: Option<super::probes::UnitBands>,
    /// First-layer over last-layer relative gradient (`probes::relative_grad_ratio`).
    pub rel_grad_ratio: Option<f64>,
    /// Relative gradient at the first probe (`probes::init_relative_grad`).
    pub init_rel_grad: Option<f64>,
    /// Last inference-mode accuracy on the fixed training subset, when measured.
    pub final_train_eval_acc: Option<(u64, f64)>,
    /// Loss-landscape probes along −g (`smooth_loss_range`, `smooth_grad_change`,
    /// `smooth_beta`), when the run measured them.
    pub landscape: Landscape,
    /// The literature experiments' probes (gradients at init, ICS), when measured.
    pub probes: super::probes::Probes,
}

/// A probe metric averaged over the run and over its second half.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunMean {
    /// Mean over every finite probe.
    pub all: f64,
    /// Mean over the finite probes of the second half (by index) of the probes; `None` when
    /// all of those were non-finite.
    pub late: Option<f64>,
    /// Probes that gave a non-finite value (a step along −g that blew the loss up).
    pub non_finite: usize,
}

/// Santurkar et al.'s three measures of the landscape along the gradient; smaller is smoother.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Landscape {
    pub loss_range: Option<RunMean>,
    pub grad_change: Option<RunMean>,
    pub beta: Option<RunMean>,
}

/// Mean of a probe series over the run and over its second half; `None` without a finite value.
pub fn run_mean(series: &Series) -> Option<RunMean> {
    // stats::mean skips non-finite values; they are counted separately.
    let mean = |s: &Series| super::stats::mean(&s.iter().map(|p| p.2).collect::<Vec<_>>());
    Some(RunMean {
        all: mean(series)?,
        late: mean(&series[series.len() / 2..]),
        non_finite: series.iter().filter(|p| !p.2.is_finite()).count(),
    })
}

impl Landscape {
    pub fn of(job: &JobRecord) -> Self {
        Self {
            loss_range: run_mean(&job.series(Metric::SmoothLossRange)),
            grad_change: run_mean(&job.series(Metric::SmoothGradChange)),
            beta: run_mean(&job.series(Metric::SmoothBeta)),
        }
    }
}

fn grad_ratio(job: &JobRecord) -> Option<f64> {
    let first = job.series(LayerMetric::GradNorm.of(Layer::Hidden(1)));
    let out = job.series(LayerMetric::GradNorm.of(Layer::Out));
    let ratios: Vec<(u64, f64, f64)> = first
        .iter()
        .filter_map(|a| {
            let b = out.iter().find(|b| b.0 == a.0)?;
            (b.2 > 0.0 && a.2.is_finite()).then(|| (a.0, a.1, a.2 / b.2))
        })
        .collect();
    let t = tail(&ratios);
    super::stats::mean(&t.iter().map(|p| p.2).collect::<Vec<_>>())
}

fn preact_drift(job: &JobRecord) -> Option<(Layer, f64)> {
    // The paper's Figure 1 follows one unit (`unit_p50`), not the whole layer (`preact_p50`).
    let layer = (1..=20)
        .rev()
        .map(Layer::Hidden)
        .find(|&l| job.last(LayerMetric::UnitP50.of(l)).is_some())?;
    let s = job.series(LayerMetric::UnitP50.of(layer));
    let v: Vec<f64> = s.iter().map(|p| p.2).filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    Some((layer, hi - lo))
}

impl JobMetrics {
    pub fn of(job: &JobRecord) -> Self {
        let val_acc = job.series(Metric::ValAcc);
        let val_loss = job.series(Metric::ValLoss);
        let train_loss = job.series(Metric::TrainLoss);
        let train_acc = job.series(Metric::TrainAcc);
        let final_train_acc = last(&train_acc);
        let final_val_acc = last(&val_acc);
        let stopped_early = matches!(
            job.status,
            Status::Diverged | Status::Failed | Status::Interrupted
        );
        let t = tail(&train_loss);
        let epochs = job.rows.iter().map(|r| r.epoch).fold(0.0, f64::max);
        Self {
            variant: job.id.variant,
            seed: job.id.seed,
            point: job.id.point,
            point_value: job.point_value,
            status: job.status,
            message: job.message.clone(),
            steps: job.step,
            epochs,
            reach: THRESHOLDS.map(|th| reach(&val_acc, th)),
            val_loss_area: if stopped_early { None } else { area(&val_loss) },
            final_val_acc,
            best_val_acc: best(&val_acc),
            final_val_loss: last(&val_loss),
            final_train_acc,
            final_train_loss: last(&train_loss),
            test_acc: job.last(Metric::TestAcc).filter(|v| v.is_finite()),
            test_loss: job.last(Metric::TestLoss).filter(|v| v.is_finite()),
            // Measured like validation accuracy when the run asked for it; otherwise the mean
            // over the last log interval, in training mode.
            gap: gap(
                last(&job.series(Metric::TrainEvalAcc))
                    .or(final_train_acc)
                    .map(|p| p.1),
                final_val_acc.map(|p| p.1),
            ),
            loss_tail_std: tail_std(&train_loss),
            loss_log_fluct: log_fluctuation(&train_loss),
            tail_steps: (!t.is_empty()).then(|| (t[0].0, t[t.len() - 1].0)),
            spike: max_spike(&train_loss),
            blowups: blowups(&train_loss),
            elapsed_s: job.elapsed_s,
            samples_per_sec: job.samples_per_sec,
            grad_ratio: grad_ratio(job),
            preact_drift: preact_drift(job),
            unit_bands: super::probes::unit_bands(job),
            rel_grad_ratio: super::probes::relative_grad_ratio(job),
            init_rel_grad: super::probes::init_relative_grad(job),
            final_train_eval_acc: last(&job.series(Metric::TrainEvalAcc)),
            landscape: Landscape::of(job),
            probes: super::probes::Probes::of(job),
        }
    }

    pub fn reached(&self, threshold_index: usize) -> Option<Reach> {
        self.reach[threshold_index]
    }

    /// Stopped by divergence (NaN/inf loss or a loss that stayed far above its start).
    pub fn diverged(&self) -> bool {
        self.status == Status::Diverged
    }

    /// Ended at or near chance level (10 classes), whatever its status.
    pub fn did_not_learn(&self) -> bool {
        self.final_val_acc.is_none_or(|(_, a)| a < CHANCE_BAND)
    }
}

/// Chance accuracy: one of the ten balanced classes.
pub const CHANCE: f64 = 1.0 / crate::data::CLASSES as f64;

/// Final validation accuracy below this counts as "did not learn" (chance is 10%).
pub const CHANCE_BAND: f64 = 0.2;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[f64]) -> Vec<(u64, f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| (i as u64 * 10, i as f64 * 0.5, x))
            .collect()
    }

    #[test]
    fn area_is_trapezoids_over_epochs() {
        // epochs 0, .5, 1: (1+1)/2*.5 + (1+0)/2*.5 = .75
        assert!((area(&s(&[1.0, 1.0, 0.0])).unwrap() - 0.75).abs() < 1e-12);
        assert_eq!(area(&s(&[1.0])), None);
    }

    #[test]
    fn spike_is_rise_above_running_minimum() {
        let sp = max_spike(&s(&[2.0, 1.0, 1.5, 0.5, 0.7])).unwrap();
        assert!((sp.rise - 1.5).abs() < 1e-12);
        assert_eq!(sp.step, 20);
        assert_eq!(max_spike(&s(&[3.0, 2.0, 1.0])).unwrap().rise, 1.0);
        // A factor: the same for a loss at a tenth of the level.
        let low = max_spike(&s(&[0.2, 0.1, 0.15, 0.05, 0.07])).unwrap();
        assert!((low.rise - sp.rise).abs() < 1e-12);
        assert_eq!(max_spike(&s(&[1.0, f64::NAN])).unwrap().rise, f64::INFINITY);
    }

    #[test]
    fn blowups_count_entries_not_points() {
        assert_eq!(blowups(&s(&[1.0, 0.4, 1.5, 1.6, 0.3, 0.2, 1.0])), 2);
        // doubling from a loss that is tiny next to where it started is not a blow-up
        assert_eq!(blowups(&s(&[2.3, 0.05, 0.02, 0.06])), 0);
        // the rule is relative, so a scaled copy has the same blow-ups
        assert_eq!(blowups(&s(&[0.1, 0.04, 0.15, 0.16, 0.03, 0.02, 0.1])), 2);
        assert_eq!(blowups(&s(&[1.0, f64::INFINITY])), 1);
    }

    #[test]
    fn log_fluctuation_ignores_level_and_trend() {
        let noisy: Vec<f64> = (0..50)
            .map(|i| (2.0 - 0.02 * i as f64).exp() * if i % 2 == 0 { 1.1 } else { 0.9 })
            .collect();
        let f = log_fluctuation(&s(&noisy)).unwrap();
        let scaled: Vec<f64> = noisy.iter().map(|x| x * 1e-3).collect();
        assert!((log_fluctuation(&s(&scaled)).unwrap() - f).abs() < 1e-12);
        // ±10% around the trend: the residual std is about ln(1.1) ≈ 0.1.
        assert!((0.08..0.12).contains(&f), "{f}");
        // A pure exponential decay has no fluctuation, however steep.
        let smooth: Vec<f64> = (0..50).map(|i| (-0.3 * i as f64).exp()).collect();
        assert!(log_fluctuation(&s(&smooth)).unwrap() < 1e-9);
        assert_eq!(log_fluctuation(&s(&[1.0, 0.0, 1.0, 1.0, 1.0, 1.0])), None);
    }

    #[test]
    fn tail_std_uses_trailing_window() {
        let v: Vec<f64> = (0..20)
            .map(|i| if i < 15 { 5.0 * i as f64 } else { 1.0 })
            .collect();
        // last 5 points are constant
        assert_eq!(tail_std(&s(&v)), Some(0.0));
        assert_eq!(tail_std(&s(&[1.0, 2.0])), None);
    }

    #[test]
    fn run_mean_splits_halves_and_counts_non_finite() {
        let m = run_mean(&s(&[4.0, 2.0, f64::INFINITY, 1.0, 3.0])).unwrap();
        assert!((m.all - 2.5).abs() < 1e-12);
        // second half = probes 2.. : inf is skipped, (1 + 3) / 2
        assert!((m.late.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(m.non_finite, 1);
        assert_eq!(run_mean(&s(&[f64::NAN])), None);
        assert_eq!(run_mean(&s(&[])), None);
    }

    #[test]
    fn best_and_last_skip_non_finite() {
        let x = s(&[0.1, 0.9, 0.9, f64::NAN]);
        assert_eq!(best(&x), Some((10, 0.9)));
        assert_eq!(last(&x), Some((20, 0.9)));
    }
}

#[cfg(test)]
#[path = "metrics_more_tests.rs"]
mod more_tests;
