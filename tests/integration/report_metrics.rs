//! Comparison metrics on small hand-made curves with known answers.

use bnlab::analysis::compare::{paired, FINAL_VAL_ACC, STEPS_95};
use bnlab::analysis::metrics::{area, best, blowups, gap, max_spike, reach, tail_std, JobMetrics};
use bnlab::analysis::stats::{t975, Estimate};
use bnlab::metric::Metric;
use bnlab::model::Variant;
use bnlab::runs::{JobRecord, MetricRow};
use bnlab::train::{JobId, Status};

fn curve(points: &[(u64, f64)]) -> Vec<(u64, f64, f64)> {
    points
        .iter()
        .map(|&(s, v)| (s, s as f64 / 100.0, v))
        .collect()
}

#[test]
fn steps_and_epochs_to_threshold() {
    let c = curve(&[
        (0, 0.1),
        (100, 0.85),
        (200, 0.93),
        (300, 0.951),
        (400, 0.96),
    ]);
    let r = reach(&c, 0.90).unwrap();
    assert_eq!((r.step, r.epoch), (200, 2.0));
    assert_eq!(reach(&c, 0.95).unwrap().step, 300);
    // exactly at the threshold counts as reached
    assert_eq!(
        reach(&curve(&[(0, 0.5), (50, 0.97)]), 0.97).unwrap().step,
        50
    );
}

#[test]
fn threshold_never_reached() {
    let c = curve(&[(0, 0.1), (100, 0.96), (200, 0.969)]);
    assert!(reach(&c, 0.97).is_none());
    assert!(reach(&[], 0.9).is_none());
}

#[test]
fn generalization_gap() {
    let g = gap(Some(0.99), Some(0.95)).unwrap();
    assert!((g - 0.04).abs() < 1e-12);
    assert!(gap(None, Some(0.9)).is_none());
    assert!(gap(Some(f64::NAN), Some(0.9)).is_none());
}

#[test]
fn area_best_spike_and_tail() {
    // a flat loss of 2 over 3 epochs has area 6
    let flat = curve(&[(0, 2.0), (100, 2.0), (200, 2.0), (300, 2.0)]);
    assert!((area(&flat).unwrap() - 6.0).abs() < 1e-12);
    assert_eq!(
        best(&curve(&[(0, 0.2), (10, 0.9), (20, 0.8)])),
        Some((10, 0.9))
    );
    let spiky = curve(&[(0, 2.0), (10, 0.5), (20, 1.7), (30, 0.4)]);
    let s = max_spike(&spiky).unwrap();
    // A factor: 1.7 over the low of 0.5 before it.
    assert!((s.rise - 3.4).abs() < 1e-12);
    assert_eq!(s.step, 20);
    assert_eq!(blowups(&spiky), 1);
    let t = curve(&[
        (0, 9.0),
        (10, 9.0),
        (20, 1.0),
        (30, 3.0),
        (40, 1.0),
        (50, 3.0),
        (60, 1.0),
    ]);
    // last 5 points: 1,3,1,3,1 -> sample std sqrt(1.2)
    assert!((tail_std(&t).unwrap() - 1.2f64.sqrt()).abs() < 1e-12);
}

#[test]
fn spread_across_seeds() {
    let e = Estimate::of(&[0.95, 0.96, 0.97]).unwrap();
    assert!((e.std.unwrap() - 0.01).abs() < 1e-12);
    let (lo, hi) = e.ci.unwrap();
    let h = t975(2) * 0.01 / 3f64.sqrt();
    assert!((lo - (0.96 - h)).abs() < 1e-12 && (hi - (0.96 + h)).abs() < 1e-12);
}

fn job(variant: Variant, seed: u64, vals: &[(u64, f64)]) -> JobMetrics {
    let mut j = JobRecord::new(
        JobId {
            variant,
            seed,
            point: 0,
        },
        None,
    );
    j.status = Status::Finished;
    j.rows = vals
        .iter()
        .map(|&(s, v)| MetricRow {
            step: s,
            epoch: s as f64 / 100.0,
            metric: Metric::ValAcc,
            value: v,
        })
        .collect();
    j.step = vals.last().map_or(0, |v| v.0);
    JobMetrics::of(&j)
}

#[test]
fn paired_ratio_of_steps_between_variants() {
    let plain = [
        job(Variant::Plain, 1, &[(0, 0.1), (400, 0.95)]),
        job(Variant::Plain, 2, &[(0, 0.1), (420, 0.95)]),
    ];
    let bn = [
        job(Variant::Bn, 1, &[(0, 0.1), (100, 0.95)]),
        job(Variant::Bn, 2, &[(0, 0.1), (105, 0.95)]),
    ];
    let b: Vec<&JobMetrics> = plain.iter().collect();
    let o: Vec<&JobMetrics> = bn.iter().collect();
    let p = paired(&STEPS_95, &b, &o).unwrap();
    // bn / plain = 1/4 in both seeds: two seeds lean that way, but are not clear
    assert!((p.effect(&STEPS_95) - 0.25).abs() < 1e-9);
    assert_eq!(p.other_better(&STEPS_95), None);
    assert_eq!(p.leaning_better(&STEPS_95), Some(true));
    // a third seed that agrees makes it clear
    let plain3 = [job(Variant::Plain, 3, &[(0, 0.1), (410, 0.95)])];
    let bn3 = [job(Variant::Bn, 3, &[(0, 0.1), (100, 0.95)])];
    let b3: Vec<&JobMetrics> = plain.iter().chain(&plain3).collect();
    let o3: Vec<&JobMetrics> = bn.iter().chain(&bn3).collect();
    assert_eq!(
        paired(&STEPS_95, &b3, &o3).unwrap().other_better(&STEPS_95),
        Some(true)
    );
    let acc = paired(&FINAL_VAL_ACC, &b, &o).unwrap();
    assert_eq!(acc.est.mean, 0.0);
    assert_eq!(acc.other_better(&FINAL_VAL_ACC), None);
}

#[test]
fn gradient_flow_and_input_drift_from_probes() {
    let mut j = JobRecord::new(
        JobId {
            variant: Variant::Plain,
            seed: 1,
            point: 0,
        },
        None,
    );
    let mut push = |step: u64, metric: &str, value: f64| {
        j.rows.push(MetricRow {
            step,
            epoch: step as f64 / 100.0,
            metric: metric.parse().unwrap(),
            value,
        })
    };
    for step in [0u64, 100, 200, 300, 400, 500] {
        // first layer gets a thousandth of the output layer's gradient throughout
        push(step, "grad_norm.l1", 0.001 * (step + 1) as f64);
        push(step, "grad_norm.out", (step + 1) as f64);
        push(step, "unit_p50.l3", step as f64 / 500.0);
    }
    let m = JobMetrics::of(&j);
    assert!((m.grad_ratio.unwrap() - 0.001).abs() < 1e-12);
    let (layer, range) = m.preact_drift.unwrap();
    assert_eq!(layer, bnlab::metric::Layer::Hidden(3));
    assert!((range - 1.0).abs() < 1e-12);
}
