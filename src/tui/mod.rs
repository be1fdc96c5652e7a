//! The terminal UI runtime, on top of `app` (state) and `ui` (drawing): the terminal
//! (`terminal`), the log file (`log`), the one channel every thread reports into
//! (`events`), what needs threads and files (`runtime`, `effects`, `saving`) and the loop
//! that ties them together (`event_loop`). The trainers are the engine's (`train::Session`).

mod effects;
mod event_loop;
mod events;
mod log;
mod runtime;
mod saving;
mod terminal;
#[cfg(test)]
mod tests;

use std::io::{self, IsTerminal, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::app::{App, DataState};
use crate::{presets, runs, ui};

use events::Msg;
use runtime::Runtime;
use terminal::TermGuard;

const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

pub fn run(data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let t0 = Instant::now();
    if !io::stdout().is_terminal() {
        anyhow::bail!(
            "stdout is not a terminal, so bnlab does not draw its UI here.\n\
             To train without a UI use `bnlab run` (e.g. `bnlab run --preset ioffe2015`; see `bnlab presets` and `bnlab run --help`)."
        );
    }
    let log_path = log::open();
    ::log::info!("bnlab UI starting");
    let (tx, rx) = channel();
    // The flag is set inside the handler, so it is seen even before the wake-up message.
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in STOP_SIGNALS {
        signal_hook::flag::register(sig, interrupted.clone())
            .context("installing signal handler")?;
    }
    events::spawn_signals(tx.clone(), &STOP_SIGNALS)?;
    let panic_tx = tx.clone();
    terminal::install_panic_hook(move |p| {
        let _ = panic_tx.send(Msg::Panic(p));
    });

    let available = runtime::available_datasets(data_dir.as_deref());
    let mut app = App::new(DataState::new(available), PathBuf::from(runs::DEFAULT_DIR));
    app.log_path = log_path;
    let mut rt = Runtime::new(data_dir, tx.clone());
    let mut term = TermGuard::enter()?;
    if let Ok(s) = term.0.size() {
        app.on_resize(s.width, s.height);
    }
    // Warm the data of the default experiment while the user reads the menu.
    let warm = presets::PRESETS[0].config(app.data.best);
    rt.load(&warm, &mut app);
    term.0.draw(|f| ui::draw(f, &app))?;
    ::log::info!(
        "first frame after {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    events::spawn_input(tx)?;

    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        event_loop::run(&mut term, &mut app, &mut rt, &rx, &interrupted)
    }));
    event_loop::shutdown(&mut app, &mut rt, &rx);
    drop(term);
    // After a hang-up there is no terminal left; `eprintln!` would panic on the write.
    let mut err = io::stderr();
    for dir in &rt.saved {
        let _ = writeln!(err, "bnlab: run saved in {}", dir.display());
    }
    for p in &rt.panics {
        let _ = writeln!(err, "bnlab: {p}");
    }
    match result {
        // After a hang-up the terminal is gone, so drawing fails too; that is the signal's
        // doing, not an error to report (there is nowhere to report it anyway).
        Ok(Err(e)) if interrupted.load(Ordering::SeqCst) => {
            ::log::info!("after the signal: {e:#}");
            Ok(())
        }
        Ok(r) => r,
        Err(p) => panic::resume_unwind(p),
    }
}
