//! The experiments from the literature (`depth`, `ics`): their presets, and their verdicts on
//! crafted runs whose answer is known, read back from a saved folder as a report reads them.

use crate::support::crafted;

use bnlab::analysis::compare::Groups;
use bnlab::analysis::metrics::JobMetrics;
use bnlab::analysis::verdict::{judge, Outcome, Verdict};
use bnlab::data::DatasetName;
use bnlab::metric::{Layer, LayerMetric as K, Metric};
use bnlab::model::{Activation, Init, Variant};
use bnlab::runs::{self, MetricRow, RunRecord};
use bnlab::train::{RunConfig, Status, SweepParam};

type Rows = Vec<(u64, Metric, f64)>;

fn run(c: RunConfig, f: impl Fn(Variant, u64, Option<f64>) -> Rows) -> RunRecord {
    let mut rec = crafted::record(c.clone());
    for j in c.jobs() {
        let rows = f(j.id.variant, j.id.seed, j.point_value)
            .into_iter()
            .map(|(step, metric, value)| MetricRow {
                step,
                epoch: step as f64 / 50.0,
                metric,
                value,
            })
            .collect();
        crafted::end_job(&mut rec, j.id, rows, Status::Finished);
    }
    let t = tempfile::tempdir().unwrap();
    crafted::save(&rec, t.path());
    runs::load(t.path()).unwrap()
}

fn verdict(rec: &RunRecord) -> Verdict {
    let p = bnlab::presets::find(&rec.config.preset).unwrap();
    let g = Groups::new(
        rec.jobs.iter().map(JobMetrics::of).collect(),
        &rec.config.variants,
    );
    judge(p.name, p.claim, &g).expect("a verdict")
}

fn accuracy(acc: f64) -> Rows {
    (1..=10u64)
        .flat_map(|k| {
            [
                (k * 10, Metric::TrainLoss, 2.0 / k as f64),
                (k * 10, Metric::ValAcc, acc - 0.2 / k as f64),
            ]
        })
        .collect()
}

/// A net of `depth` hidden layers whose init gradient norm is `growth^(depth − l)` at layer l.
fn init_grads(depth: usize, growth: f64) -> Rows {
    let mut rows: Rows = (1..=depth)
        .map(|l| {
            (
                0,
                K::InitGradNorm.of(Layer::Hidden(l as u16)),
                growth.powi((depth - l) as i32),
            )
        })
        .collect();
    rows.push((0, K::InitGradNorm.of(Layer::Out), 0.5));
    rows
}

fn depth_run(bn_growth: f64) -> RunRecord {
    let mut c = bnlab::presets::find("depth")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.sweep.as_mut().unwrap().values = vec![2.0, 10.0, 50.0];
    run(c, |v, seed, d| {
        let d = d.unwrap() as usize;
        // Seeds differ in BN's growth (a growth of 1 stays 1) and in every net's level.
        let g = if v == Variant::Bn {
            bn_growth.powf(1.0 + 0.01 * seed as f64)
        } else {
            1.0
        };
        let mut rows = init_grads(d, g);
        for r in &mut rows {
            r.2 *= 1.0 + 0.01 * seed as f64;
        }
        rows.extend(accuracy(0.9));
        rows
    })
}

#[test]
fn depth_is_supported_when_bns_gradient_ratio_grows_with_depth_and_plains_does_not() {
    let v = verdict(&depth_run(1.2));
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    // From depth 2 to 50 BN's ratio goes from 1.2 to 1.2^49: 1.2^48 ≈ 6,300× (a bit more
    // with the seeds' larger growth).
    assert!(v.deciding[0].contains("grew 7.5e3×"), "{v:?}");
    assert!(v.deciding[1].contains("plain's grew 1.00×"), "{v:?}");
    assert!(v.notes.iter().any(|n| n.starts_with("Depth 50:")), "{v:?}");
    // Both flat: BN's gradients do not grow with depth, so the claim does not hold.
    assert_eq!(verdict(&depth_run(1.0)).outcome, Outcome::NotSupported);
}

#[test]
fn the_depth_preset_sweeps_depth_with_the_init_suited_to_the_activation() {
    let c = bnlab::presets::find("depth")
        .unwrap()
        .config(DatasetName::Mnist);
    let sw = c.sweep.clone().unwrap();
    assert_eq!(sw.param, SweepParam::Depth);
    assert_eq!(sw.values, vec![2.0, 5.0, 10.0, 20.0, 50.0]);
    assert!(c.seeds >= 3 && c.init_grad_batches > 0);
    let jobs = c.jobs();
    assert_eq!(jobs.last().unwrap().depth, 50);
    assert!(jobs.iter().all(|j| j.init == Init::Glorot { gain: 1.0 }));
    // With ReLU the same preset uses He's init, as a fair plain baseline needs.
    let mut relu = c.clone();
    relu.activation = Activation::Relu;
    assert!(relu.jobs().iter().all(|j| j.init == Init::He { gain: 1.0 }));
    // An explicit Gaussian init is the user's choice and stays.
    relu.init = Init::Gaussian { sigma: 0.1 };
    assert!(relu
        .jobs()
        .iter()
        .all(|j| j.init == Init::Gaussian { sigma: 0.1 }));
}

fn ics_rows(cos: f64, rel: f64, acc: f64) -> Rows {
    let mut rows = accuracy(acc);
    for step in [1, 100, 200] {
        for l in [Layer::Hidden(2), Layer::Hidden(3), Layer::Out] {
            rows.push((step, K::IcsCos.of(l), cos));
            rows.push((step, K::IcsRel.of(l), rel));
            rows.push((step, K::IcsL2.of(l), rel * 3.0));
        }
    }
    rows
}

/// The ics preset's run: BN's (cos, rel) as given, noisy BN's the same with `noisy_acc`.
fn ics_run_with(bn: (f64, f64), noisy_acc: f64) -> RunRecord {
    let c = bnlab::presets::find("ics")
        .unwrap()
        .config(DatasetName::Mnist5k);
    assert_eq!(c.ics_every, 100);
    assert_eq!(c.variants, [Variant::Plain, Variant::Bn, Variant::BnNoisy]);
    run(c, |v, seed, _| {
        let s = 0.001 * seed as f64;
        match v {
            Variant::Plain => ics_rows(0.8 + s, 0.5, 0.95),
            Variant::BnNoisy => ics_rows(bn.0 + s, bn.1 * (1.0 + s), noisy_acc + s),
            _ => ics_rows(bn.0 + s, bn.1 * (1.0 + s), 0.96),
        }
    })
}

/// Noisy BN well below BN: what the ICS story predicts.
fn ics_run(bn: (f64, f64)) -> RunRecord {
    ics_run_with(bn, 0.90)
}

#[test]
fn ics_is_supported_only_when_bns_gradients_shift_less_in_direction_and_size() {
    let v = verdict(&ics_run((0.95, 0.2)));
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert!(v.deciding[0].contains("plain 0.80"), "{v:?}");
    assert!(
        v.notes.iter().any(|n| n.starts_with("BN per layer: l2")),
        "{v:?}"
    );
    // Santurkar et al.'s finding: BN's shift is no smaller, here larger, and noisy BN
    // does not lose.
    assert_eq!(
        verdict(&ics_run_with((0.6, 0.9), 0.96)).outcome,
        Outcome::Contradicted
    );
    // The same shift for both: nothing to support the claim.
    assert_eq!(
        verdict(&ics_run_with((0.8, 0.5), 0.96)).outcome,
        Outcome::NotSupported
    );
    // Santurkar et al.'s noisy BN: as accurate as BN although its layers' inputs move at
    // every step, so the accuracy line does not back the gradient lines.
    let v = verdict(&ics_run_with((0.95, 0.2), 0.96));
    assert_eq!(v.outcome, Outcome::Mixed, "{v:?}");
    assert!(v.deciding[2].contains("noisy BN"), "{v:?}");
}

fn generalization_run(bn_val: f64, drop_val: f64) -> RunRecord {
    let c = bnlab::presets::find("generalization")
        .unwrap()
        .config(DatasetName::Mnist5k);
    assert_eq!(
        c.variants,
        [Variant::Plain, Variant::PlainDropout, Variant::Bn]
    );
    run(c, |v, seed, _| {
        let val = match v {
            Variant::Plain => 0.85,
            Variant::PlainDropout => drop_val,
            _ => bn_val,
        } + 0.001 * seed as f64;
        let mut rows = accuracy(val);
        rows.push((100, Metric::TrainEvalAcc, 1.0));
        rows
    })
}

#[test]
fn bn_reduces_the_need_for_dropout_only_when_it_beats_plain_and_matches_dropout() {
    // BN above plain and above plain + dropout, every train accuracy 100%.
    let v = verdict(&generalization_run(0.90, 0.88));
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert_eq!(v.deciding.len(), 4, "{v:?}");
    assert!(v.deciding[3].contains("+2.00 pp"), "{v:?}");
    assert!(
        v.notes.iter().any(|n| n.contains("Dropout itself")),
        "{v:?}"
    );
    // Dropout clearly better than BN: BN helps plain but does not replace dropout.
    let m = verdict(&generalization_run(0.88, 0.91));
    assert_eq!(m.outcome, Outcome::Mixed, "{m:?}");
}

#[test]
fn a_dropout_rate_outside_0_1_names_the_flag() {
    for bad in [-0.1, 1.0, 0.999_999_999] {
        let args = bnlab::cli::RunArgs {
            preset: "generalization".into(),
            dropout: Some(bad),
            ..Default::default()
        };
        let e = args.to_config(DatasetName::Mnist5k).unwrap_err();
        assert_eq!(bnlab::cli::flag(e.field), "--dropout", "{bad}");
        assert!(e.message.contains("[0, 1)"), "{}", e.message);
    }
    let args = bnlab::cli::RunArgs {
        preset: "generalization".into(),
        dropout: Some(0.2),
        ..Default::default()
    };
    assert_eq!(args.to_config(DatasetName::Mnist5k).unwrap().dropout, 0.2);
}
