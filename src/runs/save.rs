//! Writing run folders: each file through a temporary file and a rename, and a new run
//! folder as a whole, so that a reader never sees half a file or half a folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::folder::{
    csv_err, io_err, ConfigFile, RunError, TimingRow, CONFIG, METRICS, METRICS_HEADER, SUMMARY,
    TIMING,
};
use super::record::RunRecord;

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see half
/// a file; on failure (a full disk) the temporary file is removed, not left to fill it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

/// Writes a file of a folder no reader can see yet: no temporary file needed.
fn write_plain(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let mut f = std::fs::File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// The name of a new run folder: `<stamp>-<preset>`, the preset made safe for a file name.
pub fn run_dir_name(preset: &str) -> String {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let safe: String = preset
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stamp}-{safe}")
}

/// A new, empty folder `<parent>/<stamp>-<preset>`; never reuses an existing one.
pub fn create_run_dir(parent: &Path, preset: &str) -> Result<PathBuf, RunError> {
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let base = run_dir_name(preset);
    for n in 0..1000 {
        let name = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = parent.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&dir)(e)),
        }
    }
    Err(io_err(parent)(std::io::Error::other(
        "too many runs with the same name",
    )))
}

fn csv_bytes<F>(path: &Path, fill: F) -> Result<Vec<u8>, RunError>
where
    F: FnOnce(&mut csv::Writer<&mut Vec<u8>>) -> Result<(), csv::Error>,
{
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        fill(&mut w).map_err(|e| csv_err(path, e))?;
        w.flush().map_err(io_err(path))?;
    }
    Ok(buf)
}

/// The bytes of `metrics.csv`: jobs in config order, rows in the order they were measured,
/// so the file depends only on seed and settings.
pub fn metrics_csv(record: &RunRecord) -> Vec<u8> {
    let mut out =
        String::with_capacity(64 * record.jobs.iter().map(|j| j.rows.len()).sum::<usize>());
    out.push_str(&METRICS_HEADER.join(","));
    out.push('\n');
    for j in &record.jobs {
        for r in &j.rows {
            use std::fmt::Write as _;
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                j.id.variant, j.id.seed, r.step, r.epoch, r.metric, r.value, j.id.point
            );
        }
    }
    out.into_bytes()
}

/// Writes the whole record into `dir` (which must exist). `summary` holds the rows of
/// `summary.csv`, header first: they are computed by `analysis`, which sits above this layer.
pub fn save(record: &RunRecord, dir: &Path, summary: &[Vec<String>]) -> Result<(), RunError> {
    write_files(record, dir, summary, write_atomic)
}

fn write_files(
    record: &RunRecord,
    dir: &Path,
    summary: &[Vec<String>],
    write_atomic: fn(&Path, &[u8]) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let cfg = ConfigFile {
        bnlab_version: env!("CARGO_PKG_VERSION").into(),
        created: chrono::Local::now().to_rfc3339(),
        data: record.data_info.clone(),
        config: record.config.clone(),
    };
    let json = serde_json::to_vec_pretty(&cfg).expect("config serializes");
    write_atomic(&dir.join(CONFIG), &json)?;
    write_atomic(&dir.join(METRICS), &metrics_csv(record))?;
    let p = dir.join(SUMMARY);
    let summary = csv_bytes(&p, |w| {
        for r in summary {
            w.write_record(r)?;
        }
        Ok(())
    })?;
    write_atomic(&p, &summary)?;
    let p = dir.join(TIMING);
    let timing = csv_bytes(&p, |w| {
        for j in &record.jobs {
            w.serialize(TimingRow {
                variant: j.id.variant.to_string(),
                seed: j.id.seed,
                point: j.id.point,
                status: j.status.to_string(),
                steps: j.step,
                elapsed_s: j.elapsed_s,
                samples_per_sec: j.samples_per_sec,
            })?;
        }
        Ok(())
    })?;
    write_atomic(&p, &timing)
}

/// Creates a fresh folder under `parent` and saves the record there. The folder appears
/// complete or not at all: the files are written into a hidden folder beside it, which is
/// renamed over the (empty) folder reserved for the name once everything is written; on any
/// failure both are removed, so a full disk leaves nothing behind.
pub fn save_new(
    record: &RunRecord,
    parent: &Path,
    summary: &[Vec<String>],
) -> Result<PathBuf, RunError> {
    let dir = create_run_dir(parent, &record.config.preset)?;
    let staged = (|| {
        let tmp = tempfile::Builder::new()
            .prefix(".bnlab-saving-")
            .tempdir_in(parent)
            .map_err(io_err(parent))?;
        write_files(record, tmp.path(), summary, write_plain).map_err(|e| match e {
            // Named as the file the user will look for, not the hidden folder that is gone.
            RunError::Io { path, cause } => RunError::Io {
                path: path
                    .strip_prefix(tmp.path())
                    .map_or(path.clone(), |rest| dir.join(rest)),
                cause,
            },
            other => other,
        })?;
        // Renaming a folder onto an empty one replaces it in one step.
        std::fs::rename(tmp.path(), &dir).map_err(io_err(&dir))?;
        // Now moved: nothing left for the guard to remove.
        let _ = tmp.keep();
        sync_dir(parent);
        Ok(())
    })();
    match staged {
        Ok(()) => Ok(dir),
        Err(e) => {
            let _ = std::fs::remove_dir(&dir);
            Err(e)
        }
    }
}

/// Makes a rename durable; best effort, as not every file system allows it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The user's name for per-user folders in a shared temporary folder.
pub fn user_name() -> String {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_default();
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        format!("uid{}", own_uid())
    } else {
        safe
    }
}

fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

/// Creates `dir` readable only by this user, or checks that an existing one is a real folder
/// (not a link) owned by this user: in a shared temporary folder another user could have
/// made it first to read or redirect the runs.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    if meta.uid() != own_uid() {
        return Err(std::io::Error::other(format!(
            "{} belongs to another user",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "save_more_tests.rs"]
mod more_tests;
