//! What the run screen shows: a run's record (live or loaded), its index for drawing,
//! per-job clocks and throughput history, and saved runs to overlay.

use crate::metric::Metric;
use std::collections::VecDeque;
use std::path::PathBuf;

use super::curves::{self, Clock, SeriesIndex, SmoothCache};
use crate::analysis::compare::Groups;
use crate::analysis::verdict::Verdict;
use crate::analysis::{metrics, summary};
use crate::model::Variant;
use crate::runs::RunRecord;
use crate::train::{Event, Status};

/// Throughput reports kept per job for the sparkline.
pub const THROUGHPUT_CAP: usize = 512;

/// A saved run drawn over the shown one, tagged with a letter (B, C, …) in every legend
/// and table row so it is never taken for the live run.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub label: String,
    pub tag: String,
    pub view: RunView,
}

impl Overlay {
    /// The `k`-th overlay (from 0) of the saved run `record` from folder `dir`.
    pub fn new(k: usize, record: RunRecord, dir: PathBuf) -> Self {
        let view = RunView::saved(record, dir);
        let tag = char::from(b'B' + (k % 25) as u8);
        Self {
            label: view.label.clone(),
            tag: format!("{tag} "),
            view,
        }
    }
}

/// A saved run does not store each trainer's planned length; it follows from the config
/// and the size of the training set.
fn fill_totals(record: &mut RunRecord) {
    let specs = record.config.jobs();
    let train = record.data_info.train;
    for j in &mut record.jobs {
        let batch = specs
            .iter()
            .find(|s| s.id == j.id)
            .map_or(record.config.batch_size, |s| s.batch_size);
        if train > 0 {
            j.steps_per_epoch = record.config.steps_per_epoch(train, batch);
            if j.total_steps == 0 {
                j.total_steps = record.config.total_steps(train, batch);
            }
        } else if j.total_steps == 0 {
            j.total_steps = j.step;
        }
    }
}

fn saved_clocks(record: &RunRecord) -> Vec<Clock> {
    record
        .jobs
        .iter()
        .map(|j| Clock::linear(j.step, j.elapsed_s))
        .collect()
}

#[derive(Debug, Clone)]
pub struct RunView {
    pub record: RunRecord,
    pub index: SeriesIndex,
    pub clocks: Vec<Clock>,
    pub throughput: Vec<VecDeque<f64>>,
    /// Attached to trainers (false for a run opened from disk).
    pub live: bool,
    pub paused: bool,
    pub stop_requested: bool,
    /// Where the run was saved or exported, once it was.
    pub saved_dir: Option<PathBuf>,
    /// Whether the final state has been saved.
    pub saved_final: bool,
    pub label: String,
    /// Selected sweep point.
    pub point: usize,
    /// The selected point follows the trainers until the user picks one.
    pub follow_point: bool,
    /// Selected hidden layer (from 1) in the internals view.
    pub layer: usize,
    /// Internals: bands of one unit of the last layer instead of the whole layer.
    pub unit_bands: bool,
    /// Saved runs drawn over this one.
    pub overlays: Vec<Overlay>,
    /// The claim's verdict, once every trainer has stopped: computed once by the same
    /// analysis as the report, so the screen and `report.md` cannot disagree.
    pub verdict: Option<Verdict>,
    /// Drawing cache (not state): smoothed curves between frames.
    pub smooth_cache: SmoothCache,
}

impl RunView {
    pub fn live(record: RunRecord) -> Self {
        let n = record.jobs.len();
        Self {
            index: SeriesIndex::build(&record),
            clocks: vec![Clock::default(); n],
            throughput: vec![VecDeque::new(); n],
            label: record.config.preset.clone(),
            record,
            live: true,
            paused: false,
            stop_requested: false,
            saved_dir: None,
            saved_final: false,
            point: 0,
            follow_point: true,
            layer: 1,
            unit_bands: false,
            overlays: Vec::new(),
            verdict: None,
            smooth_cache: SmoothCache::default(),
        }
    }

    /// Judges the run's claim; `None` until every trainer has stopped or without a claim.
    fn judge(&self) -> Option<Verdict> {
        if !self.record.all_final() {
            return None;
        }
        crate::analysis::verdict::judge_run(&self.record, &Groups::of_record(&self.record))
    }

    pub fn saved(mut record: RunRecord, dir: PathBuf) -> Self {
        fill_totals(&mut record);
        let mut v = Self::live(record);
        v.live = false;
        v.clocks = saved_clocks(&v.record);
        v.label = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        v.saved_dir = Some(dir);
        v.saved_final = true;
        v.verdict = v.judge();
        v
    }

    /// Folds one trainer event in.
    pub fn apply(&mut self, ev: &Event) {
        self.record.apply(ev);
        let id = ev.id();
        let Some(j) = self.record.jobs.iter().position(|x| x.id == id) else {
            return;
        };
        if self.clocks.len() < self.record.jobs.len() {
            self.clocks
                .resize_with(self.record.jobs.len(), Clock::default);
            self.throughput
                .resize_with(self.record.jobs.len(), VecDeque::new);
        }
        match ev {
            Event::Started { id, .. } if self.follow_point => self.point = id.point,
            Event::Metrics { .. } => self.index.update_job(&self.record, j),
            Event::Progress {
                step,
                elapsed_s,
                samples_per_sec,
                ..
            } => {
                self.clocks[j].push(*step, *elapsed_s);
                let t = &mut self.throughput[j];
                if t.len() >= THROUGHPUT_CAP {
                    t.pop_front();
                }
                t.push_back(*samples_per_sec);
            }
            Event::Finished {
                step, elapsed_s, ..
            } => {
                self.clocks[j].push(*step, *elapsed_s);
                if self.verdict.is_none() {
                    self.verdict = self.judge();
                }
            }
            _ => {}
        }
    }

    pub fn all_final(&self) -> bool {
        self.record.all_final()
    }

    /// Whether trainers are still working on this run.
    pub fn is_running(&self) -> bool {
        self.live && !self.record.all_final()
    }

    pub fn points(&self) -> usize {
        curves::points(&self.record)
    }

    pub fn variants(&self) -> Vec<Variant> {
        curves::variants(&self.record)
    }

    pub fn group(&self, v: Variant) -> Vec<usize> {
        curves::group(&self.record, v, self.point)
    }

    /// Hidden layers of the net (from the config).
    pub fn hidden_layers(&self) -> usize {
        self.record.config.depth
    }

    /// The status a group of jobs shows: the paused state overrides running.
    pub fn group_status(&self, jobs: &[usize]) -> Status {
        let st: Vec<Status> = jobs.iter().map(|&j| self.record.jobs[j].status).collect();
        let s = if let Some(s) = st.iter().find(|s| !s.is_final()) {
            if st.contains(&Status::Running) {
                Status::Running
            } else {
                *s
            }
        } else {
            [
                Status::Failed,
                Status::Diverged,
                Status::Interrupted,
                Status::Finished,
            ]
            .into_iter()
            .find(|x| st.contains(x))
            .unwrap_or(Status::Pending)
        };
        if self.paused && s == Status::Running {
            Status::Paused
        } else {
            s
        }
    }

    /// The comparison numbers of one group (mean curve over seeds).
    pub fn stats(&self, jobs: &[usize]) -> GroupStats {
        self.stats_upto(jobs, None)
    }

    /// The mean validation accuracy of a group as a series of the shared analysis.
    pub fn val_series(&self, jobs: &[usize]) -> Vec<(u64, f64, f64)> {
        curves::curve(
            &self.record,
            &self.index,
            &self.clocks,
            jobs,
            Metric::ValAcc,
            curves::XAxis::Steps,
        )
        .mean
        .iter()
        .map(|p| (p.0 as u64, 0.0, p.1))
        .collect()
    }

    /// The latest step at which every group of `groups` has a validation accuracy, so that
    /// variants running at different speeds are compared at the same point of training.
    /// Groups that diverged or failed stop early and are left out; `Err` names a group with
    /// no evaluation yet.
    pub fn common_step(&self, groups: &[(Variant, Vec<usize>)]) -> Result<u64, Variant> {
        let vals: Vec<_> = groups
            .iter()
            .map(|(v, jobs)| (*v, self.group_status(jobs), self.val_series(jobs)))
            .collect();
        common_step_of(&vals)
    }

    /// [`RunView::stats`] with the accuracy numbers taken from the evaluations at or before
    /// step `upto`.
    pub fn stats_upto(&self, jobs: &[usize], upto: Option<u64>) -> GroupStats {
        self.stats_of(jobs, self.val_series(jobs), upto)
    }

    /// [`RunView::stats_upto`] from the group's validation series, already computed.
    pub fn stats_of(
        &self,
        jobs: &[usize],
        mut val: Vec<(u64, f64, f64)>,
        upto: Option<u64>,
    ) -> GroupStats {
        if let Some(u) = upto {
            val.retain(|p| p.0 <= u);
        }

        let steps: u64 = jobs.iter().map(|&j| self.record.jobs[j].step).sum();
        // A seed still waiting for a core has not said its length yet; the seeds of one
        // group all run the same number of steps, so it counts with the longest one known.
        let known = jobs
            .iter()
            .map(|&j| self.record.jobs[j].total_steps)
            .max()
            .unwrap_or(0);
        let total: u64 = jobs
            .iter()
            .map(|&j| match self.record.jobs[j].total_steps {
                0 => known,
                t => t,
            })
            .sum();
        let elapsed = jobs
            .iter()
            .map(|&j| self.record.jobs[j].elapsed_s)
            .fold(0.0, f64::max);
        let messages: Vec<String> = jobs
            .iter()
            .filter_map(|&j| self.record.jobs[j].message.clone())
            .collect();
        let test: Vec<f64> = jobs
            .iter()
            .filter_map(|&j| curves::last(&self.index, j, Metric::TestAcc))
            .collect();
        GroupStats {
            current: metrics::last(&val).map(|p| p.1),
            best: metrics::best(&val).map(|p| p.1),
            to: summary::THRESHOLDS.map(|t| metrics::reach(&val, t).map(|r| r.step)),
            steps,
            total,
            elapsed,
            test: crate::analysis::stats::mean(&test),
            message: messages.first().cloned(),
            running: self.live && jobs.iter().any(|&j| !self.record.jobs[j].status.is_final()),
        }
    }
}

/// A group's variant, status and mean validation series.
pub type GroupVal = (Variant, Status, Vec<(u64, f64, f64)>);

/// [`RunView::common_step`] from each group's status and validation series.
pub fn common_step_of(groups: &[GroupVal]) -> Result<u64, Variant> {
    let mut common: Option<u64> = None;
    for (v, st, val) in groups {
        if matches!(st, Status::Diverged | Status::Failed) {
            continue;
        }
        match metrics::last(val) {
            Some((step, _)) => common = Some(common.map_or(step, |c| c.min(step))),
            None => return Err(*v),
        }
    }
    common.ok_or_else(|| groups.first().map_or(Variant::ALL[0], |g| g.0))
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupStats {
    pub current: Option<f64>,
    pub best: Option<f64>,
    pub to: [Option<u64>; 3],
    pub steps: u64,
    pub total: u64,
    pub elapsed: f64,
    pub test: Option<f64>,
    pub message: Option<String>,
    /// Some trainer of the group is still working (an ETA makes sense).
    pub running: bool,
}

impl GroupStats {
    /// Fraction done, never above 1.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.steps as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }

    /// Seconds left at the rate so far, once there is a rate.
    pub fn eta(&self) -> Option<f64> {
        if !self.running || self.steps == 0 || self.elapsed <= 0.0 || self.total <= self.steps {
            return None;
        }
        Some((self.total - self.steps) as f64 * self.elapsed / self.steps as f64)
    }
}
