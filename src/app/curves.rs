//! Turning a run's metric rows into drawable curves: the x-axis mapping and the mean over
//! seeds with its band. The index lives in `series_index`, the curve arithmetic in
//! `analysis::smoothing`; both are re-exported here for the screens.
//! The record bounds how many points it keeps; these functions only ever read it.

use super::Pick;
use crate::analysis::metrics::gap;
use crate::metric::Metric;
use crate::model::Variant;
use crate::runs::{JobRecord, RunRecord};

pub use super::series_index::{last, recent, Clock, SeriesIndex};
pub use crate::analysis::smoothing::{bounds, decimate, log10, smooth, SmoothCache};

/// What the x-axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Steps,
    Epochs,
    Time,
}

impl XAxis {
    pub fn next(self) -> Self {
        match self {
            XAxis::Steps => XAxis::Epochs,
            XAxis::Epochs => XAxis::Time,
            XAxis::Time => XAxis::Steps,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            XAxis::Steps => "steps",
            XAxis::Epochs => "epochs",
            XAxis::Time => "seconds",
        }
    }
}

/// The jobs drawn as one curve: one variant at one sweep point, all seeds.
pub fn group(record: &RunRecord, variant: Variant, point: usize) -> Vec<usize> {
    record
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.id.variant == variant && j.id.point == point)
        .map(|(i, _)| i)
        .collect()
}

/// Variants present in the run, in config order.
pub fn variants(record: &RunRecord) -> Vec<Variant> {
    let mut out: Vec<Variant> = record.config.variants.clone();
    for j in &record.jobs {
        if !out.contains(&j.id.variant) {
            out.push(j.id.variant);
        }
    }
    out
}

/// Number of sweep points (1 without a sweep).
pub fn points(record: &RunRecord) -> usize {
    record
        .jobs
        .iter()
        .map(|j| j.id.point + 1)
        .max()
        .unwrap_or(1)
        .max(record.config.sweep.as_ref().map_or(1, |s| s.values.len()))
}

/// Lowest and highest seed at each point.
pub type Band = (Vec<(f64, f64)>, Vec<(f64, f64)>);

/// A curve and, with several seeds, the band between the lowest and highest seed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Curve {
    pub mean: Vec<(f64, f64)>,
    pub band: Option<Band>,
    /// Each seed's own series, when there are several.
    pub seeds: Vec<Vec<(f64, f64)>>,
}

fn x_of(job: &JobRecord, clock: Option<&Clock>, step: u64, epoch: f64, axis: XAxis) -> f64 {
    match axis {
        XAxis::Steps => step as f64,
        XAxis::Epochs => epoch,
        XAxis::Time => match clock {
            Some(c) if !c.is_empty() => c.at(step),
            _ => Clock::linear(job.step, job.elapsed_s).at(step),
        },
    }
}

/// One job's values of `pick` against `axis`, in measuring order.
pub fn job_series(
    record: &RunRecord,
    index: &SeriesIndex,
    clocks: &[Clock],
    j: usize,
    pick: Pick,
    axis: XAxis,
) -> Vec<(f64, f64)> {
    let job = &record.jobs[j];
    let x = |step: u64, epoch: f64| x_of(job, clocks.get(j), step, epoch, axis);
    match pick {
        Pick::Metric(metric) => {
            let col = index.column(j, metric);
            col.step
                .iter()
                .zip(&col.epoch)
                .zip(&col.value)
                .map(|((&s, &e), &v)| (x(s, e), v))
                .collect()
        }
        Pick::Gap => {
            // Both are measured at the same evaluation steps; pair them by step.
            let (tr, va) = (
                index.column(j, Metric::TrainEvalAcc),
                index.column(j, Metric::ValAcc),
            );
            let mut out = Vec::new();
            let mut i = 0;
            for k in 0..va.len() {
                while i < tr.len() && tr.step[i] < va.step[k] {
                    i += 1;
                }
                if i < tr.len() && tr.step[i] == va.step[k] {
                    if let Some(g) = gap(Some(tr.value[i]), Some(va.value[k])) {
                        out.push((x(va.step[k], va.epoch[k]), g));
                    }
                }
            }
            out
        }
    }
}

/// The metric of a group of jobs: per-index mean over seeds, plus min/max band with 2+ seeds.
pub fn curve(
    record: &RunRecord,
    index: &SeriesIndex,
    clocks: &[Clock],
    jobs: &[usize],
    metric: Metric,
    axis: XAxis,
) -> Curve {
    curve_of(record, index, clocks, jobs, Pick::Metric(metric), axis)
}

/// [`curve`] of any pickable series; with 2+ seeds the seeds' own series are kept too, for
/// drawing them faintly under the mean.
pub fn curve_of(
    record: &RunRecord,
    index: &SeriesIndex,
    clocks: &[Clock],
    jobs: &[usize],
    pick: Pick,
    axis: XAxis,
) -> Curve {
    let series: Vec<Vec<(f64, f64)>> = jobs
        .iter()
        .map(|&j| job_series(record, index, clocks, j, pick, axis))
        .collect();
    match series.len() {
        0 => Curve::default(),
        1 => Curve {
            mean: series.into_iter().next().unwrap_or_default(),
            ..Curve::default()
        },
        _ => {
            let n = series.iter().map(Vec::len).max().unwrap_or(0);
            let mut mean = Vec::with_capacity(n);
            let mut lo = Vec::with_capacity(n);
            let mut hi = Vec::with_capacity(n);
            for k in 0..n {
                let mut x = None;
                let (mut s, mut c, mut mn, mut mx) =
                    (0.0, 0usize, f64::INFINITY, f64::NEG_INFINITY);
                for p in series.iter().filter_map(|s| s.get(k)) {
                    x.get_or_insert(p.0);
                    if p.1.is_finite() {
                        s += p.1;
                        c += 1;
                        mn = mn.min(p.1);
                        mx = mx.max(p.1);
                    }
                }
                let (Some(x), true) = (x, c > 0) else {
                    continue;
                };
                mean.push((x, s / c as f64));
                lo.push((x, mn));
                hi.push((x, mx));
            }
            Curve {
                mean,
                band: Some((lo, hi)),
                seeds: series,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_seeds_give_the_mean_and_a_min_max_band() {
        use crate::runs::DataInfo;
        use crate::train::{Event, JobId, RunConfig};
        let config = RunConfig {
            seeds: 2,
            variants: vec![Variant::Bn],
            ..RunConfig::default()
        };
        let mut rec = RunRecord::new(config, DataInfo::default());
        for (seed, v) in [(1u64, 0.2), (2, 0.4)] {
            rec.apply(&Event::Metrics {
                id: JobId {
                    variant: Variant::Bn,
                    seed,
                    point: 0,
                },
                step: 10,
                epoch: 0.1,
                values: vec![(Metric::ValAcc, v)],
            });
        }
        let ix = SeriesIndex::build(&rec);
        let jobs = group(&rec, Variant::Bn, 0);
        assert_eq!(jobs.len(), 2);
        let c = curve(&rec, &ix, &[], &jobs, Metric::ValAcc, XAxis::Steps);
        assert_eq!(c.mean.len(), 1);
        assert!((c.mean[0].1 - 0.3).abs() < 1e-12);
        let (lo, hi) = c.band.unwrap();
        assert_eq!((lo[0].1, hi[0].1), (0.2, 0.4));
    }
}
