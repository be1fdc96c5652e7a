//! Carrying out what the app asks for ([`Effect`]) and folding in what the threads send
//! ([`Msg`]). Both return at once: work that takes time is on a thread whose result comes
//! back as another message.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use crate::app::download::one_line;
use crate::app::run_view::Overlay;
use crate::app::{App, DownloadFailure, Effect, RunView};
use crate::data::fetch::{self, FetchUpdate};
use crate::{presets, report, runs};

use super::events::{self, JobError, Msg};
use super::runtime::{available_datasets, Runtime};

/// Panics of other threads kept for printing after the UI closes.
const KEPT_PANICS: usize = 20;

impl Runtime {
    pub fn apply(&mut self, effect: Effect, app: &mut App) {
        let control = self.session.as_ref().map(|(_, s)| s.control.clone());
        match effect {
            Effect::StartRun(c) => self.start(*c, app),
            Effect::Pause => {
                if let Some(c) = control {
                    c.pause();
                    app.status = Some("paused: space resumes".into());
                }
            }
            Effect::Resume => {
                self.step_once = None;
                if let Some(c) = control {
                    c.resume();
                    app.status = None;
                }
            }
            Effect::StepOnce => {
                if let (Some(c), Some(run)) = (control, app.run.as_ref()) {
                    let running = run
                        .record
                        .jobs
                        .iter()
                        .filter(|j| j.status == crate::train::Status::Running)
                        .map(|j| j.id)
                        .collect();
                    self.step_once = Some(running);
                    c.resume();
                }
            }
            Effect::Stop => {
                if let Some(c) = control {
                    c.stop();
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
                    self.save_into(app, "exported to", None);
                }
            }
            Effect::Quit => app.quit = true,
            Effect::SaveTo(dir) => self.save_into(app, "run saved to", Some(dir)),
            Effect::OpenRun { dir, overlays } => self.open_run(app, dir, overlays),
            Effect::Fetch(name) => {
                if self.fetch.is_some() {
                    return;
                }
                let dir = fetch::target_dir(name, self.data_dir.as_deref());
                log::info!(
                    "downloading {name} into {}",
                    dir.as_ref()
                        .map_or("the default folder".into(), |d| d.display().to_string())
                );
                app.fetch_started(dir.clone());
                let mut h = fetch::spawn_fetch(name, dir, fetch_mirrors());
                events::forward_fetch(&mut h.updates, self.tx.clone());
                self.fetch = Some(h);
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
            Effect::WriteReport(dir) => self.write_report(app, dir),
            Effect::ScanRuns => app.browser.rescan(&app.runs_dir),
            Effect::DeleteRun(dir) => match runs::remove::delete_run(&dir) {
                Ok(()) => {
                    app.run_deleted(&dir);
                    app.browser.rescan(&app.runs_dir);
                }
                Err(e) => app.status = Some(format!("cannot delete: {e}")),
            },
        }
    }

    /// Pauses again once every trainer running at a single step has logged (or ended).
    fn after_step_once(&mut self, event: &crate::train::Event) {
        use crate::train::Event;
        let Some(left) = self.step_once.as_mut() else {
            return;
        };
        if let Event::Metrics { id, .. } | Event::Finished { id, .. } = event {
            left.retain(|j| j != id);
        }
        if left.is_empty() {
            self.step_once = None;
            if let Some((_, s)) = &self.session {
                s.control.pause();
            }
        }
    }

    fn open_run(&mut self, app: &mut App, dir: PathBuf, overlays: Vec<PathBuf>) {
        match runs::load(&dir) {
            Ok(rec) => {
                let mut view = RunView::saved(rec, dir);
                for o in overlays {
                    match runs::load(&o) {
                        Ok(r2) => {
                            let k = view.overlays.len();
                            view.overlays.push(Overlay::new(k, r2, o));
                        }
                        Err(e) => app.status = Some(format!("cannot overlay: {e}")),
                    }
                }
                // A run still training is saved (interrupted) rather than dropped.
                self.retire(app, true);
                self.detach_shown(app);
                app.run_opened(view);
            }
            Err(e) => {
                app.browser.error = Some(e.to_string());
                app.status = Some(format!("cannot open: {e}"));
            }
        }
    }

    fn write_report(&mut self, app: &mut App, dir: PathBuf) {
        let tx = self.tx.clone();
        let spawned = std::thread::Builder::new()
            .name("bnlab-report".into())
            .spawn(move || {
                let result = panic::catch_unwind(AssertUnwindSafe(|| {
                    report::write::write_report(std::slice::from_ref(&dir), None)
                }));
                let result = match result {
                    Ok(Ok(p)) => Ok(p),
                    Ok(Err(e)) => Err(JobError::from(e)),
                    Err(_) => Err(JobError::Panicked("report writer")),
                };
                let _ = tx.send(Msg::Report { dir, result });
            });
        match spawned {
            Ok(_) => self.reports_running += 1,
            Err(e) => app.status = Some(format!("cannot start the report writer: {e}")),
        }
    }

    /// Folds in a message of a thread (not terminal input); true when the screen changed.
    pub fn handle(&mut self, msg: Msg, app: &mut App) -> bool {
        match msg {
            Msg::Input(_) | Msg::Signal => return false,
            Msg::Train { session, event } => {
                if self.shown == Some(session) {
                    app.on_event(&event);
                    self.after_step_once(&event);
                    if self.session.as_ref().is_some_and(|s| s.0 == session) {
                        self.save_if_finished(app);
                    }
                } else if let Some(v) = self
                    .retiring
                    .iter_mut()
                    .find(|r| r.id == session)
                    .and_then(|r| r.view.as_mut())
                {
                    v.apply(&event);
                    return false;
                } else {
                    return false;
                }
            }
            Msg::TrainDone { session } => {
                self.alive.retain(|&id| id != session);
                self.retired(app, session);
            }
            Msg::Fetch(u) => {
                if let FetchUpdate::Done(r) = &u {
                    match r {
                        Ok(d) => log::info!("download installed in {}", d.display()),
                        Err(e) => log::warn!("download ended: {e}"),
                    }
                    self.fetch = None;
                }
                let done = matches!(u, FetchUpdate::Done(_));
                if let Some(e) = app.on_fetch_update(u) {
                    self.apply(e, app);
                }
                if done {
                    self.rescan_datasets(app);
                }
            }
            Msg::FetchGone => {
                self.fetch = None;
                if let Some(e) = app.on_fetch_done(Err(DownloadFailure::ThreadGone)) {
                    self.apply(e, app);
                }
            }
            Msg::Saved(s) => {
                self.saves_running = self.saves_running.saturating_sub(1);
                self.on_saved(s, app);
            }
            Msg::Loaded { key, result, secs } => self.loaded(app, key, result, secs),
            Msg::Report { dir, result } => {
                self.reports_running = self.reports_running.saturating_sub(1);
                let msg = match result {
                    Ok(p) => format!("report written: {}", p.display()),
                    Err(e) => format!(
                        "report for {} failed: {}",
                        dir.display(),
                        one_line(&e.to_string())
                    ),
                };
                log::info!("{msg}");
                app.status = Some(msg);
            }
            Msg::Panic(p) => {
                let first_line = p.lines().next().unwrap_or("");
                app.status = Some(format!("{first_line} (details in the log)"));
                self.panics.push(p);
                if self.panics.len() > KEPT_PANICS {
                    self.panics.remove(0);
                }
            }
        }
        true
    }

    /// `available` is what the app believes; the disk has the last word.
    fn rescan_datasets(&mut self, app: &mut App) {
        for d in available_datasets(self.data_dir.as_deref()) {
            if !app.data.available.contains(&d) {
                app.data.available.push(d);
            }
        }
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
