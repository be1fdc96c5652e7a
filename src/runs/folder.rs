//! Run folders on disk: `config.json`, `metrics.csv`, `summary.csv`, `timing.csv`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::limits;
use super::record::{DataInfo, JobRecord, MetricRow, RunRecord};
use crate::metric::{Metric, UnknownMetric};
use crate::model::Variant;
use crate::train::{JobId, RunConfig, Status};

pub const CONFIG: &str = "config.json";
pub const METRICS: &str = "metrics.csv";
pub const SUMMARY: &str = "summary.csv";
pub const TIMING: &str = "timing.csv";
pub const METRICS_HEADER: [&str; 7] = [
    "variant", "seed", "step", "epoch", "metric", "value", "point",
];

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    // `cause`, not `source`: the message already says why, and a `source` field would make
    // `{:#}` print the reason twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: not valid run config: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{0}: not a run folder (no config.json)")]
    NotARun(PathBuf),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |cause| RunError::Io {
        path: path.to_owned(),
        cause,
    }
}

/// What `config.json` holds: the config plus where the data came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigFile {
    pub bnlab_version: String,
    pub created: String,
    pub data: DataInfo,
    pub config: RunConfig,
}

pub(crate) fn csv_err(path: &Path, e: csv::Error) -> RunError {
    // A limit hit while streaming is an I/O error of the file, not a malformed line.
    if let csv::ErrorKind::Io(io) = e.kind() {
        return RunError::Io {
            path: path.to_owned(),
            cause: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    let line = e.position().map_or(0, |p| p.line());
    RunError::Csv {
        path: path.to_owned(),
        line,
        message: e.to_string(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct TimingRow {
    pub variant: String,
    pub seed: u64,
    pub point: usize,
    pub status: String,
    pub steps: u64,
    pub elapsed_s: f64,
    pub samples_per_sec: f64,
}

pub fn load_config(dir: &Path) -> Result<ConfigFile, RunError> {
    let p = dir.join(CONFIG);
    if !p.exists() {
        return Err(RunError::NotARun(dir.to_owned()));
    }
    let bytes = limits::read(&p, limits::CONFIG_MAX).map_err(io_err(&p))?;
    let cfg: ConfigFile = serde_json::from_slice(&bytes).map_err(|e| RunError::Config {
        path: p.clone(),
        message: e.to_string(),
    })?;
    // A hand-edited or damaged file could ask for 10^12 seeds or wrap the seed range;
    // checking it like a command line keeps `RunRecord::new` from looping or panicking.
    cfg.config.validate().map_err(|e| RunError::Config {
        path: p.clone(),
        message: e.to_string(),
    })?;
    let points = cfg.config.sweep.as_ref().map_or(1, |s| s.values.len());
    let jobs = points.saturating_mul(cfg.config.seeds) * cfg.config.variants.len();
    if jobs > MAX_JOBS {
        return Err(RunError::Config {
            path: p,
            message: format!("{jobs} trainers; bnlab reads at most {MAX_JOBS} per run"),
        });
    }
    Ok(cfg)
}

/// Loads a run folder back into a record.
pub fn load(dir: &Path) -> Result<RunRecord, RunError> {
    let cfg = load_config(dir)?;
    let mut record = RunRecord::new(cfg.config, cfg.data);
    let p = dir.join(METRICS);
    let mut rdr =
        csv::Reader::from_reader(limits::open(&p, limits::METRICS_MAX).map_err(io_err(&p))?);
    let header = rdr.headers().map_err(|e| csv_err(&p, e))?.clone();
    let names: Vec<&str> = header.iter().collect();
    if names.len() < 6 || names[..6] != METRICS_HEADER[..6] {
        return Err(RunError::Csv {
            path: p,
            line: 1,
            message: format!(
                "header must start with {}, found {}",
                METRICS_HEADER[..6].join(","),
                names.join(",")
            ),
        });
    }
    if let Some(extra) = names.iter().skip(6).find(|n| **n != "point") {
        return Err(RunError::Csv {
            path: p,
            line: 1,
            message: format!("unknown column `{extra}`"),
        });
    }
    // Rows go through the record's thinning as they arrive, as while training, so a file of
    // any length holds no more points per metric than a run does; files bnlab wrote are
    // already thinned, so they load unchanged.
    let mut touched: Vec<usize> = Vec::new();
    let mut last: Option<usize> = None;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(&p, e))?;
        let line = rec.position().map_or(0, |x| x.line());
        let bad = |what: &str| RunError::Csv {
            path: p.clone(),
            line,
            message: what.to_string(),
        };
        let field = |i: usize| rec.get(i).unwrap_or("");
        let variant = Variant::parse(field(0))
            .ok_or_else(|| bad(&format!("unknown variant `{}`", field(0))))?;
        let seed: u64 = field(1)
            .parse()
            .map_err(|_| bad("seed is not a whole number"))?;
        let step: u64 = field(2)
            .parse()
            .map_err(|_| bad("step is not a whole number"))?;
        let epoch: f64 = field(3).parse().map_err(|_| bad("epoch is not a number"))?;
        let metric = field(4);
        if metric.is_empty() {
            return Err(bad("empty metric name"));
        }
        let metric: Metric = metric
            .parse()
            .map_err(|e: UnknownMetric| bad(&e.to_string()))?;
        let value: f64 = field(5).parse().map_err(|_| bad("value is not a number"))?;
        let point: usize = match rec.get(6) {
            Some(s) => s.parse().map_err(|_| bad("point is not a whole number"))?,
            None => 0,
        };
        let id = JobId {
            variant,
            seed,
            point,
        };
        let row = MetricRow {
            step,
            epoch,
            metric,
            value,
        };
        let i = match last {
            Some(i) if record.jobs[i].id == id => i,
            _ => {
                let i = job_index(&mut record, id);
                if record.jobs.len() > MAX_JOBS {
                    return Err(bad(&format!("more than {MAX_JOBS} trainers in one run")));
                }
                if !touched.contains(&i) {
                    touched.push(i);
                    record.jobs[i].rows.clear();
                }
                i
            }
        };
        last = Some(i);
        let job = &mut record.jobs[i];
        job.step = job.step.max(step);
        job.push_rows(std::iter::once(row));
    }
    for i in touched {
        record.jobs[i].status = Status::Finished;
    }
    load_summary(dir, &mut record)?;
    load_timing(dir, &mut record);
    Ok(record)
}

/// The most trainers one run folder may describe: 100 seeds of three variants at 33 sweep
/// points, which no preset comes near.
pub const MAX_JOBS: usize = 10_000;

fn job_index(record: &mut RunRecord, id: JobId) -> usize {
    match record.jobs.iter().position(|j| j.id == id) {
        Some(i) => i,
        None => {
            record.jobs.push(JobRecord::new(id, None));
            record.jobs.len() - 1
        }
    }
}

fn job_entry(record: &mut RunRecord, id: JobId) -> &mut JobRecord {
    let i = job_index(record, id);
    &mut record.jobs[i]
}

fn load_summary(dir: &Path, record: &mut RunRecord) -> Result<(), RunError> {
    let p = dir.join(SUMMARY);
    if !p.exists() {
        return Ok(());
    }
    let mut rdr =
        csv::Reader::from_reader(limits::open(&p, limits::TABLE_MAX).map_err(io_err(&p))?);
    let headers = rdr.headers().map_err(|e| csv_err(&p, e))?.clone();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(&p, e))?;
        if !is_job_row(&headers, &rec) {
            continue;
        }
        // The numbers are analysis's to read, but a damaged one still makes the file suspect.
        if let Some((col, v)) = headers
            .iter()
            .zip(rec.iter())
            .find(|(h, v)| !TEXT_COLUMNS.contains(h) && !v.is_empty() && v.parse::<f64>().is_err())
        {
            return Err(RunError::Csv {
                path: p.clone(),
                line: rec.position().map_or(0, |x| x.line()),
                message: format!("`{col}` is not a number: `{v}`"),
            });
        }
        let row: SummaryJob = rec
            .deserialize(Some(&headers))
            .map_err(|e| csv_err(&p, e))?;
        let Some(id) = job_id(&row.variant, row.seed, row.point) else {
            continue;
        };
        let job = job_entry(record, id);
        job.status = Status::parse(&row.status).unwrap_or(Status::Finished);
        job.point_value = row.point_value;
        job.message = (!row.message.is_empty()).then_some(row.message);
    }
    Ok(())
}

/// The columns of a `summary.csv` row that restore a trainer's state; the numbers in the
/// other columns are recomputed from `metrics.csv` whenever they are needed.
#[derive(Debug, Deserialize)]
struct SummaryJob {
    variant: String,
    seed: u64,
    point: usize,
    point_value: Option<f64>,
    status: String,
    message: String,
}

/// The columns of `summary.csv` that hold words; every other one holds a number or nothing.
const TEXT_COLUMNS: [&str; 3] = ["variant", "status", "message"];

/// True for a row describing one trainer (its `seed` is a number), false for aggregates.
pub fn is_job_row(headers: &csv::StringRecord, rec: &csv::StringRecord) -> bool {
    let i = headers.iter().position(|h| h == "seed").unwrap_or(1);
    rec.get(i).is_some_and(|s| s.parse::<u64>().is_ok())
}

/// The trainer a summary or timing row names; rows of an unknown variant are skipped.
fn job_id(variant: &str, seed: u64, point: usize) -> Option<JobId> {
    Some(JobId {
        variant: Variant::parse(variant)?,
        seed,
        point,
    })
}

fn load_timing(dir: &Path, record: &mut RunRecord) {
    let p = dir.join(TIMING);
    // Timings are decoration: a missing or oversized file leaves them at zero.
    let Ok(mut rdr) = limits::open(&p, limits::TABLE_MAX).map(csv::Reader::from_reader) else {
        return;
    };
    for row in rdr.deserialize::<TimingRow>() {
        // A damaged row is skipped; a read error (a limit hit) ends the file.
        let row = match row {
            Ok(row) => row,
            Err(e) if e.is_io_error() => break,
            Err(_) => continue,
        };
        let Some(id) = job_id(&row.variant, row.seed, row.point) else {
            continue;
        };
        if let Some(j) = record.jobs.iter_mut().find(|j| j.id == id) {
            j.elapsed_s = row.elapsed_s;
            j.samples_per_sec = row.samples_per_sec;
        }
    }
}

/// Run folders under `parent`, newest first.
pub fn list(parent: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        // Hidden: a save in progress (or cut short by a crash), not a run.
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .filter(|p| p.join(CONFIG).is_file())
        .collect();
    dirs.sort();
    dirs.reverse();
    dirs
}

#[cfg(test)]
#[path = "folder_more_tests.rs"]
mod more_tests;
