//! The "save elsewhere" box: shown when a run could not be written where it should go
//! (`saved_runs/` not writable, disk full). The run stays in memory meanwhile; if the app
//! quits first, it is written to the temporary folder instead.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Effect};

#[derive(Debug, Clone, PartialEq)]
pub struct SaveAs {
    /// The folder typed so far; the run goes into a new subfolder of it.
    pub path: String,
    /// Why the last attempt failed.
    pub error: String,
}

impl App {
    /// Saving failed: keep the run and ask where else it should go, suggesting `suggestion`.
    pub fn save_failed(&mut self, error: String, suggestion: PathBuf) {
        self.status = Some(format!("could not save: {error}"));
        self.save_as = Some(SaveAs {
            path: suggestion.display().to_string(),
            error,
        });
    }

    pub(super) fn save_as_action(&mut self, action: Action, key: KeyEvent) -> Option<Effect> {
        let s = self.save_as.as_mut()?;
        match action {
            Action::SaveHere if !s.path.trim().is_empty() => {
                let dir = PathBuf::from(s.path.trim());
                self.save_as = None;
                return Some(Effect::SaveTo(dir));
            }
            Action::Keep => {
                self.save_as = None;
                self.status = Some("the run is kept in memory: e tries to save it again".into());
            }
            Action::Erase => {
                s.path.pop();
            }
            Action::Type => {
                if let KeyCode::Char(c) = key.code {
                    s.path.push(c);
                }
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::DataState;
    use crate::data::DatasetName;
    use crossterm::event::KeyModifiers;

    /// An app whose save just failed with `error`, offering `path`.
    fn failed_save(error: &str, path: &str) -> App {
        let mut app = App::new(
            DataState::new(vec![DatasetName::Mnist5k]),
            "saved_runs".into(),
        );
        app.save_failed(error.into(), path.into());
        app
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_a_folder_and_enter_saves_there() {
        let mut app = failed_save("permission denied", "/tmp/x");
        assert!(app.typing(), "keys go into the path");
        for c in "yz".chars() {
            assert_eq!(app.on_key(key(KeyCode::Char(c))), None);
        }
        app.on_key(key(KeyCode::Backspace));
        // `q` is a letter of the path here, not quit.
        assert_eq!(app.on_key(key(KeyCode::Char('q'))), None);
        assert!(!app.quit);
        assert_eq!(
            app.on_key(key(KeyCode::Enter)),
            Some(Effect::SaveTo("/tmp/xyq".into()))
        );
        assert!(app.save_as.is_none());
    }

    #[test]
    fn escape_keeps_the_run_in_memory_and_an_empty_path_is_not_taken() {
        let mut app = failed_save("disk full", "");
        assert_eq!(app.on_key(key(KeyCode::Enter)), None);
        assert!(app.save_as.is_some());
        app.on_key(key(KeyCode::Esc));
        assert!(app.save_as.is_none());
        assert!(app.status.as_deref().unwrap().contains("kept in memory"));
    }
}
