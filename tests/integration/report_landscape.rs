//! The "Loss landscape" paragraph and `landscape.svg` on crafted run folders whose answer is
//! known: learning curves as in report_discussion.rs plus `smooth_*` probes every 50 steps.

use std::path::Path;

use crate::support::crafted;

use bnlab::analysis;
use bnlab::metric::Metric;
use bnlab::model::Variant;
use bnlab::report::write_report;
use bnlab::runs::{self, MetricRow};
use bnlab::train::{JobId, RunConfig, Status};

/// One trainer: its final accuracy and a factor on each of the three landscape probes.
struct Job {
    variant: Variant,
    seed: u64,
    /// Final validation accuracy; 0.1 is a net stuck at chance.
    top: f64,
    /// Multiplies `smooth_loss_range`, `smooth_grad_change`, `smooth_beta`.
    scale: [f64; 3],
}

fn job(variant: Variant, seed: u64, scale: f64) -> Job {
    Job {
        variant,
        seed,
        top: 0.98,
        scale: [scale; 3],
    }
}

fn rows(j: &Job, steps: u64) -> Vec<MetricRow> {
    let tau = 100.0;
    let acc = |s: u64| j.top - (j.top - 0.1) * (-(s as f64) / tau).exp();
    let loss = |s: u64| 0.05 + 2.25 * (-(s as f64) / tau).exp();
    let mut out = Vec::new();
    let mut push = |step: u64, metric: &str, value: f64| {
        out.push(MetricRow {
            step,
            epoch: step as f64 / 50.0,
            metric: metric.parse().unwrap(),
            value,
        })
    };
    for step in 0..=steps {
        if step > 0 && step % 10 == 0 {
            push(step, "train_loss", loss(step));
            push(step, "train_acc", (acc(step) + 0.01).min(1.0));
        }
        if step % 25 == 0 {
            push(step, "val_loss", loss(step) + 0.02);
            push(step, "val_acc", acc(step));
        }
        if step > 0 && step % 50 == 0 {
            // Probes shrink over training and wobble from probe to probe and seed to seed,
            // the same way for every variant, so only `scale` tells the variants apart.
            let base = (-(step as f64) / 300.0).exp()
                * (1.0 + 0.2 * ((step / 50) % 3) as f64)
                * (1.0 + 0.05 * j.seed as f64);
            push(step, "smooth_loss_range", 0.5 * base * j.scale[0]);
            push(step, "smooth_grad_change", 3.0 * base * j.scale[1]);
            push(step, "smooth_beta", 6.0 * base * j.scale[2]);
        }
    }
    push(steps, "test_loss", loss(steps) + 0.03);
    push(steps, "test_acc", acc(steps) - 0.002);
    out
}

fn write_run(dir: &Path, seeds: usize, jobs: &[Job]) {
    let config = RunConfig {
        preset: "smoothness".into(),
        seeds,
        smooth_every: 50,
        ..RunConfig::default()
    };
    let mut rec = crafted::record(config);
    for j in jobs {
        let id = JobId {
            variant: j.variant,
            seed: j.seed,
            point: 0,
        };
        crafted::end_job(&mut rec, id, rows(j, 500), Status::Finished);
    }
    crafted::save(&rec, dir);
}

/// The "Loss landscape" paragraph and the verdict line of the report in `dir`.
fn report(dir: &Path) -> (String, String) {
    let p = write_report(&[dir.to_path_buf()], None).unwrap();
    let md = std::fs::read_to_string(p).unwrap();
    let start = md.find("**Loss landscape.**").expect("landscape paragraph");
    let para = md[start..].lines().next().unwrap().to_string();
    let verdict = md[md.find("**Verdict.**").expect("verdict")..]
        .lines()
        .next()
        .unwrap()
        .to_string();
    (para, verdict)
}

/// Seed s gets the factor `f[s - 1]`.
fn pairs(bn: &[f64]) -> Vec<Job> {
    bn.iter()
        .enumerate()
        .flat_map(|(i, &f)| {
            let s = i as u64 + 1;
            [job(Variant::Plain, s, 1.0), job(Variant::Bn, s, f)]
        })
        .collect()
}

#[test]
fn names_bn_as_smoother_when_its_probes_are_clearly_smaller() {
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 3, &pairs(&[0.1, 0.12, 0.09]));
    let (p, verdict) = report(t.path());
    assert!(
        p.contains("BN (before act.) had the smoother landscape"),
        "{p}"
    );
    assert!(
        p.contains("clearly smaller loss range, gradient change and β"),
        "{p}"
    );
    // the factor is the inverse of the geometric-mean ratio, about 1 / 0.103
    assert!(p.contains("BN (before act.)'s was 9.7"), "{p}");
    assert!(!p.contains("plateau"), "both nets learned: {p}");
    // the curves are otherwise identical, so smoothness is the only clear aspect
    assert!(
        verdict
            .contains("clearly better on loss-landscape smoothness, and clearly worse on nothing"),
        "{verdict}"
    );
    assert!(t.path().join("landscape.svg").exists());
    let svg = std::fs::read_to_string(t.path().join("landscape.svg")).unwrap();
    assert!(svg.contains("gradient predictiveness"));
}

#[test]
fn equal_probes_give_no_clear_difference() {
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 3, &pairs(&[1.0, 1.0, 1.0]));
    let (p, verdict) = report(t.path());
    assert!(
        p.contains("no clear difference between the landscapes"),
        "{p}"
    );
    assert!(!p.contains("had the smoother landscape"), "{p}");
    assert!(!verdict.contains("loss-landscape"), "{verdict}");
    // seed noise in both directions is not a difference either
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 3, &pairs(&[0.8, 1.25, 0.95]));
    let (p, verdict) = report(t.path());
    assert!(
        p.contains("no clear difference between the landscapes"),
        "{p}"
    );
    assert!(!verdict.contains("loss-landscape"), "{verdict}");
}

#[test]
fn one_seed_uses_the_ratio_rule() {
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 1, &pairs(&[0.5]));
    let (p, verdict) = report(t.path());
    assert!(p.contains("by the one-seed rule"), "{p}");
    assert!(
        p.contains("BN (before act.) had the smoother landscape (indicative"),
        "{p}"
    );
    // One seed leans; it is never clear, so the verdict claims nothing.
    assert!(!verdict.contains("loss-landscape smoothness"), "{verdict}");
    assert!(verdict.contains("indicative only"), "{verdict}");
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 1, &pairs(&[0.9]));
    let (p, _) = report(t.path());
    assert!(
        p.contains("no clear difference between the landscapes"),
        "{p}"
    );
}

#[test]
fn a_net_at_chance_is_flat_not_smooth() {
    let t = tempfile::tempdir().unwrap();
    let mut jobs = pairs(&[5.0, 6.0, 5.5]);
    for j in jobs.iter_mut().filter(|j| j.variant == Variant::Plain) {
        j.top = 0.1;
    }
    write_run(t.path(), 3, &jobs);
    let (p, verdict) = report(t.path());
    assert!(p.contains("plain had the smoother landscape"), "{p}");
    assert!(p.contains("near chance for plain seed 1"), "{p}");
    assert!(p.contains("left out of the verdict"), "{p}");
    assert!(!verdict.contains("loss-landscape"), "{verdict}");
}

#[test]
fn smaller_steps_without_smaller_beta_are_flagged() {
    let t = tempfile::tempdir().unwrap();
    let mut jobs = pairs(&[0.2, 0.25, 0.22]);
    for j in jobs.iter_mut().filter(|j| j.variant == Variant::Bn) {
        j.scale[2] = 1.0;
    }
    write_run(t.path(), 3, &jobs);
    let (p, _) = report(t.path());
    assert!(
        p.contains("clearly smaller loss range and gradient change"),
        "{p}"
    );
    assert!(p.contains("shorter steps"), "{p}");
}

#[test]
fn runs_without_probes_have_no_landscape_section() {
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 1, &pairs(&[1.0]));
    // drop the probes: an ordinary run
    let mut rec = runs::load(t.path()).unwrap();
    for j in &mut rec.jobs {
        j.rows.retain(|r| {
            ![
                Metric::SmoothLossRange,
                Metric::SmoothGradChange,
                Metric::SmoothBeta,
            ]
            .contains(&r.metric)
        });
    }
    analysis::save(&rec, t.path()).unwrap();
    let p = write_report(&[t.path().to_path_buf()], None).unwrap();
    let md = std::fs::read_to_string(p).unwrap();
    assert!(!md.contains("**Loss landscape.**"));
    assert!(!md.contains("along −g (mean"));
    assert!(!t.path().join("landscape.svg").exists());
}

#[test]
fn blow_ups_of_the_smoother_net_keep_it_out_of_the_verdict() {
    let t = tempfile::tempdir().unwrap();
    write_run(t.path(), 3, &pairs(&[0.1, 0.12, 0.09]));
    // two trial steps of BN seed 1 made the loss non-finite
    let mut rec = runs::load(t.path()).unwrap();
    let bn = rec
        .jobs
        .iter_mut()
        .find(|j| j.id.variant == Variant::Bn && j.id.seed == 1)
        .unwrap();
    for r in bn
        .rows
        .iter_mut()
        .filter(|r| r.metric == Metric::SmoothLossRange && (r.step == 100 || r.step == 400))
    {
        r.value = f64::INFINITY;
    }
    analysis::save(&rec, t.path()).unwrap();
    let (p, verdict) = report(t.path());
    assert!(
        p.contains("non-finite loss in 2 probes of BN (before act.) and 0 of plain"),
        "{p}"
    );
    assert!(p.contains("blew up more often"), "{p}");
    assert!(!verdict.contains("loss-landscape"), "{verdict}");
}
