//! Saving runs. A save writes its folder on a thread of its own and reports with
//! `Msg::Saved`, so the UI keeps drawing meanwhile; a second save of the shown run waits
//! for the first (it then knows the folder). On the way out saves run inline.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use crate::app::App;
use crate::runs::{self, RunRecord};

use super::events::{JobError, Msg, Saved};
use super::runtime::Runtime;

/// Where a save goes.
enum Target {
    /// A new subfolder of this folder.
    New(PathBuf),
    /// This run folder, written again.
    Into(PathBuf),
}

struct SaveJob {
    /// The session of the run.
    run: u64,
    what: &'static str,
    /// The folder the user asked for, suggested again should it fail.
    parent: Option<PathBuf>,
    target: Target,
    /// The run is not shown any more: on failure the temporary folder is tried, as there
    /// is nobody to ask.
    detached: bool,
    record: RunRecord,
}

impl SaveJob {
    fn run(self) -> Saved {
        let first = match &self.target {
            Target::New(p) => crate::analysis::save_new(&self.record, p),
            Target::Into(d) => crate::analysis::save(&self.record, d).map(|_| d.clone()),
        };
        let result = match first {
            Err(e) if self.detached => {
                log::warn!("saving failed: {e}; trying the temporary folder");
                crate::analysis::save_new(&self.record, &runs::fallback_dir())
            }
            r => r,
        }
        .map_err(JobError::from);
        let failed = result.is_err().then(|| Box::new(self.record));
        Saved {
            run: self.run,
            what: self.what,
            parent: self.parent,
            detached: self.detached,
            result,
            failed,
        }
    }
}

impl Runtime {
    fn spawn_save(&mut self, job: SaveJob, app: &mut App) {
        if self.closing {
            let saved = job.run();
            self.on_saved(saved, app);
            return;
        }
        let (tx, run, what, parent, detached) = (
            self.tx.clone(),
            job.run,
            job.what,
            job.parent.clone(),
            job.detached,
        );
        let spawned = std::thread::Builder::new()
            .name("bnlab-save".into())
            .spawn(move || {
                let saved =
                    panic::catch_unwind(AssertUnwindSafe(|| job.run())).unwrap_or_else(|_| Saved {
                        run,
                        what,
                        parent,
                        detached,
                        result: Err(JobError::Panicked("saver")),
                        failed: None,
                    });
                let _ = tx.send(Msg::Saved(saved));
            });
        match spawned {
            Ok(_) => self.saves_running += 1,
            // The run stays in memory; the way out saves it if it is still shown.
            Err(e) => app.status = Some(format!("could not save: cannot start a thread: {e}")),
        }
    }

    /// Saves the shown run under `parent` when given, else where it was saved before, else
    /// in the runs folder. On failure the run stays in memory and the UI asks for another
    /// folder.
    pub fn save_into(&mut self, app: &mut App, what: &'static str, parent: Option<PathBuf>) {
        let (Some(run), Some(id)) = (app.run.as_ref(), self.shown) else {
            return;
        };
        if self.saving_shown == Some(id) {
            self.save_again = Some((what, parent));
            return;
        }
        let target = match (&parent, &run.saved_dir) {
            (Some(p), _) => Target::New(p.clone()),
            (None, Some(d)) => Target::Into(d.clone()),
            (None, None) => Target::New(app.runs_dir.clone()),
        };
        let job = SaveJob {
            run: id,
            what,
            parent,
            target,
            detached: false,
            record: run.record.clone(),
        };
        self.saving_shown = Some(id);
        self.spawn_save(job, app);
    }

    /// A save ended.
    pub fn on_saved(&mut self, s: Saved, app: &mut App) {
        let shown = self.shown == Some(s.run) && !s.detached;
        if self.saving_shown == Some(s.run) {
            self.saving_shown = None;
        }
        match s.result {
            Ok(dir) => {
                log::info!("{} {}", s.what, dir.display());
                if shown {
                    app.status = Some(format!("{} {}", s.what, dir.display()));
                    if let Some(run) = app.run.as_mut() {
                        run.saved_dir = Some(dir.clone());
                    }
                } else if let Some(v) = self
                    .retiring
                    .iter_mut()
                    .find(|r| r.id == s.run)
                    .and_then(|r| r.view.as_mut())
                {
                    v.saved_dir = Some(dir.clone());
                }
                if !self.saved.contains(&dir) {
                    self.saved.push(dir);
                }
            }
            Err(e) if shown => {
                log::warn!("saving failed: {e}");
                app.save_failed(e.to_string(), s.parent.unwrap_or_else(runs::fallback_dir));
            }
            Err(e) => {
                log::warn!("saving failed: {e}");
                // Replaced on the screen meanwhile: try again where nobody needs asking.
                if let Some(record) = s.failed.filter(|_| !s.detached) {
                    let job = SaveJob {
                        run: s.run,
                        what: s.what,
                        parent: None,
                        target: Target::New(app.runs_dir.clone()),
                        detached: true,
                        record: *record,
                    };
                    self.spawn_save(job, app);
                }
            }
        }
        if shown && self.saving_shown.is_none() {
            if let Some((what, parent)) = self.save_again.take() {
                self.save_into(app, what, parent);
            }
        }
    }

    /// A retiring session's trainers are done: save its run as interrupted.
    pub fn retired(&mut self, app: &mut App, id: u64) {
        let Some(i) = self.retiring.iter().position(|r| r.id == id) else {
            return;
        };
        match self.retiring.remove(i).view {
            Some(mut view) => {
                view.record.mark_interrupted();
                let target = match view.saved_dir {
                    Some(d) => Target::Into(d),
                    None => Target::New(app.runs_dir.clone()),
                };
                let job = SaveJob {
                    run: id,
                    what: "interrupted run saved to",
                    parent: None,
                    target,
                    detached: true,
                    record: view.record,
                };
                self.spawn_save(job, app);
            }
            None => {
                if let Some(run) = app.run.as_mut() {
                    run.record.mark_interrupted();
                }
                self.save_into(app, "interrupted run saved to", None);
            }
        }
    }

    /// A run that trained to its end is saved once.
    pub fn save_if_finished(&mut self, app: &mut App) -> bool {
        let finished = app
            .run
            .as_ref()
            .is_some_and(|r| r.live && r.all_final() && !r.saved_final);
        if finished {
            self.save_into(app, "run saved to", None);
            if let Some(r) = app.run.as_mut() {
                r.saved_final = true;
            }
            if self.session.as_ref().map(|s| s.0) == self.shown {
                self.session = None;
            }
        }
        finished
    }

    /// On the way out: a run that trained here but was never saved (its folder failed and
    /// nobody picked another) goes to the runs folder if that works now, else the temp one.
    pub fn save_unsaved(&mut self, app: &mut App) {
        let Some(run) = app.run.as_mut() else {
            return;
        };
        if !run.live || run.saved_dir.is_some() {
            return;
        }
        for dir in [app.runs_dir.clone(), runs::fallback_dir()] {
            match crate::analysis::save_new(&run.record, &dir) {
                Ok(d) => {
                    log::info!("unsaved run saved to {}", d.display());
                    self.saved.push(d);
                    return;
                }
                Err(e) => log::warn!("saving to {} failed: {e}", dir.display()),
            }
        }
    }
}
