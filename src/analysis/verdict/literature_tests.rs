use super::*;
use crate::analysis::test_job;
use crate::metric::Layer;

/// Three seeds of the five arms; the frozen arms' accuracies are given, BN's γ has `off`
/// of its units switched off in both layers.
fn arms(only: f64, random: f64, frozen: f64, off: f64) -> Groups {
    let mut jobs = Vec::new();
    for s in 1..=3u64 {
        let w = 0.003 * s as f64;
        let mut o = test_job(Variant::BnOnly, s, only + w);
        o.probes.gamma_off = vec![(Layer::Hidden(1), off), (Layer::Hidden(2), off / 2.0)];
        jobs.extend([
            test_job(Variant::Plain, s, 0.97),
            test_job(Variant::Bn, s, 0.98),
            o,
            test_job(Variant::BnRandom, s, random + 2.0 * w),
            test_job(Variant::BnFrozen, s, frozen + 0.5 * w),
        ]);
    }
    Groups::new(jobs, &Variant::ALL)
}

#[test]
fn bn_only_is_judged_against_the_random_subset_and_the_head_alone() {
    let v = judge("bn-only", "claim", &arms(0.93, 0.88, 0.87, 0.3)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Supported, "{:?}", v.deciding);
    assert_eq!(v.deciding.len(), 2);
    // 0.93 + w − (0.88 + 2w) over w = 0.003, 0.006, 0.009: 5.0 − 0.6 = 4.4 pp.
    assert!(v.deciding[0].contains("+4.40 pp"), "{}", v.deciding[0]);
    assert!(
        v.deciding[0].contains("clear over 3 seeds"),
        "{}",
        v.deciding[0]
    );
    // Layers 1 and 2 have 30% and 15% of their units off: 22.5% of all.
    let off = v.notes.iter().find(|n| n.contains("switched off")).unwrap();
    assert!(off.contains("22.5"), "{off}");
    // γ and β no better than random weights, but better than the head alone: mixed.
    let v = judge("bn-only", "claim", &arms(0.86, 0.88, 0.80, 0.0)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Mixed, "{:?}", v.deciding);
    // Worse than both: contradicted.
    let v = judge("bn-only", "claim", &arms(0.80, 0.88, 0.87, 0.0)).expect("a verdict");
    assert_eq!(v.outcome, Outcome::Contradicted, "{:?}", v.deciding);
}

#[test]
fn bn_only_without_its_control_decides_nothing() {
    let g = arms(0.93, 0.88, 0.87, 0.3);
    let jobs: Vec<JobMetrics> = g
        .jobs
        .iter()
        .filter(|j| j.variant != Variant::BnRandom)
        .cloned()
        .collect();
    let g = Groups::new(jobs, &Variant::ALL);
    assert!(bn_only(&g, Variant::Bn, &mut Vec::new()).is_empty());
}
