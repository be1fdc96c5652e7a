//! Turning a run's metric rows into drawable curves: an incremental index by metric, the
//! x-axis mapping, the mean over seeds, debiased smoothing and decimation for drawing.
//! The record bounds how many points it keeps; these functions only ever read it.

use std::collections::HashMap;

use crate::metric::{LayerMetric, Metric};
use crate::model::Variant;
use crate::runs::{JobRecord, RunRecord};

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

/// Each metric of each job as contiguous columns, extended as rows arrive, so a frame
/// reads a few dense arrays instead of scanning the whole record.
#[derive(Debug, Default, Clone)]
pub struct SeriesIndex {
    jobs: Vec<JobIndex>,
}

/// One metric of one job: steps, epochs and values in the order they were measured.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Column {
    pub step: Vec<u64>,
    pub epoch: Vec<f64>,
    pub value: Vec<f64>,
}

impl Column {
    pub fn len(&self) -> usize {
        self.value.len()
    }
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    fn clear(&mut self) {
        self.step.clear();
        self.epoch.clear();
        self.value.clear();
    }
}

static EMPTY: Column = Column {
    step: Vec::new(),
    epoch: Vec::new(),
    value: Vec::new(),
};

#[derive(Debug, Default, Clone)]
struct JobIndex {
    upto: usize,
    /// The record's thinning count when indexed; a change means the rows moved.
    thinned: u32,
    by_metric: HashMap<Metric, Column>,
}

impl SeriesIndex {
    pub fn build(record: &RunRecord) -> Self {
        let mut s = Self::default();
        s.update(record);
        s
    }

    /// Indexes rows added since the last call.
    pub fn update(&mut self, record: &RunRecord) {
        for i in 0..record.jobs.len() {
            self.update_job(record, i);
        }
    }

    pub fn update_job(&mut self, record: &RunRecord, job: usize) {
        if self.jobs.len() < record.jobs.len() {
            self.jobs.resize_with(record.jobs.len(), JobIndex::default);
        }
        let Some(rec) = record.jobs.get(job) else {
            return;
        };
        let (rows, ix) = (&rec.rows, &mut self.jobs[job]);
        if ix.thinned != rec.thinned() {
            ix.by_metric.values_mut().for_each(Column::clear);
            ix.upto = 0;
            ix.thinned = rec.thinned();
        }
        for r in rows.iter().skip(ix.upto) {
            let col = ix.by_metric.entry(r.metric).or_default();
            col.step.push(r.step);
            col.epoch.push(r.epoch);
            col.value.push(r.value);
        }
        ix.upto = rows.len();
    }

    pub fn column(&self, job: usize, metric: Metric) -> &Column {
        self.jobs
            .get(job)
            .and_then(|j| j.by_metric.get(&metric))
            .unwrap_or(&EMPTY)
    }

    /// Whether any job has recorded `kind` for some layer.
    pub fn has_layer_metric(&self, kind: LayerMetric) -> bool {
        self.jobs.iter().any(|j| {
            j.by_metric
                .keys()
                .any(|k| matches!(k, Metric::Layer(m, _) if *m == kind))
        })
    }
}

/// Step → seconds of training for one job, from the progress reports.
#[derive(Debug, Default, Clone)]
pub struct Clock {
    points: Vec<(u64, f64)>,
}

/// Clock entries kept at most; beyond this every other one is dropped, so memory stays bounded.
const CLOCK_CAP: usize = 4096;

impl Clock {
    pub fn push(&mut self, step: u64, elapsed_s: f64) {
        if self.points.last().is_some_and(|p| p.0 >= step) {
            return;
        }
        if self.points.len() >= CLOCK_CAP {
            let kept: Vec<_> = self.points.iter().copied().step_by(2).collect();
            self.points = kept;
        }
        self.points.push((step, elapsed_s));
    }

    /// A clock for a saved run, where only the total time is known: linear in steps.
    pub fn linear(steps: u64, elapsed_s: f64) -> Self {
        let mut c = Self::default();
        c.points.push((0, 0.0));
        if steps > 0 {
            c.points.push((steps, elapsed_s));
        }
        c
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Seconds at `step`, interpolated, extrapolated at the last known rate.
    pub fn at(&self, step: u64) -> f64 {
        let p = &self.points;
        match p.len() {
            0 => 0.0,
            1 => p[0].1 * step as f64 / (p[0].0.max(1)) as f64,
            _ => {
                let i = p.partition_point(|q| q.0 < step);
                let (a, b) = if i == 0 {
                    ((0, 0.0), p[0])
                } else if i >= p.len() {
                    (p[p.len() - 2], p[p.len() - 1])
                } else {
                    (p[i - 1], p[i])
                };
                if b.0 == a.0 {
                    return b.1;
                }
                a.1 + (b.1 - a.1) * (step as f64 - a.0 as f64) / (b.0 as f64 - a.0 as f64)
            }
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

/// The metric of a group of jobs: per-index mean over seeds, plus min/max band with 2+ seeds.
pub fn curve(
    record: &RunRecord,
    index: &SeriesIndex,
    clocks: &[Clock],
    jobs: &[usize],
    metric: Metric,
    axis: XAxis,
) -> Curve {
    let series: Vec<Vec<(f64, f64)>> = jobs
        .iter()
        .map(|&j| {
            let col = index.column(j, metric);
            match axis {
                XAxis::Steps => col
                    .step
                    .iter()
                    .zip(&col.value)
                    .map(|(&s, &v)| (s as f64, v))
                    .collect(),
                XAxis::Epochs => col
                    .epoch
                    .iter()
                    .copied()
                    .zip(col.value.iter().copied())
                    .collect(),
                XAxis::Time => {
                    let job = &record.jobs[j];
                    col.step
                        .iter()
                        .zip(&col.value)
                        .map(|(&s, &v)| (x_of(job, clocks.get(j), s, 0.0, axis), v))
                        .collect()
                }
            }
        })
        .collect();
    match series.len() {
        0 => Curve::default(),
        1 => Curve {
            mean: series.into_iter().next().unwrap_or_default(),
            band: None,
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
            }
        }
    }
}

/// Exponential moving average divided by `1 - beta^t`, so early values are not pulled
/// towards zero or towards the first value. Non-finite values are skipped.
pub fn smooth(points: &[(f64, f64)], beta: f64) -> Vec<(f64, f64)> {
    let beta = beta.clamp(0.0, 0.999);
    if beta <= 0.0 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(points.len());
    // s is the plain EMA; dividing by 1 - beta^t removes its pull towards 0. Once beta^t is
    // negligible the correction is 1, which saves a division per point on long series.
    let (mut s, mut bt) = (0.0, 1.0);
    for &(x, y) in points {
        if y.is_finite() {
            s = beta * s + (1.0 - beta) * y;
            if bt > 1e-15 {
                bt *= beta;
                out.push((x, s / (1.0 - bt)));
            } else {
                out.push((x, s));
            }
        }
    }
    out
}

/// Smoothed curves kept between frames: a growing series is smoothed only in its new
/// points, so a long live run does not pay for the whole series on every frame.
#[derive(Debug, Default)]
pub struct SmoothCache {
    map: std::cell::RefCell<HashMap<String, SmoothEntry>>,
}

impl Clone for SmoothCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

#[derive(Debug, Default)]
struct SmoothEntry {
    beta: f64,
    /// Input points consumed, and the last of them (to notice a changed series).
    n_in: usize,
    last_in: Option<(f64, f64)>,
    s: f64,
    bt: f64,
    out: Vec<(f64, f64)>,
}

impl SmoothCache {
    /// Calls `f` with `points` smoothed as [`smooth`] would, reusing earlier work when
    /// `points` extends what was smoothed under `key` before.
    pub fn with_smoothed<R>(
        &self,
        key: &str,
        points: &[(f64, f64)],
        beta: f64,
        f: impl FnOnce(&[(f64, f64)]) -> R,
    ) -> R {
        let beta = beta.clamp(0.0, 0.999);
        let mut map = self.map.borrow_mut();
        let e = map.entry(key.to_string()).or_default();
        let valid = e.beta == beta
            && e.n_in <= points.len()
            && (e.n_in == 0 || Some(points[e.n_in - 1]) == e.last_in);
        if !valid {
            *e = SmoothEntry {
                beta,
                bt: 1.0,
                ..SmoothEntry::default()
            };
        }
        for &(x, y) in &points[e.n_in..] {
            if y.is_finite() {
                e.s = beta * e.s + (1.0 - beta) * y;
                if e.bt > 1e-15 {
                    e.bt *= beta;
                    e.out.push((x, e.s / (1.0 - e.bt)));
                } else {
                    e.out.push((x, e.s));
                }
            }
        }
        e.n_in = points.len();
        e.last_in = points.last().copied();
        f(&e.out)
    }
}

/// At most about `2 * buckets` points that keep each bucket's lowest and highest value in
/// x order, so spikes survive and drawing cost no longer depends on the series length.
pub fn decimate(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(2 * buckets + 1);
    let per = points.len() as f64 / buckets as f64;
    for b in 0..buckets {
        let start = (b as f64 * per) as usize;
        let end = (((b + 1) as f64 * per) as usize).min(points.len());
        if start >= end {
            continue;
        }
        let chunk = &points[start..end];
        let (mut imin, mut imax) = (0, 0);
        let (mut vmin, mut vmax) = (chunk[0].1, chunk[0].1);
        for (i, p) in chunk.iter().enumerate().skip(1) {
            if p.1 < vmin {
                vmin = p.1;
                imin = i;
            } else if p.1 > vmax {
                vmax = p.1;
                imax = i;
            }
        }
        let (a, b) = (imin.min(imax), imin.max(imax));
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    if let (Some(l), Some(o)) = (points.last(), out.last()) {
        if l != o {
            out.push(*l);
        }
    }
    out
}

/// log10 of the positive values; others are dropped (a log axis cannot show them).
pub fn log10(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|p| p.1 > 0.0 && p.1.is_finite())
        .map(|&(x, y)| (x, y.log10()))
        .collect()
}

/// Axis bounds over several point sets, padded; a sane default when there is nothing.
pub fn bounds<'a>(
    sets: impl IntoIterator<Item = &'a [(f64, f64)]>,
    pad: bool,
) -> ([f64; 2], [f64; 2]) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for s in sets {
        for &(x, y) in s {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    if !x0.is_finite() {
        return ([0.0, 1.0], [0.0, 1.0]);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        let d = y0.abs().max(1e-3) * 0.05;
        y0 -= d;
        y1 += d;
    } else if pad {
        let d = (y1 - y0) * 0.05;
        y0 -= d;
        y1 += d;
    }
    ([x0, x1], [y0, y1])
}

/// The last `n` values of a metric of one job.
pub fn recent(index: &SeriesIndex, job: usize, metric: Metric, n: usize) -> Vec<f64> {
    let v = &index.column(job, metric).value;
    v[v.len().saturating_sub(n)..].to_vec()
}

/// The last value of a metric of one job, through the index.
pub fn last(index: &SeriesIndex, job: usize, metric: Metric) -> Option<f64> {
    index.column(job, metric).value.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debiased_ema_does_not_start_at_zero() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0)).collect();
        let s = smooth(&pts, 0.9);
        assert!(s.iter().all(|p| (p.1 - 2.0).abs() < 1e-12), "{s:?}");
    }

    #[test]
    fn index_follows_the_record_when_it_thins() {
        use crate::train::{Event, JobId, RunConfig};
        let id = JobId {
            variant: Variant::Plain,
            seed: 1,
            point: 0,
        };
        let mut record = RunRecord::new(RunConfig::default(), Default::default());
        let mut index = SeriesIndex::default();
        for step in 0..(crate::runs::record::SERIES_KEEP as u64 + 10) {
            record.apply(&Event::Metrics {
                id,
                step,
                epoch: 0.0,
                values: vec![(Metric::TrainLoss, step as f64)],
            });
            index.update_job(&record, 0);
        }
        assert!(record.jobs[0].thinned() > 0);
        let fresh = SeriesIndex::build(&record);
        assert_eq!(
            index.column(0, Metric::TrainLoss),
            fresh.column(0, Metric::TrainLoss)
        );
        assert_eq!(
            index.column(0, Metric::TrainLoss).len(),
            record.jobs[0].rows.len()
        );
    }

    #[test]
    fn cached_smoothing_matches_and_extends() {
        let pts: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, (i % 7) as f64)).collect();
        let cache = SmoothCache::default();
        let a = cache.with_smoothed("k", &pts[..400], 0.9, |s| s.to_vec());
        assert_eq!(a, smooth(&pts[..400], 0.9));
        let b = cache.with_smoothed("k", &pts, 0.9, |s| s.to_vec());
        let full = smooth(&pts, 0.9);
        assert_eq!(b.len(), full.len());
        assert!(b.iter().zip(&full).all(|(p, q)| (p.1 - q.1).abs() < 1e-12));
        // A different series under the same key starts over.
        let other: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1 + 1.0)).collect();
        let c = cache.with_smoothed("k", &other, 0.9, |s| s.to_vec());
        assert_eq!(c, smooth(&other, 0.9));
    }

    #[test]
    fn decimation_keeps_extremes_and_bounds_size() {
        let mut pts: Vec<(f64, f64)> = (0..50_000).map(|i| (i as f64, 1.0)).collect();
        pts[12_345].1 = 100.0;
        pts[40_000].1 = -5.0;
        let d = decimate(&pts, 200);
        assert!(d.len() <= 401);
        assert!(d.iter().any(|p| p.1 == 100.0));
        assert!(d.iter().any(|p| p.1 == -5.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
    }

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

    #[test]
    fn clock_interpolates_and_stays_bounded() {
        let mut c = Clock::default();
        for s in 1..=10_000u64 {
            c.push(s * 10, s as f64);
        }
        assert!(c.len() <= CLOCK_CAP);
        assert!((c.at(55) - 5.5).abs() < 0.2);
        assert_eq!(Clock::default().at(10), 0.0);
    }
}
