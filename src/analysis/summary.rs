//! Headline numbers of each trainer, as written to `summary.csv`, followed by aggregate rows:
//! per variant the mean and std over seeds, and per variant the paired difference against the
//! baseline (plain) seed by seed with a 95% t interval. Aggregate rows carry a word in the
//! `seed` column (`mean`, `std`, `diff_mean`, `diff_ci95_low`, `diff_ci95_high`), so a reader
//! that wants one row per trainer keeps the rows whose seed is a number.

use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

use crate::analysis::compare::Groups;
use crate::analysis::metrics::JobMetrics;
use crate::analysis::stats::Estimate;
use crate::metric::Metric;
use crate::runs::{self, JobRecord, RunError, RunRecord};

pub const THRESHOLDS: [f64; 3] = crate::analysis::metrics::THRESHOLDS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub variant: String,
    pub seed: u64,
    pub point: usize,
    pub point_value: Option<f64>,
    pub status: String,
    pub steps: u64,
    pub final_train_loss: Option<f64>,
    pub final_val_loss: Option<f64>,
    pub final_val_acc: Option<f64>,
    pub best_val_acc: Option<f64>,
    pub test_loss: Option<f64>,
    pub test_acc: Option<f64>,
    pub step_val90: Option<u64>,
    pub step_val95: Option<u64>,
    pub step_val97: Option<u64>,
    #[serde(default)]
    pub val_loss_area: Option<f64>,
    #[serde(default)]
    pub train_val_gap: Option<f64>,
    #[serde(default)]
    pub loss_tail_std: Option<f64>,
    #[serde(default)]
    pub loss_log_fluct: Option<f64>,
    #[serde(default)]
    pub max_loss_spike: Option<f64>,
    #[serde(default)]
    pub loss_blowups: Option<u64>,
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    #[serde(default)]
    pub samples_per_sec: Option<f64>,
    pub message: String,
}

/// First step at which `series` reached `threshold`.
pub fn steps_to(series: &[(u64, f64, f64)], threshold: f64) -> Option<u64> {
    crate::analysis::metrics::reach(series, threshold).map(|r| r.step)
}

pub fn best(series: &[(u64, f64, f64)]) -> Option<f64> {
    crate::analysis::metrics::best(series).map(|p| p.1)
}

pub fn summarize(job: &JobRecord) -> SummaryRow {
    row_of(&JobMetrics::of(job))
}

fn row_of(m: &JobMetrics) -> SummaryRow {
    SummaryRow {
        variant: m.variant.as_str().to_string(),
        seed: m.seed,
        point: m.point,
        point_value: m.point_value,
        status: m.status.as_str().to_string(),
        steps: m.steps,
        final_train_loss: m.final_train_loss.map(|p| p.1),
        final_val_loss: m.final_val_loss.map(|p| p.1),
        final_val_acc: m.final_val_acc.map(|p| p.1),
        best_val_acc: m.best_val_acc.map(|p| p.1),
        test_loss: m.test_loss,
        test_acc: m.test_acc,
        step_val90: m.reach[0].map(|r| r.step),
        step_val95: m.reach[1].map(|r| r.step),
        step_val97: m.reach[2].map(|r| r.step),
        val_loss_area: m.val_loss_area,
        train_val_gap: m.gap,
        loss_tail_std: m.loss_tail_std,
        loss_log_fluct: m.loss_log_fluct,
        max_loss_spike: m.spike.map(|s| s.rise).filter(|r| r.is_finite()),
        loss_blowups: Some(m.blowups as u64),
        elapsed_s: Some(m.elapsed_s),
        samples_per_sec: Some(m.samples_per_sec),
        message: m.message.clone().unwrap_or_default(),
    }
}

type Getter = fn(&SummaryRow) -> Option<f64>;

/// The numeric columns, in file order, between `status` and `message`.
const NUMERIC: [(&str, Getter); 18] = [
    ("steps", |r| Some(r.steps as f64)),
    ("final_train_loss", |r| r.final_train_loss),
    ("final_val_loss", |r| r.final_val_loss),
    ("final_val_acc", |r| r.final_val_acc),
    ("best_val_acc", |r| r.best_val_acc),
    (Metric::TestLoss.base_name(), |r| r.test_loss),
    (Metric::TestAcc.base_name(), |r| r.test_acc),
    ("step_val90", |r| r.step_val90.map(|s| s as f64)),
    ("step_val95", |r| r.step_val95.map(|s| s as f64)),
    ("step_val97", |r| r.step_val97.map(|s| s as f64)),
    ("val_loss_area", |r| r.val_loss_area),
    ("train_val_gap", |r| r.train_val_gap),
    ("loss_tail_std", |r| r.loss_tail_std),
    ("loss_log_fluct", |r| r.loss_log_fluct),
    ("max_loss_spike", |r| r.max_loss_spike),
    ("loss_blowups", |r| r.loss_blowups.map(|s| s as f64)),
    ("elapsed_s", |r| r.elapsed_s),
    ("samples_per_sec", |r| r.samples_per_sec),
];

/// The value of the column named `key` (a [`crate::analysis::compare::Measure`]'s key) in a
/// trainer's row; `None` when no such numeric column exists.
pub fn column(row: &SummaryRow, key: &str) -> Option<Option<f64>> {
    numeric().find(|(k, _)| *k == key).map(|(_, g)| g(row))
}

fn numeric() -> impl Iterator<Item = &'static (&'static str, Getter)> {
    NUMERIC.iter()
}

/// Columns that must be reached by every seed before a mean or difference is written:
/// a mean over only the seeds that got there would flatter the slower variant.
fn needs_all(col: &str) -> bool {
    col.starts_with("step_val")
}

pub fn header() -> Vec<String> {
    let mut h: Vec<String> = ["variant", "seed", "point", "point_value", "status"]
        .map(String::from)
        .to_vec();
    h.extend(numeric().map(|(k, _)| k.to_string()));
    h.push("message".into());
    h
}

fn num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or(String::new(), |x| x.to_string())
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn job_record(r: &SummaryRow) -> Vec<String> {
    let mut v = vec![
        r.variant.clone(),
        r.seed.to_string(),
        r.point.to_string(),
        opt(r.point_value),
        r.status.clone(),
    ];
    v.extend(numeric().map(|(_, g)| num(g(r))));
    v.push(r.message.clone());
    v
}

fn status_counts(rows: &[&SummaryRow]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in rows {
        match counts.iter_mut().find(|c| c.0 == r.status) {
            Some(c) => c.1 += 1,
            None => counts.push((&r.status, 1)),
        }
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n}/{} {s}", rows.len()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn seeds_list(rows: &[&SummaryRow]) -> String {
    rows.iter()
        .map(|r| r.seed.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Mean and std rows of one variant at one point.
fn spread_records(rows: &[&SummaryRow]) -> Vec<Vec<String>> {
    let first = rows[0];
    let mut out = Vec::new();
    let n = rows.len();
    for (tag, f) in [
        (
            "mean",
            (|e: &Estimate| Some(e.mean)) as fn(&Estimate) -> Option<f64>,
        ),
        ("std", |e: &Estimate| e.std),
    ] {
        if tag == "std" && n < 2 {
            continue;
        }
        let mut v = vec![
            first.variant.clone(),
            tag.to_string(),
            first.point.to_string(),
            opt(first.point_value),
            status_counts(rows),
        ];
        for (col, g) in numeric() {
            let xs: Vec<f64> = rows.iter().filter_map(|r| g(r)).collect();
            let cell = if needs_all(col) && xs.len() < n {
                None
            } else {
                Estimate::of(&xs).and_then(|e| f(&e))
            };
            v.push(num(cell));
        }
        v.push(format!(
            "{tag} over seeds {}; steps-to-threshold only when every seed reached it",
            seeds_list(rows)
        ));
        out.push(v);
    }
    out
}

/// Paired `other - base` rows at one point, seed by seed.
fn diff_records(base: &[&SummaryRow], other: &[&SummaryRow]) -> Vec<Vec<String>> {
    let pairs: Vec<(&SummaryRow, &SummaryRow)> = base
        .iter()
        .filter_map(|b| other.iter().find(|o| o.seed == b.seed).map(|o| (*b, *o)))
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    let n = pairs.len();
    let label = format!("{} - {}", other[0].variant, base[0].variant);
    let ests: Vec<Option<Estimate>> = numeric()
        .map(|(col, g)| {
            let d: Vec<f64> = pairs
                .iter()
                .filter_map(|(b, o)| Some(g(o)? - g(b)?))
                .collect();
            if needs_all(col) && d.len() < n {
                None
            } else {
                Estimate::of(&d)
            }
        })
        .collect();
    let mut out = Vec::new();
    type Pick = fn(&Estimate) -> Option<f64>;
    let tags: [(&str, Pick); 3] = [
        ("diff_mean", |e| Some(e.mean)),
        ("diff_ci95_low", |e| e.ci.map(|c| c.0)),
        ("diff_ci95_high", |e| e.ci.map(|c| c.1)),
    ];
    for (tag, f) in tags {
        if tag != "diff_mean" && n < 2 {
            continue;
        }
        let mut v = vec![
            label.clone(),
            tag.to_string(),
            base[0].point.to_string(),
            opt(base[0].point_value),
            String::new(),
        ];
        v.extend(ests.iter().map(|e| num(e.as_ref().and_then(f))));
        v.push(if n < 2 {
            "paired over 1 seed: 95% CI not available (run with --seeds 2 or more)".into()
        } else {
            format!(
                "paired over seeds {}; 95% CI from Student's t with {} df",
                pairs
                    .iter()
                    .map(|p| p.0.seed.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                n - 1
            )
        });
        out.push(v);
    }
    out
}

/// Every row of `summary.csv`, header first: one per trainer, then the aggregates.
pub fn csv_records(record: &RunRecord) -> Vec<Vec<String>> {
    let metrics: Vec<JobMetrics> = record.jobs.iter().map(JobMetrics::of).collect();
    let rows: Vec<SummaryRow> = metrics.iter().map(row_of).collect();
    let mut out = vec![header()];
    out.extend(rows.iter().map(job_record));
    let groups = Groups::new(metrics, &record.config.variants);
    let Some(base) = groups.baseline() else {
        return out;
    };
    let pick = |point: usize, v: &str| -> Vec<&SummaryRow> {
        let mut r: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| r.point == point && r.variant == v)
            .collect();
        r.sort_by_key(|r| r.seed);
        r
    };
    for (point, _) in groups.points() {
        for v in &groups.variants {
            let g = pick(point, v.as_str());
            if !g.is_empty() {
                out.extend(spread_records(&g));
            }
        }
        let b = pick(point, base.as_str());
        for v in groups.variants.iter().filter(|v| **v != base) {
            let o = pick(point, v.as_str());
            if !b.is_empty() && !o.is_empty() {
                out.extend(diff_records(&b, &o));
            }
        }
    }
    out
}

pub use crate::runs::folder::is_job_row;

/// Saves the record into `dir` (which must exist), with its `summary.csv`.
pub fn save(record: &RunRecord, dir: &Path) -> Result<(), RunError> {
    runs::save(record, dir, &csv_records(record))
}

/// Saves the record into a fresh folder under `parent`, with its `summary.csv`.
pub fn save_new(record: &RunRecord, parent: &Path) -> Result<PathBuf, RunError> {
    runs::save_new(record, parent, &csv_records(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_to_threshold_and_never() {
        let s = vec![(0, 0.0, 0.1), (10, 0.1, 0.91), (20, 0.2, 0.96)];
        assert_eq!(steps_to(&s, 0.9), Some(10));
        assert_eq!(steps_to(&s, 0.95), Some(20));
        assert_eq!(steps_to(&s, 0.97), None);
        assert_eq!(best(&s), Some(0.96));
    }

    #[test]
    fn header_matches_row_fields() {
        // job rows are read back with serde by header name, so every field must be a column
        let h = header();
        for f in [
            "variant",
            "seed",
            "point",
            "point_value",
            "status",
            "steps",
            "final_val_acc",
            "step_val97",
            "val_loss_area",
            "samples_per_sec",
            "message",
        ] {
            assert!(h.iter().any(|c| c == f), "{f}");
        }
        assert_eq!(h.len(), 24);
    }
}
