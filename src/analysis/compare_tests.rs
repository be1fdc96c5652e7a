//! The paired comparisons on small crafted groups of seeds.

use super::*;

use crate::analysis::test_job as job;

#[test]
fn paired_ci_decides_with_seeds() {
    let b = [
        job(Variant::Plain, 1, 0.90),
        job(Variant::Plain, 2, 0.91),
        job(Variant::Plain, 3, 0.92),
    ];
    let o = [
        job(Variant::Bn, 1, 0.95),
        job(Variant::Bn, 2, 0.951),
        job(Variant::Bn, 3, 0.969),
    ];
    let br: Vec<&JobMetrics> = b.iter().collect();
    let or: Vec<&JobMetrics> = o.iter().collect();
    let p = paired(&FINAL_VAL_ACC, &br, &or).unwrap();
    assert_eq!(p.est.n, 3);
    assert!(p.clear);
    assert_eq!(p.other_better(&FINAL_VAL_ACC), Some(true));
    // seed noise larger than the mean difference: not clear
    let o2 = [
        job(Variant::Bn, 1, 0.99),
        job(Variant::Bn, 2, 0.85),
        job(Variant::Bn, 3, 0.93),
    ];
    let or2: Vec<&JobMetrics> = o2.iter().collect();
    let p2 = paired(&FINAL_VAL_ACC, &br, &or2).unwrap();
    assert!(!p2.clear);
    assert_eq!(p2.other_better(&FINAL_VAL_ACC), None);
}

#[test]
fn one_seed_uses_heuristic_and_is_never_clear() {
    let b = [job(Variant::Plain, 1, 0.900)];
    let small = [job(Variant::Bn, 1, 0.904)];
    let big = [job(Variant::Bn, 1, 0.890)];
    let br: Vec<&JobMetrics> = b.iter().collect();
    let p = paired(&FINAL_VAL_ACC, &br, &small.iter().collect::<Vec<_>>()).unwrap();
    assert!(!p.clear && !p.leans);
    let p = paired(&FINAL_VAL_ACC, &br, &big.iter().collect::<Vec<_>>()).unwrap();
    assert!(!p.clear && p.leans);
    assert_eq!(p.other_better(&FINAL_VAL_ACC), None);
    assert_eq!(p.leaning_better(&FINAL_VAL_ACC), Some(false));
}

#[test]
fn two_seeds_lean_but_are_not_clear() {
    let b = [job(Variant::Plain, 1, 0.90), job(Variant::Plain, 2, 0.91)];
    let o = [job(Variant::Bn, 1, 0.95), job(Variant::Bn, 2, 0.96)];
    let br: Vec<&JobMetrics> = b.iter().collect();
    let p = paired(&FINAL_VAL_ACC, &br, &o.iter().collect::<Vec<_>>()).unwrap();
    assert!(p.est.ci_excludes_zero().unwrap());
    assert!(!p.clear && p.leans);
}

#[test]
fn unpaired_seeds_are_ignored() {
    let b = [job(Variant::Plain, 1, 0.9)];
    let o = [job(Variant::Bn, 2, 0.95)];
    let br: Vec<&JobMetrics> = b.iter().collect();
    assert!(paired(&FINAL_VAL_ACC, &br, &o.iter().collect::<Vec<_>>()).is_none());
}
