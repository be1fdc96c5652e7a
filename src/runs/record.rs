//! The in-memory form of a run: everything the trainers reported, per job, in order.
//! Both the headless CLI and the UI fold events into it; `runs::save` writes it out.

use crate::metric::Metric;
use crate::train::{BnUnit, Event, JobId, RunConfig, Status};

#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub step: u64,
    pub epoch: f64,
    pub metric: Metric,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub point_value: Option<f64>,
    pub status: Status,
    pub message: Option<String>,
    pub total_steps: u64,
    pub steps_per_epoch: u64,
    /// Last step reported.
    pub step: u64,
    pub elapsed_s: f64,
    pub samples_per_sec: f64,
    pub rows: Vec<MetricRow>,
    pub bn_unit: Option<BnUnit>,
    tally: Tally,
}

/// Points kept per whole-network metric (loss, accuracy, gradient norm) and per per-layer
/// probe metric. On reaching these, every other point of that metric is dropped, so an
/// hour-long run holds no more than a few minutes' worth and memory levels off. Twice the
/// trainers' cadence cap: the cadence doubles its interval every `cap` points and the record
/// halves every `cap` new points, so what is kept stays about evenly spaced. Runs of
/// ordinary length (the paper's 50,000 steps included) never reach these.
pub const SERIES_KEEP: usize = 2 * crate::train::cadence::SERIES_CAP as usize;
pub const LAYER_KEEP: usize = 2 * crate::train::cadence::PROBE_CAP as usize;

fn keep_limit(metric: Metric) -> usize {
    if metric.is_layer() {
        LAYER_KEEP
    } else {
        SERIES_KEEP
    }
}

/// How many points each metric holds, and how often the rows were thinned. Bookkeeping
/// derived from the rows, so it takes no part in equality.
#[derive(Debug, Clone, Default)]
struct Tally {
    counts: Vec<(Metric, usize)>,
    passes: u32,
}

impl PartialEq for Tally {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl JobRecord {
    pub fn new(id: JobId, point_value: Option<f64>) -> Self {
        Self {
            id,
            point_value,
            status: Status::Pending,
            message: None,
            total_steps: 0,
            steps_per_epoch: 1,
            step: 0,
            elapsed_s: 0.0,
            samples_per_sec: 0.0,
            rows: Vec::new(),
            bn_unit: None,
            tally: Tally::default(),
        }
    }

    /// How many times old points were thinned out; a reader that indexes `rows` rebuilds
    /// its index when this changes.
    pub fn thinned(&self) -> u32 {
        self.tally.passes
    }

    /// Appends rows, then thins every metric that reached its limit by dropping its
    /// odd-numbered points (its first and latest points stay). The choice depends only on
    /// the order of the rows, so the same seed still gives the same CSV.
    pub(crate) fn push_rows(&mut self, rows: impl Iterator<Item = MetricRow>) {
        let mut full = false;
        for r in rows {
            let counts = &mut self.tally.counts;
            let i = match counts.iter().position(|(n, _)| *n == r.metric) {
                Some(i) => i,
                None => {
                    counts.push((r.metric, 0));
                    counts.len() - 1
                }
            };
            counts[i].1 += 1;
            full |= counts[i].1 >= keep_limit(r.metric);
            self.rows.push(r);
        }
        if full {
            self.thin();
        }
    }

    fn thin(&mut self) {
        let counts = &mut self.tally.counts;
        let over: Vec<(usize, bool)> = counts
            .iter()
            .map(|(n, c)| (*c, *c >= keep_limit(*n)))
            .collect();
        let mut seen = vec![0usize; counts.len()];
        self.rows.retain(|r| {
            let Some(i) = counts.iter().position(|(n, _)| *n == r.metric) else {
                return true;
            };
            let (total, thin) = over[i];
            let k = seen[i];
            seen[i] += 1;
            !thin || k.is_multiple_of(2) || k + 1 == total
        });
        for (i, (_, c)) in counts.iter_mut().enumerate() {
            if over[i].1 {
                *c = (*c).div_ceil(2) + usize::from(c.is_multiple_of(2));
            }
        }
        self.tally.passes += 1;
    }

    /// `(step, epoch, value)` of one metric, in step order.
    pub fn series(&self, metric: Metric) -> Vec<(u64, f64, f64)> {
        self.rows
            .iter()
            .filter(|r| r.metric == metric)
            .map(|r| (r.step, r.epoch, r.value))
            .collect()
    }

    pub fn last(&self, metric: Metric) -> Option<f64> {
        self.rows
            .iter()
            .rev()
            .find(|r| r.metric == metric)
            .map(|r| r.value)
    }

    /// Fraction done, never above 1.
    pub fn progress(&self) -> f64 {
        if self.total_steps == 0 {
            0.0
        } else {
            (self.step as f64 / self.total_steps as f64).clamp(0.0, 1.0)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub config: RunConfig,
    /// Where the data came from and how it was split, for config.json.
    pub data_info: DataInfo,
    pub jobs: Vec<JobRecord>,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct DataInfo {
    pub origin: String,
    pub train: usize,
    pub val: usize,
    pub test: usize,
}

impl DataInfo {
    pub fn of(p: &crate::data::Prepared) -> Self {
        Self {
            origin: p.origin.clone(),
            train: p.train.len(),
            val: p.val.len(),
            test: p.test.len(),
        }
    }
}

impl RunRecord {
    pub fn new(config: RunConfig, data_info: DataInfo) -> Self {
        let jobs = config
            .jobs()
            .iter()
            .map(|j| JobRecord::new(j.id, j.point_value))
            .collect();
        Self {
            config,
            data_info,
            jobs,
        }
    }

    pub fn job(&self, id: JobId) -> Option<&JobRecord> {
        self.jobs.iter().find(|j| j.id == id)
    }

    fn job_mut(&mut self, id: JobId) -> &mut JobRecord {
        if let Some(i) = self.jobs.iter().position(|j| j.id == id) {
            return &mut self.jobs[i];
        }
        self.jobs.push(JobRecord::new(id, None));
        self.jobs.last_mut().expect("just pushed")
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &Event) {
        let job = self.job_mut(event.id());
        match event {
            Event::Started {
                total_steps,
                steps_per_epoch,
                point_value,
                ..
            } => {
                job.status = Status::Running;
                job.total_steps = *total_steps;
                job.steps_per_epoch = (*steps_per_epoch).max(1);
                job.point_value = *point_value;
            }
            Event::Metrics {
                step,
                epoch,
                values,
                ..
            } => {
                job.step = job.step.max(*step);
                job.push_rows(values.iter().map(|&(metric, value)| MetricRow {
                    step: *step,
                    epoch: *epoch,
                    metric,
                    value,
                }));
            }
            Event::Progress {
                step,
                elapsed_s,
                samples_per_sec,
                ..
            } => {
                job.step = job.step.max(*step);
                job.elapsed_s = *elapsed_s;
                job.samples_per_sec = *samples_per_sec;
            }
            Event::BnUnit { unit, .. } => job.bn_unit = Some(*unit),
            Event::Finished {
                status,
                step,
                message,
                elapsed_s,
                samples_per_sec,
                ..
            } => {
                job.status = *status;
                job.step = job.step.max(*step);
                job.message = message.clone();
                job.elapsed_s = *elapsed_s;
                job.samples_per_sec = *samples_per_sec;
            }
        }
    }

    pub fn all_final(&self) -> bool {
        self.jobs.iter().all(|j| j.status.is_final())
    }

    /// Marks every trainer that has not ended as interrupted (Ctrl-C, quit, stop).
    pub fn mark_interrupted(&mut self) {
        for j in &mut self.jobs {
            if !j.status.is_final() {
                j.status = Status::Interrupted;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Variant;

    fn job() -> JobId {
        JobId {
            variant: Variant::Bn,
            seed: 1,
            point: 0,
        }
    }

    /// A long run's events at the trainers' cadences: the loss from every 2 steps, a layer
    /// probe from every 10.
    const L1_GRAD: Metric = Metric::Layer(
        crate::metric::LayerMetric::GradNorm,
        crate::metric::Layer::Hidden(1),
    );

    fn long_run(steps: u64) -> (RunRecord, u64) {
        use crate::train::cadence::{Cadence, PROBE_CAP, SERIES_CAP};
        let mut r = RunRecord::new(RunConfig::default(), DataInfo::default());
        let (mut log, mut probe) = (Cadence::new(2, SERIES_CAP), Cadence::new(10, PROBE_CAP));
        let mut last = 0;
        for step in 1..=steps {
            let mut values = Vec::new();
            if log.due(step) {
                values.push((Metric::TrainLoss, step as f64));
                last = step;
            }
            if probe.due(step) {
                values.push((L1_GRAD, -(step as f64)));
            }
            if values.is_empty() {
                continue;
            }
            r.apply(&Event::Metrics {
                id: job(),
                step,
                epoch: 0.0,
                values,
            });
        }
        (r, last)
    }

    #[test]
    fn long_runs_keep_a_bounded_evenly_thinned_record() {
        let steps = 5_000_000;
        let (r, last) = long_run(steps);
        let j = r.job(job()).unwrap();
        let loss = j.series(Metric::TrainLoss);
        let probe = j.series(L1_GRAD);
        assert!(j.thinned() > 0);
        assert!(
            loss.len() < SERIES_KEEP && loss.len() >= SERIES_KEEP / 2,
            "{}",
            loss.len()
        );
        assert!(
            probe.len() < LAYER_KEEP && probe.len() >= LAYER_KEEP / 2,
            "{}",
            probe.len()
        );
        // The first and the latest points survive, in order, each with its own value.
        assert_eq!(loss[0].0, 2);
        assert_eq!(loss.last().unwrap().0, last);
        assert!(loss.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(loss.iter().all(|p| p.2 == p.0 as f64));
        assert!(probe.iter().all(|p| p.2 == -(p.0 as f64) && p.0 % 10 == 0));
        // About evenly spaced: the widest gap between kept points is a few times the
        // narrowest, not the thousandfold it would be without thinning.
        for s in [&loss, &probe] {
            let gaps: Vec<u64> = s.windows(2).map(|w| w[1].0 - w[0].0).collect();
            let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
            assert!(hi / lo <= 4, "gaps from {lo} to {hi}");
        }
        // The same events give the same rows.
        assert_eq!(r.jobs[0].rows, long_run(steps).0.jobs[0].rows);
    }

    #[test]
    fn short_runs_are_kept_whole() {
        let r = long_run(10_000).0;
        let j = r.job(job()).unwrap();
        assert_eq!(j.thinned(), 0);
        assert_eq!(j.series(Metric::TrainLoss).len(), 5_000);
        assert_eq!(j.series(L1_GRAD).len(), 1_000);
    }
}

#[cfg(test)]
#[path = "record_more_tests.rs"]
mod more_tests;
