//! Pooling the folders of one grid: task slices of a run become the run, as if it had been
//! trained in one process. Settings are compared key by key from `config.json`; folders whose
//! settings differ in anything but the slice (and the cell, on a grid's own axes) are refused
//! with the differing keys named.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::grid::AxisParam;
use super::record::RunRecord;

/// A run folder and what it holds.
type Run = (PathBuf, RunRecord);

/// What `bnlab report DIR…` does with its folders.
pub enum Pooled {
    /// No folder is a slice: each stays a run of its own, as before grids existed.
    Separate(Vec<(PathBuf, RunRecord)>),
    /// The cells of one grid, each pooled from its slices, in grid order: the cell's label
    /// (empty for a grid of one cell), the pooled record and the folders it came from.
    Merged(Vec<(String, RunRecord, Vec<PathBuf>)>),
}

#[derive(Debug, thiserror::Error)]
#[error("cannot pool these run folders: {0}")]
pub struct PoolError(pub String);

/// Keys that say how a run was scheduled, not what it computed.
const SCHEDULING: [&str; 2] = ["slice", "parallel"];

fn settings(r: &RunRecord) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    if let Ok(Value::Object(o)) = serde_json::to_value(&r.config) {
        for (k, v) in o {
            if !SCHEDULING.contains(&k.as_str()) {
                map.insert(k, v);
            }
        }
    }
    if let Ok(v) = serde_json::to_value(&r.data_info) {
        map.insert("data".into(), v);
    }
    map
}

fn show(v: Option<&Value>) -> String {
    v.map_or("(absent)".into(), |v| v.to_string())
}

/// Pools `runs`, or says why not.
pub fn pool(runs: Vec<(PathBuf, RunRecord)>) -> Result<Pooled, PoolError> {
    let sliced = runs.iter().filter(|r| r.1.config.slice.is_some()).count();
    // One folder is reported as it is, a single task included: there is nothing to pool.
    if sliced == 0 || runs.len() == 1 {
        return Ok(Pooled::Separate(runs));
    }
    if sliced < runs.len() {
        let whole = runs
            .iter()
            .find(|r| r.1.config.slice.is_none())
            .expect("one");
        let part = runs
            .iter()
            .find(|r| r.1.config.slice.is_some())
            .expect("one");
        return Err(PoolError(format!(
            "{} is a whole run and {} one task of a grid; pass only the task folders of one grid",
            whole.0.display(),
            part.0.display()
        )));
    }
    let axes = |r: &RunRecord| {
        r.config
            .slice
            .as_ref()
            .map(|s| s.axes.clone())
            .unwrap_or_default()
    };
    let first_axes = axes(&runs[0].1);
    if let Some(other) = runs.iter().find(|r| axes(&r.1) != first_axes) {
        return Err(PoolError(format!(
            "they come from different grids: {} has axes {:?}, {} has {:?}",
            runs[0].0.display(),
            first_axes,
            other.0.display(),
            axes(&other.1)
        )));
    }
    // On a grid's own axes the cells differ by design; anything else must be equal.
    let cell_keys: Vec<&str> = first_axes
        .iter()
        .filter_map(|(n, _)| AxisParam::parse(n).map(|p| p.config_key()))
        .collect();
    let reference = settings(&runs[0].1);
    for (dir, r) in &runs[1..] {
        let s = settings(r);
        let mut keys: Vec<&String> = reference.keys().chain(s.keys()).collect();
        keys.sort();
        keys.dedup();
        let differing: Vec<String> = keys
            .into_iter()
            .filter(|k| !cell_keys.contains(&k.as_str()) && reference.get(*k) != s.get(*k))
            .map(|k| format!("{k}: {} vs {}", show(reference.get(k)), show(s.get(k))))
            .collect();
        if !differing.is_empty() {
            return Err(PoolError(format!(
                "{} and {} differ in more than the task slice ({})",
                runs[0].0.display(),
                dir.display(),
                differing.join("; ")
            )));
        }
    }
    let cell_of = |r: &RunRecord| -> Vec<Value> {
        let s = settings(r);
        cell_keys
            .iter()
            .map(|k| s.get(*k).cloned().unwrap_or(Value::Null))
            .collect()
    };
    let mut cells: Vec<(Vec<Value>, Vec<Run>)> = Vec::new();
    for run in runs {
        let key = cell_of(&run.1);
        match cells.iter_mut().find(|c| c.0 == key) {
            Some(c) => c.1.push(run),
            None => cells.push((key, vec![run])),
        }
    }
    // Slices are contiguous in grid order, so a cell's earliest task places it.
    let place = |m: &[Run]| {
        m.iter()
            .filter_map(|r| r.1.config.slice.as_ref())
            .map(|s| (s.task as f64 + 0.5) / s.tasks as f64)
            .fold(f64::MAX, f64::min)
    };
    cells.sort_by(|a, b| place(&a.1).total_cmp(&place(&b.1)));
    let mut out = Vec::new();
    for (_, members) in cells {
        out.push(merge_cell(members)?);
    }
    Ok(Pooled::Merged(out))
}

fn merge_cell(
    members: Vec<(PathBuf, RunRecord)>,
) -> Result<(String, RunRecord, Vec<PathBuf>), PoolError> {
    let mut config = members[0].1.config.clone();
    let label = super::grid::cell_label(&members[0].1.config);
    config.slice = None;
    let mut pooled = RunRecord::new(config, members[0].1.data_info.clone());
    let mut from: Vec<Option<usize>> = vec![None; pooled.jobs.len()];
    for (m, (dir, r)) in members.iter().enumerate() {
        for job in &r.jobs {
            let Some(i) = pooled.jobs.iter().position(|j| j.id == job.id) else {
                return Err(PoolError(format!(
                    "{} holds a trainer ({} seed {} point {}) that its grid does not",
                    dir.display(),
                    job.id.variant,
                    job.id.seed,
                    job.id.point
                )));
            };
            if let Some(prev) = from[i] {
                return Err(PoolError(format!(
                    "{} and {} both hold {} seed {} at point {}: pass each task's folder once",
                    members[prev].0.display(),
                    dir.display(),
                    job.id.variant,
                    job.id.seed,
                    job.id.point
                )));
            }
            from[i] = Some(m);
            pooled.jobs[i] = job.clone();
        }
    }
    let missing: Vec<String> = pooled
        .jobs
        .iter()
        .zip(&from)
        .filter(|(_, f)| f.is_none())
        .map(|(j, _)| match j.point_value {
            Some(v) => format!("seed {} at {v}", j.id.seed),
            None => format!("seed {}", j.id.seed),
        })
        .collect();
    if !missing.is_empty() {
        let mut missing = missing;
        missing.dedup();
        let at = if label.is_empty() {
            String::new()
        } else {
            format!(" of {label}")
        };
        return Err(PoolError(format!(
            "the tasks{at} holding {} are missing; pass every task's folder",
            missing.join(", ")
        )));
    }
    Ok((label, pooled, members.into_iter().map(|m| m.0).collect()))
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
