//! The terminal UI runtime: terminal setup and restore, the panic hook, the log file,
//! background data loading, the trainers' session, and the event loop that feeds `app`
//! and draws with `ui`. The trainers are the engine's (`train::Session`), not a copy.

use std::io::{self, IsTerminal, Stdout, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::app::run_view::{Overlay, RunView};
use crate::app::{App, Browser, DataState, Effect};
use crate::data::fetch::{self, FetchHandle, FetchUpdate};
use crate::data::{source, DatasetName, Prepared, SplitConfig};
use crate::runs::{self, RunRecord};
use crate::train::{RunConfig, Session};
use crate::{headless, presets, report, ui};

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(100);
/// Longest time spent folding trainer events before the next frame or key.
const DRAIN_BUDGET: Duration = Duration::from_millis(20);
const LOADER_THREAD: &str = "bnlab-loader";
const INPUT_THREAD: &str = "bnlab-input";
const REPORT_THREAD: &str = "bnlab-report";

static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);
static LOG: Mutex<Option<std::fs::File>> = Mutex::new(None);
/// Panics of threads other than the UI's, printed after the terminal is restored.
static OTHER_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Appends a line to the log file (never to stdout or stderr while the UI is up).
pub fn log(msg: &str) {
    if let Ok(mut g) = LOG.lock() {
        if let Some(f) = g.as_mut() {
            let _ = writeln!(f, "{} {msg}", chrono::Local::now().format("%H:%M:%S%.3f"));
        }
    }
}

fn open_log() -> Option<PathBuf> {
    let dirs = [
        std::env::var_os("BNLAB_LOG").map(PathBuf::from),
        source::cache_root().map(|d| d.join("bnlab.log")),
        Some(std::env::temp_dir().join("bnlab.log")),
    ];
    for p in dirs.into_iter().flatten() {
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
        {
            if let Ok(mut g) = LOG.lock() {
                *g = Some(f);
            }
            return Some(p);
        }
    }
    None
}

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
struct TermGuard(Terminal<CrosstermBackend<Stdout>>);

impl TermGuard {
    fn enter() -> anyhow::Result<Self> {
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
/// Panics elsewhere (a trainer, the loader) are caught there and shown in the UI; they are
/// logged and repeated on stderr after the UI closes.
fn install_panic_hook() {
    let previous = panic::take_hook();
    let ui_thread = std::thread::current().id();
    panic::set_hook(Box::new(move |info| {
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        log(&format!("panic in thread '{name}': {info}"));
        if std::thread::current().id() == ui_thread {
            restore_terminal();
            previous(info);
        } else if let Ok(mut v) = OTHER_PANICS.lock() {
            v.push(format!("thread '{name}' panicked: {info}"));
        }
    }));
}

type DataKey = (DatasetName, SplitConfig);

struct Loaded {
    key: DataKey,
    result: Result<Arc<Prepared>, String>,
    secs: f64,
}

/// Everything with threads or files: the data cache, the loader and the session.
struct Runtime {
    data_dir: Option<PathBuf>,
    tx: Sender<Loaded>,
    rx: Receiver<Loaded>,
    loading: Option<DataKey>,
    cache: Vec<(DataKey, Arc<Prepared>)>,
    /// A run waiting for its data.
    pending: Option<RunConfig>,
    session: Option<Session>,
    /// Folders written during this UI session, printed after the restore.
    saved: Vec<PathBuf>,
    /// Panics of other threads already shown in the status line.
    panics_seen: usize,
    /// A dataset download on its own thread.
    fetch: Option<FetchHandle>,
    /// Reports being written: the run folder and the path of report.md, or why not.
    report_tx: Sender<(PathBuf, Result<PathBuf, String>)>,
    report_rx: Receiver<(PathBuf, Result<PathBuf, String>)>,
    reports_running: usize,
}

fn key_of(c: &RunConfig) -> DataKey {
    (c.dataset, c.split.clone())
}

impl Runtime {
    fn new(data_dir: Option<PathBuf>) -> Self {
        let (tx, rx) = channel();
        let (report_tx, report_rx) = channel();
        Self {
            data_dir,
            tx,
            rx,
            loading: None,
            cache: Vec::new(),
            pending: None,
            session: None,
            saved: Vec::new(),
            panics_seen: 0,
            fetch: None,
            report_tx,
            report_rx,
            reports_running: 0,
        }
    }

    fn load(&mut self, config: &RunConfig, app: &mut App) {
        let key = key_of(config);
        if self.loading.as_ref() == Some(&key) {
            return;
        }
        self.loading = Some(key.clone());
        app.data.loading = true;
        app.data.status = format!("loading {}…", config.dataset);
        let (tx, dir, config) = (self.tx.clone(), self.data_dir.clone(), config.clone());
        let spawned = std::thread::Builder::new()
            .name(LOADER_THREAD.into())
            .spawn(move || {
                let t0 = Instant::now();
                let result = panic::catch_unwind(AssertUnwindSafe(|| {
                    headless::prepare_data(&config, dir.as_deref())
                }));
                let result = match result {
                    Ok(Ok(p)) => Ok(Arc::new(p)),
                    Ok(Err(e)) => Err(format!("{e:#}")),
                    Err(_) => Err("the data loader panicked (see the log)".into()),
                };
                let _ = tx.send(Loaded {
                    key,
                    result,
                    secs: t0.elapsed().as_secs_f64(),
                });
            });
        if let Err(e) = spawned {
            app.data.loading = false;
            app.data.status = format!("cannot start the data loader: {e}");
            self.loading = None;
        }
    }

    fn cached(&self, key: &DataKey) -> Option<Arc<Prepared>> {
        self.cache
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| p.clone())
    }

    /// Starts `config` now if its data is ready, else once it is.
    fn start(&mut self, config: RunConfig, app: &mut App) {
        self.retire(app, true);
        match self.cached(&key_of(&config)) {
            Some(data) => self.start_session(config, data, app),
            None => {
                self.load(&config, app);
                app.status = Some(format!(
                    "preparing {} — training starts when it is loaded",
                    config.dataset
                ));
                self.pending = Some(config);
            }
        }
    }

    fn start_session(&mut self, config: RunConfig, data: Arc<Prepared>, app: &mut App) {
        log(&format!(
            "starting {} on {} ({} jobs)",
            config.preset,
            config.dataset,
            config.jobs().len()
        ));
        let record = RunRecord::new(config.clone(), headless::data_info(&data));
        self.session = Some(Session::start(config, data));
        app.run_started(record);
    }

    /// Ends the current session. A run still training is saved as interrupted when `save`.
    fn retire(&mut self, app: &mut App, save: bool) {
        self.pending = None;
        let Some(session) = self.session.take() else {
            return;
        };
        let running = app.run.as_ref().is_some_and(|r| r.is_running());
        if !running {
            return;
        }
        session.control.stop();
        if save {
            // Wait for the trainers to report where they stopped (one step at most).
            let deadline = Instant::now() + Duration::from_secs(5);
            while !session.is_done() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            while let Ok(ev) = session.events.try_recv() {
                app.on_event(&ev);
            }
            if let Some(run) = app.run.as_mut() {
                run.record.mark_interrupted();
            }
            self.save_run(app, "interrupted run saved to");
        }
        drop(session);
    }

    fn save_run(&mut self, app: &mut App, what: &str) {
        self.save_into(app, what, None);
    }

    /// Saves the run into a new subfolder of `dir`, chosen after a failed save.
    fn save_to(&mut self, app: &mut App, dir: PathBuf) {
        self.save_into(app, "run saved to", Some(dir));
    }

    /// Saves the run under `parent` when given, else where it was saved before, else in the
    /// runs folder. On failure the run stays in memory and the UI asks for another folder.
    fn save_into(&mut self, app: &mut App, what: &str, parent: Option<PathBuf>) {
        let Some(run) = app.run.as_mut() else {
            return;
        };
        let result = match (&parent, &run.saved_dir) {
            (Some(p), _) => runs::save_new(&run.record, p),
            (None, Some(d)) => runs::save(&run.record, d).map(|_| d.clone()),
            (None, None) => runs::save_new(&run.record, &app.runs_dir),
        };
        match result {
            Ok(dir) => {
                log(&format!("{what} {}", dir.display()));
                app.status = Some(format!("{what} {}", dir.display()));
                run.saved_dir = Some(dir.clone());
                if !self.saved.contains(&dir) {
                    self.saved.push(dir);
                }
            }
            Err(e) => {
                log(&format!("saving failed: {e}"));
                app.save_failed(e.to_string(), parent.unwrap_or_else(runs::fallback_dir));
            }
        }
    }

    /// On the way out: a run that trained here but was never saved (its folder failed and
    /// nobody picked another) goes to the runs folder if that works now, else the temp one.
    fn save_unsaved(&mut self, app: &mut App) {
        let Some(run) = app.run.as_mut() else {
            return;
        };
        if !run.live || run.saved_dir.is_some() {
            return;
        }
        for dir in [app.runs_dir.clone(), runs::fallback_dir()] {
            match runs::save_new(&run.record, &dir) {
                Ok(d) => {
                    log(&format!("unsaved run saved to {}", d.display()));
                    self.saved.push(d);
                    return;
                }
                Err(e) => log(&format!("saving to {} failed: {e}", dir.display())),
            }
        }
    }

    fn apply(&mut self, effect: Effect, app: &mut App) {
        match effect {
            Effect::StartRun(c) => self.start(*c, app),
            Effect::Pause => {
                if let Some(s) = &self.session {
                    s.control.pause();
                    app.status = Some("paused: space resumes".into());
                }
            }
            Effect::Resume => {
                if let Some(s) = &self.session {
                    s.control.resume();
                    app.status = None;
                }
            }
            Effect::Stop => {
                if let Some(s) = &self.session {
                    s.control.stop();
                }
            }
            Effect::Restart => {
                if let Some(c) = app.run.as_ref().map(|r| r.record.config.clone()) {
                    self.retire(app, false);
                    self.start(c, app);
                }
            }
            Effect::Export => {
                if app.run.as_ref().is_some_and(|r| !r.live) {
                    let d = app.run.as_ref().and_then(|r| r.saved_dir.clone());
                    app.status = d.map(|d| format!("this run is saved in {}", d.display()));
                } else {
                    self.save_run(app, "exported to");
                }
            }
            Effect::Quit => app.quit = true,
            Effect::SaveTo(dir) => self.save_to(app, dir),
            Effect::OpenRun { dir, overlay } => match runs::load(&dir) {
                Ok(rec) => {
                    let mut view = RunView::saved(rec, dir.clone());
                    if let Some(o) = overlay {
                        match runs::load(&o) {
                            Ok(r2) => {
                                let label = o
                                    .file_name()
                                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                                view.overlay = Some(Box::new(Overlay::new(label, r2)));
                            }
                            Err(e) => app.status = Some(format!("cannot overlay: {e}")),
                        }
                    }
                    app.run_opened(view);
                    if let Some(s) = self.session.take() {
                        // A finished session has nothing left to report.
                        drop(s);
                    }
                }
                Err(e) => {
                    app.browser.error = Some(e.to_string());
                    app.status = Some(format!("cannot open: {e}"));
                }
            },
            Effect::Fetch(name) => {
                if self.fetch.is_some() {
                    return;
                }
                let dir = fetch::target_dir(name, self.data_dir.as_deref());
                log(&format!(
                    "downloading {name} into {}",
                    dir.as_ref()
                        .map_or("the default folder".into(), |d| d.display().to_string())
                ));
                app.fetch_started(dir.clone());
                self.fetch = Some(fetch::spawn_fetch(name, dir, fetch_mirrors()));
            }
            Effect::CancelFetch => {
                if let Some(h) = &self.fetch {
                    h.cancel();
                }
            }
            Effect::LoadData(name) => {
                let preset = app.form.preset.min(presets::PRESETS.len() - 1);
                let config = presets::PRESETS[preset].config(name);
                self.load(&config, app);
            }
            Effect::WriteReport(dir) => {
                let tx = self.report_tx.clone();
                let spawned = std::thread::Builder::new()
                    .name(REPORT_THREAD.into())
                    .spawn(move || {
                        let result = panic::catch_unwind(AssertUnwindSafe(|| {
                            report::write::write_report(std::slice::from_ref(&dir), None)
                        }));
                        let result = match result {
                            Ok(Ok(p)) => Ok(p),
                            Ok(Err(e)) => Err(format!("{e:#}")),
                            Err(_) => Err("the report writer panicked (see the log)".into()),
                        };
                        let _ = tx.send((dir, result));
                    });
                match spawned {
                    Ok(_) => self.reports_running += 1,
                    Err(e) => app.status = Some(format!("cannot start the report writer: {e}")),
                }
            }
            Effect::ScanRuns => {
                let sel = app.browser.selected;
                app.browser = Browser::scan(&app.runs_dir);
                app.browser.move_by(0);
                app.browser.selected = sel.min(app.browser.entries.len().saturating_sub(1));
            }
        }
    }

    /// Folds what the download thread sent.
    fn pump_fetch(&mut self, app: &mut App) -> bool {
        let Some(h) = &self.fetch else {
            return false;
        };
        let mut changed = false;
        let mut ended = None;
        loop {
            match h.updates.try_recv() {
                Ok(FetchUpdate::Done(r)) => {
                    ended = Some(FetchUpdate::Done(r));
                    break;
                }
                Ok(u) => {
                    changed = true;
                    let _ = app.on_fetch_update(u);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    // The thread died without its last message (it panicked).
                    if let Some(e) = app.on_fetch_done(
                        Err("the download thread stopped unexpectedly (see the log)".into()),
                        false,
                    ) {
                        self.apply(e, app);
                    }
                    self.fetch = None;
                    return true;
                }
            }
        }
        if let Some(u) = ended {
            self.fetch = None;
            if let FetchUpdate::Done(r) = &u {
                match r {
                    Ok(d) => log(&format!("download installed in {}", d.display())),
                    Err(e) => log(&format!("download ended: {e}")),
                }
            }
            if let Some(e) = app.on_fetch_update(u) {
                self.apply(e, app);
            }
            // `available` is what the app believes; the disk has the last word.
            let found = available_datasets(self.data_dir.as_deref());
            for d in found {
                if !app.data.available.contains(&d) {
                    app.data.available.push(d);
                }
            }
            changed = true;
        }
        changed
    }

    /// Stops a download still running when the UI closes, so no partial file is left.
    fn stop_fetch(&mut self) {
        if let Some(h) = self.fetch.take() {
            h.cancel();
            let deadline = Instant::now() + Duration::from_secs(3);
            while !h.thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Folds what the loader and the trainers sent; true when something changed.
    fn pump(&mut self, app: &mut App) -> bool {
        let mut changed = self.pump_fetch(app);
        while let Ok((dir, result)) = self.report_rx.try_recv() {
            changed = true;
            self.reports_running = self.reports_running.saturating_sub(1);
            let msg = match result {
                Ok(p) => format!("report written: {}", p.display()),
                Err(e) => format!(
                    "report for {} failed: {}",
                    dir.display(),
                    crate::app::download::one_line(&e)
                ),
            };
            log(&msg);
            app.status = Some(msg);
        }
        while let Ok(l) = self.rx.try_recv() {
            changed = true;
            if self.loading.as_ref() == Some(&l.key) {
                self.loading = None;
                app.data.loading = false;
            }
            match l.result {
                Ok(p) => {
                    app.data.status = format!(
                        "{} ready: {} train / {} val / {} test ({:.1} s)",
                        p.name,
                        p.train.len(),
                        p.val.len(),
                        p.test.len(),
                        l.secs
                    );
                    log(&app.data.status);
                    self.cache.retain(|(k, _)| k != &l.key);
                    self.cache.push((l.key.clone(), p.clone()));
                    if self.cache.len() > 2 {
                        self.cache.remove(0);
                    }
                    if self.pending.as_ref().is_some_and(|c| key_of(c) == l.key) {
                        if let Some(c) = self.pending.take() {
                            self.start_session(c, p, app);
                        }
                    }
                }
                Err(e) => {
                    log(&format!("data: {e}"));
                    app.data.status = "data could not be loaded".into();
                    app.status = Some(e.lines().next().unwrap_or("").to_string());
                    if self.pending.as_ref().is_some_and(|c| key_of(c) == l.key) {
                        self.pending = None;
                        app.form.error = Some((0, e));
                    }
                }
            }
        }
        if let Some(s) = &self.session {
            let t0 = Instant::now();
            while let Ok(ev) = s.events.try_recv() {
                app.on_event(&ev);
                changed = true;
                if t0.elapsed() > DRAIN_BUDGET {
                    break;
                }
            }
        }
        let finished = app
            .run
            .as_ref()
            .is_some_and(|r| r.live && r.all_final() && !r.saved_final);
        if finished {
            self.save_run(app, "run saved to");
            if let Some(r) = app.run.as_mut() {
                r.saved_final = true;
            }
            self.session = None;
            changed = true;
        }
        if let Ok(mut v) = OTHER_PANICS.lock() {
            if v.len() > self.panics_seen {
                self.panics_seen = v.len();
                let first_line = v.last().and_then(|p| p.lines().next()).unwrap_or("");
                app.status = Some(format!("{first_line} (details in the log)"));
                changed = true;
            }
            // Kept for printing after the UI closes, but bounded.
            let n = v.len();
            if n > 20 {
                v.drain(..n - 20);
                self.panics_seen = 20;
            }
        }
        changed
    }

    fn busy(&self) -> bool {
        self.loading.is_some()
            || self.fetch.is_some()
            || self.reports_running > 0
            || self.session.as_ref().is_some_and(|s| !s.is_done())
    }
}

/// Mirrors for the in-UI download: `BNLAB_MIRRORS` (comma-separated base URLs, as
/// `bnlab data fetch --mirror`) or, when unset, the defaults. Lets a machine behind a local
/// mirror, and the end-to-end test, download without the public internet.
fn fetch_mirrors() -> Vec<String> {
    std::env::var("BNLAB_MIRRORS")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Datasets that can be loaded without downloading.
pub fn available_datasets(data_dir: Option<&Path>) -> Vec<DatasetName> {
    // --data-dir names one folder of MNIST-style files: it counts as full MNIST, and
    // Fashion-MNIST only counts when found in its own standard places.
    let mut v = Vec::new();
    if source::locate(DatasetName::Mnist, data_dir).is_some() {
        v.push(DatasetName::Mnist);
    }
    if source::locate(DatasetName::FashionMnist, None).is_some() {
        v.push(DatasetName::FashionMnist);
    }
    v.push(DatasetName::Mnist5k);
    v
}

pub fn run(data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let t0 = Instant::now();
    if !io::stdout().is_terminal() {
        anyhow::bail!(
            "stdout is not a terminal, so bnlab does not draw its UI here.\n\
             To train without a UI use `bnlab run` (e.g. `bnlab run --preset ioffe2015`; see `bnlab presets` and `bnlab run --help`)."
        );
    }
    let log_path = open_log();
    log("bnlab UI starting");
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, interrupted.clone())
            .context("installing signal handler")?;
    }
    install_panic_hook();

    let available = available_datasets(data_dir.as_deref());
    let mut app = App::new(DataState::new(available), PathBuf::from(runs::DEFAULT_DIR));
    app.log_path = log_path.clone();
    let mut rt = Runtime::new(data_dir);
    let mut term = TermGuard::enter()?;
    if let Ok(s) = term.0.size() {
        app.on_resize(s.width, s.height);
    }
    // Warm the data of the default experiment while the user reads the menu.
    let warm = presets::PRESETS[0].config(app.data.best);
    rt.load(&warm, &mut app);
    term.0.draw(|f| ui::draw(f, &app))?;
    log(&format!(
        "first frame after {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    ));

    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        event_loop(&mut term, &mut app, &mut rt, &interrupted)
    }));

    // Whatever ended the loop, a run still training is saved before leaving.
    if app.run.as_ref().is_some_and(|r| r.is_running()) {
        rt.retire(&mut app, true);
    }
    rt.save_unsaved(&mut app);
    rt.stop_fetch();
    drop(term);
    // After a hang-up there is no terminal left; `eprintln!` would panic on the write.
    let mut err = io::stderr();
    for dir in &rt.saved {
        let _ = writeln!(err, "bnlab: run saved in {}", dir.display());
    }
    if let Ok(v) = OTHER_PANICS.lock() {
        for p in v.iter() {
            let _ = writeln!(err, "bnlab: {p}");
        }
    }
    match result {
        // After a hang-up the terminal is gone, so drawing fails too; that is the signal's
        // doing, not an error to report (there is nowhere to report it anyway).
        Ok(Err(e)) if interrupted.load(Ordering::SeqCst) => {
            log(&format!("after the signal: {e:#}"));
            Ok(())
        }
        Ok(r) => r,
        Err(p) => panic::resume_unwind(p),
    }
}

/// Terminal input on its own thread. After a hang-up crossterm's read loops forever inside
/// the library (the closed tty keeps reporting readable), so reading on the UI thread would
/// never return to see the SIGHUP flag and save the run; here only this thread is stuck,
/// and it ends with the process.
fn spawn_input() -> anyhow::Result<Receiver<io::Result<TermEvent>>> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name(INPUT_THREAD.into())
        .spawn(move || loop {
            let ev = event::read();
            let failed = ev.is_err();
            if tx.send(ev).is_err() || failed {
                break;
            }
        })
        .context("starting the terminal input thread")?;
    Ok(rx)
}

fn event_loop(
    term: &mut TermGuard,
    app: &mut App,
    rt: &mut Runtime,
    interrupted: &AtomicBool,
) -> anyhow::Result<()> {
    let mut dirty = false;
    let mut last_draw = Instant::now();
    let (mut frames, mut draw_time, mut worst) = (0u32, Duration::ZERO, Duration::ZERO);
    let mut last_report = Instant::now();
    // Fault injection for the end-to-end test of the panic path.
    #[cfg(feature = "fault-injection")]
    let inject_panic = std::env::var("BNLAB_TEST_PANIC").is_ok_and(|v| v == "ui");
    let input = spawn_input()?;
    while !app.quit {
        #[cfg(feature = "fault-injection")]
        if inject_panic {
            panic!("injected UI panic (BNLAB_TEST_PANIC=ui)");
        }
        if interrupted.load(Ordering::SeqCst) {
            log("signal received: quitting");
            app.quit = true;
            break;
        }
        let timeout = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else if rt.busy() {
            FRAME
        } else {
            Duration::from_millis(500)
        };
        let mut next = match input.recv_timeout(timeout) {
            Ok(ev) => Some(ev),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the terminal input thread ended"),
        };
        while let Some(ev) = next.take() {
            match ev.context("reading the terminal")? {
                TermEvent::Key(k) => {
                    if let Some(e) = app.on_key(k) {
                        rt.apply(e, app);
                    }
                }
                TermEvent::Mouse(m) => {
                    if let Some(e) = app.on_mouse(m) {
                        rt.apply(e, app);
                    }
                }
                TermEvent::Resize(w, h) => {
                    app.on_resize(w, h);
                    term.0.autoresize()?;
                }
                _ => {}
            }
            dirty = true;
            if !app.quit {
                next = input.try_recv().ok();
            }
        }
        if rt.pump(app) {
            dirty = true;
        }
        if dirty && !app.quit && last_draw.elapsed() >= FRAME {
            let t = Instant::now();
            term.0.draw(|f| ui::draw(f, app))?;
            let dt = t.elapsed();
            frames += 1;
            draw_time += dt;
            worst = worst.max(dt);
            last_draw = Instant::now();
            dirty = false;
        }
        if last_report.elapsed() > Duration::from_secs(30) && frames > 0 {
            log(&format!(
                "frames: {frames} in 30 s, mean {:.2} ms, worst {:.2} ms (draw incl. terminal output)",
                draw_time.as_secs_f64() * 1e3 / frames as f64,
                worst.as_secs_f64() * 1e3
            ));
            (frames, draw_time, worst) = (0, Duration::ZERO, Duration::ZERO);
            last_report = Instant::now();
        }
    }
    Ok(())
}
