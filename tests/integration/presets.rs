//! Every preset, shortened, on the embedded digits: each must measure what its claim needs.

use std::sync::Arc;

use bnlab::analysis::summary::summarize;
use bnlab::data::DatasetName;
use bnlab::metric::{Layer, LayerMetric, Metric};
use bnlab::model::Variant;
use bnlab::runs::RunRecord;
use bnlab::train::{RunConfig, Session, Status};

fn run(name: &str, tweak: impl FnOnce(&mut RunConfig)) -> RunRecord {
    let mut c = bnlab::presets::find(name)
        .unwrap()
        .config(DatasetName::Mnist5k);
    tweak(&mut c);
    c.validate().unwrap();
    let data = Arc::new(c.prepare_data(None).unwrap());
    let mut rec = RunRecord::new(c.clone(), bnlab::runs::DataInfo::of(&data));
    let s = Session::start(c, data);
    for ev in s.events.iter() {
        rec.apply(&ev);
    }
    assert!(rec.all_final());
    rec
}

fn series(rec: &RunRecord, v: Variant, metric: &str) -> Vec<f64> {
    let metric: Metric = metric.parse().unwrap();
    rec.jobs
        .iter()
        .find(|j| j.id.variant == v)
        .unwrap()
        .series(metric)
        .iter()
        .map(|p| p.2)
        .collect()
}

#[test]
fn ioffe2015_probes_ordered_percentile_bands_of_a_last_layer_unit() {
    let rec = run("ioffe2015", |c| {
        c.steps = Some(120);
        c.probe_every = 40;
    });
    for v in [Variant::Plain, Variant::Bn] {
        let (p15, p50, p85) = (
            series(&rec, v, "unit_p15.l3"),
            series(&rec, v, "unit_p50.l3"),
            series(&rec, v, "unit_p85.l3"),
        );
        assert_eq!(p15.len(), 4, "probes at steps 1, 40, 80, 120");
        for i in 0..p15.len() {
            assert!(
                p15[i] <= p50[i] && p50[i] <= p85[i],
                "{v}: {p15:?} {p50:?} {p85:?}"
            );
            assert!(p15[i] < p85[i], "a unit's input has a spread");
        }
        for l in 1..=3 {
            assert_eq!(series(&rec, v, &format!("preact_p50.l{l}")).len(), 4);
        }
    }
    assert!(!series(&rec, Variant::Bn, "bn_gamma_mean.l1").is_empty());
    assert!(series(&rec, Variant::Plain, "bn_gamma_mean.l1").is_empty());
}

#[test]
fn high_lr_logs_one_result_per_learning_rate_and_marks_divergence() {
    let rec = run("high-lr", |c| {
        c.steps = Some(150);
        c.eval_every = 50;
        // A learning rate no plain ReLU net survives, to check how divergence is reported.
        c.sweep.as_mut().unwrap().values.push(80.0);
    });
    let values = rec.config.sweep.as_ref().unwrap().values.clone();
    assert_eq!(rec.jobs.len(), values.len() * 2);
    for (point, lr) in values.iter().enumerate() {
        let jobs: Vec<_> = rec.jobs.iter().filter(|j| j.id.point == point).collect();
        assert_eq!(jobs.len(), 2);
        assert!(jobs.iter().all(|j| j.point_value == Some(*lr)));
    }
    let plain_top = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Plain && j.point_value == Some(80.0))
        .unwrap();
    assert_eq!(plain_top.status, Status::Diverged);
    let row = summarize(plain_top);
    assert_eq!(row.status, "diverged");
    assert_eq!(row.test_acc, None, "a diverged point has no test accuracy");
}

#[test]
fn bad_init_uses_each_sigma_for_the_first_layer() {
    let rec = run("bad-init", |c| {
        c.steps = Some(10);
        c.probe_every = 10;
    });
    for j in &rec.jobs {
        let sigma = j.point_value.unwrap();
        let w = j.series(LayerMetric::WeightNorm.of(Layer::Hidden(1)))[0].2;
        let expected = sigma * (784.0f64 * 100.0).sqrt();
        // Measured after the first update, so allow a little movement.
        assert!(
            (w / expected - 1.0).abs() < 0.1,
            "sigma {sigma}: norm {w} vs {expected}"
        );
    }
}

#[test]
fn deep_logs_a_gradient_norm_for_every_layer() {
    let rec = run("deep", |c| {
        c.steps = Some(50);
        c.probe_every = 25;
    });
    for v in [Variant::Plain, Variant::Bn] {
        for l in 1..=10 {
            let g = series(&rec, v, &format!("grad_norm.l{l}"));
            assert_eq!(g.len(), 3, "{v} layer {l}");
            assert!(g.iter().all(|x| x.is_finite() && *x >= 0.0));
        }
        assert_eq!(series(&rec, v, "grad_norm.out").len(), 3);
    }
    // The vanishing-gradient picture: in the plain sigmoid net the first layer gets a far
    // smaller gradient than the last.
    let first = series(&rec, Variant::Plain, "grad_norm.l1")[0];
    let last = series(&rec, Variant::Plain, "grad_norm.l10")[0];
    assert!(first < last / 10.0, "plain: l1 {first} vs l10 {last}");
}

#[test]
fn generalization_trains_on_1000_images_and_tracks_train_and_val() {
    let rec = run("generalization", |c| c.epochs = 4.0);
    assert_eq!(rec.data_info.train, 1000);
    for v in [Variant::Plain, Variant::Bn] {
        assert!(!series(&rec, v, "train_acc").is_empty());
        assert!(series(&rec, v, "val_acc").len() >= 2);
    }
}

#[test]
fn smoothness_measures_the_landscape_for_both_nets() {
    let rec = run("smoothness", |c| {
        c.steps = Some(100);
        c.smooth_every = 50;
    });
    for v in [Variant::Plain, Variant::Bn] {
        for m in ["smooth_loss_range", "smooth_grad_change", "smooth_beta"] {
            let s = series(&rec, v, m);
            assert_eq!(s.len(), 2, "{v} {m}");
            assert!(s.iter().all(|x| *x >= 0.0), "{v} {m}: {s:?}");
        }
    }
}

#[test]
fn small_batch_runs_each_batch_size_for_the_same_epochs() {
    let rec = run("small-batch", |c| c.epochs = 0.05);
    let train = rec.data_info.train as u64;
    for j in &rec.jobs {
        let b = j.point_value.unwrap() as u64;
        let expected = (0.05 * (train / b) as f64).ceil() as u64;
        assert_eq!(j.total_steps, expected, "batch {b}");
        assert_eq!(j.status, Status::Finished);
    }
}

#[test]
fn placement_trains_bn_before_and_after() {
    let rec = run("placement", |c| c.steps = Some(60));
    let variants: Vec<Variant> = rec.jobs.iter().map(|j| j.id.variant).collect();
    assert_eq!(
        variants,
        vec![Variant::Plain, Variant::Bn, Variant::BnAfter]
    );
    let a = series(&rec, Variant::Bn, "val_acc");
    let b = series(&rec, Variant::BnAfter, "val_acc");
    assert_ne!(
        a, b,
        "BN before and after the activation are different networks"
    );
}
