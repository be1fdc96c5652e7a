//! What the keys of the saved-runs browser do, its filter field's too, and what is left to
//! do once a run folder was deleted.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent};

use super::confirm::Confirm;
use super::{Action, App, Effect, Screen};

impl App {
    pub(super) fn browser_action(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Back => self.screen = Screen::Menu,
            Action::Up => self.browser.move_by(-1),
            Action::Down => self.browser.move_by(1),
            Action::PageUp => self.browser.move_by(-10),
            Action::PageDown => self.browser.move_by(10),
            Action::Mark => self.browser.toggle_mark(),
            Action::Rescan => return Some(Effect::ScanRuns),
            Action::Sort => self.browser.next_sort(),
            Action::Reverse => self.browser.reverse(),
            Action::Filter => self.browser.filtering = true,
            Action::Delete => self.ask_delete(),
            Action::Report => {
                let dir = self.browser.selected_dir()?.to_path_buf();
                self.status = Some(format!("writing the report for {}…", dir.display()));
                return Some(Effect::WriteReport(dir));
            }
            Action::ToRun => self.back_to_run(),
            Action::Open => {
                let dir = self.browser.selected_dir()?.to_path_buf();
                let overlays = self.browser.overlay_dirs();
                return self.guarded(Effect::OpenRun { dir, overlays });
            }
            _ => {}
        }
        None
    }

    /// Typing into the filter: the list follows each key.
    pub(super) fn browser_filter_action(&mut self, action: Action, key: KeyEvent) {
        let b = &mut self.browser;
        match action {
            Action::Type => {
                if let KeyCode::Char(c) = key.code {
                    let mut f = b.filter.clone();
                    f.push(c);
                    b.set_filter(f);
                }
            }
            Action::Erase => {
                let mut f = b.filter.clone();
                f.pop();
                b.set_filter(f);
            }
            Action::Accept => b.filtering = false,
            Action::Cancel => {
                b.filtering = false;
                b.set_filter(String::new());
            }
            _ => {}
        }
    }

    /// Deleting throws a run away for good, so it goes through the confirmation box. The
    /// folder of the run in training is refused: its next save would write into nothing.
    fn ask_delete(&mut self) {
        let Some(e) = self.browser.selected_entry() else {
            return;
        };
        let live = self
            .run
            .as_ref()
            .filter(|r| r.live)
            .and_then(|r| r.saved_dir.as_deref());
        if live == Some(e.dir.as_path()) {
            self.status =
                Some("that is the current run's folder: start or open another first".into());
            return;
        }
        let mut lines = vec![
            e.name.clone(),
            format!(
                "{} on {}, {}, saved {}.",
                e.preset,
                e.dataset,
                e.status(),
                e.date
            ),
            "Its folder and every file in it are removed for good.".into(),
        ];
        if self.browser.tag(&e.dir).is_some() {
            lines.push("It is dropped from the marked runs.".into());
        }
        self.confirm = Some(Confirm {
            title: "Delete this run?",
            lines,
            yes: Effect::DeleteRun(e.dir.clone()),
        });
    }

    /// The folder `dir` was deleted: it leaves the list, the marks and the overlays of the
    /// run on screen, and a saved run shown from it is closed.
    pub fn run_deleted(&mut self, dir: &Path) {
        self.browser.forget(dir);
        if let Some(run) = self.run.as_mut() {
            run.overlays
                .retain(|o| o.view.saved_dir.as_deref() != Some(dir));
            for (k, o) in run.overlays.iter_mut().enumerate() {
                o.tag = format!("{} ", char::from(b'B' + (k % 25) as u8));
            }
        }
        if self
            .run
            .as_ref()
            .is_some_and(|r| !r.live && r.saved_dir.as_deref() == Some(dir))
        {
            self.run = None;
        }
        self.status = Some(format!("deleted {}", dir.display()));
    }
}
