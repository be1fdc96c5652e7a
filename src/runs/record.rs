//! The in-memory form of a run: everything the trainers reported, per job, in order.
//! Both the headless CLI and the UI fold events into it; `runs::save` writes it out.

use crate::train::{BnUnit, Event, JobId, RunConfig, Status};

/// A metric's name, shared by every row that carries it: long runs hold millions of rows,
/// and a `String` per row would double their memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricName(std::sync::Arc<str>);

impl MetricName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for MetricName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MetricName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for MetricName {
    fn from(s: &str) -> Self {
        Self(s.into())
    }
}

impl From<String> for MetricName {
    fn from(s: String) -> Self {
        Self(s.into())
    }
}

impl PartialEq<str> for MetricName {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for MetricName {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for MetricName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub step: u64,
    pub epoch: f64,
    pub metric: MetricName,
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
        }
    }

    /// `(step, epoch, value)` of one metric, in step order.
    pub fn series(&self, metric: &str) -> Vec<(u64, f64, f64)> {
        self.rows
            .iter()
            .filter(|r| r.metric == metric)
            .map(|r| (r.step, r.epoch, r.value))
            .collect()
    }

    pub fn last(&self, metric: &str) -> Option<f64> {
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
    /// Every metric name seen, so rows share one allocation per name.
    names: Vec<MetricName>,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct DataInfo {
    pub origin: String,
    pub train: usize,
    pub val: usize,
    pub test: usize,
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
            names: Vec::new(),
        }
    }

    /// The shared name for `metric` (a run has a few dozen, so a linear search is enough).
    pub fn intern(&mut self, metric: &str) -> MetricName {
        if let Some(n) = self.names.iter().find(|n| **n == metric) {
            return n.clone();
        }
        let n = MetricName::from(metric);
        self.names.push(n.clone());
        n
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
        let names: Vec<MetricName> = match event {
            Event::Metrics { values, .. } => values.iter().map(|(k, _)| self.intern(k)).collect(),
            _ => Vec::new(),
        };
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
                job.rows
                    .extend(values.iter().zip(names).map(|((_, v), metric)| MetricRow {
                        step: *step,
                        epoch: *epoch,
                        metric,
                        value: *v,
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
