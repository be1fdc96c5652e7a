//! The discussion: every sentence is built from the measured numbers of two variants.

use crate::analysis::compare::{
    paired, Groups, Measure, Paired, BEST_VAL_ACC, FINAL_VAL_ACC, GAP, LOSS_FLUCT, LOSS_TAIL_STD,
    ONE_SEED_ACC_PP, ONE_SEED_RATIO, SPIKE, STEPS_90, STEPS_95, STEPS_97, TEST_ACC, THROUGHPUT,
    VAL_LOSS_AREA, WALL,
};
use crate::analysis::fmt::{at, effect, int, pct, pp, ratio, value};
use crate::analysis::metrics::{JobMetrics, THRESHOLDS};
use crate::analysis::stats::Estimate;
use crate::model::Variant;

mod aspects;
mod landscape;
mod speed;

use aspects::{cost, generalization, internals, stability};
use landscape::landscape;
use speed::speed;

/// Beyond this gap in final accuracy, loss fluctuations are not compared in the verdict.
const MAX_ACC_DIFF_FOR_STABILITY: f64 = 0.2;

fn thr(t: f64) -> String {
    format!("{:.0}%", t * 100.0)
}

const STEPS: [&Measure; 3] = [&STEPS_90, &STEPS_95, &STEPS_97];

/// Outcome of one aspect: `Some(true)` when the compared variant was clearly better.
#[derive(Debug, Default, Clone)]
pub struct Verdicts {
    pub better: Vec<&'static str>,
    pub worse: Vec<&'static str>,
}

impl Verdicts {
    fn add(&mut self, aspect: &'static str, v: Option<bool>) {
        match v {
            Some(true) => self.better.push(aspect),
            Some(false) => self.worse.push(aspect),
            None => {}
        }
    }
}

/// Why a difference is or is not called clear, in words.
fn noise(m: &Measure, p: &Paired) -> String {
    use crate::analysis::compare::{Pairing, Unit, MIN_SEEDS_CLEAR, ONE_SEED_SPIKE};
    let zero = if m.pairing == Pairing::Diff {
        "0"
    } else {
        "1×"
    };
    if p.ci(m).is_some() {
        let n = p.est.n;
        if p.clear {
            return format!("clear: the paired 95% CI over {n} seeds excludes {zero}");
        }
        if p.leans {
            return format!("indicative only: the paired 95% CI over {n} seeds excludes {zero}, but a difference is called clear only with at least {MIN_SEEDS_CLEAR} seeds");
        }
        let mut s =
            format!("no clear difference: the paired 95% CI over {n} seeds includes {zero}");
        if p.up == n || p.down == n {
            let all = if n == 2 {
                "both seeds point".to_string()
            } else {
                format!("all {n} seeds point")
            };
            s.push_str(&format!(
                ", although {all} the same way; more seeds would tighten the interval"
            ));
        }
        return s;
    }
    let rule = match (m.pairing, m.unit) {
        (Pairing::Ratio, _) => format!("a ratio beyond {ONE_SEED_RATIO}×"),
        (_, Unit::Accuracy | Unit::Points) => format!("more than {ONE_SEED_ACC_PP} pp"),
        (_, Unit::Count) => "a difference of at least 1".to_string(),
        _ => format!("more than {ONE_SEED_SPIKE}"),
    };
    let how = if p.leans {
        "leans one way"
    } else {
        "no difference"
    };
    format!("{how} by the one-seed rule ({rule}); one seed is indicative only")
}

fn mean_of(m: &Measure, jobs: &[&JobMetrics]) -> Option<f64> {
    Estimate::of(&crate::analysis::compare::values(m, jobs)).map(|e| e.mean)
}

/// "94.30%" for one seed, "94.30% (mean of 3 seeds)" for several.
fn val(m: &Measure, jobs: &[&JobMetrics]) -> String {
    match mean_of(m, jobs) {
        None => "–".into(),
        Some(x) => value(m, x),
    }
}

pub struct Pair<'a> {
    pub base: Variant,
    pub other: Variant,
    pub b: Vec<&'a JobMetrics>,
    pub o: Vec<&'a JobMetrics>,
}

impl<'a> Pair<'a> {
    pub fn new(g: &'a Groups, point: usize, base: Variant, other: Variant) -> Self {
        Self {
            base,
            other,
            b: g.of(point, base),
            o: g.of(point, other),
        }
    }

    fn p(&self, m: &Measure) -> Option<Paired> {
        paired(m, &self.b, &self.o)
    }

    fn bl(&self) -> &'static str {
        self.base.label()
    }

    fn ol(&self) -> &'static str {
        self.other.label()
    }

    fn n(&self) -> usize {
        self.b.len().min(self.o.len())
    }
}

fn reached(jobs: &[&JobMetrics], i: usize) -> usize {
    jobs.iter().filter(|j| j.reach[i].is_some()).count()
}

/// Where each seed of a group first reached threshold `i`, e.g. "step 240 (epoch 0.80)".
fn where_reached(jobs: &[&JobMetrics], i: usize) -> String {
    if jobs.len() == 1 {
        return jobs[0].reach[i].map_or("never".into(), |r| at(r.step, r.epoch));
    }
    let steps: Vec<f64> = jobs
        .iter()
        .filter_map(|j| j.reach[i].map(|r| r.step as f64))
        .collect();
    let e = Estimate::of(&steps).map_or(0.0, |e| e.mean);
    format!("step {} on average over {} seeds", int(e), steps.len())
}

fn list(v: &[&str]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].to_string(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn verdict(p: &Pair, v: &Verdicts) -> String {
    let caveat = if p.n() < crate::analysis::compare::MIN_SEEDS_CLEAR {
        format!(
            " With {} seed{}, no difference can be called clear: what leans one way above is indicative only; rerun with `--seeds 3` or more to test it against seed noise.",
            p.n(),
            if p.n() == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let (o, b) = (p.ol(), p.bl());
    // Against plain the question is whether BN helped; between two BN variants, which did better.
    let vs_plain = p.base == Variant::Plain;
    let s = match (v.better.is_empty(), v.worse.is_empty()) {
        (true, true) if vs_plain => format!(
            "No clear difference between {o} and {b} on any headline number in this run: BN did not measurably help here."
        ),
        (true, true) => format!(
            "No clear difference between {o} and {b} on any headline number in this run."
        ),
        (false, true) if vs_plain => format!("{o} helped in this run: it was clearly better on {}, and clearly worse on nothing.", list(&v.better)),
        (false, true) => format!("{o} did better than {b} in this run: clearly better on {}, and clearly worse on nothing.", list(&v.better)),
        (true, false) if vs_plain => format!("{o} did not help in this run: it was clearly worse on {} and clearly better on nothing.", list(&v.worse)),
        (true, false) => format!("{o} did worse than {b} in this run: clearly worse on {} and clearly better on nothing.", list(&v.worse)),
        (false, false) => format!(
            "Mixed result: {o} was clearly better on {} but clearly worse on {}.",
            list(&v.better),
            list(&v.worse)
        ),
    };
    format!("**Verdict.** {s}{caveat}")
}

/// The discussion of one compared variant against the baseline, as markdown paragraphs.
pub fn discussion(p: &Pair) -> (String, Verdicts) {
    let mut v = Verdicts::default();
    let mut md = String::new();
    if p.n() > 1 {
        md.push_str(&format!(
            "Values for each variant are means over its {} seeds; comparisons pair seed s of {} with seed s of {} (same initial weights and batches).\n\n",
            p.n(),
            p.ol(),
            p.bl()
        ));
    }
    let mut para = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            md.push_str(&format!("**{title}.** {}\n\n", lines.join(" ")));
        }
    };
    para("Convergence speed", speed(p, &mut v));
    para("Generalization", generalization(p, &mut v));
    para("Stability", stability(p, &mut v));
    para("Loss landscape", landscape(p, &mut v));
    para("Inside the network", internals(p));
    para("Cost", cost(p));
    md.push_str(&verdict(p, &v));
    md.push('\n');
    (md, v)
}
