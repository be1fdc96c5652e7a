//! The side-by-side comparison table printed by `bnlab run`.

use crate::analysis::compare::Groups;
use crate::analysis::summary::summarize;
use crate::runs::RunRecord;

fn pct(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or("-".into(), |x| format!("{:.2}%", x * 100.0))
}

fn steps(v: Option<u64>) -> String {
    v.map_or("never".into(), |s| s.to_string())
}

/// One line per trainer: status, accuracies, steps to thresholds and speed.
pub fn comparison_table(record: &RunRecord) -> String {
    let sweep = record.config.sweep.as_ref();
    let mut rows: Vec<Vec<String>> = vec![vec![
        "variant".into(),
        "seed".into(),
        sweep.map_or("".into(), |s| s.param.as_str().into()),
        "status".into(),
        "val acc".into(),
        "best val".into(),
        "test acc".into(),
        "steps→90%".into(),
        "→95%".into(),
        "→97%".into(),
        "samples/s".into(),
    ]];
    for j in &record.jobs {
        let s = summarize(j);
        rows.push(vec![
            s.variant.clone(),
            s.seed.to_string(),
            s.point_value.map_or("".into(), |v| format!("{v}")),
            s.status.clone(),
            pct(s.final_val_acc),
            pct(s.best_val_acc),
            pct(s.test_acc),
            steps(s.step_val90),
            steps(s.step_val95),
            steps(s.step_val97),
            format!("{:.0}", j.samples_per_sec),
        ]);
    }
    let keep: Vec<bool> = (0..rows[0].len())
        .map(|c| rows.iter().any(|r| !r[c].is_empty()))
        .collect();
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .filter(|(c, _)| keep[*c])
            .map(|(c, v)| format!("{v:>w$}", w = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for j in &record.jobs {
        if let Some(m) = &j.message {
            out.push_str(&format!("{} (seed {}): {m}\n", j.id.variant, j.id.seed));
        }
    }
    out.push_str(&super::seeds::table(
        &Groups::of_record(record),
        sweep.map(|s| s.param.as_str()),
    ));
    out.push_str(&verdict_lines(record));
    out
}

/// The claim's verdict under the table, as the report and the UI give it.
fn verdict_lines(record: &RunRecord) -> String {
    let Some(v) = crate::analysis::verdict::judge_run(record, &Groups::of_record(record)) else {
        return String::new();
    };
    let mut out = format!("\nclaim: {}\nverdict: {}\n", v.claim, v.label());
    for d in &v.deciding {
        out.push_str(&format!("  - {d}\n"));
    }
    out
}
