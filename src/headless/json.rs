//! `bnlab run --json`: one JSON object on the last line of stdout, for tools that drive bnlab
//! (a shell loop, Optuna's ask/tell, a W&B sweep agent). Every number comes from `analysis`,
//! the same as in `summary.csv` and the report.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::analysis::compare::{
    self, Groups, Measure, Pairing, BEST_VAL_ACC, FINAL_VAL_ACC, STEPS_90, STEPS_95, STEPS_97,
    TEST_ACC,
};
use crate::analysis::stats::Estimate;
use crate::runs::grid::cell_label;
use crate::runs::RunRecord;
use crate::train::Status;

/// The numbers given per trainer and per group, under the keys `analysis` gives them.
const MEASURES: [&Measure; 6] = [
    &FINAL_VAL_ACC,
    &BEST_VAL_ACC,
    &TEST_ACC,
    &STEPS_90,
    &STEPS_95,
    &STEPS_97,
];

fn num(x: Option<f64>) -> Value {
    x.filter(|v| v.is_finite()).map_or(Value::Null, Value::from)
}

/// A run's status for a tool: `interrupted` or `failed` when any trainer was, else
/// `finished` (a diverged trainer finished: divergence is a result).
pub fn run_status(record: &RunRecord) -> &'static str {
    let any = |s: Status| record.jobs.iter().any(|j| j.status == s);
    if any(Status::Interrupted) {
        "interrupted"
    } else if any(Status::Failed) {
        "failed"
    } else if record.jobs.iter().all(|j| j.status.is_final()) {
        "finished"
    } else {
        "incomplete"
    }
}

/// One run: where it was saved (`null` when it could not be), its slice and cell, and its
/// numbers per trainer, per group of seeds and as paired differences against the baseline.
pub fn run_json(record: &RunRecord, dir: Option<&Path>) -> Value {
    let c = &record.config;
    let groups = Groups::of_record(record);
    let mut trainers = Vec::new();
    for j in &groups.jobs {
        let mut t = Map::new();
        t.insert("variant".into(), j.variant.as_str().into());
        t.insert("seed".into(), j.seed.into());
        t.insert("point".into(), j.point.into());
        t.insert("point_value".into(), num(j.point_value));
        t.insert("status".into(), j.status.as_str().into());
        for m in MEASURES {
            let key = m.key;
            t.insert(key.into(), num((m.get)(j)));
        }
        trainers.push(Value::Object(t));
    }
    let mut means = Vec::new();
    let mut diffs = Vec::new();
    let base = groups.baseline();
    for (point, value) in groups.points() {
        for &v in &groups.variants {
            let jobs = groups.of(point, v);
            let mut g = Map::new();
            g.insert("variant".into(), v.as_str().into());
            g.insert("point".into(), point.into());
            g.insert("point_value".into(), num(value));
            g.insert("seeds".into(), jobs.len().into());
            for m in MEASURES {
                let key = m.key;
                let xs = compare::values(m, &jobs);
                // A mean over only the seeds that reached a threshold would flatter the
                // slower variant, as in summary.csv.
                let est = Estimate::of(&xs)
                    .filter(|_| !key.starts_with("steps") || xs.len() == jobs.len());
                g.insert(
                    key.into(),
                    json!({
                        "mean": num(est.map(|e| e.mean)),
                        "std": num(est.and_then(|e| e.std)),
                        "n": xs.len(),
                    }),
                );
            }
            means.push(Value::Object(g));
            let Some(b) = base.filter(|b| *b != v) else {
                continue;
            };
            let mut d = Map::new();
            d.insert("variant".into(), v.as_str().into());
            d.insert("baseline".into(), b.as_str().into());
            d.insert("point".into(), point.into());
            d.insert("point_value".into(), num(value));
            for m in MEASURES {
                let key = m.key;
                let p = compare::paired(m, &groups.of(point, b), &jobs);
                let what = match m.pairing {
                    Pairing::Diff => "difference",
                    Pairing::Ratio => "ratio",
                };
                let ci = p.and_then(|p| p.ci(m)).map(|(lo, hi)| json!([lo, hi]));
                d.insert(
                    key.into(),
                    json!({
                        what: num(p.map(|p| p.effect(m))),
                        "ci95": ci.unwrap_or(Value::Null),
                        "n": p.map_or(0, |p| p.est.n),
                        "clear": p.is_some_and(|p| p.clear),
                    }),
                );
            }
            diffs.push(Value::Object(d));
        }
    }
    let cell: Map<String, Value> = cell_label(c)
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = v.parse::<f64>().map_or(Value::from(v), Value::from);
            (k.to_string(), v)
        })
        .collect();
    json!({
        "dir": dir.map(|d| d.display().to_string()),
        "status": run_status(record),
        "preset": c.preset,
        "task": c.slice.as_ref().map(|s| s.task),
        "tasks": c.slice.as_ref().map(|s| s.tasks),
        "cell": cell,
        "sweep": c.sweep.as_ref().map(|s| s.param.as_str()),
        "trainers": trainers,
        "groups": means,
        "differences": diffs,
    })
}

/// The last line: every run of this process, and a status over them all.
pub fn line(runs: &[Value]) -> String {
    let statuses: Vec<&str> = runs.iter().filter_map(|r| r["status"].as_str()).collect();
    let status = ["interrupted", "failed", "incomplete"]
        .into_iter()
        .find(|s| statuses.contains(s))
        .unwrap_or("finished");
    let saved = runs.iter().all(|r| !r["dir"].is_null());
    json!({"status": status, "saved": saved, "runs": runs}).to_string()
}
