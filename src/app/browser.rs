//! The saved-runs browser: the run folders on disk, one selected, any number marked to
//! overlay on the selected one (tagged B, C, … in the order they were marked).

use std::path::{Path, PathBuf};

use crate::runs;

#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    pub dir: PathBuf,
    pub name: String,
    /// One line: preset, dataset and the main settings, or why the folder cannot be read.
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Browser {
    pub entries: Vec<RunEntry>,
    pub selected: usize,
    /// Marked runs, in the order they were marked.
    pub marked: Vec<usize>,
    pub error: Option<String>,
}

impl Browser {
    /// Reads the run folders under `parent` (only their config, so it is quick).
    pub fn scan(parent: &Path) -> Self {
        let entries = runs::list(parent)
            .into_iter()
            .map(|dir| {
                let name = dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let detail = match runs::folder::load_config(&dir) {
                    Ok(f) => {
                        let c = &f.config;
                        let variants: Vec<&str> = c.variants.iter().map(|v| v.as_str()).collect();
                        let sweep = c.sweep.as_ref().map_or(String::new(), |s| {
                            format!("  sweep {} {:?}", s.param.as_str(), s.values)
                        });
                        format!(
                            "{} on {}  {}  lr {}  batch {}  {} epochs  {}{sweep}",
                            c.preset,
                            c.dataset,
                            variants.join("+"),
                            c.lr,
                            c.batch_size,
                            c.epochs,
                            c.activation
                        )
                    }
                    Err(e) => format!("unreadable: {e}"),
                };
                RunEntry { dir, name, detail }
            })
            .collect();
        Self {
            entries,
            selected: 0,
            marked: Vec::new(),
            error: None,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.entries.is_empty() {
            self.selected = 0;
            return;
        }
        let n = self.entries.len() as isize;
        self.selected = (self.selected as isize + delta).clamp(0, n - 1) as usize;
    }

    pub fn toggle_mark(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        match self.marked.iter().position(|&m| m == self.selected) {
            Some(i) => {
                self.marked.remove(i);
            }
            None => self.marked.push(self.selected),
        }
    }

    pub fn selected_dir(&self) -> Option<&Path> {
        self.entries.get(self.selected).map(|e| e.dir.as_path())
    }

    /// The marked runs other than the selected one, in the order they were marked.
    pub fn overlay_dirs(&self) -> Vec<PathBuf> {
        self.marked
            .iter()
            .filter(|&&m| m != self.selected)
            .filter_map(|&m| self.entries.get(m))
            .map(|e| e.dir.clone())
            .collect()
    }

    /// The tag of entry `i` when it is marked (B for the first marked, then C, …).
    pub fn tag(&self, i: usize) -> Option<char> {
        let k = self.marked.iter().position(|&m| m == i)?;
        Some(char::from(b'B' + (k % 25) as u8))
    }
}

impl super::App {
    pub(super) fn browser_action(&mut self, action: super::Action) -> Option<super::Effect> {
        use super::{Action, Effect, Screen};
        match action {
            Action::Back => self.screen = Screen::Menu,
            Action::Up => self.browser.move_by(-1),
            Action::Down => self.browser.move_by(1),
            Action::PageUp => self.browser.move_by(-10),
            Action::PageDown => self.browser.move_by(10),
            Action::Mark => self.browser.toggle_mark(),
            Action::Rescan => return Some(Effect::ScanRuns),
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
}
