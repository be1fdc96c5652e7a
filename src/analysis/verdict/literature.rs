//! The claims tested by the experiments from the literature on why BN works: gradients at
//! initialization against depth (Yang et al. 2019), internal covariate shift (Santurkar
//! et al. 2018), the variance shift of dropout before BN (Li et al. 2019) and what γ and β
//! alone can train (Frankle et al. 2020). Each part orients its per-seed values so that above
//! zero supports the claim.

use super::*;

fn seeds(g: &Groups) -> Vec<u64> {
    let mut s: Vec<u64> = g.jobs.iter().map(|j| j.seed).collect();
    s.sort_unstable();
    s.dedup();
    s
}

fn one(g: &Groups, point: usize, v: Variant, seed: u64) -> Option<&JobMetrics> {
    g.of(point, v).into_iter().find(|j| j.seed == seed)
}

fn ratio_of(j: &JobMetrics) -> Option<f64> {
    j.probes.init_grad_ratio()
}

/// Yang et al.: BN's first/last gradient ratio at init grows with depth; plain's does not.
pub(super) fn depth(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let points = g.points();
    let (Some(&(shallow, spv)), Some(&(deep, dpv))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let gm = super::super::stats::geo_mean;
    for &(p, pv) in &points {
        let (b, o) = (g.of(p, Variant::Plain), g.of(p, bn));
        let trained = |jobs: &[&JobMetrics]| jobs.iter().filter(|j| stable_job(j)).count();
        notes.push(format!(
            "Depth {}: first/last hidden-layer gradient norm at init {} for plain and {} for BN; after training, final validation accuracy {} ({} of {} seeds trained) vs {} ({} of {}).",
            value_str(pv),
            opt(gm(&b.iter().filter_map(|j| ratio_of(j)).collect::<Vec<_>>()), ratio),
            opt(gm(&o.iter().filter_map(|j| ratio_of(j)).collect::<Vec<_>>()), ratio),
            opt(mean(&b, final_acc), pct),
            trained(&b),
            b.len(),
            opt(mean(&o, final_acc), pct),
            trained(&o),
            o.len(),
        ));
    }
    if shallow == deep {
        return Vec::new();
    }
    // Per seed, how much each net's ratio grew from the shallowest to the deepest net.
    let growth = |v: Variant, s: u64| -> Option<f64> {
        let a = ratio_of(one(g, shallow, v, s)?)?;
        let b = ratio_of(one(g, deep, v, s)?)?;
        Some((b / a).ln())
    };
    let (mut bn_grows, mut vs_plain) = (Vec::new(), Vec::new());
    let (mut gp, mut gb) = (Vec::new(), Vec::new());
    for s in seeds(g) {
        if let Some(b) = growth(bn, s) {
            bn_grows.push(b);
            gb.push(b.exp());
            if let Some(p) = growth(Variant::Plain, s) {
                vs_plain.push(b - p);
                gp.push(p.exp());
            }
        }
    }
    let (from, to) = (value_str(spv), value_str(dpv));
    vec![
        Part::new(
            format!("BN's first/last gradient ratio at init grew {} from depth {from} to depth {to}", opt(gm(&gb), ratio)),
            &bn_grows,
            2.0_f64.ln(),
        ),
        Part::new(
            format!(
                "growth of that ratio from depth {from} to {to}, BN over plain: plain's grew {}, BN's {}",
                opt(gm(&gp), ratio),
                opt(gm(&gb), ratio)
            ),
            &vs_plain,
            2.0_f64.ln(),
        ),
    ]
}

fn stable_job(j: &JobMetrics) -> bool {
    !j.diverged() && !j.did_not_learn()
}

/// The textbook ICS story against Santurkar et al.'s measure of it, and noisy BN when run.
pub(super) fn ics(
    g: &Groups,
    bn: Variant,
    noisy: Option<Variant>,
    notes: &mut Vec<String>,
) -> Vec<Part> {
    let (b, o) = (g.of(0, Variant::Plain), g.of(0, bn));
    let cos = |j: &JobMetrics| j.probes.ics_cos();
    let rel = |j: &JobMetrics| j.probes.ics_rel();
    let mut parts = vec![
        Part::new(
            format!(
                "cos(G, G′), mean over layers and probes (1 = the layers below did not turn the gradient): plain {}, BN {}",
                opt(mean(&b, cos), |x| format!("{x:.3}")),
                opt(mean(&o, cos), |x| format!("{x:.3}"))
            ),
            &per_seed(&o, &b, cos, false),
            0.02,
        ),
        Part::new(
            format!(
                "‖G − G′‖ / ‖G‖, geometric mean over layers of the mean over probes: plain {}, BN {}",
                opt(mean(&b, rel), sig3),
                opt(mean(&o, rel), sig3)
            ),
            &per_seed(&b, &o, rel, true),
            ONE_SEED_RATIO.ln(),
        ),
    ];
    for (jobs, name) in [(&b, "plain"), (&o, "BN")] {
        let layers: Vec<String> = layer_means(jobs)
            .into_iter()
            .map(|(l, l2, c)| format!("{l} ‖G − G′‖ {} cos {c:.3}", sig3(l2)))
            .collect();
        if !layers.is_empty() {
            notes.push(format!("{name} per layer: {}.", layers.join(", ")));
        }
    }
    notes.push("‖G − G′‖ in gradient units is logged (`ics_l2`) but decides nothing: BN rescales every layer's gradient, so raw distances are not comparable between the nets; the cosine and the relative distance are.".into());
    if let Some(nv) = noisy.filter(|v| g.variants.contains(v)) {
        let n = g.of(0, nv);
        parts.push(Part::new(
            format!(
                "final validation accuracy, BN − noisy BN (if stable layer inputs were why BN helps, noisy BN would lose): plain {}, BN {}, noisy BN {}",
                opt(mean(&b, final_acc), pct),
                opt(mean(&o, final_acc), pct),
                opt(mean(&n, final_acc), pct)
            ),
            &per_seed(&o, &n, final_acc, false),
            ONE_SEED_ACC_PP / 100.0,
        ));
        let drift = |j: &JobMetrics| j.unit_bands.map(|u| u.drift);
        notes.push(format!(
            "Movement of a last-layer unit's median input, in band widths, after the first tenth of training: plain {}, BN {}, noisy BN {}.",
            opt(mean(&b, drift), sig3),
            opt(mean(&o, drift), sig3),
            opt(mean(&n, drift), sig3)
        ));
    }
    parts
}

/// Per layer, the means over seeds of each seed's mean `ics_l2` and `ics_cos`.
fn layer_means(jobs: &[&JobMetrics]) -> Vec<(crate::metric::Layer, f64, f64)> {
    let Some(first) = jobs.first() else {
        return Vec::new();
    };
    first
        .probes
        .ics
        .iter()
        .filter_map(|l| {
            let of = |f: fn(&super::super::probes::IcsLayer) -> f64| {
                let v: Vec<f64> = jobs
                    .iter()
                    .filter_map(|j| j.probes.ics.iter().find(|x| x.layer == l.layer).map(f))
                    .collect();
                super::super::stats::mean(&v)
            };
            Some((l.layer, of(|x| x.l2)?, of(|x| x.cos)?))
        })
        .collect()
}

/// Li et al. 2019: dropout before a BN shifts the variance the BN normalizes with away from the
/// one it meets in inference, which costs accuracy; dropout only after the last BN does not.
pub(super) fn dropout(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let (o, before, after) = (
        g.of(0, bn),
        g.of(0, Variant::BnDropoutBefore),
        g.of(0, Variant::BnDropout),
    );
    if before.is_empty() {
        return Vec::new();
    }
    let shift = |j: &JobMetrics| j.probes.var_shift_after_first();
    let times = |x: Option<f64>| opt(x.map(f64::exp), ratio);
    let acc = |x: &[&JobMetrics], y: &[&JobMetrics]| per_seed(x, y, final_acc, false);
    let mean_pp = |v: &[f64]| opt(super::super::stats::mean(v), pp);
    let (bn_before, after_before) = (acc(&o, &before), acc(&after, &before));
    let mut parts = vec![
        Part::new(
            format!(
                "variance shift of the BNs a dropout can precede (hidden layers 2 and up), running over inference-mode variance as a factor either way: BN {}, BN + dropout before BN {}",
                times(mean(&o, shift)),
                times(mean(&before, shift))
            ),
            &per_seed(&before, &o, shift, false),
            0.05,
        ),
        Part::new(
            format!(
                "final validation accuracy, BN − BN + dropout before BN: {}",
                mean_pp(&bn_before)
            ),
            &bn_before,
            ONE_SEED_ACC_PP / 100.0,
        ),
    ];
    if !after.is_empty() {
        parts.push(Part::new(
            format!(
                "final validation accuracy, BN + dropout after the last BN − BN + dropout before BN: {}",
                mean_pp(&after_before)
            ),
            &after_before,
            ONE_SEED_ACC_PP / 100.0,
        ));
    }
    let arms: Vec<String> = g
        .variants
        .iter()
        .filter_map(|&v| {
            let jobs = g.of(0, v);
            let a = mean(&jobs, final_acc)?;
            let sh = mean(&jobs, shift).map_or(String::new(), |x| {
                format!(", variance shift {}", ratio(x.exp()))
            });
            Some(format!("{} {}{sh}", v.label(), pct(a)))
        })
        .collect();
    notes.push(format!(
        "Final validation accuracy per arm: {}.",
        arms.join("; ")
    ));
    let d = g.of(0, Variant::PlainDropout);
    if !d.is_empty() {
        notes.push(format!(
            "Whether BN replaces dropout (see `generalization`): BN − plain + dropout {}.",
            mean_pp(&acc(&o, &d))
        ));
    }
    notes.push("The variance shift is measured on a fixed batch of validation images in inference mode every probe, from the BN's outputs (an affine map of its inputs per unit); it is 1 when the running variance is the variance the BN sees at test time.".into());
    parts
}

/// Frankle et al. 2020: with every hidden weight frozen at its random init, training γ and β
/// (with the output layer) reaches a higher accuracy than training as many randomly chosen
/// hidden weights, or the output layer alone. The parts test the direction; how large the gap
/// is (far, in the paper's ResNets) is for the reader, in the deciding lines.
pub(super) fn bn_only(g: &Groups, bn: Variant, notes: &mut Vec<String>) -> Vec<Part> {
    let (only, random, frozen) = (
        g.of(0, Variant::BnOnly),
        g.of(0, Variant::BnRandom),
        g.of(0, Variant::BnFrozen),
    );
    if only.is_empty() || random.is_empty() {
        return Vec::new();
    }
    let acc = |x: &[&JobMetrics], y: &[&JobMetrics]| per_seed(x, y, final_acc, false);
    let mean_pp = |v: &[f64]| opt(super::super::stats::mean(v), pp);
    let only_random = acc(&only, &random);
    let mut parts = vec![Part::new(
        format!(
            "final validation accuracy, only γ and β trained − as many random hidden weights trained: {}",
            mean_pp(&only_random)
        ),
        &only_random,
        ONE_SEED_ACC_PP / 100.0,
    )];
    if !frozen.is_empty() {
        let only_frozen = acc(&only, &frozen);
        parts.push(Part::new(
            format!(
                "final validation accuracy, only γ and β trained − only the output layer trained: {}",
                mean_pp(&only_frozen)
            ),
            &only_frozen,
            ONE_SEED_ACC_PP / 100.0,
        ));
    }
    let arms: Vec<String> = g
        .variants
        .iter()
        .filter_map(|&v| {
            Some(format!(
                "{} {}",
                v.label(),
                pct(mean(&g.of(0, v), final_acc)?)
            ))
        })
        .collect();
    notes.push(format!(
        "Final validation accuracy per arm: {}.",
        arms.join("; ")
    ));
    let off = |j: &JobMetrics| j.probes.gamma_off_fraction();
    let limit = crate::model::probe::GAMMA_OFF;
    notes.push(format!(
        "Hidden units switched off at the end (|γ| < {limit}): only γ and β trained {}, full BN {} (Frankle et al. find a quarter to a third of the channels of deep ResNets disabled when only BN trains).",
        opt(mean(&only, off), pct),
        opt(mean(&g.of(0, bn), off), pct),
    ));
    notes.push("Both frozen arms train the output layer and 2 parameters per hidden unit (γ and β, or two of its input weights drawn at random per seed); the hidden weights keep their random init, the running statistics still follow the batches. Frankle et al. ran deep ResNets on CIFAR-10 and ImageNet (82% on CIFAR-10 with BN alone, far above as many random parameters); this is a 3-layer MLP on MNIST.".into());
    parts
}

#[cfg(test)]
#[path = "literature_tests.rs"]
mod tests;
