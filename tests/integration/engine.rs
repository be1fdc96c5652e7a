//! End-to-end checks of the engine: the maths of BN, the fairness of the pairing,
//! reproducibility and the run folders.

use bnlab::metric::Metric;
use std::path::Path;
use std::sync::Arc;

use bnlab::data::{self, DatasetName, SplitConfig};
use bnlab::model::{self, Activation, Init, NetSpec, Variant};
use bnlab::runs;
use bnlab::train::worker::epoch_order;
use bnlab::train::{RunConfig, Session, Status};
use dfdx::prelude::*;

fn quick_config(steps: u64) -> RunConfig {
    let mut c = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.steps = Some(steps);
    c.eval_every = 50;
    c.seeds = 1;
    c
}

fn prepared(c: &RunConfig) -> bnlab::data::Prepared {
    c.prepare_data(None).unwrap()
}

#[test]
fn both_variants_start_from_identical_shared_weights() {
    let dev = Cpu::default();
    let spec = |variant| NetSpec {
        variant,
        depth: model::SHALLOW_DEPTH,
        activation: Activation::Sigmoid,
        init: Init::Gaussian { sigma: 0.1 },
        seed: 42,
        settings: Default::default(),
    };
    let plain = model::build(&dev, &spec(Variant::Plain));
    let bn = model::build(&dev, &spec(Variant::Bn));
    let after = model::build(&dev, &spec(Variant::BnAfter));
    assert_eq!(
        plain.first.lin.weight.as_vec(),
        bn.first.lin.weight.as_vec()
    );
    assert_eq!(
        plain.first.lin.weight.as_vec(),
        after.first.lin.weight.as_vec()
    );
    for (p, b) in plain.hidden.iter().zip(&bn.hidden) {
        assert_eq!(p.lin.weight.as_vec(), b.lin.weight.as_vec());
        assert_eq!(p.lin.bias.as_vec(), b.lin.bias.as_vec());
    }
    assert_eq!(plain.head.weight.as_vec(), bn.head.weight.as_vec());
    // Every variant's linear layers are the plain net's.
    for v in Variant::ALL {
        let n = model::build(&dev, &spec(v));
        let lin = |n: &model::Net| -> Vec<Vec<f32>> {
            let mut w = vec![n.first.lin.weight.as_vec(), n.first.lin.bias.as_vec()];
            for b in &n.hidden {
                w.extend([b.lin.weight.as_vec(), b.lin.bias.as_vec()]);
            }
            w.extend([n.head.weight.as_vec(), n.head.bias.as_vec()]);
            w
        };
        assert_eq!(lin(&n), lin(&plain), "{v} shares plain's linear layers");
    }
    // A different seed gives different weights, and layers differ from each other.
    let other = model::build(
        &dev,
        &NetSpec {
            seed: 43,
            ..spec(Variant::Plain)
        },
    );
    assert_ne!(
        plain.first.lin.weight.as_vec(),
        other.first.lin.weight.as_vec()
    );
    assert_ne!(
        plain.hidden[0].lin.weight.as_vec(),
        plain.hidden[1].lin.weight.as_vec()
    );
    let w = plain.first.lin.weight.as_vec();
    let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!((std - 0.1).abs() < 0.005, "init std {std}");
}

#[test]
fn batch_order_depends_only_on_seed_and_epoch() {
    let a = epoch_order(7, 0, 3000);
    assert_eq!(a, epoch_order(7, 0, 3000));
    assert_ne!(a, epoch_order(7, 1, 3000));
    assert_ne!(a, epoch_order(8, 0, 3000));
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..3000).collect::<Vec<u32>>());
    // Paired jobs of one seed differ only in the variant.
    let jobs = quick_config(10).jobs();
    assert_eq!(jobs[0].id.seed, jobs[1].id.seed);
    assert_eq!(jobs[0].batch_size, jobs[1].batch_size);
    assert_ne!(jobs[0].id.variant, jobs[1].id.variant);
}

fn run_to_dir(c: RunConfig, out: &Path) -> (runs::RunRecord, std::path::PathBuf) {
    let data = prepared(&c);
    bnlab::headless::run(c, data, out, true).unwrap()
}

#[test]
fn same_seed_gives_byte_identical_metrics_and_bn_learns() {
    let tmp = tempfile::tempdir().unwrap();
    let (rec, a) = run_to_dir(quick_config(300), tmp.path());
    let (_, b) = run_to_dir(quick_config(300), tmp.path());
    assert_ne!(a, b, "an existing run is never overwritten");
    let ma = std::fs::read(a.join("metrics.csv")).unwrap();
    let mb = std::fs::read(b.join("metrics.csv")).unwrap();
    assert!(ma.len() > 1000);
    assert!(
        ma == mb,
        "metrics.csv differs between two runs with the same seed"
    );
    let mut other = quick_config(300);
    other.seed = 2;
    let (_, c) = run_to_dir(other, tmp.path());
    assert_ne!(ma, std::fs::read(c.join("metrics.csv")).unwrap());

    let bn = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Bn)
        .unwrap();
    assert_eq!(bn.status, Status::Finished);
    let acc = bn.last(Metric::ValAcc).unwrap();
    assert!(acc > 0.8, "BN validation accuracy after 300 steps: {acc}");
    assert!(bn.last(Metric::TestAcc).unwrap() > 0.8);
}

#[test]
fn run_folder_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let (rec, dir) = run_to_dir(quick_config(60), tmp.path());
    for f in ["config.json", "metrics.csv", "summary.csv", "timing.csv"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let header = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert!(header.starts_with("variant,seed,step,epoch,metric,value"));
    let back = runs::load(&dir).unwrap();
    assert_eq!(back.config, rec.config);
    assert_eq!(back.jobs.len(), rec.jobs.len());
    for (a, b) in rec.jobs.iter().zip(&back.jobs) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.status, b.status);
        assert_eq!(a.rows, b.rows);
        // Timing lives only in timing.csv: the loaded values are that file's, bit for bit.
        assert!(a.elapsed_s > 0.0 && a.samples_per_sec > 0.0);
        assert_eq!(a.elapsed_s.to_bits(), b.elapsed_s.to_bits());
        assert_eq!(a.samples_per_sec.to_bits(), b.samples_per_sec.to_bits());
    }
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(summary.lines().next().unwrap().contains("status"));
    assert_eq!(
        summary.lines().filter(|l| l.contains(",finished,")).count(),
        2
    );
}

#[test]
fn a_diverging_variant_is_marked_and_the_other_finishes() {
    let mut c = quick_config(200);
    c.activation = Activation::Relu;
    c.init = Init::Gaussian { sigma: 1.0 };
    // Plain ReLU with unit-variance weights blows up within a few steps at this rate; BN
    // trains. (At 50 BN's running variance overflows too, which is divergence as well.)
    c.lr = 2.0;
    let data = Arc::new(prepared(&c));
    let mut rec = runs::RunRecord::new(c.clone(), bnlab::runs::DataInfo::of(&data));
    let s = Session::start(c, data);
    for ev in s.events.iter() {
        rec.apply(&ev);
    }
    let plain = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Plain)
        .unwrap();
    let bn = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Bn)
        .unwrap();
    assert_eq!(plain.status, Status::Diverged, "{:?}", plain.message);
    assert!(plain.message.is_some());
    assert_eq!(bn.status, Status::Finished, "{:?}", bn.message);
    assert_eq!(bn.step, 200);
}

#[test]
fn stopping_interrupts_and_keeps_what_was_measured() {
    let c = quick_config(1_000_000);
    let data = Arc::new(prepared(&c));
    let mut rec = runs::RunRecord::new(c.clone(), bnlab::runs::DataInfo::of(&data));
    let s = Session::start(c, data);
    while rec.jobs.iter().all(|j| j.step < 100) {
        rec.apply(&s.events.recv().unwrap());
    }
    s.control.stop();
    for ev in s.events.iter() {
        rec.apply(&ev);
    }
    for j in &rec.jobs {
        assert_eq!(j.status, Status::Interrupted);
        assert!(!j.series(Metric::TrainLoss).is_empty());
    }
}

#[test]
fn full_mnist_loads_when_present() {
    let Some(dir) = crate::support::prereq::shared_mnist() else {
        return;
    };
    let raw = data::load(DatasetName::Mnist, Some(&dir)).unwrap();
    let p = data::prepare(&raw, &SplitConfig::new(1));
    assert_eq!(
        (p.train.len(), p.val.len(), p.test.len()),
        (55000, 5000, 10000)
    );
    // Stratified: each class's share of the validation set is its share of the source's
    // training images, rounded down or up, and the rest stays in training.
    let mut source = [0usize; 10];
    for &l in &raw.train.labels {
        source[l as usize] += 1;
    }
    let (val, train) = (p.val.class_counts(), p.train.class_counts());
    for c in 0..10 {
        let exact = source[c] as f64 * 5000.0 / 60000.0;
        assert!(
            (val[c] as f64 - exact).abs() < 1.0,
            "class {c}: {} validation images, proportional share {exact:.2}",
            val[c]
        );
        assert_eq!(val[c] + train[c], source[c], "class {c}");
    }
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_panicking_trainer_is_reported_failed_and_the_other_finishes() {
    let mut c = quick_config(100);
    c.inject_panic = Some((Variant::Bn, 30));
    let data = prepared(&c);
    let tmp = tempfile::tempdir().unwrap();
    let (rec, dir) = bnlab::headless::run(c, data, tmp.path(), true).unwrap();
    let bn = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Bn)
        .unwrap();
    let plain = rec
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Plain)
        .unwrap();
    assert_eq!(bn.status, Status::Failed);
    assert!(bn
        .message
        .as_deref()
        .unwrap()
        .contains("injected fault at step 30"));
    assert_eq!(plain.status, Status::Finished);
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("bn,") && l.contains(",failed,")),
        "{summary}"
    );
}

#[test]
fn an_unwritable_output_folder_does_not_lose_the_run() {
    let c = quick_config(20);
    let data = prepared(&c);
    let tmp = tempfile::tempdir().unwrap();
    // A file where the output folder should be: nothing can be created under it.
    let blocked = tmp.path().join("not-a-dir");
    std::fs::write(&blocked, b"x").unwrap();
    let (_, dir) = bnlab::headless::run(c, data, &blocked, true).unwrap();
    assert!(dir.join("metrics.csv").is_file());
    assert!(!dir.starts_with(&blocked));
    std::fs::remove_dir_all(dir).unwrap();
}
