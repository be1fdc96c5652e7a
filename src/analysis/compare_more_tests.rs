//! The measures' getters, the pairing rules and the grouping of a run, at the level of
//! values: each rule of `compare` is pinned by a case on either side of its boundary.

use super::*;
use crate::analysis::metrics::{Reach, Spike};
use crate::analysis::test_job as job;

fn refs(jobs: &[JobMetrics]) -> Vec<&JobMetrics> {
    jobs.iter().collect()
}

fn reach(step: u64) -> Option<Reach> {
    Some(Reach {
        step,
        epoch: step as f64 / 100.0,
    })
}

/// A measure of `test_acc` with the given pairing and unit, to test the rules on any value.
fn on_test_acc(pairing: Pairing, unit: Unit, better: Better) -> Measure {
    Measure {
        key: "k",
        label: "l",
        source: "s",
        unit,
        better,
        pairing,
        get: |m| m.test_acc,
    }
}

#[test]
fn each_getter_reads_its_own_field() {
    let mut j = job(Variant::Plain, 1, 0.9);
    j.final_val_acc = Some((100, 0.91));
    j.best_val_acc = Some((60, 0.93));
    j.test_acc = Some(0.92);
    j.reach = [reach(10), reach(20), reach(30)];
    j.val_loss_area = Some(1.5);
    j.gap = Some(0.02);
    j.loss_log_fluct = Some(0.07);
    j.loss_tail_std = Some(0.03);
    j.spike = Some(Spike { rise: 1.8, step: 5 });
    j.blowups = 2;
    j.elapsed_s = 4.5;
    j.samples_per_sec = 300.0;
    let got: Vec<Option<f64>> = TABLE.iter().map(|m| (m.get)(&j)).collect();
    let want = [
        10.0, 20.0, 30.0, 1.5, 0.91, 0.93, 0.92, 0.02, 0.07, 0.03, 1.8, 2.0, 4.5, 300.0,
    ];
    assert_eq!(got, want.map(Some).to_vec());
    let keys: Vec<&str> = TABLE.iter().map(|m| m.key).collect();
    assert_eq!(&keys[..3], ["steps_val90", "steps_val95", "steps_val97"]);
    // A time or rate of zero was never measured; an infinite spike is not a factor.
    j.elapsed_s = 0.0;
    j.samples_per_sec = 0.0;
    j.spike = Some(Spike {
        rise: f64::INFINITY,
        step: 5,
    });
    assert_eq!((WALL.get)(&j), None);
    assert_eq!((THROUGHPUT.get)(&j), None);
    assert_eq!((SPIKE.get)(&j), None);
    j.final_val_acc = None;
    assert_eq!((FINAL_VAL_ACC.get)(&j), None);
}

#[test]
fn landscape_getters_read_the_whole_run_and_the_second_half() {
    use crate::analysis::metrics::RunMean;
    let rm = |all: f64, late: f64| {
        Some(RunMean {
            all,
            late: Some(late),
            non_finite: 0,
        })
    };
    let mut j = job(Variant::Plain, 1, 0.9);
    j.landscape.loss_range = rm(1.0, 2.0);
    j.landscape.grad_change = rm(3.0, 4.0);
    j.landscape.beta = rm(5.0, 6.0);
    let all: Vec<Option<f64>> = LANDSCAPE.iter().map(|m| (m.get)(&j)).collect();
    let late: Vec<Option<f64>> = LANDSCAPE_LATE.iter().map(|m| (m.get)(&j)).collect();
    assert_eq!(all, [Some(1.0), Some(3.0), Some(5.0)]);
    assert_eq!(late, [Some(2.0), Some(4.0), Some(6.0)]);
    assert!(LANDSCAPE
        .iter()
        .chain(&LANDSCAPE_LATE)
        .all(|m| m.better == Better::Lower && m.pairing == Pairing::Ratio));
}

#[test]
fn paired_counts_seeds_on_each_side_and_ignores_ties() {
    let p = Paired::of(&[0.5, 0.0, -0.2, 0.3], |_| false).unwrap();
    assert_eq!((p.up, p.down, p.est.n), (2, 1, 4));
    // Four seeds whose interval excludes 0: clear, not merely leaning.
    let p = Paired::of(&[0.10, 0.11, 0.12, 0.13], |_| false).unwrap();
    assert!(p.clear && !p.leans);
    // Two seeds: never clear, whatever the interval.
    let p = Paired::of(&[0.10, 0.11], |_| false).unwrap();
    assert!(!p.clear && p.leans);
    // One seed: the stated rule decides whether it leans.
    assert!(Paired::of(&[0.3], |_| true).unwrap().leans);
    assert!(!Paired::of(&[0.3], |_| false).unwrap().leans);
    assert!(Paired::of(&[], |_| true).is_none());
}

#[test]
fn effect_and_interval_are_in_natural_units() {
    let diff = on_test_acc(Pairing::Diff, Unit::Accuracy, Better::Higher);
    let ratio = on_test_acc(Pairing::Ratio, Unit::Steps, Better::Lower);
    let p = Paired::of(&[0.1, 0.2, 0.3], |_| false).unwrap();
    assert!((p.effect(&diff) - 0.2).abs() < 1e-12);
    assert!((p.effect(&ratio) - 0.2f64.exp()).abs() < 1e-12);
    let (lo, hi) = p.est.ci.unwrap();
    assert_eq!(p.ci(&diff), Some((lo, hi)));
    let (rlo, rhi) = p.ci(&ratio).unwrap();
    assert!((rlo - lo.exp()).abs() < 1e-12 && (rhi - hi.exp()).abs() < 1e-12);
    assert!(rlo > 0.0 && rlo < 1.0 && rhi > 1.0, "{rlo} {rhi}");
    let one = Paired::of(&[0.1], |_| false).unwrap();
    assert_eq!(one.ci(&diff), None);
}

#[test]
fn direction_follows_which_way_is_better() {
    let higher = on_test_acc(Pairing::Diff, Unit::Accuracy, Better::Higher);
    let lower = on_test_acc(Pairing::Diff, Unit::Accuracy, Better::Lower);
    let up = Paired::of(&[0.10, 0.11, 0.12], |_| false).unwrap();
    let down = Paired::of(&[-0.10, -0.11, -0.12], |_| false).unwrap();
    assert_eq!(up.other_better(&higher), Some(true));
    assert_eq!(up.other_better(&lower), Some(false));
    assert_eq!(down.other_better(&higher), Some(false));
    assert_eq!(down.other_better(&lower), Some(true));
    assert_eq!(up.leaning_better(&higher), Some(true));
    assert_eq!(down.leaning_better(&lower), Some(true));
    // Leaning (two seeds) points a way without being clear.
    let lean = Paired::of(&[0.10, 0.11], |_| false).unwrap();
    assert_eq!(lean.other_better(&higher), None);
    assert_eq!(lean.leaning_better(&higher), Some(true));
    assert_eq!(lean.leaning_better(&lower), Some(false));
    // Within noise: no direction either way.
    let noise = Paired::of(&[0.3, -0.3, 0.01], |_| true).unwrap();
    assert_eq!(noise.other_better(&higher), None);
    assert_eq!(noise.leaning_better(&higher), None);
    // A mean of exactly zero has no direction even when it counts.
    let mut zero = up;
    zero.est.mean = 0.0;
    assert_eq!(zero.other_better(&higher), None);
    assert_eq!(zero.leaning_better(&lower), None);
}

#[test]
fn one_seed_rules_by_unit_at_their_boundaries() {
    let ratio = on_test_acc(Pairing::Ratio, Unit::Steps, Better::Lower);
    let acc = on_test_acc(Pairing::Diff, Unit::Accuracy, Better::Higher);
    let points = on_test_acc(Pairing::Diff, Unit::Points, Better::Lower);
    let count = on_test_acc(Pairing::Diff, Unit::Count, Better::Lower);
    let other = on_test_acc(Pairing::Diff, Unit::Loss, Better::Lower);
    let r = ONE_SEED_RATIO.ln();
    assert!(one_seed_clear(&ratio, r * 1.01) && one_seed_clear(&ratio, -r * 1.01));
    assert!(!one_seed_clear(&ratio, r) && !one_seed_clear(&ratio, r * 0.99));
    // 0.5 percentage points, exactly representable here.
    assert_eq!(0.005 * 100.0, ONE_SEED_ACC_PP);
    assert!(!one_seed_clear(&acc, 0.005) && !one_seed_clear(&acc, -0.004));
    assert!(one_seed_clear(&acc, 0.006) && one_seed_clear(&points, -0.006));
    assert!(!one_seed_clear(&points, 0.001));
    assert!(one_seed_clear(&count, 1.0) && one_seed_clear(&count, -2.0));
    assert!(!one_seed_clear(&count, 0.5));
    assert!(!one_seed_clear(&other, ONE_SEED_SPIKE) && !one_seed_clear(&other, 0.05));
    assert!(one_seed_clear(&other, 0.11) && one_seed_clear(&other, -0.11));
}

#[test]
fn pairs_match_seeds_and_ratios_need_positive_values() {
    let with = |variant, seed, v: Option<f64>| {
        let mut j = job(variant, seed, 0.5);
        j.test_acc = v;
        j
    };
    let base = [
        with(Variant::Plain, 1, Some(0.0)),
        with(Variant::Plain, 2, Some(1.0)),
        with(Variant::Plain, 3, Some(1.0)),
        with(Variant::Plain, 4, Some(1.0)),
        with(Variant::Plain, 5, Some(1.0)),
        with(Variant::Plain, 6, None),
    ];
    let other = [
        with(Variant::Bn, 1, Some(2.0)),
        with(Variant::Bn, 2, Some(2.0)),
        with(Variant::Bn, 3, Some(4.0)),
        with(Variant::Bn, 4, Some(0.0)),
        with(Variant::Bn, 5, Some(-1.0)),
        with(Variant::Bn, 6, Some(3.0)),
        with(Variant::Bn, 7, Some(9.0)),
    ];
    let ratio = on_test_acc(Pairing::Ratio, Unit::Steps, Better::Lower);
    // Only seeds 2 and 3 have positive values on both sides: ln 2 and ln 4.
    let p = paired(&ratio, &refs(&base), &refs(&other)).unwrap();
    assert_eq!((p.up, p.down, p.est.n), (2, 0, 2));
    assert!(
        (p.est.mean - 1.5 * 2f64.ln()).abs() < 1e-12,
        "{}",
        p.est.mean
    );
    // Differences are other − base, on every seed both have.
    let diff = on_test_acc(Pairing::Diff, Unit::Loss, Better::Lower);
    let p = paired(&diff, &refs(&base), &refs(&other)).unwrap();
    assert_eq!((p.up, p.down, p.est.n), (3, 2, 5));
    assert!((p.est.mean - (2.0 + 1.0 + 3.0 - 1.0 - 2.0) / 5.0).abs() < 1e-12);
    assert!(paired(&diff, &refs(&base[..1]), &refs(&other[1..])).is_none());
    assert_eq!(values(&diff, &refs(&base)), [0.0, 1.0, 1.0, 1.0, 1.0]);
}

#[test]
fn groups_keep_variants_with_jobs_and_sort_by_seed() {
    let mut jobs = vec![
        job(Variant::Bn, 3, 0.9),
        job(Variant::Bn, 1, 0.9),
        job(Variant::BnAfter, 2, 0.9),
    ];
    jobs[0].point = 2;
    jobs[0].point_value = Some(0.5);
    jobs[2].point = 1;
    jobs[2].point_value = Some(0.1);
    let g = Groups::new(jobs, &[Variant::Plain, Variant::BnAfter]);
    // Plain has no job; Bn is added after the configured ones.
    assert_eq!(g.variants, [Variant::BnAfter, Variant::Bn]);
    assert_eq!(g.baseline(), Some(Variant::BnAfter));
    assert_eq!(g.points(), [(0, None), (1, Some(0.1)), (2, Some(0.5))]);
    assert_eq!(g.seeds(), 3);
    let at = |p, v| g.of(p, v).iter().map(|j| j.seed).collect::<Vec<_>>();
    assert_eq!(at(0, Variant::Bn), [1]);
    assert_eq!(at(2, Variant::Bn), [3]);
    assert_eq!(at(1, Variant::BnAfter), [2]);
    assert!(at(1, Variant::Bn).is_empty());
    let mut two = vec![job(Variant::Bn, 5, 0.9), job(Variant::Bn, 4, 0.9)];
    two.push(job(Variant::Plain, 4, 0.9));
    let g = Groups::new(two, &[Variant::Bn]);
    assert_eq!(g.baseline(), Some(Variant::Plain));
    assert_eq!(
        g.of(0, Variant::Bn)
            .iter()
            .map(|j| j.seed)
            .collect::<Vec<_>>(),
        [4, 5]
    );
    assert_eq!(g.seeds(), 2);
}

#[test]
fn speed_threshold_is_the_highest_level_half_the_groups_reach() {
    // Three points × three variants = 9 groups; each reaches levels up to its own top.
    let tops = [2, 2, 2, 1, 1, 0, 0, 0, 0];
    let mut jobs = Vec::new();
    for (k, &top) in tops.iter().enumerate() {
        for seed in [1, 2] {
            let mut j = job(Variant::ALL[k % 3], seed, 0.9);
            j.point = k / 3;
            j.reach = [0, 1, 2].map(|i| {
                if i <= top {
                    reach(100 * (i as u64 + 1))
                } else {
                    None
                }
            });
            jobs.push(j);
        }
    }
    // Level 2: 3 of 9 groups; level 1: 5 of 9, at least half.
    let g = Groups::new(jobs.clone(), &Variant::ALL);
    assert_eq!(speed_threshold(&g), 1);
    // A group reaches a level only if every seed does.
    for j in jobs
        .iter_mut()
        .filter(|j| j.seed == 2 && j.reach[1].is_some())
    {
        if j.reach[2].is_none() {
            j.reach[1] = None;
        }
    }
    assert_eq!(speed_threshold(&Groups::new(jobs, &Variant::ALL)), 0);
}
