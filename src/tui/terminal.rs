//! The terminal: raw mode and the alternate screen on the way in, both undone on every way
//! out (drop, error, panic of the UI thread).

use std::io::{self, Stdout};
use std::panic;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// Whether the terminal is in the UI's mode; the panic hook reads it, hence a static.
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode and the alternate screen; safe to call twice and from the panic hook.
fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Restores the terminal when dropped, whatever the way out.
pub(crate) struct TermGuard(pub Terminal<CrosstermBackend<Stdout>>);

impl TermGuard {
    pub fn enter() -> anyhow::Result<Self> {
        enable_raw_mode().context("switching the terminal to raw mode")?;
        TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
        execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .context("entering the alternate screen")?;
        let t =
            Terminal::new(CrosstermBackend::new(io::stdout())).context("measuring the terminal")?;
        Ok(Self(t))
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic on the UI thread restores the terminal first, so its message stays readable.
/// Panics elsewhere (a trainer, the loader) are caught there and shown in the UI: they go
/// to `other`, which tells the event loop.
pub(crate) fn install_panic_hook(other: impl Fn(String) + Send + Sync + 'static) {
    let previous = panic::take_hook();
    let ui_thread = std::thread::current().id();
    panic::set_hook(Box::new(move |info| {
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        log::error!("panic in thread '{name}': {info}");
        if std::thread::current().id() == ui_thread {
            restore_terminal();
            previous(info);
        } else {
            other(format!("thread '{name}' panicked: {info}"));
        }
    }));
}
