//! Generalization, stability, internals and cost of one variant against another.

use super::*;

fn compare_sentence(p: &Pair, m: &Measure, what: &str) -> Option<(String, Paired)> {
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

pub(super) fn generalization(p: &Pair, v: &mut Verdicts) -> Vec<String> {
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

pub(super) fn stability(p: &Pair, v: &mut Verdicts) -> Vec<String> {
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
    if let Some(pr) = p.p(&LOSS_FLUCT) {
        let window = p.o[0].tail_steps.map_or(String::new(), |(a, b)| {
            format!(" (steps {}–{})", int(a as f64), int(b as f64))
        });
        out.push(format!(
            "Over the last 20% of training{window} the training loss fluctuated around its trend by {} for {} and {} for {} (std of ln loss, so the same at any loss level; ratio {}: {}). In loss units the std was {} vs {}, which also reflects how low each loss got and is not used for the verdict.",
            val(&LOSS_FLUCT, &p.o),
            p.ol(),
            val(&LOSS_FLUCT, &p.b),
            p.bl(),
            effect(&LOSS_FLUCT, &pr),
            noise(&LOSS_FLUCT, &pr),
            val(&LOSS_TAIL_STD, &p.o),
            val(&LOSS_TAIL_STD, &p.b),
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
            v.add("stability", pr.other_better(&LOSS_FLUCT));
        }
    }
    if p.n() == 1 {
        let sp = |j: &JobMetrics| {
            j.spike.map_or("–".into(), |s| {
                if s.rise.is_finite() {
                    format!("×{:.2} at step {}", s.rise, int(s.step as f64))
                } else {
                    format!("a non-finite loss at step {}", int(s.step as f64))
                }
            })
        };
        out.push(format!(
            "Largest rise of the training loss above its lowest earlier value, as a factor: {} for {}, {} for {}; loss blow-ups (doubling above that low, by more than a fifth of the starting loss): {} vs {}.",
            sp(p.o[0]),
            p.ol(),
            sp(p.b[0]),
            p.bl(),
            p.o[0].blowups,
            p.b[0].blowups
        ));
    } else if let Some(pr) = p.p(&SPIKE) {
        out.push(format!(
            "Largest rise of the training loss above its lowest earlier value, as a factor: {} for {} vs {} for {} ({}: {}).",
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
            Estimate::of(&crate::analysis::compare::values(&FINAL_VAL_ACC, jobs))
                .and_then(|e| e.std)
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
pub(super) fn internals(p: &Pair) -> Vec<String> {
    let mut out = Vec::new();
    let mean = |jobs: &[&JobMetrics], f: fn(&JobMetrics) -> Option<f64>| {
        crate::analysis::stats::mean(&jobs.iter().filter_map(|j| f(j)).collect::<Vec<_>>())
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
        let layer = p.o[0]
            .preact_drift
            .as_ref()
            .map_or(String::new(), |d| d.0.to_string());
        out.push(format!(
            "The median input of the probed unit of layer {layer} moved over a range of {a:.3} during training for {} and {b:.3} for {} (`unit_p50.{layer}`; a smaller range means a more stable input distribution, see `preact.svg`).",
            p.ol(),
            p.bl()
        ));
    }
    out
}

pub(super) fn cost(p: &Pair) -> Vec<String> {
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
