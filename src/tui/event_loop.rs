//! The event loop: one blocking `recv_timeout` on the UI's channel, a frame drawn at most
//! every `FRAME` when something changed, and the way out that saves a run still training.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::Event as TermEvent;

use crate::app::App;
use crate::data::fetch::FetchUpdate;
use crate::ui;

use super::events::Msg;
use super::runtime::Runtime;
use super::terminal::TermGuard;

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(100);
/// How long to wait when nothing is going on (a message wakes the loop sooner).
const IDLE: Duration = Duration::from_secs(1);
/// How long the way out waits for the trainers to report where they stopped and for a
/// download to remove its partial file.
const SHUTDOWN: Duration = Duration::from_secs(5);
/// Frame times go to the log this often.
const STATS_EVERY: Duration = Duration::from_secs(30);

/// Draw times since the last report to the log.
struct FrameStats {
    frames: u32,
    total: Duration,
    worst: Duration,
    since: Instant,
}

impl FrameStats {
    fn new() -> Self {
        Self {
            frames: 0,
            total: Duration::ZERO,
            worst: Duration::ZERO,
            since: Instant::now(),
        }
    }

    fn add(&mut self, dt: Duration) {
        self.frames += 1;
        self.total += dt;
        self.worst = self.worst.max(dt);
    }

    fn maybe_log(&mut self) {
        if self.since.elapsed() > STATS_EVERY && self.frames > 0 {
            log::info!(
                "frames: {} in 30 s, mean {:.2} ms, worst {:.2} ms (draw incl. terminal output)",
                self.frames,
                self.total.as_secs_f64() * 1e3 / self.frames as f64,
                self.worst.as_secs_f64() * 1e3
            );
            *self = Self::new();
        }
    }
}

pub(super) fn run(
    term: &mut TermGuard,
    app: &mut App,
    rt: &mut Runtime,
    rx: &Receiver<Msg>,
    interrupted: &AtomicBool,
) -> anyhow::Result<()> {
    let mut dirty = false;
    let mut last_draw = Instant::now();
    let mut stats = FrameStats::new();
    // Fault injection for the end-to-end test of the panic path.
    #[cfg(feature = "fault-injection")]
    let inject_panic = std::env::var("BNLAB_TEST_PANIC").is_ok_and(|v| v == "ui");
    while !app.quit {
        #[cfg(feature = "fault-injection")]
        if inject_panic {
            panic!("injected UI panic (BNLAB_TEST_PANIC=ui)");
        }
        if interrupted.load(Ordering::SeqCst) {
            log::info!("signal received: quitting");
            app.quit = true;
            break;
        }
        if dirty && last_draw.elapsed() >= FRAME {
            let t = Instant::now();
            term.0.draw(|f| ui::draw(f, app))?;
            stats.add(t.elapsed());
            last_draw = Instant::now();
            dirty = false;
        }
        stats.maybe_log();
        let timeout = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else if rt.busy() {
            FRAME
        } else {
            IDLE
        };
        match rx.recv_timeout(timeout) {
            Ok(Msg::Input(ev)) => {
                input(ev.context("reading the terminal")?, term, app, rt)?;
                dirty = true;
            }
            Ok(msg) => dirty |= rt.handle(msg, app),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the UI's channel closed"),
        }
    }
    Ok(())
}

fn input(
    ev: TermEvent,
    term: &mut TermGuard,
    app: &mut App,
    rt: &mut Runtime,
) -> anyhow::Result<()> {
    let effect = match ev {
        TermEvent::Key(k) => app.on_key(k),
        TermEvent::Mouse(m) => app.on_mouse(m),
        TermEvent::Resize(w, h) => {
            app.on_resize(w, h);
            term.0.autoresize()?;
            None
        }
        _ => None,
    };
    if let Some(e) = effect {
        rt.apply(e, app);
    }
    Ok(())
}

/// On the way out, whatever ended the loop: a run still training is stopped and saved once
/// its trainers have reported where they stopped, saves under way end, a download is
/// cancelled (it removes its partial file), a run never saved is saved. Waits at most
/// `SHUTDOWN`.
pub(super) fn shutdown(app: &mut App, rt: &mut Runtime, rx: &Receiver<Msg>) {
    rt.closing = true;
    if app.run.as_ref().is_some_and(|r| r.is_running()) {
        rt.retire(app, true);
    }
    if let Some(h) = &rt.fetch {
        h.cancel();
    }
    let deadline = Instant::now() + SHUTDOWN;
    while !rt.retiring.is_empty() || rt.fetch.is_some() || rt.saves_running > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(msg @ (Msg::Train { .. } | Msg::TrainDone { .. } | Msg::Saved(_))) => {
                rt.handle(msg, app);
            }
            // Nothing is loaded after a download now: only its end matters.
            Ok(Msg::Fetch(FetchUpdate::Done(_)) | Msg::FetchGone) => rt.fetch = None,
            Ok(Msg::Panic(p)) => rt.panics.push(p),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // Trainers that did not stop in time: save what they reported.
    for id in rt.retiring.iter().map(|r| r.id).collect::<Vec<_>>() {
        log::warn!("session {id} did not stop in time; saving what it reported");
        rt.retired(app, id);
    }
    rt.save_unsaved(app);
    // Panics reported meanwhile are printed with the others.
    for msg in rx.try_iter() {
        if let Msg::Panic(p) = msg {
            rt.panics.push(p);
        }
    }
}
