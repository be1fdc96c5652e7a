//! What trainers tell the rest of the app, and how the app steers them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use serde::{Deserialize, Serialize};

use super::config::JobId;
use crate::metric::Metric;

/// The state of one trainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pending,
    Running,
    Paused,
    Finished,
    Diverged,
    Failed,
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Finished => "finished",
            Status::Diverged => "diverged",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Pending,
            Status::Running,
            Status::Paused,
            Status::Finished,
            Status::Diverged,
            Status::Failed,
            Status::Interrupted,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Whether the trainer has stopped for good.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Finished | Status::Diverged | Status::Failed | Status::Interrupted
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Live values of one BatchNorm unit, so the explainer can put numbers next to the formulas.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BnUnit {
    pub layer: usize,
    pub unit: usize,
    pub batch_mean: f32,
    pub batch_var: f32,
    pub gamma: f32,
    pub beta: f32,
    pub running_mean: f32,
    pub running_var: f32,
    pub epsilon: f32,
    /// One example: the unit's input x, its normalized value and the BN output.
    pub x: f32,
    pub x_hat: f32,
    pub y: f32,
}

/// A trainer's report. Metrics depend only on seed and settings; timings do not.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        id: JobId,
        total_steps: u64,
        steps_per_epoch: u64,
        point_value: Option<f64>,
    },
    Metrics {
        id: JobId,
        step: u64,
        epoch: f64,
        values: Vec<(Metric, f64)>,
    },
    Progress {
        id: JobId,
        step: u64,
        elapsed_s: f64,
        samples_per_sec: f64,
    },
    BnUnit {
        id: JobId,
        step: u64,
        unit: BnUnit,
    },
    Finished {
        id: JobId,
        status: Status,
        step: u64,
        message: Option<String>,
        elapsed_s: f64,
        samples_per_sec: f64,
    },
}

impl Event {
    pub fn id(&self) -> JobId {
        match self {
            Event::Started { id, .. }
            | Event::Metrics { id, .. }
            | Event::Progress { id, .. }
            | Event::BnUnit { id, .. }
            | Event::Finished { id, .. } => *id,
        }
    }
}

/// Shared steering for all trainers of a session: pause and resume wait on a condition
/// variable, so a paused trainer uses no CPU; stop is checked every step.
#[derive(Debug, Default)]
pub struct Control {
    paused: Mutex<bool>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Control {
    pub fn pause(&self) {
        *self.paused.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }
    pub fn resume(&self) {
        *self.paused.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.wake.notify_all();
    }
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.resume();
    }
    pub fn is_paused(&self) -> bool {
        *self.paused.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
    /// Blocks while paused; returns the time spent waiting.
    pub fn wait_while_paused(&self) -> std::time::Duration {
        let t0 = std::time::Instant::now();
        let mut p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        while *p && !self.is_stopped() {
            p = self.wake.wait(p).unwrap_or_else(|e| e.into_inner());
        }
        t0.elapsed()
    }
}
