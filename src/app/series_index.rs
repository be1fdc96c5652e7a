//! The run's metric rows as contiguous columns per job and metric, extended as rows arrive,
//! and each job's clock (step to seconds of training), for drawing without rescanning.

use std::collections::HashMap;

use crate::metric::{LayerMetric, Metric};
use crate::runs::RunRecord;

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

    /// Every metric some job has recorded: the whole-network ones first, in the order
    /// trainers report them, then the per-layer ones by name.
    pub fn metrics(&self) -> Vec<Metric> {
        let mut v: Vec<Metric> = self
            .jobs
            .iter()
            .flat_map(|j| j.by_metric.iter().filter(|(_, c)| !c.is_empty()))
            .map(|(m, _)| *m)
            .collect();
        v.sort_by_key(|m| {
            let scalar = Metric::SCALARS.iter().position(|s| s == m);
            (scalar.unwrap_or(usize::MAX), *m)
        });
        v.dedup();
        v
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
    use crate::model::Variant;

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
