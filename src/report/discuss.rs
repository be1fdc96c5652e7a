//! The discussion: every sentence is built from the measured numbers of two variants.

use super::compare::{
    paired, Groups, Metric, Paired, BEST_VAL_ACC, FINAL_VAL_ACC, GAP, LOSS_TAIL_STD,
    ONE_SEED_ACC_PP, ONE_SEED_RATIO, SPIKE, STEPS_90, STEPS_95, STEPS_97, TEST_ACC, THROUGHPUT,
    VAL_LOSS_AREA, WALL,
};
use super::fmt::{at, effect, int, pct, pp, ratio, value};
use super::metrics::{JobMetrics, THRESHOLDS};
use super::stats::Estimate;
use crate::model::Variant;

/// Beyond this gap in final accuracy, loss fluctuations are not compared in the verdict.
const MAX_ACC_DIFF_FOR_STABILITY: f64 = 0.2;

fn thr(t: f64) -> String {
    format!("{:.0}%", t * 100.0)
}

const STEPS: [&Metric; 3] = [&STEPS_90, &STEPS_95, &STEPS_97];

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
fn noise(m: &Metric, p: &Paired) -> String {
    use super::compare::{Pairing, Unit, ONE_SEED_SPIKE};
    let clear = if p.clear {
        "clear"
    } else {
        "no clear difference"
    };
    if p.ci(m).is_some() {
        let mut s = format!(
            "{clear}: the paired 95% CI over {} seeds {} {}",
            p.est.n,
            if p.clear { "excludes" } else { "includes" },
            if m.pairing == Pairing::Diff {
                "0"
            } else {
                "1×"
            }
        );
        if !p.clear && (p.up == p.est.n || p.down == p.est.n) {
            let all = if p.est.n == 2 {
                "both seeds point".to_string()
            } else {
                format!("all {} seeds point", p.est.n)
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
    format!("{clear} by the one-seed rule ({rule}; indicative only)")
}

fn mean_of(m: &Metric, jobs: &[&JobMetrics]) -> Option<f64> {
    Estimate::of(&super::compare::values(m, jobs)).map(|e| e.mean)
}

/// "94.30%" for one seed, "94.30% (mean of 3 seeds)" for several.
fn val(m: &Metric, jobs: &[&JobMetrics]) -> String {
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

    fn p(&self, m: &Metric) -> Option<Paired> {
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

/// One threshold's comparison and whether `other` was clearly faster to it.
fn to_threshold(p: &Pair, i: usize) -> (String, Option<bool>) {
    let t = thr(THRESHOLDS[i]);
    let (nb, no) = (p.b.len(), p.o.len());
    let (rb, ro) = (reached(&p.b, i), reached(&p.o, i));
    if rb == nb && ro == no {
        let Some(pr) = p.p(STEPS[i]) else {
            return (String::new(), None);
        };
        let r = pr.effect(STEPS[i]);
        let facts = format!(
            "{} at {}, {} at {}",
            p.ol(),
            where_reached(&p.o, i),
            p.bl(),
            where_reached(&p.b, i)
        );
        let eff = effect(STEPS[i], &pr);
        return if pr.clear {
            let (fast, factor) = if r < 1.0 {
                (p.ol(), 1.0 / r)
            } else {
                (p.bl(), r)
            };
            (
                format!(
                    "To {t} validation accuracy {fast} was {} faster ({facts}; ratio of steps {}/{}: {eff}, clear).",
                    ratio(factor),
                    p.ol(),
                    p.bl()
                ),
                Some(r < 1.0),
            )
        } else {
            (
                format!(
                    "To {t} validation accuracy there was no clear difference ({facts}; ratio of steps {}/{}: {eff}; {}).",
                    p.ol(),
                    p.bl(),
                    noise(STEPS[i], &pr)
                ),
                None,
            )
        };
    }
    if (rb == nb && ro == 0) || (ro == no && rb == 0) {
        let (fast, fj, slow, sj) = if ro == no {
            (p.ol(), &p.o, p.bl(), &p.b)
        } else {
            (p.bl(), &p.b, p.ol(), &p.o)
        };
        let s_fast = Estimate::of(
            &fj.iter()
                .filter_map(|j| j.reach[i].map(|r| r.step as f64))
                .collect::<Vec<_>>(),
        )
        .map_or(1.0, |e| e.mean);
        let s_slow = sj.iter().map(|j| j.steps).min().unwrap_or(0) as f64;
        return (
            format!(
                "Only {fast} reached {t} validation accuracy, at {}; {slow} never did in its {} steps (best {}), so {fast} was at least {} faster to {t}.",
                where_reached(fj, i),
                int(s_slow),
                val(&BEST_VAL_ACC, sj),
                ratio(s_slow / s_fast.max(1.0)),
            ),
            Some(ro == no),
        );
    }
    let counts = format!(
        "{} reached {t} validation accuracy in {ro} of {no} seeds and {} in {rb} of {nb}",
        p.ol(),
        p.bl()
    );
    if ro == no || rb == nb {
        if let Some((pr, lead)) = censored(p, i) {
            let m = STEPS[i];
            let r = pr.effect(m);
            if pr.clear && ((ro == no) == (r < 1.0)) {
                let fast = if ro == no { p.ol() } else { p.bl() };
                return (
                    format!(
                        "{counts}. Counting each seed that never got there as reaching {t} at its last step (which flatters it), the ratio of steps {}/{} is still {}: {fast} was clearly faster to {t} ({lead}).",
                        p.ol(),
                        p.bl(),
                        effect(m, &pr),
                    ),
                    Some(ro == no),
                );
            }
        }
    }
    (
        format!("{counts}: the seeds disagree, so there is no clear difference in speed to {t}."),
        None,
    )
}

/// Steps to threshold `i` paired by seed, a seed of the slower side that never reached it
/// counted at its last step: a bound that favours the slower side.
fn censored(p: &Pair, i: usize) -> Option<(Paired, String)> {
    let steps = |j: &JobMetrics| j.reach[i].map_or(j.steps as f64, |r| r.step as f64);
    let mut d = Vec::new();
    for b in &p.b {
        let o = p.o.iter().find(|o| o.seed == b.seed)?;
        let (x, y) = (steps(b), steps(o));
        if x <= 0.0 || y <= 0.0 {
            return None;
        }
        d.push((y / x).ln());
    }
    let est = Estimate::of(&d)?;
    let clear = match est.ci_excludes_zero() {
        Some(c) => c,
        None => est.mean.abs() > ONE_SEED_RATIO.ln(),
    };
    let up = d.iter().filter(|x| **x > 0.0).count();
    let down = d.iter().filter(|x| **x < 0.0).count();
    let how = if est.ci.is_some() {
        format!("paired 95% CI over {} seeds", est.n)
    } else {
        "one-seed rule".to_string()
    };
    Some((
        Paired {
            up,
            down,
            est,
            clear,
        },
        how,
    ))
}

fn speed(p: &Pair, v: &mut Verdicts) -> Vec<String> {
    let mut out = Vec::new();
    let levels: Vec<usize> = (0..3)
        .filter(|&i| reached(&p.b, i) > 0 || reached(&p.o, i) > 0)
        .collect();
    let mut calls = Vec::new();
    if levels.is_empty() {
        let most = p.b.iter().chain(&p.o).map(|j| j.steps).max().unwrap_or(0);
        out.push(format!(
            "Neither variant reached {} validation accuracy within {} steps (best: {} {}, {} {}), so speed is judged by the area under the validation-loss curve.",
            thr(THRESHOLDS[0]),
            int(most as f64),
            p.ol(),
            val(&BEST_VAL_ACC, &p.o),
            p.bl(),
            val(&BEST_VAL_ACC, &p.b),
        ));
    }
    for i in levels {
        let (s, c) = to_threshold(p, i);
        if !s.is_empty() {
            out.push(s);
            calls.extend(c);
        }
    }
    let conflicting = calls.iter().any(|c| *c) && calls.iter().any(|c| !*c);
    let mut dir = if conflicting {
        None
    } else {
        calls.first().copied()
    };
    if let Some(pr) = p.p(&VAL_LOSS_AREA) {
        out.push(format!(
            "The area under the validation-loss curve (lower means the loss came down sooner) was {} for {} and {} for {} (ratio {}: {}).",
            val(&VAL_LOSS_AREA, &p.o),
            p.ol(),
            val(&VAL_LOSS_AREA, &p.b),
            p.bl(),
            effect(&VAL_LOSS_AREA, &pr),
            noise(&VAL_LOSS_AREA, &pr)
        ));
        if calls.is_empty() {
            dir = pr.other_better(&VAL_LOSS_AREA);
        }
    } else if p.b.iter().chain(&p.o).any(|j| j.val_loss_area.is_none()) {
        out.push(
            "The area under the validation-loss curve is not compared: at least one trainer stopped early, so the curves cover different lengths.".into(),
        );
    }
    let lead = match (dir, conflicting) {
        (Some(true), _) => format!("{} converged faster.", p.ol()),
        (Some(false), _) => format!("{} converged faster.", p.bl()),
        (None, true) => "The thresholds disagree on which net was faster.".to_string(),
        (None, false) => "Neither net converged clearly faster.".to_string(),
    };
    out.insert(0, lead);
    v.add("speed", dir);
    out
}

fn compare_sentence(p: &Pair, m: &Metric, what: &str) -> Option<(String, Paired)> {
    let pr = p.p(m)?;
    Some((
        format!(
            "{} ended with {what} {} vs {} for {} ({}: {})",
            p.ol(),
            val(m, &p.o),
            val(m, &p.b),
            p.bl(),
            effect(m, &pr),
            noise(m, &pr)
        ),
        pr,
    ))
}

fn generalization(p: &Pair, v: &mut Verdicts) -> Vec<String> {
    let mut out = Vec::new();
    let mut val_better = None;
    if let Some((s, pr)) = compare_sentence(p, &FINAL_VAL_ACC, "a final validation accuracy of") {
        out.push(format!("{s}."));
        val_better = pr.other_better(&FINAL_VAL_ACC);
        v.add("final validation accuracy", val_better);
    }
    if let Some((s, pr)) = compare_sentence(p, &TEST_ACC, "a test accuracy of") {
        out.push(format!("{s}."));
        v.add("test accuracy", pr.other_better(&TEST_ACC));
    }
    if p.n() == 1 {
        if let (Some(bo), Some(bb)) = (p.o[0].best_val_acc, p.b[0].best_val_acc) {
            out.push(format!(
                "Best validation accuracy: {} {} at step {}, {} {} at step {}.",
                p.ol(),
                pct(bo.1),
                int(bo.0 as f64),
                p.bl(),
                pct(bb.1),
                int(bb.0 as f64)
            ));
        }
    }
    if let Some(pr) = p.p(&GAP) {
        let (go, gb) = (mean_of(&GAP, &p.o), mean_of(&GAP, &p.b));
        let (Some(go), Some(gb)) = (go, gb) else {
            return out;
        };
        let verb = match pr.other_better(&GAP) {
            Some(true) => format!("{} narrowed the gap", p.ol()),
            Some(false) => format!("{} widened the gap", p.ol()),
            None => "so BN neither clearly narrowed nor widened it".into(),
        };
        out.push(format!(
            "The train–validation accuracy gap at the end was {} for {} and {} for {} ({}: {}); {verb}.",
            pp(go),
            p.ol(),
            pp(gb),
            p.bl(),
            effect(&GAP, &pr),
            noise(&GAP, &pr)
        ).replace("so BN neither", &format!("so {} neither", p.ol())));
        // The gap speaks about generalization only when validation accuracy itself does not
        // already decide: a wider gap next to a higher validation accuracy is a better fit of
        // the training data, not worse generalization.
        match (val_better, pr.other_better(&GAP)) {
            (None, g) => v.add("train–validation gap", g),
            (Some(true), Some(false)) => out.push(format!(
                "Because {}'s validation accuracy was also clearly higher, its wider gap reflects a closer fit of the training data, not worse generalization.",
                p.ol()
            )),
            (Some(false), Some(true)) => out.push(format!(
                "{}'s narrower gap comes with a clearly lower validation accuracy, so it is not a generalization gain.",
                p.ol()
            )),
            _ => {}
        }
        let under: Vec<String> =
            p.o.iter()
                .chain(&p.b)
                .filter_map(|j| j.final_train_acc.map(|a| (j, a.1)))
                .filter(|(_, a)| *a < 0.9)
                .map(|(j, a)| format!("{} seed {} ({})", j.variant.label(), j.seed, pct(a)))
                .collect();
        if !under.is_empty() {
            out.push(format!(
                "A small gap is only a sign of good generalization when the net fits its training data; final training accuracy was below 90% for {}, so part of that gap reflects underfitting.",
                under.join(", ")
            ));
        }
    }
    out
}

fn stability(p: &Pair, v: &mut Verdicts) -> Vec<String> {
    let mut out = Vec::new();
    for (l, jobs) in [(p.ol(), &p.o), (p.bl(), &p.b)] {
        let div: Vec<&&JobMetrics> = jobs.iter().filter(|j| j.diverged()).collect();
        if !div.is_empty() {
            out.push(format!(
                "{l} diverged in {} of {} seeds ({}).",
                div.len(),
                jobs.len(),
                div[0].message.as_deref().unwrap_or("status diverged")
            ));
        }
    }
    let dv = |jobs: &[&JobMetrics]| jobs.iter().filter(|j| j.diverged()).count();
    if dv(&p.o) != dv(&p.b) {
        v.add("stability", Some(dv(&p.o) < dv(&p.b)));
    }
    if let Some(pr) = p.p(&LOSS_TAIL_STD) {
        let window = p.o[0].tail_steps.map_or(String::new(), |(a, b)| {
            format!(" (steps {}–{})", int(a as f64), int(b as f64))
        });
        out.push(format!(
            "Over the last 20% of training{window} the logged training loss fluctuated with a standard deviation of {} for {} and {} for {} (ratio {}: {}).",
            val(&LOSS_TAIL_STD, &p.o),
            p.ol(),
            val(&LOSS_TAIL_STD, &p.b),
            p.bl(),
            effect(&LOSS_TAIL_STD, &pr),
            noise(&LOSS_TAIL_STD, &pr)
        ));
        // A net stuck at chance has a flat loss: low fluctuation there is not stability.
        let acc = |jobs: &[&JobMetrics]| mean_of(&FINAL_VAL_ACC, jobs);
        let comparable = match (acc(&p.o), acc(&p.b)) {
            (Some(a), Some(b)) if (a - b).abs() > MAX_ACC_DIFF_FOR_STABILITY => {
                out.push(format!("The two nets ended at very different accuracies ({} vs {}), so this compares fluctuations at different stages of learning, not like with like; it is left out of the verdict.", pct(a), pct(b)));
                false
            }
            _ => true,
        };
        if comparable && dv(&p.o) == dv(&p.b) {
            v.add("stability", pr.other_better(&LOSS_TAIL_STD));
        }
    }
    if p.n() == 1 {
        let sp = |j: &JobMetrics| {
            j.spike.map_or("–".into(), |s| {
                if s.rise.is_finite() {
                    format!("{:.3} at step {}", s.rise, int(s.step as f64))
                } else {
                    format!("a non-finite loss at step {}", int(s.step as f64))
                }
            })
        };
        out.push(format!(
            "Largest rise of the training loss above its lowest earlier value: {} for {}, {} for {}; loss blow-ups (doubling above that low): {} vs {}.",
            sp(p.o[0]),
            p.ol(),
            sp(p.b[0]),
            p.bl(),
            p.o[0].blowups,
            p.b[0].blowups
        ));
    } else if let Some(pr) = p.p(&SPIKE) {
        out.push(format!(
            "Largest rise of the training loss above its lowest earlier value: {} for {} vs {} for {} ({}: {}).",
            val(&SPIKE, &p.o),
            p.ol(),
            val(&SPIKE, &p.b),
            p.bl(),
            effect(&SPIKE, &pr),
            noise(&SPIKE, &pr)
        ));
    }
    if p.n() >= 2 {
        let sd = |jobs: &[&JobMetrics]| {
            Estimate::of(&super::compare::values(&FINAL_VAL_ACC, jobs)).and_then(|e| e.std)
        };
        if let (Some(a), Some(b)) = (sd(&p.o), sd(&p.b)) {
            out.push(format!(
                "Across {} seeds the final validation accuracy had a standard deviation of {:.2} pp for {} and {:.2} pp for {} (a spread estimated from {} values is itself rough).",
                p.n(),
                a * 100.0,
                p.ol(),
                b * 100.0,
                p.bl(),
                p.n()
            ));
        }
    } else {
        out.push("With one seed the spread of the final accuracy across seeds cannot be measured; run with `--seeds 3` or more for that and for confidence intervals.".into());
    }
    out
}

fn sci(x: f64) -> String {
    if x >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.1e}")
    }
}

/// Gradient flow and input-distribution drift, when the run probed them.
fn internals(p: &Pair) -> Vec<String> {
    let mut out = Vec::new();
    let mean = |jobs: &[&JobMetrics], f: fn(&JobMetrics) -> Option<f64>| {
        super::stats::mean(&jobs.iter().filter_map(|j| f(j)).collect::<Vec<_>>())
    };
    let g = |j: &JobMetrics| j.grad_ratio;
    if let (Some(a), Some(b)) = (mean(&p.o, g), mean(&p.b, g)) {
        let more = if a > b { p.ol() } else { p.bl() };
        let r = if a > b {
            a / b.max(1e-300)
        } else {
            b / a.max(1e-300)
        };
        let tail = if r < ONE_SEED_RATIO {
            "about the same share of the gradient reached the first layer in both".to_string()
        } else {
            format!(
                "{more} passed {} more gradient down to its first layer",
                ratio(r)
            )
        };
        out.push(format!(
            "Late in training the gradient norm of the first layer was {}× that of the output layer for {} and {}× for {} (`grad_norm.l1` / `grad_norm.out`, mean over the last 20% of probes): {tail}.",
            sci(a),
            p.ol(),
            sci(b),
            p.bl(),
        ));
    }
    let d = |j: &JobMetrics| j.preact_drift.as_ref().map(|d| d.1);
    if let (Some(a), Some(b)) = (mean(&p.o, d), mean(&p.b, d)) {
        let layer = p.o[0].preact_drift.as_ref().map_or("", |d| d.0.as_str());
        out.push(format!(
            "The median input of the probed unit of layer {layer} moved over a range of {a:.3} during training for {} and {b:.3} for {} (`preact_p50.{layer}`; a smaller range means a more stable input distribution, see `preact.svg`).",
            p.ol(),
            p.bl()
        ));
    }
    out
}

fn cost(p: &Pair) -> Vec<String> {
    let (Some(w), Some(t)) = (p.p(&WALL), p.p(&THROUGHPUT)) else {
        return Vec::new();
    };
    vec![format!(
        "{} took {} of wall time and processed {} training samples/s; {} took {} and {} samples/s (wall-time ratio {}; timing.csv). Trainers run in parallel on a shared CPU, so small timing differences are noise.",
        p.ol(),
        val(&WALL, &p.o),
        val(&THROUGHPUT, &p.o),
        p.bl(),
        val(&WALL, &p.b),
        val(&THROUGHPUT, &p.b),
        effect(&WALL, &w),
    )]
    .into_iter()
    .chain((!t.clear && !w.clear).then(|| "Neither the wall time nor the throughput differs clearly.".to_string()))
    .collect()
}

fn list(v: &[&str]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].to_string(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn verdict(p: &Pair, v: &Verdicts) -> String {
    let caveat = if p.n() < 2 {
        " With one seed, \"clear\" only means beyond the stated heuristic, so this is indicative; rerun with `--seeds 3` to test it against seed noise."
    } else {
        ""
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
    para("Inside the network", internals(p));
    para("Cost", cost(p));
    md.push_str(&verdict(p, &v));
    md.push('\n');
    (md, v)
}
