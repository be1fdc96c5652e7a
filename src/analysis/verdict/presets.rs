//! How each preset's claim is decided. Every part orients its per-seed values so that a
//! positive mean supports the claim; `docs/batchnorm.md` explains why each test is fair.

use super::*;

/// Below this relative change (5%), a one-seed ratio is called no difference.
const ONE_SEED_LOG: f64 = 0.05;

fn log_one_seed() -> f64 {
    ONE_SEED_RATIO.ln()
}

/// Ioffe & Szegedy: faster, and a stable input distribution.
pub(super) fn ioffe(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let (b, o) = (g.of(0, Variant::Plain), g.of(0, bn));
    let mut parts = Vec::new();
    // Speed: steps to the highest threshold every seed of both nets reached.
    let all = |jobs: &[&JobMetrics], i: usize| jobs.iter().all(|j| j.reach[i].is_some());
    if let Some(i) = (0..THRESHOLDS.len())
        .rev()
        .find(|&i| all(&b, i) && all(&o, i))
    {
        let steps = |j: &JobMetrics| j.reach[i].map(|r| r.step as f64);
        let d = per_seed(&b, &o, steps, true);
        parts.push(Part::new(
            format!(
                "steps to {:.0}% validation accuracy: plain {}, BN {} (BN needs {} the steps)",
                THRESHOLDS[i] * 100.0,
                opt(mean(&b, steps), int),
                opt(mean(&o, steps), int),
                opt(super::super::stats::mean(&d).map(|m| (-m).exp()), ratio)
            ),
            &d,
            log_one_seed(),
        ));
    } else {
        let area = |j: &JobMetrics| j.val_loss_area;
        let d = per_seed(&b, &o, area, true);
        parts.push(Part::new(
            format!(
                "area under the validation loss (no accuracy threshold reached by every seed of both nets): plain {}, BN {}",
                opt(mean(&b, area), sig3),
                opt(mean(&o, area), sig3)
            ),
            &d,
            log_one_seed(),
        ));
    }
    let drift = |j: &JobMetrics| j.unit_bands.map(|u| u.drift);
    let d = per_seed(&b, &o, drift, true);
    if !d.is_empty() {
        parts.push(Part::new(
            format!(
                "movement of a last-layer unit's median input, in band widths (p85 − p15), after the first tenth of training: plain {}, BN {}",
                opt(mean(&b, drift), sig3),
                opt(mean(&o, drift), sig3)
            ),
            &d,
            log_one_seed(),
        ));
        let grow = |j: &JobMetrics| j.unit_bands.map(|u| u.width_growth);
        let (gb, go) = (mean(&b, grow), mean(&o, grow));
        let bn_spread = match go {
            Some(x) if !(0.8..=1.25).contains(&x) => {
                " BN holds the median in place, but its spread still changed."
            }
            Some(_) => " BN's spread stayed within 25% of where it was.",
            None => "",
        };
        notes.push(format!(
            "The bands' width (p85 − p15) at the end over the width after the first tenth of training: {} for plain, {} for BN.{bn_spread}",
            opt(gb, ratio),
            opt(go, ratio)
        ));
    }
    parts
}

fn stable(j: &JobMetrics) -> bool {
    !j.diverged() && !j.did_not_learn()
}

/// Whether a job of `v` and `seed` still trained at its rate: it did not diverge and got at
/// least halfway from chance to the best final accuracy this net reached with this seed at
/// any rate. Relative to the net's own best, so a net that simply ends higher is not
/// favoured, while a run stuck at 30% on MNIST no longer counts as having trained.
fn trains(g: &Groups, v: Variant, seed: u64) -> impl Fn(&JobMetrics) -> bool {
    let best = g
        .jobs
        .iter()
        .filter(|j| j.variant == v && j.seed == seed && !j.diverged())
        .filter_map(final_acc)
        .fold(f64::NEG_INFINITY, f64::max);
    let floor = super::super::metrics::CHANCE + (best - super::super::metrics::CHANCE) / 2.0;
    move |j| stable(j) && final_acc(j).is_some_and(|a| a >= floor)
}

/// Per seed, the largest swept value at which `ok` held for `variant`.
fn largest(g: &Groups, v: Variant, seed: u64, ok: impl Fn(&JobMetrics) -> bool) -> Option<f64> {
    g.jobs
        .iter()
        .filter(|j| j.variant == v && j.seed == seed && ok(j))
        .filter_map(|j| j.point_value)
        .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))))
}

fn seeds(g: &Groups) -> Vec<u64> {
    let mut s: Vec<u64> = g.jobs.iter().map(|j| j.seed).collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// The point whose mean final accuracy is highest for `v`, with that accuracy.
fn best_point(g: &Groups, v: Variant) -> Option<(Option<f64>, f64)> {
    g.points()
        .into_iter()
        .filter_map(|(p, pv)| Some((pv, mean(&g.of(p, v), final_acc)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

pub(super) fn high_lr(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let top = g.points().iter().filter_map(|p| p.1).fold(0.0, f64::max);
    let mut d = Vec::new();
    let (mut lp, mut lb) = (Vec::new(), Vec::new());
    for s in seeds(g) {
        if let (Some(p), Some(b)) = (
            largest(g, Variant::Plain, s, trains(g, Variant::Plain, s)),
            largest(g, bn, s, trains(g, bn, s)),
        ) {
            d.push((b / p).ln());
            lp.push(p);
            lb.push(b);
        }
    }
    let gm = super::super::stats::geo_mean;
    let at_top = |v: &[f64]| {
        if !v.is_empty() && v.iter().all(|x| *x >= top) {
            " (the top of the grid: at least that)"
        } else {
            ""
        }
    };
    let mut parts = vec![Part::new(
        format!(
            "each seed's largest learning rate that still trained (not diverged, at least halfway from chance to the net's best accuracy; geometric mean over seeds): plain {}, BN {}{}",
            opt(gm(&lp), sig3),
            opt(gm(&lb), sig3),
            at_top(&lb)
        ),
        &d,
        ONE_SEED_LOG,
    )];
    parts.retain(|p| p.p.is_some());
    for (v, name) in [(Variant::Plain, "plain"), (bn, "BN")] {
        if let Some((pv, acc)) = best_point(g, v) {
            notes.push(format!(
                "{name}'s best learning rate was {} ({} final validation accuracy).",
                value_str(pv),
                pct(acc)
            ));
        }
    }
    parts
}

pub(super) fn bad_init(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let spread = |v: Variant, s: u64| -> Option<f64> {
        let accs: Vec<f64> = g
            .jobs
            .iter()
            .filter(|j| j.variant == v && j.seed == s)
            .filter_map(final_acc)
            .collect();
        (accs.len() >= 2).then(|| {
            accs.iter().cloned().fold(f64::MIN, f64::max)
                - accs.iter().cloned().fold(f64::MAX, f64::min)
        })
    };
    let (mut d, mut sp, mut sb) = (Vec::new(), Vec::new(), Vec::new());
    for s in seeds(g) {
        if let (Some(p), Some(b)) = (spread(Variant::Plain, s), spread(bn, s)) {
            d.push(p - b);
            sp.push(p);
            sb.push(b);
        }
    }
    let m = |v: &[f64]| super::super::stats::mean(v);
    let part = Part::new(
        format!(
            "spread of the final validation accuracy across the init scales (best − worst): plain {}, BN {}",
            opt(m(&sp), |x| format!("{:.1} pp", x * 100.0)),
            opt(m(&sb), |x| format!("{:.1} pp", x * 100.0)),
        ),
        &d,
        ONE_SEED_ACC_PP / 100.0,
    );
    let accs: Vec<String> = g
        .points()
        .into_iter()
        .map(|(p, pv)| {
            format!(
                "σ {}: {}",
                value_str(pv),
                opt(mean(&g.of(p, bn), final_acc), pct)
            )
        })
        .collect();
    notes.push(format!(
        "BN is not insensitive either: its final accuracy by init scale was {} (weight scale changes a BN net's effective learning rate).",
        accs.join(", ")
    ));
    vec![part]
}

pub(super) fn deep(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    // The fair baseline is gain 1 (He's init); the other gains are judged by how far each
    // net's relative gradient at the start moved away from its own value at gain 1.
    let points = g.points();
    let Some(&(base, _)) = points.iter().find(|p| p.1 == Some(1.0)) else {
        return Vec::new();
    };
    let rg = |j: &JobMetrics| j.init_rel_grad;
    let mut parts = Vec::new();
    for &(p, pv) in &points {
        let mut d = Vec::new();
        let (mut mp, mut mb) = (Vec::new(), Vec::new());
        for s in seeds(g) {
            let at = |point: usize, v: Variant| {
                g.of(point, v)
                    .into_iter()
                    .find(|j| j.seed == s)
                    .and_then(rg)
            };
            let moved = |v| Some((at(p, v)? / at(base, v)?).ln().abs());
            if let (Some(a), Some(b)) = (moved(Variant::Plain), moved(bn)) {
                d.push(a - b);
                mp.push(a.exp());
                mb.push(b.exp());
            }
        }
        let (b, o) = (g.of(p, Variant::Plain), g.of(p, bn));
        notes.push(format!(
            "At init gain {}: final validation accuracy {} for plain ({} of {} seeds diverged) and {} for BN; relative gradient ‖∂W‖/‖W‖ at the first step {} vs {}.",
            value_str(pv),
            opt(mean(&b, final_acc), pct),
            b.iter().filter(|j| j.diverged()).count(),
            b.len(),
            opt(mean(&o, final_acc), pct),
            opt(mean(&b, rg), sig3),
            opt(mean(&o, rg), sig3),
        ));
        if p == base || d.is_empty() {
            continue;
        }
        let gm = super::super::stats::geo_mean;
        parts.push(Part::new(
            format!(
                "init gain {}: relative gradient at the first step moved {} from its value at gain 1 for plain, {} for BN",
                value_str(pv),
                opt(gm(&mp), ratio),
                opt(gm(&mb), ratio)
            ),
            &d,
            2.0_f64.ln(),
        ));
    }
    parts
}

pub(super) fn generalization(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let (b, o) = (g.of(0, Variant::Plain), g.of(0, bn));
    let gap = |j: &JobMetrics| j.gap;
    let train = |j: &JobMetrics| j.final_train_eval_acc.map(|p| p.1);
    let full = |jobs: &[&JobMetrics]| mean(jobs, train).is_some_and(|a| a >= 0.995);
    let fit = |jobs: &[&JobMetrics]| {
        format!(
            "{} − {}",
            opt(mean(jobs, train), pct),
            opt(mean(jobs, final_acc), pct)
        )
    };
    let mut parts = vec![Part::new(
        format!(
            "train (inference mode) − validation accuracy: plain {}, BN {}",
            fit(&b),
            fit(&o)
        ),
        &per_seed(&b, &o, gap, false),
        ONE_SEED_ACC_PP / 100.0,
    )];
    let d = g.of(0, Variant::PlainDropout);
    if !d.is_empty() {
        // With a dropout arm the claim is also that BN does the work dropout would: a
        // higher validation accuracy than plain, and a gap and accuracy no worse than
        // plain + dropout's.
        let acc = |x: &[&JobMetrics], y: &[&JobMetrics]| per_seed(x, y, final_acc, false);
        let mean_pp = |v: &[f64]| opt(super::super::stats::mean(v), pp);
        let (bn_plain, bn_drop) = (acc(&o, &b), acc(&o, &d));
        parts.push(Part::new(
            format!(
                "final validation accuracy, BN − plain: {}",
                mean_pp(&bn_plain)
            ),
            &bn_plain,
            ONE_SEED_ACC_PP / 100.0,
        ));
        parts.push(Part::new(
            format!(
                "train − validation gap, plain + dropout − BN: plain + dropout {}",
                fit(&d)
            ),
            &per_seed(&d, &o, gap, false),
            ONE_SEED_ACC_PP / 100.0,
        ));
        parts.push(Part::new(
            format!(
                "final validation accuracy, BN − plain + dropout: {}",
                mean_pp(&bn_drop)
            ),
            &bn_drop,
            ONE_SEED_ACC_PP / 100.0,
        ));
        let drop_plain = acc(&d, &b);
        notes.push(format!(
            "Dropout itself changed plain's final validation accuracy by {} (plain + dropout − plain).",
            mean_pp(&drop_plain)
        ));
    }
    if full(&b) && full(&o) {
        notes.push("Both nets fit the training set (inference-mode train accuracy ≥ 99.5%), so the gap is 100% minus the validation accuracy: a smaller gap here is a higher validation accuracy, not less overfitting of a comparable fit.".into());
    }
    parts
}

pub(super) fn smoothness(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let (b, o) = (g.of(0, Variant::Plain), g.of(0, bn));
    let beta = |j: &JobMetrics| j.landscape.beta.map(|r| r.all);
    let d = per_seed(&b, &o, beta, true);
    notes.push("The loss range and the gradient change along −g grow with the length of the trial step, which differs between the nets (their gradients differ), so they are reported but do not decide; β, the gradient change per unit of parameter change (γ and β included), does not.".into());
    vec![Part::new(
        format!(
            "effective β-smoothness, max ‖Δg‖/‖Δw‖ along −g (mean over probes): plain {}, BN {}",
            opt(mean(&b, beta), sig3),
            opt(mean(&o, beta), sig3)
        ),
        &d,
        log_one_seed(),
    )]
}

pub(super) fn small_batch(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let points = g.points();
    let (Some(&(small, spv)), Some(&(large, lpv))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let adv = |p: usize| -> Vec<(u64, f64)> {
        let (b, o) = (g.of(p, Variant::Plain), g.of(p, bn));
        b.iter()
            .filter_map(|x| {
                let y = o.iter().find(|y| y.seed == x.seed)?;
                Some((x.seed, final_acc(y)? - final_acc(x)?))
            })
            .collect()
    };
    for &(p, pv) in &points {
        let a: Vec<f64> = adv(p).into_iter().map(|x| x.1).collect();
        notes.push(format!(
            "batch {}: BN − plain final validation accuracy {}",
            value_str(pv),
            opt(super::super::stats::mean(&a), pp)
        ));
    }
    let (s, l) = (adv(small), adv(large));
    let d: Vec<f64> = l
        .iter()
        .filter_map(|(seed, al)| Some(al - s.iter().find(|x| x.0 == *seed)?.1))
        .collect();
    let lose = Paired::of(&s.iter().map(|x| -x.1).collect::<Vec<_>>(), |m| {
        m.abs() * 100.0 > ONE_SEED_ACC_PP
    });
    if let Some(p) = lose.filter(|p| p.clear && p.est.mean > 0.0) {
        notes.push(format!(
            "At batch {} BN clearly lost to plain, by {:.2} pp.",
            value_str(spv),
            p.est.mean * 100.0
        ));
    }
    vec![Part::new(
        format!(
            "BN's accuracy advantage over plain at batch {} minus at batch {}: {}",
            value_str(lpv),
            value_str(spv),
            opt(super::super::stats::mean(&d), pp)
        ),
        &d,
        ONE_SEED_ACC_PP / 100.0,
    )]
}

pub(super) fn placement(g: &Groups, notes: &mut Vec<String>) -> Vec<Part> {
    let (p, b, a) = (
        g.of(0, Variant::Plain),
        g.of(0, Variant::Bn),
        g.of(0, Variant::BnAfter),
    );
    if b.is_empty() || a.is_empty() {
        return Vec::new();
    }
    let d: Vec<f64> = p
        .iter()
        .filter_map(|x| {
            let y = b.iter().find(|y| y.seed == x.seed)?;
            let z = a.iter().find(|z| z.seed == x.seed)?;
            let (pa, ba, aa) = (final_acc(x)?, final_acc(y)?, final_acc(z)?);
            Some((ba - pa).abs() - (aa - ba).abs())
        })
        .collect();
    notes.push(format!(
        "Final validation accuracy: plain {}, BN before {}, BN after {}.",
        opt(mean(&p, final_acc), pct),
        opt(mean(&b, final_acc), pct),
        opt(mean(&a, final_acc), pct)
    ));
    vec![Part::new(
        format!(
            "|BN before − plain| − |BN after − BN before| in final validation accuracy (above 0: where BN goes matters less than having it): {}",
            opt(super::super::stats::mean(&d), pp)
        ),
        &d,
        ONE_SEED_ACC_PP / 100.0,
    )]
}

#[cfg(test)]
#[path = "presets_more_tests.rs"]
mod more_tests;
