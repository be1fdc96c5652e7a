//! One verdict per claim: each preset tests one claim about BN, and this decides, from the
//! paired seeds, whether the run supports it. The report puts it first and the UI shows it
//! in the run summary; both call `judge`, so they cannot disagree.
//!
//! Every decision rests on paired per-seed numbers that do not depend on the level or the
//! scale the two nets happen to work at (ratios of steps, relative fluctuations, gradients
//! relative to weights, accuracy differences), never on wall time.

mod literature;
mod presets;

use super::compare::{Groups, Paired, ONE_SEED_ACC_PP, ONE_SEED_RATIO};
use super::fmt::{int, pct, pp, ratio, sig3, value_str};
use super::metrics::{JobMetrics, THRESHOLDS};
use crate::model::Variant;

/// What the run says of the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Supported,
    NotSupported,
    Mixed,
    Contradicted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Supported => "supported",
            Outcome::NotSupported => "not supported",
            Outcome::Mixed => "mixed",
            Outcome::Contradicted => "contradicted",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub claim: String,
    pub outcome: Outcome,
    /// Fewer than `MIN_SEEDS_CLEAR` paired seeds: the outcome says which way the numbers
    /// lean, and nothing stronger.
    pub indicative: bool,
    /// The numbers that decide it, one line each.
    pub deciding: Vec<String>,
    /// What else a careful reader should know (where BN does not help, what the measure
    /// cannot tell).
    pub notes: Vec<String>,
}

impl Verdict {
    /// "supported", or "supported (indicative)".
    pub fn label(&self) -> String {
        if self.indicative {
            format!("{} (indicative)", self.outcome.as_str())
        } else {
            self.outcome.as_str().to_string()
        }
    }
}

/// One tested part of a claim: paired per-seed values oriented so that above zero supports it.
struct Part {
    text: String,
    p: Option<Paired>,
}

impl Part {
    fn new(what: String, d: &[f64], one_seed: f64) -> Self {
        let p = Paired::of(d, |m| m.abs() > one_seed);
        let text = match &p {
            Some(p) => format!("{what} ({})", strength(p)),
            None => format!("{what} (not measured)"),
        };
        Part { text, p }
    }

    /// Some(true) supports, Some(false) goes against, None no difference beyond seed noise.
    fn side(&self, indicative: bool) -> Option<bool> {
        let p = self.p.as_ref()?;
        let counts = if indicative {
            p.clear || p.leans
        } else {
            p.clear
        };
        (counts && p.est.mean != 0.0).then_some(p.est.mean > 0.0)
    }
}

fn strength(p: &Paired) -> String {
    match p.est.ci {
        Some(_) if p.clear => format!("clear over {} seeds", p.est.n),
        Some(_) if p.leans => format!("leans one way over {} seeds", p.est.n),
        Some(_) if p.up == p.est.n || p.down == p.est.n => format!(
            "within seed noise over {} seeds, although every seed points the same way",
            p.est.n
        ),
        Some(_) => format!("within seed noise over {} seeds", p.est.n),
        None if p.leans => "one seed, leans one way".into(),
        None => "one seed, no difference".into(),
    }
}

fn combine(parts: &[Part], indicative: bool) -> Outcome {
    let sides: Vec<Option<bool>> = parts.iter().map(|p| p.side(indicative)).collect();
    let (yes, no) = (
        sides.iter().filter(|s| **s == Some(true)).count(),
        sides.iter().filter(|s| **s == Some(false)).count(),
    );
    match (yes, no) {
        (0, 0) => Outcome::NotSupported,
        (y, 0) if y == sides.len() => Outcome::Supported,
        (0, _) => Outcome::Contradicted,
        _ => Outcome::Mixed,
    }
}

/// Per seed, `f(base) - f(other)` or its log ratio, over seeds both have.
fn per_seed(
    base: &[&JobMetrics],
    other: &[&JobMetrics],
    f: impl Fn(&JobMetrics) -> Option<f64>,
    log: bool,
) -> Vec<f64> {
    base.iter()
        .filter_map(|b| {
            let o = other.iter().find(|o| o.seed == b.seed)?;
            let (x, y) = (f(b)?, f(o)?);
            if log {
                (x > 0.0 && y > 0.0).then(|| (x / y).ln())
            } else {
                Some(x - y)
            }
        })
        .filter(|d| d.is_finite())
        .collect()
}

fn mean(jobs: &[&JobMetrics], f: impl Fn(&JobMetrics) -> Option<f64>) -> Option<f64> {
    super::stats::mean(&jobs.iter().filter_map(|j| f(j)).collect::<Vec<_>>())
}

fn opt(v: Option<f64>, show: impl Fn(f64) -> String) -> String {
    v.map_or("–".into(), show)
}

fn final_acc(j: &JobMetrics) -> Option<f64> {
    j.final_val_acc.map(|p| p.1)
}

/// Judges the claim of the run's preset; `None` for a run of no known preset.
pub fn judge_run(record: &crate::runs::RunRecord, g: &Groups) -> Option<Verdict> {
    let p = crate::presets::find(&record.config.preset)?;
    judge(p.name, p.claim, g)
}

/// Judges the claim of `preset` on the grouped jobs of a run; `None` when the run lacks the
/// variants the claim compares.
pub fn judge(preset: &str, claim: &str, g: &Groups) -> Option<Verdict> {
    let has = |v| g.variants.contains(&v);
    if !has(Variant::Plain) || !g.variants.iter().any(|v| v.has_bn()) {
        return None;
    }
    let bn = if has(Variant::Bn) {
        Variant::Bn
    } else {
        Variant::BnAfter
    };
    let seeds = g.seeds();
    let indicative = seeds < super::compare::MIN_SEEDS_CLEAR;
    let mut notes = Vec::new();
    let parts = match preset {
        "dropout" => literature::dropout(g, bn, &mut notes),
        "bn-only" => literature::bn_only(g, bn, &mut notes),
        "ioffe2015" => presets::ioffe(g, bn, &mut notes),
        "high-lr" => presets::high_lr(g, bn, &mut notes),
        "bad-init" => presets::bad_init(g, bn, &mut notes),
        "deep" => presets::deep(g, bn, &mut notes),
        "generalization" => presets::generalization(g, bn, &mut notes),
        "smoothness" => presets::smoothness(g, bn, &mut notes),
        "small-batch" => presets::small_batch(g, bn, &mut notes),
        "placement" => presets::placement(g, &mut notes),
        "depth" => literature::depth(g, bn, &mut notes),
        "ics" => literature::ics(g, bn, Some(Variant::BnNoisy), &mut notes),
        _ => accuracy_parts(g, bn),
    };
    // A part with no measurement (a run without the probes it needs) decides nothing.
    let parts: Vec<Part> = parts.into_iter().filter(|p| p.p.is_some()).collect();
    if parts.is_empty() {
        return None;
    }
    if indicative {
        notes.push(format!(
            "{seeds} seed{}: a verdict is clear only with at least {} paired seeds, so this one is indicative.",
            if seeds == 1 { "" } else { "s" },
            super::compare::MIN_SEEDS_CLEAR
        ));
    }
    Some(Verdict {
        claim: claim.to_string(),
        outcome: combine(&parts, indicative),
        indicative,
        deciding: parts.into_iter().map(|p| p.text).collect(),
        notes,
    })
}

/// The generic test of any run: does BN end with a higher validation accuracy, at each point?
fn accuracy_parts(g: &Groups, bn: Variant) -> Vec<Part> {
    g.points()
        .into_iter()
        .map(|(point, pv)| {
            let (b, o) = (g.of(point, Variant::Plain), g.of(point, bn));
            let d = per_seed(&o, &b, final_acc, false);
            let at = pv.map_or(String::new(), |v| format!(" at {}", value_str(Some(v))));
            Part::new(
                format!(
                    "final validation accuracy{at}: plain {}, BN {} (BN − plain {})",
                    opt(mean(&b, final_acc), pct),
                    opt(mean(&o, final_acc), pct),
                    opt(super::stats::mean(&d), pp)
                ),
                &d,
                ONE_SEED_ACC_PP / 100.0,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_job as job;

    fn groups(plain: &[f64], bn: &[f64]) -> Groups {
        let mut jobs = Vec::new();
        for (i, (&a, &b)) in plain.iter().zip(bn).enumerate() {
            jobs.push(job(Variant::Plain, i as u64 + 1, a));
            jobs.push(job(Variant::Bn, i as u64 + 1, b));
        }
        Groups::new(jobs, &[Variant::Plain, Variant::Bn])
    }

    #[test]
    fn three_seeds_that_agree_support_the_claim() {
        let g = groups(&[0.90, 0.91, 0.92], &[0.95, 0.951, 0.969]);
        let v = judge("custom", "BN helps", &g).unwrap();
        assert_eq!(v.outcome, Outcome::Supported);
        assert!(!v.indicative);
        assert_eq!(v.label(), "supported");
    }

    #[test]
    fn noise_larger_than_the_effect_is_not_support() {
        let g = groups(&[0.90, 0.91, 0.92], &[0.99, 0.85, 0.93]);
        let v = judge("custom", "BN helps", &g).unwrap();
        assert_eq!(v.outcome, Outcome::NotSupported);
    }

    #[test]
    fn a_clear_loss_contradicts() {
        let g = groups(&[0.95, 0.951, 0.969], &[0.90, 0.91, 0.92]);
        assert_eq!(
            judge("custom", "BN helps", &g).unwrap().outcome,
            Outcome::Contradicted
        );
    }

    #[test]
    fn fewer_than_three_seeds_is_only_indicative() {
        // Two seeds far apart in the same direction: the CI excludes 0, yet it is not clear.
        let g = groups(&[0.90, 0.91], &[0.95, 0.96]);
        let v = judge("custom", "BN helps", &g).unwrap();
        assert!(v.indicative);
        assert_eq!(v.outcome, Outcome::Supported);
        assert_eq!(v.label(), "supported (indicative)");
        let one = groups(&[0.90], &[0.95]);
        assert!(judge("custom", "BN helps", &one).unwrap().indicative);
    }

    #[test]
    fn parts_that_disagree_are_mixed() {
        let part = |mean: f64| Part::new(String::new(), &[mean, mean * 1.01, mean * 0.99], 0.0);
        assert_eq!(combine(&[part(1.0), part(-1.0)], false), Outcome::Mixed);
        assert_eq!(combine(&[part(1.0), part(1.0)], false), Outcome::Supported);
        let none = Part::new(String::new(), &[1.0, -1.0, 0.1], 0.0);
        assert_eq!(combine(&[part(1.0), none], false), Outcome::Mixed);
    }
}

#[cfg(test)]
#[path = "more_tests.rs"]
mod more_tests;
