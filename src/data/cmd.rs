//! `bnlab data list|fetch|verify`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::checksums::{self, FileCheck, FileState};
use super::fetch::{self, FetchOptions, FetchProgress, Stage};
use super::source::{candidate_dirs, locate, ALL_DATASETS};
use super::DatasetName;
use crate::interrupt::StopFlag;
use crate::usage::UsageError;

#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    #[command(subcommand)]
    pub command: DataCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum DataCommand {
    /// Show each dataset, where it was found and whether it verified.
    List,
    /// Download a dataset, verify it and install it.
    Fetch {
        #[arg(value_enum)]
        dataset: DatasetName,
        /// Folder that receives the four files (default: <cache>/bnlab/<dataset>).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Base URL under which the files are <name>.gz (may be repeated).
        #[arg(long)]
        mirror: Vec<String>,
    },
    /// Re-check the files on disk against their known checksums.
    Verify {
        #[arg(value_enum)]
        dataset: Option<DatasetName>,
    },
}

pub fn run(args: &DataArgs, data_dir: Option<&Path>) -> anyhow::Result<()> {
    match &args.command {
        DataCommand::List => {
            for name in ALL_DATASETS {
                println!("{}", status(name, data_dir).line());
            }
            Ok(())
        }
        DataCommand::Verify { dataset } => verify(*dataset, data_dir),
        DataCommand::Fetch {
            dataset,
            dir,
            mirror,
        } => {
            let target = dir
                .clone()
                .or_else(|| data_dir.and_then(|d| fetch::target_dir(*dataset, Some(d))));
            fetch_cmd(*dataset, target.as_deref(), mirror)
        }
    }
}

/// What `data list` knows about one dataset.
#[derive(Debug, Clone)]
pub struct DatasetStatus {
    pub name: DatasetName,
    /// Folder found (or "embedded"), with why it was searched; `None` when missing.
    pub location: Option<(String, &'static str)>,
    pub disk_bytes: u64,
    /// `Ok` when every file matches its published SHA-256; otherwise what is wrong.
    pub verified: Result<(), Vec<String>>,
    /// Folders searched, for the "missing" message.
    pub looked: Vec<PathBuf>,
}

impl DatasetStatus {
    pub fn line(&self) -> String {
        let name = self.name.as_str();
        match (&self.location, &self.verified) {
            (None, _) => format!(
                "{name:<14} missing     looked in {}; get it with `bnlab data fetch {name}`",
                self.looked
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Some((loc, why)), Ok(())) => format!(
                "{name:<14} verified    {:>8}  {loc} ({why})",
                human(self.disk_bytes)
            ),
            (Some((loc, why)), Err(problems)) => format!(
                "{name:<14} NOT VERIFIED {:>7}  {loc} ({why})\n{}",
                human(self.disk_bytes),
                problems
                    .iter()
                    .map(|p| format!("    {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

fn problems(checks: &[FileCheck]) -> Result<(), Vec<String>> {
    let bad: Vec<String> = checks
        .iter()
        .filter(|c| c.state != FileState::Verified)
        .map(FileCheck::describe)
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

/// Finds a dataset the way training does (`data::locate`) and checks its files.
pub fn status(name: DatasetName, data_dir: Option<&Path>) -> DatasetStatus {
    let Some(spec) = checksums::known(name) else {
        let embedded = checksums::check_embedded();
        return DatasetStatus {
            name,
            location: Some(("embedded".into(), "built into bnlab")),
            disk_bytes: *embedded.as_ref().unwrap_or(&0),
            verified: embedded.map(|_| ()).map_err(|e| vec![e.to_string()]),
            looked: vec![],
        };
    };
    let candidates = candidate_dirs(name, data_dir);
    let Some(dir) = locate(name, data_dir) else {
        return DatasetStatus {
            name,
            location: None,
            disk_bytes: 0,
            verified: Err(vec![]),
            looked: candidates.into_iter().map(|(d, _)| d).collect(),
        };
    };
    let why = candidates
        .iter()
        .find(|(d, _)| *d == dir)
        .map_or("", |(_, w)| *w);
    let checks = checksums::check_dir(&dir, &spec);
    let verified = problems(&checks).map_err(|p| match identify(&dir, name) {
        // One line instead of four digests: the folder simply holds another dataset.
        Some(other) => vec![format!(
            "these are {other} files, not {name}; point --data-dir at the {name} folder or its parent"
        )],
        None => p,
    });
    DatasetStatus {
        name,
        location: Some((dir.display().to_string(), why)),
        disk_bytes: checks.iter().map(|c| c.disk_bytes).sum(),
        verified,
        looked: vec![],
    }
}

/// Another known dataset whose files are in `dir` (a `--data-dir` aimed at the wrong folder).
fn identify(dir: &Path, not: DatasetName) -> Option<DatasetName> {
    fetch::holds_other_dataset(dir, not)
}

fn verify(dataset: Option<DatasetName>, data_dir: Option<&Path>) -> anyhow::Result<()> {
    let names: Vec<DatasetName> = dataset.map_or_else(|| ALL_DATASETS.to_vec(), |d| vec![d]);
    let mut failed = Vec::new();
    for name in names {
        // `--data-dir D` without a dataset: D holds one dataset, so the others are not
        // checked against its files (MNIST and Fashion-MNIST share file names).
        if let (None, Some(d)) = (dataset, data_dir) {
            if let Some(other) = locate(name, Some(d)).and_then(|dir| identify(&dir, name)) {
                println!(
                    "{:<14} not here     {} holds {other}",
                    name.as_str(),
                    d.display()
                );
                continue;
            }
        }
        let s = status(name, data_dir);
        println!("{}", s.line());
        match (&s.location, &s.verified) {
            (Some(_), Ok(())) => {}
            // Without a name, a dataset that is simply absent is not a failure.
            (None, _) if dataset.is_none() => {}
            _ => failed.push(name.as_str()),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} did not verify; `bnlab data fetch DATASET` downloads a fresh copy",
            failed.join(", ")
        )
    }
}

fn check_mirrors(mirrors: &[String]) -> Result<(), UsageError> {
    for m in mirrors {
        let Some(rest) = m
            .strip_prefix("https://")
            .or_else(|| m.strip_prefix("http://"))
        else {
            return Err(UsageError::new(
                "--mirror",
                format!("`{m}` is not an http:// or https:// URL"),
            ));
        };
        // Without a host the file name would be taken for one (`http://` + `x.gz`).
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(UsageError::new("--mirror", format!("`{m}` names no host")));
        }
    }
    Ok(())
}

fn fetch_cmd(name: DatasetName, dir: Option<&Path>, mirrors: &[String]) -> anyhow::Result<()> {
    if name == DatasetName::Mnist5k {
        println!("mnist-5k is embedded in bnlab; nothing to download");
        return Ok(());
    }
    check_mirrors(mirrors)?;
    let mirrors = if mirrors.is_empty() {
        fetch::default_mirrors(name)
    } else {
        mirrors.to_vec()
    };
    // Ctrl-C and SIGTERM cancel the download (its temporary file is removed) instead of
    // killing bnlab with the file left behind.
    let stop = StopFlag::install()?;
    let mut opts = FetchOptions::new(mirrors);
    opts.cancel = Some(stop.flag.clone());
    let bar: RefCell<Option<ProgressBar>> = RefCell::new(None);
    let started = Instant::now();
    let received = RefCell::new(0u64);
    let style = ProgressStyle::with_template(
        "{msg:32} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .expect("static template")
    .progress_chars("=> ");
    let on_progress = |p: FetchProgress| {
        let mut bar = bar.borrow_mut();
        match &p.stage {
            Stage::Connecting { .. } => {
                let b = ProgressBar::new(0)
                    .with_style(style.clone())
                    .with_message(format!("[{}/{}] {}.gz", p.index + 1, p.count, p.file));
                if let Some(old) = bar.replace(b) {
                    old.finish_and_clear();
                }
            }
            Stage::Downloading => {
                if let Some(b) = bar.as_ref() {
                    if let Some(t) = p.total {
                        b.set_length(t.max(p.done));
                    }
                    b.set_position(p.done);
                }
            }
            Stage::Verifying => {
                *received.borrow_mut() += p.done;
                if let Some(b) = bar.as_ref() {
                    b.set_message(format!(
                        "[{}/{}] verifying {}",
                        p.index + 1,
                        p.count,
                        p.file
                    ));
                }
            }
            Stage::Retrying {
                url,
                attempt,
                reason,
            } => warn(&bar, &format!("{url}: {reason}; try {attempt}")),
            Stage::MirrorFailed { url, reason } => {
                warn(&bar, &format!("{url}: {reason}; giving up on this mirror"))
            }
            Stage::Installed { path } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                eprintln!("  verified and installed {}", path.display());
            }
            Stage::AlreadyPresent { path } => {
                eprintln!("  already verified: {}", path.display());
            }
        }
    };
    let result = fetch::fetch_with(name, dir, &opts, &on_progress);
    if let Some(b) = bar.take() {
        b.finish_and_clear();
    }
    let dir = match (result, stop.interrupted()) {
        (Err(e), Some(i)) => {
            eprintln!("{i}: {e}");
            return Err(i.into());
        }
        (result, _) => result?,
    };
    let secs = started.elapsed().as_secs_f64();
    let bytes = *received.borrow();
    println!(
        "{name}: the four files are verified in {} ({} downloaded in {secs:.1} s, {}/s)",
        dir.display(),
        human(bytes),
        human((bytes as f64 / secs.max(1e-3)) as u64)
    );
    Ok(())
}

fn warn(bar: &Option<ProgressBar>, msg: &str) {
    // A hidden bar (stderr not a terminal) swallows println, and warnings must still show.
    match bar {
        Some(b) if !b.is_hidden() => b.println(format!("  warning: {msg}")),
        _ => eprintln!("  warning: {msg}"),
    }
}
