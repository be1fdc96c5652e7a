//! Downloading a dataset: mirrors in order, a few retries per mirror, a temporary file per
//! download, and an install (rename) only once the decompressed SHA-256 matches.
//!
//! Usable from a background thread: progress goes to a callback, cancellation comes
//! through an `AtomicBool`, and nothing here touches the terminal.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::checksums::{self, DatasetFiles, FileSpec, FileState};
use super::source::{cache_root, DatasetName};

/// The mirrors the ecosystem uses, in the order tried.
pub fn default_mirrors(name: DatasetName) -> Vec<String> {
    let m: &[&str] = match name {
        DatasetName::Mnist => &[
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        DatasetName::FashionMnist => &[
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
        DatasetName::Mnist5k => &[],
    };
    m.iter().map(|s| (*s).to_string()).collect()
}

/// Where `bnlab data fetch` installs a dataset by default: `<cache>/bnlab/<dataset>`,
/// which is also one of the folders `data::locate` searches.
pub fn default_dir(name: DatasetName) -> Option<PathBuf> {
    cache_root().map(|c| c.join(name.as_str()))
}

/// Where a download of `name` should go so that `data::load(name, data_dir)` finds it:
/// without a data folder, the cache; with `--data-dir D`, D itself when it already holds
/// `name`, else `D/<name>` (a root with one subfolder per dataset), so fetching a second
/// dataset never lands on top of the first.
pub fn target_dir(name: DatasetName, data_dir: Option<&Path>) -> Option<PathBuf> {
    let Some(d) = data_dir else {
        return default_dir(name);
    };
    let holds_it = checksums::known(name)
        .is_some_and(|spec| checksums::check_file(d, &spec.files[1]).state == FileState::Verified);
    Some(if holds_it {
        d.to_owned()
    } else {
        d.join(name.as_str())
    })
}

/// Rough download size of the four `.gz` files, for prompts such as "Download full MNIST (11 MB)?".
pub fn approx_download_mb(name: DatasetName) -> u64 {
    match name {
        DatasetName::Mnist => 11,
        DatasetName::FashionMnist => 30,
        DatasetName::Mnist5k => 0,
    }
}

pub use super::fetch_types::{FetchError, FetchOptions, FetchProgress, Stage};

/// Downloads a known dataset into `dir` (default: `<cache>/bnlab/<dataset>`) from `mirrors`
/// (empty: the default mirrors). Returns the folder holding the four verified files.
///
/// Meant for a background thread; `progress` is called on that thread.
pub fn fetch_dataset(
    name: DatasetName,
    dir: Option<&Path>,
    mirrors: &[String],
    progress: &dyn Fn(FetchProgress),
) -> Result<PathBuf, FetchError> {
    let mirrors = if mirrors.is_empty() {
        default_mirrors(name)
    } else {
        mirrors.to_vec()
    };
    fetch_with(name, dir, &FetchOptions::new(mirrors), progress)
}

/// [`fetch_dataset`] with every option (retries, timeouts, cancellation).
pub fn fetch_with(
    name: DatasetName,
    dir: Option<&Path>,
    opts: &FetchOptions,
    progress: &dyn Fn(FetchProgress),
) -> Result<PathBuf, FetchError> {
    let spec = checksums::known(name).ok_or(FetchError::NotDownloadable(name))?;
    let dir = match dir {
        Some(d) => d.to_owned(),
        None => default_dir(name).ok_or(FetchError::NoCacheDir)?,
    };
    if let Some(other) = holds_other_dataset(&dir, name) {
        return Err(FetchError::WouldOverwrite { dir, name, other });
    }
    fetch_files(&spec, &dir, opts, progress)?;
    Ok(dir)
}

/// Another known dataset whose files sit in `dir`; MNIST and Fashion-MNIST share file
/// names, so fetching one into the other's folder would silently replace it.
/// The small label files decide, so this costs little.
pub fn holds_other_dataset(dir: &Path, name: DatasetName) -> Option<DatasetName> {
    super::source::ALL_DATASETS
        .into_iter()
        .filter(|&d| d != name)
        .find(|&d| {
            checksums::known(d).is_some_and(|spec| {
                [1, 3].iter().any(|&i| {
                    checksums::check_file(dir, &spec.files[i]).state == FileState::Verified
                })
            })
        })
}

/// Downloads every file of `spec` into `dir`, verifying each against its digest.
/// Files already present and verified are kept as they are.
pub fn fetch_files(
    spec: &DatasetFiles,
    dir: &Path,
    opts: &FetchOptions,
    progress: &dyn Fn(FetchProgress),
) -> Result<(), FetchError> {
    if opts.mirrors.is_empty() {
        return Err(FetchError::NoMirrors);
    }
    std::fs::create_dir_all(dir).map_err(|source| FetchError::Target {
        dir: dir.to_owned(),
        source,
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_per_read(Some(opts.read_timeout))
        .user_agent(concat!("bnlab/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let until = Instant::now() + opts.deadline;
    let total_weight = spec.total_bytes().max(1) as f64;
    let mut before = 0u64;
    for (index, file) in spec.files.iter().enumerate() {
        let weight = file.bytes as f64 / total_weight;
        let base = before as f64 / total_weight;
        let report = |done: u64, total: Option<u64>, stage: Stage| {
            let frac = match (stage.clone(), total) {
                (Stage::Installed { .. } | Stage::AlreadyPresent { .. }, _) => 1.0,
                (_, Some(t)) if t > 0 => (done as f64 / t as f64).min(1.0),
                _ => 0.0,
            };
            progress(FetchProgress {
                file: file.name.clone(),
                index,
                count: spec.files.len(),
                done,
                total,
                overall: (base + weight * frac).min(1.0),
                stage,
            });
        };
        fetch_one(&agent, file, dir, opts, until, &report)?;
        before += file.bytes;
    }
    Ok(())
}

/// A message from a download running on its own thread.
#[derive(Debug)]
pub enum FetchUpdate {
    Progress(FetchProgress),
    /// The last message: the folder holding the verified files, or why not.
    Done(Result<PathBuf, FetchError>),
}

/// A download on a background thread; poll `updates` with `try_recv` from a UI loop.
pub struct FetchHandle {
    pub updates: std::sync::mpsc::Receiver<FetchUpdate>,
    cancel: Arc<AtomicBool>,
    pub thread: std::thread::JoinHandle<()>,
}

impl FetchHandle {
    /// Asks the download to stop; it ends with `Done(Err(Cancelled))` and removes its partial file.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Starts [`fetch_dataset`] on a new thread (empty `mirrors`: the defaults).
pub fn spawn_fetch(name: DatasetName, dir: Option<PathBuf>, mirrors: Vec<String>) -> FetchHandle {
    let mirrors = if mirrors.is_empty() {
        default_mirrors(name)
    } else {
        mirrors
    };
    spawn_with(FetchOptions::new(mirrors), move |opts, report| {
        fetch_with(name, dir.as_deref(), opts, report)
    })
}

/// Starts [`fetch_files`] for any spec on a new thread.
pub fn spawn_fetch_files(spec: DatasetFiles, dir: PathBuf, opts: FetchOptions) -> FetchHandle {
    spawn_with(opts, move |opts, report| {
        fetch_files(&spec, &dir, opts, report).map(|()| dir.clone())
    })
}

fn spawn_with<F>(mut opts: FetchOptions, job: F) -> FetchHandle
where
    F: FnOnce(&FetchOptions, &dyn Fn(FetchProgress)) -> Result<PathBuf, FetchError>
        + Send
        + 'static,
{
    let cancel = opts.cancel.get_or_insert_with(Arc::default).clone();
    let (tx, updates) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("bnlab-fetch".into())
        .spawn(move || {
            // A UI that has gone away drops the receiver; the download then just finishes.
            let report = |p| {
                let _ = tx.send(FetchUpdate::Progress(p));
            };
            let result = job(&opts, &report);
            let _ = tx.send(FetchUpdate::Done(result));
        })
        .expect("spawn fetch thread");
    FetchHandle {
        updates,
        cancel,
        thread,
    }
}

use super::download::{cancelled, download_once, pause, Attempt, Report};

fn fetch_one(
    agent: &ureq::Agent,
    file: &FileSpec,
    dir: &Path,
    opts: &FetchOptions,
    until: Instant,
    report: Report,
) -> Result<(), FetchError> {
    let present = checksums::check_file(dir, file);
    if let (FileState::Verified, Some(path)) = (&present.state, present.path) {
        report(0, None, Stage::AlreadyPresent { path });
        return Ok(());
    }
    let mut reasons = Vec::new();
    for mirror in &opts.mirrors {
        let url = join_url(mirror, &format!("{}.gz", file.name));
        let mut delay = opts.backoff;
        for attempt in 1..=opts.attempts.max(1) {
            report(0, None, Stage::Connecting { url: url.clone() });
            match download_once(agent, &url, file, dir, opts, until, report) {
                Ok(path) => {
                    report(0, None, Stage::Installed { path });
                    return Ok(());
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(reason)) if attempt < opts.attempts => {
                    report(
                        0,
                        None,
                        Stage::Retrying {
                            url: url.clone(),
                            attempt: attempt + 1,
                            reason,
                        },
                    );
                    if !pause(delay, opts, until) {
                        return Err(if cancelled(opts) {
                            FetchError::Cancelled
                        } else {
                            FetchError::Deadline(opts.deadline)
                        });
                    }
                    delay *= 2;
                }
                Err(Attempt::Retry(reason) | Attempt::NextMirror(reason)) => {
                    let reason = if attempt > 1 {
                        format!("{reason} (after {attempt} tries)")
                    } else {
                        reason
                    };
                    report(
                        0,
                        None,
                        Stage::MirrorFailed {
                            url: url.clone(),
                            reason: reason.clone(),
                        },
                    );
                    reasons.push(format!("{url}: {reason}"));
                    break;
                }
            }
        }
    }
    Err(FetchError::AllMirrorsFailed {
        file: file.name.clone(),
        dir: dir.to_owned(),
        reasons,
    })
}

fn join_url(base: &str, name: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(join_url("http://h/m/", "a.gz"), "http://h/m/a.gz");
        assert_eq!(join_url("http://h/m", "a.gz"), "http://h/m/a.gz");
    }

    #[test]
    fn every_downloadable_dataset_has_two_mirrors() {
        for d in [DatasetName::Mnist, DatasetName::FashionMnist] {
            assert_eq!(default_mirrors(d).len(), 2, "{d}");
            assert!(checksums::known(d).is_some());
        }
        assert!(default_mirrors(DatasetName::Mnist5k).is_empty());
    }
}
