//! Keys of the download box and how the download's messages change the state.

use std::path::PathBuf;

use super::download::{self, Download, Transfer};
use super::{Action, App, Effect, Form};
use crate::data::fetch::{approx_download_mb, FetchError, FetchUpdate};
use crate::data::DatasetName;

/// Why a download brought no data.
#[derive(Debug)]
pub enum DownloadFailure {
    Fetch(FetchError),
    /// The download thread ended without saying how (it panicked).
    ThreadGone,
}

impl DownloadFailure {
    /// The reason in a status line's room.
    fn short(&self) -> String {
        match self {
            // Each mirror's reason, host first: the long advice of the full message would
            // push the reason off a status line (the log keeps it whole).
            DownloadFailure::Fetch(FetchError::AllMirrorsFailed { file, reasons, .. }) => {
                let why: Vec<String> = reasons.iter().map(|r| download::short_reason(r)).collect();
                format!("{file}: {}", why.join("; "))
            }
            DownloadFailure::Fetch(e) => e.to_string(),
            DownloadFailure::ThreadGone => {
                "the download thread stopped unexpectedly (see the log)".to_string()
            }
        }
    }
}

impl App {
    /// Asks whether to download `name`, when it is missing and can be downloaded.
    pub fn offer_download(&mut self, name: DatasetName) {
        if approx_download_mb(name) == 0 {
            self.status = Some(format!("{name} is built in: nothing to download"));
        } else if self.data.available.contains(&name) {
            self.status = Some(format!("{name} is already on this machine"));
        } else {
            self.download = Some(Download::Offer {
                name,
                mb: approx_download_mb(name),
            });
        }
    }

    pub(super) fn download_action(&mut self, action: Action) -> Option<Effect> {
        match self.download.as_mut()? {
            Download::Offer { name, .. } => {
                let name = *name;
                match action {
                    Action::Accept => {
                        self.download = Some(Download::Running(Transfer::new(name, None)));
                        self.status = Some(format!(
                            "downloading {}: Esc cancels",
                            download::title(name)
                        ));
                        return Some(Effect::Fetch(name));
                    }
                    Action::Decline => {
                        self.download = None;
                        self.status = Some(format!(
                            "{name} not downloaded; the embedded mnist-5k is always available"
                        ));
                    }
                    _ => {}
                }
            }
            Download::Running(t) => match action {
                Action::Cancel if !t.cancelling => {
                    t.cancelling = true;
                    self.status = Some("cancelling the download…".into());
                    return Some(Effect::CancelFetch);
                }
                _ => {}
            },
        }
        None
    }

    /// The runtime started the download into `dir`.
    pub fn fetch_started(&mut self, dir: Option<PathBuf>) {
        if let Some(Download::Running(t)) = self.download.as_mut() {
            t.dir = dir;
        }
    }

    /// Folds a message of the download thread in; the end of a download may ask the runtime
    /// to load the new data.
    pub fn on_fetch_update(&mut self, update: FetchUpdate) -> Option<Effect> {
        match update {
            FetchUpdate::Progress(p) => {
                if let Some(Download::Running(t)) = self.download.as_mut() {
                    t.apply(&p);
                }
                None
            }
            FetchUpdate::Done(r) => self.on_fetch_done(r.map_err(DownloadFailure::Fetch)),
        }
    }

    /// A download ended: on success the dataset becomes available and preselected; otherwise
    /// the form falls back to the embedded mnist-5k and the status line says why.
    pub fn on_fetch_done(&mut self, result: Result<PathBuf, DownloadFailure>) -> Option<Effect> {
        let Some(Download::Running(t)) = self.download.take() else {
            return None;
        };
        let name = t.name;
        let focus = self.form.focus;
        match result {
            Ok(dir) => {
                if !self.data.available.contains(&name) {
                    self.data.available.insert(0, name);
                }
                if name == DatasetName::Mnist {
                    self.data.best = DatasetName::Mnist;
                    self.data.note = None;
                }
                self.form = Form::new(self.form.preset, name, &self.data.available);
                self.form.focus = focus;
                self.status = Some(format!(
                    "{} installed in {} and selected",
                    download::title(name),
                    dir.display()
                ));
                Some(Effect::LoadData(name))
            }
            Err(e) => {
                self.form = Form::new(self.form.preset, DatasetName::Mnist5k, &self.data.available);
                self.form.focus = focus;
                self.status = Some(match e {
                    DownloadFailure::Fetch(FetchError::Cancelled) => {
                        "download cancelled, nothing kept; using the embedded mnist-5k".to_string()
                    }
                    e => format!(
                        "download failed, using the embedded mnist-5k: {}",
                        download::one_line(&e.short())
                    ),
                });
                None
            }
        }
    }
}
