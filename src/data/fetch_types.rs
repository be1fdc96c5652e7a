//! What a fetch is asked to do and what it reports: the options, the stages and progress,
//! and its errors. Shared by the fetch and the single download below it.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::source::DatasetName;

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URLs under which the files are `<name>.gz`, tried in order.
    pub mirrors: Vec<String>,
    /// Tries per mirror for a transfer that breaks off (connection refused or 404 moves on at once).
    pub attempts: u32,
    /// Pause before the first retry; doubles each time.
    pub backoff: Duration,
    pub connect_timeout: Duration,
    /// A transfer that receives nothing for this long counts as broken.
    pub read_timeout: Duration,
    /// A transfer that brings less than 16 KiB in this long counts as stalled (a server
    /// trickling one byte at a time defeats `read_timeout`).
    pub stall_timeout: Duration,
    /// The whole dataset, every retry included, must arrive within this.
    pub deadline: Duration,
    /// Set to true from another thread to stop; the partial file is removed.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl FetchOptions {
    pub fn new(mirrors: Vec<String>) -> Self {
        Self {
            mirrors,
            attempts: 3,
            backoff: Duration::from_millis(800),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(30 * 60),
            cancel: None,
        }
    }
}

/// What is happening to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Requesting `url`.
    Connecting { url: String },
    /// Bytes arriving (see `done` and `total`).
    Downloading,
    /// Decompressing and hashing the downloaded file.
    Verifying,
    /// The transfer broke off; trying the same mirror again.
    Retrying {
        url: String,
        attempt: u32,
        reason: String,
    },
    /// Giving up on this mirror for this file; the next one is tried.
    MirrorFailed { url: String, reason: String },
    /// Verified and moved into place.
    Installed { path: PathBuf },
    /// Already on disk and verified; not downloaded again.
    AlreadyPresent { path: PathBuf },
}

/// One progress report. `done`/`total` are bytes of the current file as transferred
/// (`total` is the server's Content-Length when it sent one).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchProgress {
    pub file: String,
    /// 0-based index of the file among `count`.
    pub index: usize,
    pub count: usize,
    pub done: u64,
    pub total: Option<u64>,
    /// 0..=1 over the whole dataset, files weighted by their size.
    pub overall: f64,
    pub stage: Stage,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0} is embedded in bnlab; there is nothing to download")]
    NotDownloadable(DatasetName),
    #[error("no cache folder is known on this system; pass --dir DIR")]
    NoCacheDir,
    #[error("no mirror to download from")]
    NoMirrors,
    #[error("cannot write to {dir}: {source}. Choose another folder with --dir DIR")]
    Target {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: every mirror failed:\n{}\nNothing was installed for this file. Without internet: copy the four files \
             (raw or .gz) into {dir} or pass --data-dir DIR, then check them with `bnlab data verify`; \
             the embedded mnist-5k digits work offline.", .reasons.iter().map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n"))]
    AllMirrorsFailed {
        file: String,
        dir: PathBuf,
        reasons: Vec<String>,
    },
    #[error("download cancelled; nothing partial was kept")]
    Cancelled,
    #[error("the download did not finish within {} s; nothing partial was kept", .0.as_secs())]
    Deadline(Duration),
    #[error("{dir} holds the {other} files; downloading {name} there would replace them. Choose another folder with --dir DIR")]
    WouldOverwrite {
        dir: PathBuf,
        name: DatasetName,
        other: DatasetName,
    },
}
