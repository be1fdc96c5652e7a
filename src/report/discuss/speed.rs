//! Convergence speed: steps to each accuracy threshold, and the area under the validation loss.

use super::*;

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
    let p = Paired::of(&d, |mean| mean.abs() > ONE_SEED_RATIO.ln())?;
    let how = if p.est.ci.is_some() {
        format!("paired 95% CI over {} seeds", p.est.n)
    } else {
        "one-seed rule".to_string()
    };
    Some((p, how))
}

pub(super) fn speed(p: &Pair, v: &mut Verdicts) -> Vec<String> {
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
