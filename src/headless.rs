//! `bnlab run`: the same trainers as the UI, with a progress bar on stderr and a table at the end.

pub mod json;

use crate::metric::Metric;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis;
use crate::data::Prepared;
use crate::interrupt::StopFlag;
use crate::runs::{self, DataInfo, RunRecord};
use crate::train::{RunConfig, Session};

/// Trains every job of `config` to the end (or to Ctrl-C) and saves the run.
/// Returns the record and the folder it was saved in; a run that could not be saved
/// anywhere is the error [`NotSaved`].
pub fn run(
    config: RunConfig,
    data: Prepared,
    out: &Path,
    quiet: bool,
) -> anyhow::Result<(RunRecord, PathBuf)> {
    let stop = StopFlag::install().context("installing signal handlers")?;
    let (record, saved) = run_with(config, data, out, quiet, &stop);
    Ok((record, saved?))
}

/// [`run`] with signal handlers the caller installed before loading the data, so a signal
/// that comes early is not lost. The record comes back even when it could not be saved.
pub fn run_with(
    config: RunConfig,
    data: Prepared,
    out: &Path,
    quiet: bool,
    stop: &StopFlag,
) -> (RunRecord, Result<PathBuf, NotSaved>) {
    let mut record = RunRecord::new(config.clone(), DataInfo::of(&data));
    let session = Session::start(config, Arc::new(data));
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(1)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps  ETA {eta}  {msg}",
        )
        .expect("valid template"),
    );
    loop {
        if stop.is_set() {
            session.control.stop();
        }
        match session.events.recv_timeout(Duration::from_millis(100)) {
            Ok(ev) => record.apply(&ev),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let len: u64 = record.jobs.iter().map(|j| j.total_steps).sum();
        let pos: u64 = record.jobs.iter().map(|j| j.step).sum();
        bar.set_length(len.max(1));
        bar.set_position(pos);
        bar.set_message(progress_message(&record));
        if record.all_final() && session.is_done() {
            while let Ok(ev) = session.events.try_recv() {
                record.apply(&ev);
            }
            break;
        }
    }
    bar.finish_and_clear();
    session.stop_and_join();
    if stop.is_set() {
        record.mark_interrupted();
        // After a hang-up stderr is gone and `eprintln!` would panic before the save.
        let _ = writeln!(
            std::io::stderr(),
            "interrupted: saving what was measured so far"
        );
    }
    let saved = save_with_fallback(&record, out);
    (record, saved)
}

pub use crate::interrupt::stop_signals;

/// Every place a run was tried, with why it failed; the exit code is 3.
#[derive(Debug, thiserror::Error)]
#[error("the run could not be saved: {} was not written, nor anything under the other places tried:\n{}\nThe table above is all that is left of it.", .metrics.display(), .tried.iter().map(|(d, e)| format!("  {}: {e}", d.display())).collect::<Vec<_>>().join("\n"))]
pub struct NotSaved {
    /// The `metrics.csv` that `--out` would have received.
    pub metrics: PathBuf,
    pub tried: Vec<(PathBuf, String)>,
}

/// Why saving under `parent` failed, naming a path only when it is not `parent` itself.
fn reason(parent: &Path, e: &runs::RunError) -> String {
    match e {
        runs::RunError::Io { path, cause } if path == parent => cause.to_string(),
        other => other.to_string(),
    }
}

/// Where a run goes when `--out` cannot take it, in order: the per-user state folder, the
/// per-user cache folder, then a private folder in the system's temporary folder. None is
/// shared with other users, so none can be taken over or filled by them.
pub fn fallback_dirs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(d) = dirs::state_dir() {
        v.push(d.join("bnlab").join("runs"));
    }
    if let Some(d) = dirs::cache_dir() {
        v.push(d.join("bnlab").join("runs"));
    }
    v.push(private_temp_dir());
    v
}

/// `$TMPDIR/bnlab-runs-$USER`, created readable only by this user.
pub fn private_temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("bnlab-runs-{}", runs::save::user_name()))
}

/// Saves under `out`; when that fails (read-only folder, full disk) the run is not lost: it
/// goes to the first of [`fallback_dirs`] that takes it, and each failure is printed.
pub fn save_with_fallback(record: &RunRecord, out: &Path) -> Result<PathBuf, NotSaved> {
    let mut tried: Vec<(PathBuf, String)> = Vec::new();
    let mut places = vec![out.to_owned()];
    places.extend(fallback_dirs().into_iter().filter(|d| d != out));
    for parent in places {
        let saved = if parent == private_temp_dir() {
            runs::save::private_dir(&parent)
                .map_err(|e| e.to_string())
                .and_then(|()| analysis::save_new(record, &parent).map_err(|e| reason(&parent, &e)))
        } else {
            analysis::save_new(record, &parent).map_err(|e| reason(&parent, &e))
        };
        match saved {
            Ok(dir) => {
                // Said only once a place took the run; otherwise the error lists them all.
                let mut err = std::io::stderr();
                for (d, e) in &tried {
                    let _ = writeln!(err, "warning: could not save under {}: {e}", d.display());
                }
                if !tried.is_empty() {
                    let _ = writeln!(err, "warning: saved to {} instead", dir.display());
                }
                return Ok(dir);
            }
            Err(e) => tried.push((parent, e)),
        }
    }
    Err(NotSaved {
        metrics: out
            .join(runs::save::run_dir_name(&record.config.preset))
            .join(runs::folder::METRICS),
        tried,
    })
}

fn progress_message(record: &RunRecord) -> String {
    record
        .jobs
        .iter()
        .filter(|j| j.status == crate::train::Status::Running)
        .map(|j| {
            let acc = j
                .last(Metric::ValAcc)
                .map_or("-".into(), |a| format!("{:.1}%", a * 100.0));
            format!("{} val {acc}", j.id.variant)
        })
        .collect::<Vec<_>>()
        .join("  ")
}

// The signals are tested on a real `bnlab run` process: tests/integration/headless_signals.rs.
