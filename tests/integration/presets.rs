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
    // One seed: these tests check what each preset runs, not the seed statistics.
    c.seeds = 1;
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
}

#[test]
fn deep_init_gains_make_plain_gradients_vanish_and_explode_but_not_bn() {
    let rec = run("deep", |c| {
        c.steps = Some(2);
        c.probe_every = 1;
    });
    let g = |v: Variant, gain: f64| {
        let j = rec
            .jobs
            .iter()
            .find(|j| j.id.variant == v && j.point_value == Some(gain))
            .unwrap();
        bnlab::analysis::probes::init_relative_grad(j).unwrap()
    };
    // He's init times 0.5 shrinks every layer's signal by half, times 2 doubles it: over
    // ten ReLU layers the plain net's relative gradient moves by 2^9 either way; BN's
    // normalization undoes the scale, leaving the 4x that weight scale gives a BN layer.
    let (lo, mid, hi) = (
        g(Variant::Plain, 0.5),
        g(Variant::Plain, 1.0),
        g(Variant::Plain, 2.0),
    );
    assert!(lo < mid / 50.0 && hi > mid * 50.0, "plain {lo} {mid} {hi}");
    let (lo, mid, hi) = (
        g(Variant::Bn, 0.5),
        g(Variant::Bn, 1.0),
        g(Variant::Bn, 2.0),
    );
    assert!(lo < mid * 10.0 && lo > mid / 10.0, "bn {lo} {mid}");
    assert!(hi < mid * 10.0 && hi > mid / 10.0, "bn {hi} {mid}");
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
fn small_batch_runs_each_batch_size_for_the_same_steps_at_a_scaled_rate() {
    let rec = run("small-batch", |c| c.steps = Some(40));
    for j in &rec.jobs {
        let b = j.point_value.unwrap() as u64;
        assert_eq!(j.total_steps, 40, "batch {b}");
        assert_eq!(j.status, Status::Finished);
    }
    // The square-root rule: batch 2 gets the batch-60 rate times sqrt(2/60).
    let jobs = rec.config.jobs();
    let lr = |b: usize| jobs.iter().find(|j| j.batch_size == b).unwrap().lr;
    assert!((lr(2) / lr(60) - (2.0f64 / 60.0).sqrt()).abs() < 1e-12);
    assert!((lr(60) - rec.config.lr).abs() < 1e-12);
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
