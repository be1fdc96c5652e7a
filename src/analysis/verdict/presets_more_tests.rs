//! Each preset's test of its claim on crafted seeds, checked at the level of the per-seed
//! values it pairs (and through `judge`, so each preset reaches its own test).

use super::*;
use crate::analysis::metrics::{Reach, RunMean};
use crate::analysis::probes::UnitBands;
use crate::analysis::test_job;
use crate::metric::Layer;
use crate::train::Status;

fn job(v: Variant, seed: u64, point: usize, pv: f64, acc: f64) -> JobMetrics {
    let mut j = test_job(v, seed, acc);
    j.point = point;
    j.point_value = Some(pv);
    j
}

fn all_variants(jobs: Vec<JobMetrics>) -> Groups {
    Groups::new(jobs, &Variant::ALL)
}

fn mean_of(p: &Part) -> (usize, f64) {
    let p = p.p.as_ref().expect("measured");
    (p.est.n, p.est.mean)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn decides(preset: &str, g: &Groups) -> String {
    judge(preset, "claim", g).expect("a verdict").deciding[0].clone()
}

#[test]
fn one_seed_ratios_lean_beyond_twenty_percent() {
    assert!(close(log_one_seed(), 1.2f64.ln()));
}

fn reach_at(steps: [Option<u64>; 3]) -> [Option<Reach>; 3] {
    steps.map(|s| s.map(|step| Reach { step, epoch: 0.0 }))
}

fn ioffe_jobs(bands: Option<(f64, f64)>) -> Groups {
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        let mut p = job(Variant::Plain, s, 0, 0.0, 0.9);
        // Both reach 90%; only BN reaches 95%, so speed is judged at 90%.
        p.reach = reach_at([Some(200 + 10 * s), None, None]);
        let mut b = job(Variant::Bn, s, 0, 0.0, 0.95);
        b.reach = reach_at([Some(100), Some(300), None]);
        if let Some(growth) = bands {
            let layer = Layer::Hidden(2);
            p.unit_bands = Some(UnitBands {
                layer,
                drift: 2.0 * s as f64,
                width_growth: 1.0,
            });
            b.unit_bands = Some(UnitBands {
                layer,
                drift: 0.5,
                width_growth: growth.0 + growth.1 * s as f64,
            });
        }
        jobs.push(p);
        jobs.push(b);
    }
    all_variants(jobs)
}

#[test]
fn ioffe_times_the_highest_threshold_both_reached_and_the_drift() {
    let g = ioffe_jobs(None);
    let mut notes = Vec::new();
    let parts = ioffe(&g, Variant::Bn, &mut notes);
    assert_eq!(parts.len(), 1);
    assert!(
        parts[0].text.starts_with("steps to 90% "),
        "{}",
        parts[0].text
    );
    let (n, m) = mean_of(&parts[0]);
    let want = (1..=3)
        .map(|s| ((200.0 + 10.0 * s as f64) / 100.0).ln())
        .sum::<f64>()
        / 3.0;
    assert!(n == 3 && close(m, want), "{m}");
    assert!(notes.is_empty());
    assert!(decides("ioffe2015", &g).starts_with("steps to 90% "));

    let g = ioffe_jobs(Some((1.5, 0.0)));
    let mut notes = Vec::new();
    let parts = ioffe(&g, Variant::Bn, &mut notes);
    assert_eq!(parts.len(), 2);
    let (_, m) = mean_of(&parts[1]);
    let want = (1..=3).map(|s| (2.0 * s as f64 / 0.5).ln()).sum::<f64>() / 3.0;
    assert!(close(m, want), "{m}");
    assert!(notes[0].ends_with("its spread still changed."), "{notes:?}");
    let mut notes = Vec::new();
    ioffe(&ioffe_jobs(Some((1.0, 0.05))), Variant::Bn, &mut notes);
    assert!(
        notes[0].ends_with("within 25% of where it was."),
        "{notes:?}"
    );
}

/// Learning rates 0.1, 1 and 10; plain fails at 10 (diverged in seed 1, stuck at chance in
/// seed 2, both in seed 3), BN trains at all of them except 10 in seed 3 when `bn_fails`.
fn high_lr_jobs(bn_fails: bool) -> Groups {
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        for (p, lr) in [0.1, 1.0, 10.0].into_iter().enumerate() {
            let mut plain = job(Variant::Plain, s, p, lr, 0.80 + 0.05 * p as f64);
            if p == 2 {
                if s != 2 {
                    plain.status = Status::Diverged;
                }
                if s != 1 {
                    plain.final_val_acc = Some((100, 0.1));
                }
            }
            let mut bn = job(Variant::Bn, s, p, lr, 0.9 - 0.01 * p as f64);
            if bn_fails && p == 2 && s == 3 {
                bn.status = Status::Diverged;
            }
            jobs.push(plain);
            jobs.push(bn);
        }
    }
    // A trainer without a swept value counts for nothing.
    let mut odd = test_job(Variant::Plain, 1, 0.5);
    odd.point = 5;
    jobs.push(odd);
    all_variants(jobs)
}

#[test]
fn high_lr_compares_each_seeds_largest_stable_rate() {
    let g = high_lr_jobs(false);
    assert_eq!(largest(&g, Variant::Plain, 1, stable), Some(1.0));
    assert_eq!(largest(&g, Variant::Plain, 2, stable), Some(1.0));
    assert_eq!(largest(&g, Variant::Bn, 2, stable), Some(10.0));
    assert_eq!(largest(&g, Variant::Plain, 3, |_| true), Some(10.0));
    assert_eq!(largest(&g, Variant::Plain, 9, |_| true), None);
    assert_eq!(seeds(&g), [1, 2, 3]);
    let mut notes = Vec::new();
    let parts = high_lr(&g, Variant::Bn, &mut notes);
    let (n, m) = mean_of(&parts[0]);
    assert!(n == 3 && close(m, 10f64.ln()), "{m}");
    assert!(
        parts[0]
            .text
            .contains("(the top of the grid: at least that)"),
        "{}",
        parts[0].text
    );
    assert_eq!(
        notes,
        [
            "plain's best learning rate was 1 (85.00% final validation accuracy).",
            "BN's best learning rate was 0.1 (90.00% final validation accuracy).",
        ]
    );
    assert!(decides("high-lr", &g).starts_with("each seed's largest learning rate"));

    let g = high_lr_jobs(true);
    let parts = high_lr(&g, Variant::Bn, &mut Vec::new());
    let (_, m) = mean_of(&parts[0]);
    assert!(close(m, 2.0 * 10f64.ln() / 3.0), "{m}");
    assert!(
        !parts[0].text.contains("top of the grid"),
        "{}",
        parts[0].text
    );
}

#[test]
fn high_lr_counts_a_rate_only_if_the_net_still_trained_there() {
    // Plain reaches 95% at lr 0.1 and 1 but only 30% at lr 10 without diverging; BN's
    // accuracies are 40 pp lower at 0.1 and 1, and at lr 10 just under the chance band
    // (20%): the same rates train for both, so there must be no difference, while counting
    // plain's 30% as trained would make BN look 10× worse.
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        for (p, (lr, acc)) in [(0.1, 0.95), (1.0, 0.95), (10.0, 0.30)]
            .into_iter()
            .enumerate()
        {
            jobs.push(job(Variant::Plain, s, p, lr, acc));
            let low = if p == 2 { 0.19 } else { acc - 0.40 };
            jobs.push(job(Variant::Bn, s, p, lr, low));
        }
    }
    let g = all_variants(jobs);
    // Above chance is not enough: 30% is short of halfway from 10% to 95%.
    assert_eq!(largest(&g, Variant::Plain, 1, stable), Some(10.0));
    assert_eq!(
        largest(&g, Variant::Plain, 1, trains(&g, Variant::Plain, 1)),
        Some(1.0)
    );
    // The same shape at a lower level gives the same rate: no difference.
    assert_eq!(
        largest(&g, Variant::Bn, 2, trains(&g, Variant::Bn, 2)),
        Some(1.0)
    );
    let parts = high_lr(&g, Variant::Bn, &mut Vec::new());
    let (n, m) = mean_of(&parts[0]);
    assert!(n == 3 && close(m, 0.0), "{m}");
}

#[test]
fn best_point_is_the_highest_mean_accuracy() {
    let g = high_lr_jobs(false);
    let (pv, acc) = best_point(&g, Variant::Plain).unwrap();
    assert_eq!(pv, Some(1.0));
    assert!(close(acc, 0.85));
    assert_eq!(best_point(&all_variants(Vec::new()), Variant::Plain), None);
}

#[test]
fn bad_init_compares_the_spread_across_scales() {
    let mut jobs = Vec::new();
    let plain = [[0.2, 0.9, 0.5], [0.3, 0.9, 0.6]];
    let bn = [[0.85, 0.9, 0.88], [0.8, 0.9, 0.85]];
    for s in 0..2 {
        for (p, sigma) in [0.01, 0.1, 1.0].into_iter().enumerate() {
            jobs.push(job(Variant::Plain, s as u64 + 1, p, sigma, plain[s][p]));
            jobs.push(job(Variant::Bn, s as u64 + 1, p, sigma, bn[s][p]));
        }
    }
    // A seed with one scale has no spread.
    jobs.push(job(Variant::Plain, 3, 0, 0.01, 0.5));
    jobs.push(job(Variant::Bn, 3, 0, 0.01, 0.5));
    let g = all_variants(jobs.clone());
    let mut notes = Vec::new();
    let parts = bad_init(&g, Variant::Bn, &mut notes);
    let (n, m) = mean_of(&parts[0]);
    assert!(
        n == 2 && close(m, ((0.7 - 0.05) + (0.6 - 0.1)) / 2.0),
        "{n} {m}"
    );
    assert!(notes[0].contains("σ 0.01: "), "{notes:?}");
    assert!(decides("bad-init", &g).starts_with("spread of the final validation accuracy"));
    // One seed leans when the spreads differ by more than half a point.
    let one: Vec<JobMetrics> = jobs
        .into_iter()
        .filter(|j| j.seed == 1 && j.point < 2)
        .collect();
    let parts = bad_init(&all_variants(one.clone()), Variant::Bn, &mut Vec::new());
    assert!(parts[0].p.unwrap().leans);
    let tight: Vec<JobMetrics> = one
        .into_iter()
        .map(|mut j| {
            let a = if j.variant == Variant::Plain {
                0.90 - 0.011 * j.point as f64
            } else {
                0.9 - 0.008 * j.point as f64
            };
            j.final_val_acc = Some((100, a));
            j
        })
        .collect();
    // Spreads 1.1 and 0.8 pp: 0.3 pp apart, no lean.
    let parts = bad_init(&all_variants(tight.clone()), Variant::Bn, &mut Vec::new());
    assert!(!parts[0].p.unwrap().leans);
    let wide: Vec<JobMetrics> = tight
        .into_iter()
        .map(|mut j| {
            if j.variant == Variant::Plain && j.point == 1 {
                j.final_val_acc = Some((100, 0.88));
            }
            j
        })
        .collect();
    // Spreads 2 and 0.8 pp: 1.2 pp apart, a lean.
    let parts = bad_init(&all_variants(wide), Variant::Bn, &mut Vec::new());
    assert!(parts[0].p.unwrap().leans);
}

#[test]
fn deep_measures_how_far_the_start_gradient_moves_from_gain_one() {
    let rg = |v: Variant, p: usize, s: f64| match (v, p) {
        (Variant::Plain, 0) => 1e-3 * s,
        (Variant::Plain, 1) => 1.0 + 0.1 * s,
        (Variant::Plain, _) => 1e3 * s,
        (_, 0) => 0.4 + 0.01 * s,
        (_, 1) => 0.5,
        (_, _) => 0.7 * s,
    };
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        for (p, gain) in [0.5, 1.0, 2.0].into_iter().enumerate() {
            for v in [Variant::Plain, Variant::Bn] {
                let mut j = job(v, s, p, gain, 0.9);
                j.init_rel_grad = Some(rg(v, p, s as f64));
                jobs.push(j);
            }
        }
    }
    let g = all_variants(jobs.clone());
    let mut notes = Vec::new();
    let parts = deep(&g, Variant::Bn, &mut notes);
    assert_eq!(notes.len(), 3);
    assert_eq!(parts.len(), 2);
    assert!(
        parts[0].text.starts_with("init gain 0.5: "),
        "{}",
        parts[0].text
    );
    assert!(
        parts[1].text.starts_with("init gain 2: "),
        "{}",
        parts[1].text
    );
    for (part, p) in parts.iter().zip([0, 2]) {
        let want = (1..=3)
            .map(|s| {
                let s = s as f64;
                let moved = |v| (rg(v, p, s) / rg(v, 1, s)).ln().abs();
                moved(Variant::Plain) - moved(Variant::Bn)
            })
            .sum::<f64>()
            / 3.0;
        let (n, m) = mean_of(part);
        assert!(n == 3 && close(m, want), "point {p}: {m} vs {want}");
    }
    assert!(decides("deep", &g).starts_with("init gain 0.5: "));
    // Without gain 1 there is nothing to measure from.
    let no_base: Vec<JobMetrics> = jobs.into_iter().filter(|j| j.point != 1).collect();
    assert!(deep(&all_variants(no_base), Variant::Bn, &mut Vec::new()).is_empty());
}

#[test]
fn generalization_pairs_the_gaps_and_says_when_both_fit() {
    let pair = |train_p: f64, train_b: f64| {
        let mut p = job(Variant::Plain, 1, 0, 0.0, 0.97);
        p.gap = Some(0.03);
        p.final_train_eval_acc = Some((100, train_p));
        let mut b = job(Variant::Bn, 1, 0, 0.0, 0.98);
        b.gap = Some(0.01);
        b.final_train_eval_acc = Some((100, train_b));
        all_variants(vec![p, b])
    };
    let mut notes = Vec::new();
    let parts = generalization(&pair(0.995, 0.995), Variant::Bn, &mut notes);
    let (_, m) = mean_of(&parts[0]);
    assert!(close(m, 0.02), "{m}");
    assert_eq!(notes.len(), 1);
    assert!(notes[0].starts_with("Both nets fit the training set"));
    let mut notes = Vec::new();
    generalization(&pair(0.999, 0.99), Variant::Bn, &mut notes);
    assert!(notes.is_empty());
    assert!(decides("generalization", &pair(0.9, 0.9)).starts_with("train (inference mode)"));
}

#[test]
fn smoothness_pairs_beta_as_a_log_ratio() {
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        for (v, beta) in [(Variant::Plain, 8.0 * s as f64), (Variant::Bn, 2.0)] {
            let mut j = job(v, s, 0, 0.0, 0.9);
            j.landscape.beta = Some(RunMean {
                all: beta,
                late: None,
                non_finite: 0,
            });
            jobs.push(j);
        }
    }
    let g = all_variants(jobs);
    let parts = smoothness(&g, Variant::Bn, &mut Vec::new());
    let (n, m) = mean_of(&parts[0]);
    let want = (1..=3).map(|s| (4.0 * s as f64).ln()).sum::<f64>() / 3.0;
    assert!(n == 3 && close(m, want), "{m}");
    assert!(decides("smoothness", &g).starts_with("effective β-smoothness"));
}

fn small_batch_jobs(small_adv: [f64; 3]) -> Groups {
    let mut jobs = Vec::new();
    let large_adv = [0.02, 0.03, 0.01];
    for s in 0..3 {
        let base = 0.8 + 0.01 * s as f64;
        for (p, batch, adv) in [(0, 2.0, small_adv[s]), (1, 64.0, large_adv[s])] {
            jobs.push(job(Variant::Plain, s as u64 + 1, p, batch, base));
            jobs.push(job(Variant::Bn, s as u64 + 1, p, batch, base + adv));
        }
    }
    all_variants(jobs)
}

#[test]
fn small_batch_compares_bns_advantage_at_both_ends() {
    let g = small_batch_jobs([-0.05, -0.06, -0.07]);
    let mut notes = Vec::new();
    let parts = small_batch(&g, Variant::Bn, &mut notes);
    let (n, m) = mean_of(&parts[0]);
    assert!(n == 3 && (m - 0.08).abs() < 1e-9, "{m}");
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(notes[2], "At batch 2 BN clearly lost to plain, by 6.00 pp.");
    assert!(decides("small-batch", &g).starts_with("BN's accuracy advantage over plain"));
    // Behind on average at batch 2 but within seed noise: no such note.
    let mut notes = Vec::new();
    small_batch(
        &small_batch_jobs([-0.05, 0.04, -0.02]),
        Variant::Bn,
        &mut notes,
    );
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(small_batch(&all_variants(Vec::new()), Variant::Bn, &mut Vec::new()).is_empty());
}

#[test]
fn placement_weighs_where_against_whether() {
    let accs = [(0.80, 0.90, 0.88), (0.70, 0.95, 0.90), (0.85, 0.86, 0.80)];
    let mut jobs = Vec::new();
    for (s, (p, b, a)) in accs.iter().enumerate() {
        let s = s as u64 + 1;
        jobs.push(job(Variant::Plain, s, 0, 0.0, *p));
        jobs.push(job(Variant::Bn, s, 0, 0.0, *b));
        jobs.push(job(Variant::BnAfter, s, 0, 0.0, *a));
    }
    let g = all_variants(jobs.clone());
    let mut notes = Vec::new();
    let parts = placement(&g, &mut notes);
    let want = accs
        .iter()
        .map(|(p, b, a)| (b - p).abs() - (a - b).abs())
        .sum::<f64>()
        / 3.0;
    let (n, m) = mean_of(&parts[0]);
    assert!(n == 3 && close(m, want), "{m} vs {want}");
    assert_eq!(notes.len(), 1);
    assert!(decides("placement", &g).starts_with("|BN before − plain|"));
    let no_after: Vec<JobMetrics> = jobs
        .into_iter()
        .filter(|j| j.variant != Variant::BnAfter)
        .collect();
    assert!(placement(&all_variants(no_after), &mut Vec::new()).is_empty());
}

#[test]
fn dropout_is_judged_on_the_variance_shift_and_the_arms_accuracy() {
    let arms = |shift_before: f64, acc_before: f64| {
        let mut jobs = Vec::new();
        for s in 1..=3u64 {
            let w = 0.002 * s as f64;
            let mut bn = test_job(Variant::Bn, s, 0.90 + w);
            bn.probes.var_shift = vec![(Layer::Hidden(1), 1.0), (Layer::Hidden(2), 1.02 + w)];
            let mut before = test_job(Variant::BnDropoutBefore, s, acc_before + 2.0 * w);
            // Layer 1 has no dropout before it and is left out of the measure.
            before.probes.var_shift = vec![
                (Layer::Hidden(1), 5.0),
                (Layer::Hidden(2), shift_before + 3.0 * w),
            ];
            let after = test_job(Variant::BnDropout, s, 0.89 + w);
            jobs.extend([test_job(Variant::Plain, s, 0.88), bn, before, after]);
        }
        all_variants(jobs)
    };
    let v = judge("dropout", "claim", &arms(1.5, 0.85)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Supported, "{:?}", v.deciding);
    assert!(
        v.deciding[0].starts_with("variance shift"),
        "{}",
        v.deciding[0]
    );
    assert!(v.deciding[0].contains("BN 1.0"), "{}", v.deciding[0]);
    // A shift below 1 is as far off as one above: |ln| of 1/1.5 is that of 1.5.
    let v = judge("dropout", "claim", &arms(1.0 / 1.5, 0.85)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Supported, "{:?}", v.deciding);
    // The shift without its cost is mixed; no shift and no cost is not supported.
    let v = judge("dropout", "claim", &arms(1.5, 0.90)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Mixed, "{:?}", v.deciding);
    let v = judge("dropout", "claim", &arms(1.02, 0.90)).expect("a verdict");
    assert_ne!(v.outcome, Outcome::Supported, "{:?}", v.deciding);
}
