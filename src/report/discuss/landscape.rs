//! The loss landscape along the gradient (Santurkar et al. 2018): which variant's loss and
//! gradient changed less under trial steps, and whether that is smoothness or a stalled net.

use super::*;
use crate::analysis::compare::{LANDSCAPE, LANDSCAPE_LATE};

/// What each measure says, in the order of `LANDSCAPE`.
const WHAT: [&str; 3] = [
    "Loss range along −g (max − min of the loss after trial steps of 0.25–2× the learning rate, same batch)",
    "Gradient change ‖g(w − ηg) − g(w)‖ (smaller = a more predictive gradient)",
    "Effective β-smoothness ‖Δg‖ / ‖Δw‖",
];
const SHORT: [&str; 3] = ["loss range", "gradient change", "β"];

fn probes(jobs: &[&JobMetrics]) -> usize {
    jobs.iter()
        .map(|j| {
            [
                j.landscape.loss_range,
                j.landscape.grad_change,
                j.landscape.beta,
            ]
            .iter()
            .flatten()
            .map(|r| r.non_finite)
            .max()
            .unwrap_or(0)
        })
        .sum()
}

fn seeds_at_chance(jobs: &[&JobMetrics]) -> Vec<String> {
    jobs.iter()
        .filter(|j| j.did_not_learn())
        .map(|j| {
            let acc = j.final_val_acc.map_or("no accuracy".into(), |a| pct(a.1));
            format!("{} seed {} ({acc})", j.variant.label(), j.seed)
        })
        .collect()
}

pub(super) fn landscape(p: &Pair, v: &mut Verdicts) -> Vec<String> {
    let paired: Vec<Option<Paired>> = LANDSCAPE.iter().map(|m| p.p(m)).collect();
    if paired.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut out = vec![
        "At every landscape probe the net took trial steps along its gradient and measured, on the same batch, how much the loss and the gradient changed (Santurkar et al. 2018, Fig. 4; smaller numbers mean a smoother landscape; means over the probes, see `landscape.svg`).".to_string(),
    ];
    // Per measure: Some(true) when `other` was clearly smaller.
    let mut smaller: [Option<bool>; 3] = [None; 3];
    for (i, m) in LANDSCAPE.iter().enumerate() {
        let Some(pr) = paired[i] else { continue };
        let mut s = format!(
            "{}: {} for {} vs {} for {} (ratio {}: {})",
            WHAT[i],
            val(m, &p.o),
            p.ol(),
            val(m, &p.b),
            p.bl(),
            effect(m, &pr),
            noise(m, &pr)
        );
        smaller[i] = pr.leaning_better(m);
        if let Some(o_smaller) = smaller[i] {
            let r = pr.effect(m);
            let (who, f) = if o_smaller {
                (p.ol(), 1.0 / r)
            } else {
                (p.bl(), r)
            };
            s.push_str(&format!("; {who}'s was {} smaller", ratio(f)));
        }
        out.push(format!("{s}."));
    }
    let named = |want: bool| -> Vec<&str> {
        (0..3)
            .filter(|&i| smaller[i] == Some(want))
            .map(|i| SHORT[i])
            .collect()
    };
    let (o_wins, b_wins) = (named(true), named(false));
    // Below three seeds a measure can only lean one way; then nothing here is "clearly".
    let all_clear = paired.iter().flatten().all(|pr| pr.clear || !pr.leans);
    let clearly = if all_clear { "clearly " } else { "" };
    let outcome = match (o_wins.is_empty(), b_wins.is_empty()) {
        (true, true) => {
            out.push(format!(
                "So there is no clear difference between the landscapes of {} and {} on these measures.",
                p.ol(),
                p.bl()
            ));
            None
        }
        (false, false) => {
            out.push(format!(
                "The measures disagree ({} {clearly}smaller for {}, {} for {}), so neither landscape is clearly smoother.",
                list(&o_wins),
                p.ol(),
                list(&b_wins),
                p.bl()
            ));
            None
        }
        (o_none, _) => {
            let o_smoother = !o_none;
            let (w, l, wins) = if o_smoother {
                (p.ol(), p.bl(), &o_wins)
            } else {
                (p.bl(), p.ol(), &b_wins)
            };
            let tag = if all_clear {
                ""
            } else {
                " (indicative: fewer than 3 seeds)"
            };
            out.push(format!(
                "{w} had the smoother landscape{tag}: {clearly}smaller {} than {l}, and {clearly}larger on none.",
                list(wins)
            ));
            // Loss range and gradient change grow with the distance moved, η‖g‖; β divides by it.
            if smaller[2].is_none() && paired[2].is_some() {
                out.push(format!(
                    "Its β was not clearly smaller, though: per unit of distance moved the gradient changed about as fast, so much of {w}'s advantage comes from taking shorter steps (a smaller gradient at the same learning rate) rather than from a flatter landscape."
                ));
            }
            all_clear.then_some(o_smoother)
        }
    };
    let late: Vec<(usize, Paired)> = LANDSCAPE_LATE
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((i, p.p(m)?)))
        .collect();
    if !late.is_empty() {
        let ratios: Vec<String> = late
            .iter()
            .map(|(i, pr)| format!("{} {}", SHORT[*i], ratio(pr.effect(LANDSCAPE_LATE[*i]))))
            .collect();
        let clear: Vec<&str> = late
            .iter()
            .filter(|(_, pr)| pr.clear)
            .map(|(i, _)| SHORT[*i])
            .collect();
        let which = match clear.len() {
            0 => "none of them is clear of seed noise".to_string(),
            n if n == late.len() => "all of them are clear of seed noise".to_string(),
            _ => format!("only {} is clear of seed noise", list(&clear)),
        };
        out.push(format!(
            "Over the second half of the probes alone the ratios {} / {} were {}; {which} (same rule as above).",
            p.ol(),
            p.bl(),
            list(&ratios.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    let counted = outcome.and_then(|o_smoother| {
        let (nf_o, nf_b) = (probes(&p.o), probes(&p.b));
        if nf_o + nf_b > 0 {
            out.push(format!(
                "Trial steps gave a non-finite loss in {nf_o} probes of {} and {nf_b} of {}; the means above leave those out.",
                p.ol(),
                p.bl()
            ));
            let smoother_blew_up = if o_smoother { nf_o > nf_b } else { nf_b > nf_o };
            if smoother_blew_up {
                out.push("The net with the smaller means blew up more often, which contradicts them, so the landscape is left out of the verdict.".into());
                return None;
            }
        }
        // A net that does not learn can sit on a flat plateau: small numbers there are not
        // the smoothness that helps optimization.
        let chance: Vec<String> = seeds_at_chance(&p.o)
            .into_iter()
            .chain(seeds_at_chance(&p.b))
            .collect();
        if !chance.is_empty() {
            out.push(format!(
                "Final validation accuracy stayed near chance for {}: a flat landscape around a net that does not learn is a plateau, not smoothness in the useful sense, so the landscape is left out of the verdict.",
                list(&chance.iter().map(String::as_str).collect::<Vec<_>>())
            ));
            return None;
        }
        let acc = |jobs: &[&JobMetrics]| mean_of(&FINAL_VAL_ACC, jobs);
        if let (Some(a), Some(b)) = (acc(&p.o), acc(&p.b)) {
            if (a - b).abs() > MAX_ACC_DIFF_FOR_STABILITY {
                out.push(format!(
                    "The two nets ended at very different accuracies ({} vs {}), so the probes compare different stages of learning; the landscape is left out of the verdict.",
                    pct(a),
                    pct(b)
                ));
                return None;
            }
        }
        Some(o_smoother)
    });
    v.add("loss-landscape smoothness", counted);
    out
}
