//! The one channel of the UI: terminal input, signals, trainer events, download progress,
//! data loads, reports and panics of other threads all arrive here as a [`Msg`], so the
//! event loop waits on a single `recv_timeout` and never polls.

use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use anyhow::Context;
use crossterm::event::{self, Event as TermEvent};

use crate::data::fetch::FetchUpdate;
use crate::data::{DatasetName, Prepared, SplitConfig};
use crate::train::{Event, Session};

pub(crate) type DataKey = (DatasetName, SplitConfig);

/// Why a job on one of the UI's threads (loading data, writing a report, saving a run) came
/// to nothing; shown on the status line, logged whole.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JobError {
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
    #[error(transparent)]
    Save(#[from] crate::runs::RunError),
    /// The job's thread panicked; the panic hook logged where.
    #[error("the {0} panicked (see the log)")]
    Panicked(&'static str),
}

pub(crate) enum Msg {
    Input(io::Result<TermEvent>),
    /// SIGINT, SIGTERM or SIGHUP (the flag is set by the handler itself).
    Signal,
    Train {
        session: u64,
        event: Event,
    },
    /// Every trainer thread of the session has ended and all its events were sent.
    TrainDone {
        session: u64,
    },
    Fetch(FetchUpdate),
    /// The download thread ended without its last message (it panicked).
    FetchGone,
    Loaded {
        key: DataKey,
        result: Result<Arc<Prepared>, JobError>,
        secs: f64,
    },
    /// A report was written (the path of report.md) or why not.
    Report {
        dir: PathBuf,
        result: Result<PathBuf, JobError>,
    },
    /// A run was saved, or why not.
    Saved(Saved),
    /// A thread other than the UI's panicked.
    Panic(String),
}

/// Starts a named thread; only the UI's own helpers, so failing to start one is an error.
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
        .with_context(|| format!("starting the {name} thread"))
}

/// Terminal input on its own thread. After a hang-up crossterm's read loops forever inside
/// the library (the closed tty keeps reporting readable), so reading on the UI thread would
/// never return to see the SIGHUP and save the run; here only this thread is stuck, and it
/// ends with the process.
pub(crate) fn spawn_input(tx: Sender<Msg>) -> anyhow::Result<()> {
    spawn("bnlab-input", move || loop {
        let ev = event::read();
        let failed = ev.is_err();
        if tx.send(Msg::Input(ev)).is_err() || failed {
            break;
        }
    })
}

/// Wakes the event loop on a stop signal; the flag registered next to it is what says
/// the signal came (it is set in the handler, before any message can arrive).
pub(crate) fn spawn_signals(tx: Sender<Msg>, signals: &[i32]) -> anyhow::Result<()> {
    let mut it =
        signal_hook::iterator::Signals::new(signals).context("installing signal handlers")?;
    spawn("bnlab-signals", move || {
        for _ in it.forever() {
            if tx.send(Msg::Signal).is_err() {
                break;
            }
        }
    })
}

/// Forwards the session's events, tagged with `id`, then says when its trainers are done.
/// (`Session` hands out its own receiver; the forwarder takes it over.)
pub(crate) fn forward_session(session: &mut Session, id: u64, tx: Sender<Msg>) {
    let events = take_receiver(&mut session.events);
    let forward = move || {
        for event in events {
            if tx.send(Msg::Train { session: id, event }).is_err() {
                return;
            }
        }
        let _ = tx.send(Msg::TrainDone { session: id });
    };
    if let Err(e) = spawn(&format!("bnlab-session-{id}"), forward) {
        log::error!("{e:#}");
    }
}

/// Forwards a download's progress; `FetchGone` if it ends without its `Done`.
pub(crate) fn forward_fetch(updates: &mut Receiver<FetchUpdate>, tx: Sender<Msg>) {
    let updates = take_receiver(updates);
    let forward = move || {
        for u in updates {
            let done = matches!(u, FetchUpdate::Done(_));
            if tx.send(Msg::Fetch(u)).is_err() || done {
                return;
            }
        }
        let _ = tx.send(Msg::FetchGone);
    };
    if let Err(e) = spawn("bnlab-fetch-forward", forward) {
        log::error!("{e:#}");
    }
}

/// Moves the receiver out, leaving one whose sender is already gone.
fn take_receiver<T>(r: &mut Receiver<T>) -> Receiver<T> {
    std::mem::replace(r, std::sync::mpsc::channel().1)
}

/// What a save on the saving thread came to.
pub(crate) struct Saved {
    pub(super) run: u64,
    pub(super) what: &'static str,
    pub(super) parent: Option<PathBuf>,
    pub(super) detached: bool,
    pub(super) result: Result<PathBuf, JobError>,
    /// The record of a failed save, for a second try elsewhere.
    pub(super) failed: Option<Box<crate::runs::RunRecord>>,
}
