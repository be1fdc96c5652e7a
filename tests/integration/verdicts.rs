//! Each preset's verdict on crafted runs whose answer is known, and the stability measures on
//! losses that differ only in their level. Runs go through a saved folder and back, as a
//! report reads them.

use crate::support::crafted;

use bnlab::analysis::compare::{paired, Groups, LOSS_FLUCT, LOSS_TAIL_STD, SPIKE};
use bnlab::analysis::metrics::JobMetrics;
use bnlab::analysis::verdict::{judge, Outcome, Verdict};
use bnlab::metric::{Layer, LayerMetric, Metric};
use bnlab::model::Variant;
use bnlab::runs::{self, MetricRow, RunRecord};
use bnlab::train::{JobId, RunConfig, Status, Sweep, SweepParam};

type Rows = Vec<(u64, Metric, f64)>;

fn config(preset: &str, variants: &[Variant], sweep: Option<(SweepParam, &[f64])>) -> RunConfig {
    RunConfig {
        preset: preset.into(),
        seeds: 3,
        variants: variants.to_vec(),
        sweep: sweep.map(|(param, v)| Sweep {
            param,
            values: v.to_vec(),
        }),
        ..RunConfig::default()
    }
}

/// A saved and reloaded run whose job (variant, seed, point) has the rows `f` gives.
fn run(c: RunConfig, f: impl Fn(Variant, u64, usize, Option<f64>) -> (Rows, Status)) -> RunRecord {
    let mut rec = crafted::record(c.clone());
    for j in c.jobs() {
        let (rows, status) = f(j.id.variant, j.id.seed, j.id.point, j.point_value);
        let rows = rows
            .into_iter()
            .map(|(step, metric, value)| MetricRow {
                step,
                epoch: step as f64 / 50.0,
                metric,
                value,
            })
            .collect();
        crafted::end_job(&mut rec, j.id, rows, status);
    }
    let t = tempfile::tempdir().unwrap();
    crafted::save(&rec, t.path());
    runs::load(t.path()).unwrap()
}

fn groups(rec: &RunRecord) -> Groups {
    Groups::new(
        rec.jobs.iter().map(JobMetrics::of).collect(),
        &rec.config.variants,
    )
}

fn verdict(rec: &RunRecord) -> Verdict {
    let p = bnlab::presets::find(&rec.config.preset).unwrap();
    judge(p.name, p.claim, &groups(rec)).expect("a verdict")
}

/// Validation accuracy ending at `acc`, and a training loss `level` times a decaying curve
/// that wiggles by ±`wiggle` (a factor, as minibatch noise scales with the loss).
fn curve(acc: f64, level: f64, wiggle: f64) -> Rows {
    let mut v = Vec::new();
    for k in 1..=50u64 {
        let step = k * 10;
        let w = if k % 2 == 0 {
            1.0 + wiggle
        } else {
            1.0 - wiggle
        };
        v.push((
            step,
            Metric::TrainLoss,
            level * (2.3 * (-(k as f64) / 10.0).exp() + 0.1) * w,
        ));
        if k % 5 == 0 {
            v.push((step, Metric::ValAcc, acc - 0.3 * (-(k as f64) / 10.0).exp()));
        }
    }
    v
}

fn job_of(rec: &RunRecord, v: Variant, seed: u64) -> JobMetrics {
    let id = JobId {
        variant: v,
        seed,
        point: 0,
    };
    JobMetrics::of(rec.job(id).unwrap())
}

#[test]
fn a_loss_that_is_a_scaled_copy_of_the_other_is_equally_stable() {
    let c = config("ioffe2015", &[Variant::Plain, Variant::Bn], None);
    // BN's loss is a tenth of plain's at every step, with the same relative wiggle per seed.
    let rec = run(c, |v, seed, _, _| {
        let level = if v == Variant::Bn { 0.1 } else { 1.0 };
        (curve(0.95, level, 0.05 * seed as f64), Status::Finished)
    });
    let (b, o): (Vec<JobMetrics>, Vec<JobMetrics>) = (
        (1..=3).map(|s| job_of(&rec, Variant::Plain, s)).collect(),
        (1..=3).map(|s| job_of(&rec, Variant::Bn, s)).collect(),
    );
    let (b, o): (Vec<&JobMetrics>, Vec<&JobMetrics>) = (b.iter().collect(), o.iter().collect());
    for m in [&LOSS_FLUCT, &SPIKE] {
        let p = paired(m, &b, &o).unwrap();
        assert!(!p.clear, "{}: {:?}", m.key, p.est);
        assert!(
            (p.effect(m) - 1.0).abs() < 1e-6,
            "{}: {}",
            m.key,
            p.effect(m)
        );
    }
    // The loss-unit std would have called BN ten times steadier.
    let abs = paired(&LOSS_TAIL_STD, &b, &o).unwrap();
    assert!((abs.effect(&LOSS_TAIL_STD) - 0.1).abs() < 1e-6);
    // And the report's stability paragraph finds no difference.
    let t = tempfile::tempdir().unwrap();
    crafted::save(&rec, t.path());
    let md = std::fs::read_to_string(
        bnlab::report::write_report(&[t.path().to_path_buf()], None).unwrap(),
    )
    .unwrap();
    let stab = &md[md.find("**Stability.**").unwrap()..];
    let stab = &stab[..stab.find("\n").unwrap()];
    assert!(stab.contains("no clear difference"), "{stab}");
    let v = &md[md.find("**Verdict.**").unwrap()..];
    assert!(!v[..v.find('\n').unwrap()].contains("stability"), "{v}");
}

#[test]
fn high_lr_is_supported_when_bn_trains_at_rates_where_plain_diverges() {
    let lrs = [0.1, 1.0, 10.0];
    let c = config(
        "high-lr",
        &[Variant::Plain, Variant::Bn],
        Some((SweepParam::LearningRate, &lrs)),
    );
    let rec = run(c, |v, _, _, lr| {
        if v == Variant::Plain && lr.unwrap() > 0.5 {
            (curve(0.1, 1.0, 0.0)[..3].to_vec(), Status::Diverged)
        } else {
            (curve(0.95, 1.0, 0.01), Status::Finished)
        }
    });
    let v = verdict(&rec);
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert!(v.deciding[0].contains("plain 0.100, BN 10.0"), "{v:?}");
    assert!(v.deciding[0].contains("top of the grid"), "{v:?}");
    // Equal tolerance: not supported.
    let c = config(
        "high-lr",
        &[Variant::Plain, Variant::Bn],
        Some((SweepParam::LearningRate, &lrs)),
    );
    let same = run(c, |_, _, _, lr| {
        let ok = lr.unwrap() < 5.0;
        let st = if ok {
            Status::Finished
        } else {
            Status::Diverged
        };
        (curve(if ok { 0.95 } else { 0.1 }, 1.0, 0.01), st)
    });
    assert_eq!(verdict(&same).outcome, Outcome::NotSupported);
}

#[test]
fn bad_init_compares_the_spread_across_scales_and_says_bn_is_not_insensitive() {
    let sig = [0.01, 1.0, 3.0];
    let c = config(
        "bad-init",
        &[Variant::Plain, Variant::Bn],
        Some((SweepParam::InitSigma, &sig)),
    );
    let rec = run(c, |v, seed, p, _| {
        let acc = match v {
            Variant::Plain => [0.10, 0.90, 0.40][p],
            _ => [0.88, 0.91, 0.84][p],
        } + 0.001 * seed as f64;
        (curve(acc, 1.0, 0.01), Status::Finished)
    });
    let v = verdict(&rec);
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert!(v.deciding[0].contains("plain 80.0 pp, BN 7.0 pp"), "{v:?}");
    assert!(v.notes[0].contains("BN is not insensitive"), "{v:?}");
}

#[test]
fn small_batch_supports_the_claim_when_bns_advantage_shrinks_at_tiny_batches() {
    let b = [2.0, 60.0];
    let c = config(
        "small-batch",
        &[Variant::Plain, Variant::Bn],
        Some((SweepParam::BatchSize, &b)),
    );
    let rec = run(c, |v, seed, p, _| {
        let s = 0.002 * seed as f64;
        let acc = match (v, p) {
            (Variant::Bn, 0) => 0.85 + s,
            (Variant::Bn, _) => 0.96 + s,
            (_, 0) => 0.88,
            _ => 0.91,
        };
        (curve(acc, 1.0, 0.01), Status::Finished)
    });
    let v = verdict(&rec);
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert!(
        v.notes.iter().any(|n| n.contains("BN clearly lost")),
        "{v:?}"
    );
}

#[test]
fn placement_is_supported_when_where_matters_less_than_whether() {
    let c = config(
        "placement",
        &[Variant::Plain, Variant::Bn, Variant::BnAfter],
        None,
    );
    let rec = run(c, |v, seed, _, _| {
        let s = 0.001 * seed as f64;
        let acc = match v {
            Variant::Plain => 0.90 + s,
            Variant::Bn => 0.96 + s,
            _ => 0.955 + 2.0 * s,
        };
        (curve(acc, 1.0, 0.01), Status::Finished)
    });
    assert_eq!(verdict(&rec).outcome, Outcome::Supported);
}

#[test]
fn deep_judges_how_far_each_nets_start_gradient_moves_with_the_init_scale() {
    let gains = [0.5, 1.0, 2.0];
    let c = config(
        "deep",
        &[Variant::Plain, Variant::Bn],
        Some((SweepParam::InitGain, &gains)),
    );
    let rec = run(c, |v, seed, p, _| {
        // Relative gradient at step 1: plain 1e-3 / 1 / 1e3, BN 4 / 1 / 0.25.
        let rg: f64 = match v {
            Variant::Plain => [1e-3, 1.0, 1e3][p],
            _ => [4.0, 1.0, 0.25][p],
        } * (1.0 + 0.01 * seed as f64);
        let mut rows = curve(0.9, 1.0, 0.01);
        for l in [Layer::Hidden(1), Layer::Out] {
            rows.push((1, LayerMetric::GradNorm.of(l), rg));
            rows.push((1, LayerMetric::WeightNorm.of(l), 1.0));
        }
        (rows, Status::Finished)
    });
    let v = verdict(&rec);
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert_eq!(v.deciding.len(), 2, "gain 1 is the baseline: {v:?}");
}

#[test]
fn generalization_uses_inference_mode_train_accuracy_and_says_when_both_fit() {
    let c = config("generalization", &[Variant::Plain, Variant::Bn], None);
    let rec = run(c, |v, seed, _, _| {
        let val = if v == Variant::Bn { 0.88 } else { 0.85 } + 0.001 * seed as f64;
        let mut rows = curve(val, 1.0, 0.01);
        rows.push((500, Metric::TrainEvalAcc, 1.0));
        (rows, Status::Finished)
    });
    let v = verdict(&rec);
    assert_eq!(v.outcome, Outcome::Supported, "{v:?}");
    assert!(v.notes.iter().any(|n| n.contains("Both nets fit")), "{v:?}");
}
