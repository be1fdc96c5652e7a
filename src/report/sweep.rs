//! Sweeps: one line per swept value, and what the comparison says at each.

use crate::analysis::compare::{paired, Groups, BEST_VAL_ACC, FINAL_VAL_ACC, STEPS_95};
use crate::analysis::fmt::{cell, int, pct};
use crate::analysis::metrics::JobMetrics;
use crate::model::Variant;

/// How a group of seeds ended: "diverged", "did not learn", "finished", or counts.
pub fn status(jobs: &[&JobMetrics]) -> String {
    let word = |j: &JobMetrics| -> &'static str {
        if j.diverged() {
            "diverged"
        } else if j.status != crate::train::Status::Finished {
            j.status.as_str()
        } else if j.did_not_learn() {
            "did not learn"
        } else {
            "finished"
        }
    };
    let words: Vec<&str> = jobs.iter().map(|j| word(j)).collect();
    if words.iter().all(|w| *w == words[0]) {
        return words.first().copied().unwrap_or("–").to_string();
    }
    let mut uniq = words.clone();
    uniq.sort_unstable();
    uniq.dedup();
    uniq.iter()
        .map(|u| {
            format!(
                "{} {}/{}",
                u,
                words.iter().filter(|w| *w == u).count(),
                words.len()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A diverged group has no number to show; everything else shows the metric.
fn number(jobs: &[&JobMetrics], m: &crate::analysis::compare::Measure) -> String {
    if jobs.iter().all(|j| j.diverged()) {
        "diverged".into()
    } else {
        let ok: Vec<&JobMetrics> = jobs.iter().copied().filter(|j| !j.diverged()).collect();
        let c = cell(m, &ok);
        if ok.len() < jobs.len() {
            format!("{c} ({} diverged)", jobs.len() - ok.len())
        } else {
            c
        }
    }
}

/// The sweep table: value, then per variant status, best val acc, steps to 95%.
pub fn table(g: &Groups, param: &str) -> String {
    let mut h = vec![param.to_string()];
    for v in &g.variants {
        h.push(format!("{} status", v.label()));
        h.push(format!("{} best val acc", v.label()));
        h.push(format!("{} steps→95%", v.label()));
    }
    let mut md = format!("| {} |\n|{}\n", h.join(" | "), "---|".repeat(h.len()));
    for (point, pv) in g.points() {
        let mut row = vec![crate::analysis::fmt::value_str(pv)];
        for v in &g.variants {
            let jobs = g.of(point, *v);
            if jobs.is_empty() {
                row.extend(["–".to_string(), "–".into(), "–".into()]);
                continue;
            }
            row.push(status(&jobs));
            row.push(number(&jobs, &BEST_VAL_ACC));
            row.push(number(&jobs, &STEPS_95));
        }
        md.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    md
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Better,
    Worse,
    Same,
}

/// One sentence per point comparing `other` with `base`, and the outcome.
fn at_point(
    g: &Groups,
    point: usize,
    pv: Option<f64>,
    param: &str,
    base: Variant,
    other: Variant,
) -> Option<(String, Outcome)> {
    let b = g.of(point, base);
    let o = g.of(point, other);
    if b.is_empty() || o.is_empty() {
        return None;
    }
    let (bl, ol) = (base.label(), other.label());
    let here = format!("At {param} = {}", crate::analysis::fmt::value_str(pv));
    let bdiv = b.iter().all(|j| j.diverged());
    let odiv = o.iter().all(|j| j.diverged());
    let best = |jobs: &[&JobMetrics]| cell(&BEST_VAL_ACC, jobs);
    let fin = |jobs: &[&JobMetrics]| cell(&FINAL_VAL_ACC, jobs);
    let s = match (bdiv, odiv) {
        (true, true) => return Some((format!("{here} both diverged."), Outcome::Same)),
        (true, false) => (
            format!(
                "{here} {bl} diverged while {ol} trained (best validation accuracy {}).",
                best(&o)
            ),
            Outcome::Better,
        ),
        (false, true) => (
            format!(
                "{here} {ol} diverged while {bl} trained (best validation accuracy {}): {ol} lost.",
                best(&b)
            ),
            Outcome::Worse,
        ),
        (false, false) => {
            let p = paired(&FINAL_VAL_ACC, &b, &o)?;
            let eff = crate::analysis::fmt::effect(&FINAL_VAL_ACC, &p);
            let noise = if p.est.ci.is_some() {
                let same = p.up == p.est.n || p.down == p.est.n;
                if !p.clear && same {
                    "the CI includes 0 although every seed points the same way".to_string()
                } else {
                    "paired by seed".to_string()
                }
            } else {
                "one seed, 0.5 pp rule".to_string()
            };
            let learn = |jobs: &[&JobMetrics], l: &str| {
                if jobs.iter().all(|j| j.did_not_learn()) {
                    format!(
                        " {l} did not learn (final validation accuracy below {}).",
                        pct(crate::analysis::metrics::CHANCE_BAND)
                    )
                } else {
                    String::new()
                }
            };
            let tail = format!("{}{}", learn(&b, bl), learn(&o, ol));
            // Below three seeds a difference can only lean one way: said so, never "clearly".
            let (higher, lost) = if p.clear {
                ("ended clearly higher", "lost")
            } else {
                ("ended higher (indicative)", "lost (indicative)")
            };
            match p.leaning_better(&FINAL_VAL_ACC) {
                Some(true) => (
                    format!("{here} {ol} {higher}: final validation accuracy {} vs {} ({eff}; {noise}).{tail}", fin(&o), fin(&b)),
                    Outcome::Better,
                ),
                Some(false) => (
                    format!("{here} {ol} {lost}: final validation accuracy {} vs {} for {bl} ({eff}; {noise}).{tail}", fin(&o), fin(&b)),
                    Outcome::Worse,
                ),
                None => (
                    format!("{here} no clear difference: final validation accuracy {} vs {} ({eff}; {noise}).{tail}", fin(&o), fin(&b)),
                    Outcome::Same,
                ),
            }
        }
    };
    let (mut text, outcome) = s;
    if !bdiv && !odiv {
        text.push_str(&speed_clause(g, &b, &o, bl, ol));
    }
    Some((text, outcome))
}

/// " Steps to 90%: BN 72, plain 204 (2.83× sooner)." at the sweep's speed threshold.
fn speed_clause(g: &Groups, b: &[&JobMetrics], o: &[&JobMetrics], bl: &str, ol: &str) -> String {
    let i = crate::analysis::compare::speed_threshold(g);
    let t = format!("{:.0}%", crate::analysis::metrics::THRESHOLDS[i] * 100.0);
    let steps = |jobs: &[&JobMetrics]| -> Option<f64> {
        let s: Vec<f64> = jobs
            .iter()
            .filter_map(|j| j.reach[i].map(|r| r.step as f64))
            .collect();
        (s.len() == jobs.len())
            .then(|| crate::analysis::stats::mean(&s))
            .flatten()
    };
    let show = |x: Option<f64>, jobs: &[&JobMetrics]| {
        let hit = jobs.iter().filter(|j| j.reach[i].is_some()).count();
        match x {
            Some(s) => format!("step {}", int(s)),
            None if hit == 0 => "never".to_string(),
            None => format!("only {hit} of {} seeds", jobs.len()),
        }
    };
    let (sb, so) = (steps(b), steps(o));
    let rel = match (sb, so) {
        (Some(x), Some(y)) if y > 0.0 && x > 0.0 => {
            let r = x / y;
            if r >= 1.0 {
                format!(" ({ol} {} sooner)", crate::analysis::fmt::ratio(r))
            } else {
                format!(" ({bl} {} sooner)", crate::analysis::fmt::ratio(1.0 / r))
            }
        }
        _ => String::new(),
    };
    if sb.is_none() && so.is_none() {
        return if b.len() + o.len() > 2 {
            format!(" Neither reached {t} validation accuracy in every seed.")
        } else {
            format!(" Neither reached {t} validation accuracy.")
        };
    }
    let mean = if b.len() > 1 {
        " (mean over seeds)"
    } else {
        ""
    };
    format!(
        " First reached {t} validation accuracy{mean}: {ol} {}, {bl} {}{rel}.",
        show(so, o),
        show(sb, b)
    )
}

fn values_list(vals: &[String]) -> String {
    if vals.is_empty() {
        "none".into()
    } else {
        vals.join(", ")
    }
}

/// The sweep part of the discussion.
pub fn discussion(g: &Groups, param: &str, base: Variant, other: Variant) -> String {
    let mut md = String::new();
    let mut better = Vec::new();
    let mut worse = Vec::new();
    let mut same = Vec::new();
    for (point, pv) in g.points() {
        if let Some((s, o)) = at_point(g, point, pv, param, base, other) {
            md.push_str(&format!("- {s}\n"));
            let v = crate::analysis::fmt::value_str(pv);
            match o {
                Outcome::Better => better.push(v),
                Outcome::Worse => worse.push(v),
                Outcome::Same => same.push(v),
            }
        }
    }
    let trained = |v: Variant| -> Vec<String> {
        g.points()
            .into_iter()
            .filter(|(p, _)| {
                let jobs = g.of(*p, v);
                !jobs.is_empty() && jobs.iter().all(|j| !j.diverged() && !j.did_not_learn())
            })
            .map(|(_, pv)| crate::analysis::fmt::value_str(pv))
            .collect()
    };
    md.push_str(&format!(
        "\n{} trained (no divergence, above chance) at {param} = {}; {} at {}.\n\n",
        other.label(),
        values_list(&trained(other)),
        base.label(),
        values_list(&trained(base)),
    ));
    let mut parts = Vec::new();
    if !better.is_empty() {
        parts.push(format!("better at {param} = {}", better.join(", ")));
    }
    if !worse.is_empty() {
        parts.push(format!("worse at {param} = {}", worse.join(", ")));
    }
    if !same.is_empty() {
        parts.push(format!(
            "not clearly different at {param} = {}",
            same.join(", ")
        ));
    }
    md.push_str(&format!(
        "**Sweep verdict.** Against {}, {} was {}.",
        base.label(),
        other.label(),
        parts.join("; ")
    ));
    if !worse.is_empty() {
        md.push_str(&format!(
            " {} lost at {param} = {}: there, BatchNorm hurt rather than helped.",
            other.label(),
            worse.join(", ")
        ));
    } else if better.is_empty() {
        md.push_str(" Over this sweep BN did not measurably help.");
    }
    if g.seeds() < crate::analysis::compare::MIN_SEEDS_CLEAR {
        md.push_str(" With fewer than 3 seeds per point nothing here is clear: \"better\" and \"worse\" say which way a point leans (more than 0.5 pp with one seed, a 95% CI that excludes 0 with two), which is indicative only; rerun with `--seeds 3` or more.");
    }
    md.push('\n');
    md
}
