//! `bnlab run`: the same trainers as the UI, with a progress bar on stderr and a table at the end.

use crate::metric::Metric;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis;
use crate::data::Prepared;
use crate::runs::{self, DataInfo, RunRecord};
use crate::train::{RunConfig, Session};

/// Trains every job of `config` to the end (or to Ctrl-C) and saves the run.
/// Returns the record and the folder it was saved in.
pub fn run(
    config: RunConfig,
    data: Prepared,
    out: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<(RunRecord, PathBuf)> {
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in stop_signals() {
        signal_hook::flag::register(sig, interrupted.clone())
            .context("installing signal handler")?;
    }
    let mut record = RunRecord::new(config.clone(), DataInfo::of(&data));
    let session = Session::start(config, Arc::new(data));
    let total: u64 = 0;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total.max(1))
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps  ETA {eta}  {msg}",
        )
        .expect("valid template"),
    );
    loop {
        if interrupted.load(Ordering::SeqCst) {
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
    if interrupted.load(Ordering::SeqCst) {
        record.mark_interrupted();
        // After a hang-up stderr is gone and `eprintln!` would panic before the save.
        let _ = writeln!(
            std::io::stderr(),
            "interrupted: saving what was measured so far"
        );
    }
    let dir = save_with_fallback(&record, out)?;
    Ok((record, dir))
}

/// The signals that stop a run and save it as interrupted. SIGHUP too: closing the terminal
/// (or its tmux session) must not lose the run; but not when SIGHUP was ignored at start, as
/// `nohup bnlab run …` arranges, since then the user wants the run to outlive the terminal.
pub fn stop_signals() -> Vec<i32> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut v = vec![SIGINT, SIGTERM];
    if !ignored_at_start(SIGHUP) {
        v.push(SIGHUP);
    }
    v
}

/// Whether `sig` is ignored by this process, from the `SigIgn` mask of /proc/self/status
/// (Linux). Elsewhere it counts as not ignored.
fn ignored_at_start(sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .is_some_and(|mask| sig >= 1 && mask & (1u64 << (sig - 1)) != 0)
}

/// Saves under `out`; when that fails (read-only folder, full disk) the run is not lost:
/// it goes to the system's temporary folder, and the reason is printed.
pub fn save_with_fallback(record: &RunRecord, out: &std::path::Path) -> anyhow::Result<PathBuf> {
    match analysis::save_new(record, out) {
        Ok(dir) => Ok(dir),
        Err(first) => {
            let fallback = runs::fallback_dir();
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not save under {}: {first}",
                out.display()
            );
            let dir = analysis::save_new(record, &fallback).with_context(|| {
                format!(
                    "saving the run failed under {} ({first}) and under {}",
                    out.display(),
                    fallback.display()
                )
            })?;
            let _ = writeln!(
                std::io::stderr(),
                "warning: saved to {} instead",
                dir.display()
            );
            Ok(dir)
        }
    }
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
