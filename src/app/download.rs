//! Downloading a missing dataset from inside the UI: the offer, the progress of the
//! transfer and how it ended. Pure state; the runtime owns the download thread.

use std::path::PathBuf;

use crate::data::fetch::{approx_download_mb, FetchProgress, Stage};
use crate::data::DatasetName;

#[derive(Debug, Clone, PartialEq)]
pub enum Download {
    /// "Download full MNIST (11 MB)?" waiting for yes or no.
    Offer { name: DatasetName, mb: u64 },
    /// The transfer is under way on its own thread.
    Running(Transfer),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    pub name: DatasetName,
    pub mb: u64,
    /// Where the files go, once the runtime has chosen it.
    pub dir: Option<PathBuf>,
    /// The file being fetched, e.g. "train-images-idx3-ubyte".
    pub file: String,
    /// 0-based position of `file` among `count`.
    pub index: usize,
    pub count: usize,
    /// Bytes of `file` so far and the server's announced size.
    pub done: u64,
    pub total: Option<u64>,
    /// 0..=1 over the whole dataset.
    pub overall: f64,
    /// What is happening now, in a few words ("connecting to …", "verifying", "retry 2: …").
    pub stage: String,
    /// Esc was pressed; waiting for the thread to stop.
    pub cancelling: bool,
}

impl Transfer {
    pub fn new(name: DatasetName, dir: Option<PathBuf>) -> Self {
        Self {
            name,
            mb: approx_download_mb(name),
            dir,
            file: String::new(),
            index: 0,
            count: 4,
            done: 0,
            total: None,
            overall: 0.0,
            stage: "starting".into(),
            cancelling: false,
        }
    }

    pub fn apply(&mut self, p: &FetchProgress) {
        self.file.clone_from(&p.file);
        self.index = p.index;
        self.count = p.count;
        self.overall = p.overall.clamp(0.0, 1.0);
        match &p.stage {
            Stage::Downloading => {
                self.done = p.done;
                self.total = p.total;
            }
            // A new attempt starts the file's byte count again.
            Stage::Connecting { .. } | Stage::Retrying { .. } | Stage::MirrorFailed { .. } => {
                self.done = 0;
                self.total = None;
            }
            _ => {}
        }
        self.stage = stage_text(&p.stage);
    }

    /// Fraction of the current file, when its size is known.
    pub fn file_fraction(&self) -> Option<f64> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.done as f64 / t as f64).min(1.0))
    }
}

fn host(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

fn stage_text(s: &Stage) -> String {
    match s {
        Stage::Connecting { url } => format!("connecting to {}", host(url)),
        Stage::Downloading => "downloading".into(),
        Stage::Verifying => "verifying the SHA-256".into(),
        Stage::Retrying {
            url,
            attempt,
            reason,
        } => format!("{}: {reason}; try {attempt}", host(url)),
        Stage::MirrorFailed { url, reason } => {
            format!("{} failed ({reason}); next mirror", host(url))
        }
        Stage::Installed { .. } => "installed".into(),
        Stage::AlreadyPresent { .. } => "already present".into(),
    }
}

/// The human name used in the offer.
pub fn title(name: DatasetName) -> &'static str {
    match name {
        DatasetName::Mnist => "full MNIST",
        DatasetName::FashionMnist => "Fashion-MNIST",
        DatasetName::Mnist5k => "mnist-5k",
    }
}

/// "https://host/path/file.gz: reason" as "host: reason".
pub fn short_reason(r: &str) -> String {
    match r.split_once(": ") {
        Some((url, why)) if url.contains("://") => format!("{}: {why}", host(url)),
        _ => r.to_string(),
    }
}

/// An error as one status line: the lines of a multi-line message joined.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crossterm::event::{KeyCode, KeyEvent};

    use super::*;
    use crate::app::{App, DataState, Effect, Screen};
    use crate::data::fetch::{FetchError, FetchUpdate};

    fn key(c: char) -> KeyEvent {
        KeyEvent::from(KeyCode::Char(c))
    }

    /// An app without full MNIST, in the first preset's form.
    fn form_app() -> App {
        let mut app = App::new(
            DataState::new(vec![DatasetName::Mnist5k]),
            PathBuf::from("/nonexistent"),
        );
        app.on_key(KeyCode::Enter.into());
        assert_eq!(app.screen, Screen::Form);
        app
    }

    /// The form's dataset field set to `name` with the arrow keys, as a user would.
    fn choose(app: &mut App, name: DatasetName) {
        app.form.focus = 0;
        for _ in 0..3 {
            if app.form_dataset() == name {
                return;
            }
            app.on_key(KeyCode::Right.into());
        }
        assert_eq!(app.form_dataset(), name);
    }

    fn running(app: &App) -> &Transfer {
        match &app.download {
            Some(Download::Running(t)) => t,
            other => panic!("expected a running download, got {other:?}"),
        }
    }

    #[test]
    fn enter_on_missing_mnist_offers_the_download_and_yes_starts_it() {
        let mut app = form_app();
        choose(&mut app, DatasetName::Mnist);
        assert_eq!(app.on_key(KeyCode::Enter.into()), None);
        assert_eq!(
            app.download,
            Some(Download::Offer {
                name: DatasetName::Mnist,
                mb: 11
            })
        );
        // Other keys do not reach the form while the offer is shown.
        assert_eq!(app.on_key(key('j')), None);
        assert_eq!(app.form.focus, 0);
        assert_eq!(
            app.on_key(key('y')),
            Some(Effect::Fetch(DatasetName::Mnist))
        );
        assert_eq!(running(&app).name, DatasetName::Mnist);
    }

    #[test]
    fn no_closes_the_offer_without_downloading() {
        let mut app = form_app();
        choose(&mut app, DatasetName::FashionMnist);
        app.on_key(key('d'));
        assert!(matches!(
            app.download,
            Some(Download::Offer {
                name: DatasetName::FashionMnist,
                mb: 30
            })
        ));
        assert_eq!(app.on_key(key('n')), None);
        assert_eq!(app.download, None);
        assert!(app.status.as_deref().unwrap().contains("not downloaded"));
        // Esc works as no too, and the form is still there.
        app.on_key(KeyCode::Enter.into());
        assert_eq!(app.on_key(KeyCode::Esc.into()), None);
        assert_eq!(app.download, None);
        assert_eq!(app.screen, Screen::Form);
    }

    #[test]
    fn nothing_is_offered_for_data_already_here_or_built_in() {
        let mut app = form_app();
        choose(&mut app, DatasetName::Mnist5k);
        app.on_key(key('d'));
        assert_eq!(app.download, None);
        assert!(app.status.as_deref().unwrap().contains("built in"));
        let mut app = App::new(
            DataState::new(vec![DatasetName::Mnist, DatasetName::Mnist5k]),
            PathBuf::from("/nonexistent"),
        );
        app.on_key(key('d'));
        assert_eq!(app.download, None);
        assert!(app.data.note.is_none());
    }

    #[test]
    fn progress_updates_the_transfer() {
        let mut app = form_app();
        choose(&mut app, DatasetName::Mnist);
        app.on_key(key('d'));
        app.on_key(key('y'));
        app.fetch_started(Some(PathBuf::from("/cache/bnlab/mnist")));
        let p = |done, stage| {
            FetchUpdate::Progress(FetchProgress {
                file: "train-images-idx3-ubyte".into(),
                index: 0,
                count: 4,
                done,
                total: Some(1000),
                overall: 0.25,
                stage,
            })
        };
        assert_eq!(app.on_fetch_update(p(250, Stage::Downloading)), None);
        let t = running(&app);
        assert_eq!((t.done, t.total), (250, Some(1000)));
        assert_eq!(t.file_fraction(), Some(0.25));
        assert_eq!(t.file, "train-images-idx3-ubyte");
        assert_eq!(t.dir, Some(PathBuf::from("/cache/bnlab/mnist")));
        app.on_fetch_update(p(0, Stage::Verifying));
        assert!(running(&app).stage.contains("SHA-256"));
        // A retry starts the file's count again.
        app.on_fetch_update(p(
            0,
            Stage::Retrying {
                url: "https://mirror.example/mnist/x.gz".into(),
                attempt: 2,
                reason: "HTTP 503".into(),
            },
        ));
        let t = running(&app);
        assert_eq!((t.done, t.total), (0, None));
        assert!(t.stage.contains("mirror.example") && t.stage.contains("HTTP 503"));
    }

    #[test]
    fn esc_cancels_and_the_form_falls_back_to_mnist_5k() {
        let mut app = form_app();
        choose(&mut app, DatasetName::Mnist);
        app.on_key(KeyCode::Enter.into());
        app.on_key(KeyCode::Enter.into());
        assert_eq!(app.on_key(KeyCode::Esc.into()), Some(Effect::CancelFetch));
        assert!(running(&app).cancelling);
        // Asked once; the thread is already stopping.
        assert_eq!(app.on_key(KeyCode::Esc.into()), None);
        let e = app.on_fetch_update(FetchUpdate::Done(Err(FetchError::Cancelled)));
        assert_eq!(e, None);
        assert_eq!(app.download, None);
        assert_eq!(app.form_dataset(), DatasetName::Mnist5k);
        assert!(app.status.as_deref().unwrap().contains("cancelled"));
        assert!(!app.data.available.contains(&DatasetName::Mnist));
    }

    #[test]
    fn a_failed_download_says_why_and_uses_mnist_5k() {
        let mut app = form_app();
        choose(&mut app, DatasetName::Mnist);
        app.on_key(key('d'));
        app.on_key(key('y'));
        let err = FetchError::AllMirrorsFailed {
            file: "train-images-idx3-ubyte".into(),
            dir: PathBuf::from("/cache/bnlab/mnist"),
            reasons: vec!["https://a/x.gz: host not found (offline?)".into()],
        };
        assert_eq!(app.on_fetch_update(FetchUpdate::Done(Err(err))), None);
        assert_eq!(app.download, None);
        assert_eq!(app.form_dataset(), DatasetName::Mnist5k);
        let s = app.status.clone().unwrap();
        assert!(s.starts_with("download failed"), "{s}");
        assert!(s.contains("a: host not found (offline?)"), "{s}");
        assert!(!s.contains("a/x.gz"), "{s}");
        assert!(!s.contains('\n'), "{s}");
    }

    #[test]
    fn a_finished_download_selects_the_dataset_and_asks_for_its_data() {
        let mut app = App::new(
            DataState::new(vec![DatasetName::Mnist5k]),
            PathBuf::from("/nonexistent"),
        );
        assert!(app.data.note.is_some());
        app.on_key(key('d'));
        assert_eq!(
            app.on_key(KeyCode::Enter.into()),
            Some(Effect::Fetch(DatasetName::Mnist))
        );
        let e = app.on_fetch_update(FetchUpdate::Done(Ok(PathBuf::from("/c/bnlab/mnist"))));
        assert_eq!(e, Some(Effect::LoadData(DatasetName::Mnist)));
        assert_eq!(app.download, None);
        assert!(app.data.available.contains(&DatasetName::Mnist));
        assert_eq!(app.data.best, DatasetName::Mnist);
        assert_eq!(app.data.note, None);
        assert_eq!(app.form_dataset(), DatasetName::Mnist);
        assert!(app.status.as_deref().unwrap().contains("/c/bnlab/mnist"));
        // The next form opened from the menu starts on full MNIST, and Enter trains.
        app.on_key(KeyCode::Enter.into());
        assert_eq!(app.form_dataset(), DatasetName::Mnist);
        match app.on_key(KeyCode::Enter.into()) {
            Some(Effect::StartRun(c)) => assert_eq!(c.dataset, DatasetName::Mnist),
            other => panic!("expected a run to start, got {other:?}"),
        }
    }

    #[test]
    fn multi_line_errors_become_one_status_line() {
        assert_eq!(one_line("a: failed:\n  x: y\n\n  z"), "a: failed: x: y z");
    }
}
