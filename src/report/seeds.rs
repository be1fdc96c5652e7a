//! Under `bnlab run`'s per-trainer table: each variant over its seeds (mean ± std) and each
//! variant against the baseline, paired seed by seed with a 95% interval. The numbers and
//! their wording are `analysis`'s, the same as in the report.

use crate::analysis::compare::{
    paired, Groups, Measure, BEST_VAL_ACC, FINAL_VAL_ACC, STEPS_95, TEST_ACC,
};
use crate::analysis::fmt::{cell, effect, value_str};

const MEASURES: [(&str, &Measure); 4] = [
    ("val acc", &FINAL_VAL_ACC),
    ("best val", &BEST_VAL_ACC),
    ("test acc", &TEST_ACC),
    ("steps→95%", &STEPS_95),
];

/// Empty unless some variant has two seeds or more at one point.
pub fn table(g: &Groups, param: Option<&str>) -> String {
    let points = g.points();
    let several = points
        .iter()
        .any(|(p, _)| g.variants.iter().any(|v| g.of(*p, *v).len() > 1));
    let Some(base) = g.baseline().filter(|_| several) else {
        return String::new();
    };
    let mut head = vec![
        param.unwrap_or("").to_string(),
        "variant".into(),
        "seeds".into(),
    ];
    head.extend(MEASURES.iter().map(|m| m.0.to_string()));
    let mut rows = vec![head];
    for (point, value) in &points {
        let at = if param.is_some() {
            value_str(*value)
        } else {
            String::new()
        };
        for v in &g.variants {
            let jobs = g.of(*point, *v);
            let mut r = vec![at.clone(), v.as_str().to_string(), jobs.len().to_string()];
            r.extend(MEASURES.iter().map(|(_, m)| cell(m, &jobs)));
            rows.push(r);
        }
    }
    let cols = rows[0].len();
    let keep: Vec<bool> = (0..cols)
        .map(|c| rows.iter().any(|r| !r[c].is_empty()))
        .collect();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::from("\nover seeds (mean ± std):\n");
    for r in &rows {
        let line: Vec<String> = (0..cols)
            .filter(|c| keep[*c])
            .map(|c| format!("{:>w$}", r[c], w = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str("paired by seed (difference, or ratio for steps; 95% t interval):\n");
    for (point, value) in &points {
        let at = param.map_or(String::new(), |p| format!("{p} {}, ", value_str(*value)));
        for v in g.variants.iter().filter(|v| **v != base) {
            let (b, o) = (g.of(*point, base), g.of(*point, *v));
            let head = format!("  {at}{v} − {base}: ");
            for (i, (name, m)) in MEASURES.iter().enumerate() {
                let e = paired(m, &b, &o)
                    .map_or("– (no seed reached it in both)".into(), |p| effect(m, &p));
                let lead = if i == 0 {
                    head.clone()
                } else {
                    " ".repeat(head.chars().count())
                };
                out.push_str(&format!("{lead}{name} {e}\n"));
            }
        }
    }
    out
}
