//! The report on crafted run folders whose answer is known.

use bnlab::metric::Metric;
use std::path::Path;

use crate::support::crafted;

use bnlab::model::Variant;
use bnlab::report::write_report;
use bnlab::runs::{self, MetricRow};
use bnlab::train::{JobId, RunConfig, Status, Sweep, SweepParam};

/// A smooth learning curve that approaches `top` with time constant `tau` steps.
fn acc(step: u64, tau: f64, top: f64) -> f64 {
    top - (top - 0.1) * (-(step as f64) / tau).exp()
}

fn loss(step: u64, tau: f64) -> f64 {
    0.05 + 2.25 * (-(step as f64) / tau).exp()
}

/// Rows of one trainer: training metrics every 10 steps, validation every 25, test at the end.
/// The training loss wiggles by a factor `1 ± wiggle`, as minibatch noise scales with the loss.
fn rows(tau: f64, top: f64, steps: u64, wiggle: f64) -> Vec<MetricRow> {
    let spe = 50.0;
    let mut out = Vec::new();
    let mut push = |step: u64, metric: &str, value: f64| {
        out.push(MetricRow {
            step,
            epoch: step as f64 / spe,
            metric: metric.parse().unwrap(),
            value,
        })
    };
    for step in 0..=steps {
        if step > 0 && step % 10 == 0 {
            let w = if (step / 10) % 2 == 0 {
                wiggle
            } else {
                -wiggle
            };
            push(step, "train_loss", loss(step, tau) * (1.0 + w));
            push(step, "train_acc", (acc(step, tau, top) + 0.01).min(1.0));
        }
        if step % 25 == 0 {
            push(step, "val_loss", loss(step, tau) + 0.02);
            push(step, "val_acc", acc(step, tau, top));
        }
    }
    push(steps, "test_loss", loss(steps, tau) + 0.03);
    push(steps, "test_acc", acc(steps, tau, top) - 0.002);
    out
}

struct Job {
    variant: Variant,
    seed: u64,
    point: usize,
    tau: f64,
    top: f64,
    status: Status,
}

fn job(variant: Variant, seed: u64, tau: f64) -> Job {
    Job {
        variant,
        seed,
        point: 0,
        tau,
        top: 0.98,
        status: Status::Finished,
    }
}

fn write_run(dir: &Path, config: RunConfig, jobs: &[Job]) {
    let mut rec = crafted::record(config);
    for j in jobs {
        let id = JobId {
            variant: j.variant,
            seed: j.seed,
            point: j.point,
        };
        let mut rows = rows(j.tau, j.top, 500, 0.1 * j.seed as f64);
        if j.status == Status::Diverged {
            rows.retain(|m| m.step <= 40);
            rows.push(MetricRow {
                step: 41,
                epoch: 0.82,
                metric: Metric::TrainLoss,
                value: f64::NAN,
            });
        }
        let r = crafted::end_job(&mut rec, id, rows, j.status);
        if j.status == Status::Diverged {
            r.message = Some("loss became NaN at step 41".into());
        }
    }
    crafted::save(&rec, dir);
}

fn config(seeds: usize) -> RunConfig {
    RunConfig {
        preset: "ioffe2015".into(),
        seeds,
        ..RunConfig::default()
    }
}

fn discussion(md: &str) -> &str {
    let start = md.find("## Discussion").expect("discussion section");
    let end = md.find("## How the numbers").unwrap_or(md.len());
    &md[start..end]
}

fn report(dir: &Path) -> String {
    let p = write_report(&[dir.to_path_buf()], None).unwrap();
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn names_the_faster_variant_with_one_seed() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(1),
        &[job(Variant::Plain, 1, 200.0), job(Variant::Bn, 1, 50.0)],
    );
    let md = report(t.path());
    let d = discussion(&md);
    assert!(d.contains("BN (before act.) converged faster"), "{d}");
    assert!(!d.contains("plain converged faster"), "{d}");
    assert!(d.contains("indicative"), "one seed must be flagged: {d}");
    assert!(d.contains("BN (before act.) helped"), "{d}");
}

#[test]
fn names_the_faster_variant_when_it_is_plain() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(3),
        &[
            job(Variant::Plain, 1, 50.0),
            job(Variant::Bn, 1, 200.0),
            job(Variant::Plain, 2, 55.0),
            job(Variant::Bn, 2, 190.0),
            job(Variant::Plain, 3, 45.0),
            job(Variant::Bn, 3, 210.0),
        ],
    );
    let md = report(t.path());
    let d = discussion(&md);
    assert!(d.contains("plain converged faster"), "{d}");
    assert!(d.contains("95% CI over 3 seeds excludes"), "{d}");
    assert!(d.contains("did not help"), "BN losing must be said: {d}");
}

#[test]
fn equal_curves_give_no_clear_difference() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(1),
        &[job(Variant::Plain, 1, 100.0), job(Variant::Bn, 1, 100.0)],
    );
    let md = report(t.path());
    let d = discussion(&md);
    assert!(d.contains("No clear difference"), "{d}");
    assert!(!d.contains("converged faster"), "{d}");
    assert!(!d.contains("helped"), "{d}");
}

#[test]
fn summary_csv_aggregates_and_still_loads() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(2),
        &[
            job(Variant::Plain, 1, 200.0),
            job(Variant::Bn, 1, 50.0),
            job(Variant::Plain, 2, 210.0),
            job(Variant::Bn, 2, 55.0),
        ],
    );
    let csv = std::fs::read_to_string(t.path().join("summary.csv")).unwrap();
    for tag in [
        ",mean,",
        ",std,",
        ",diff_mean,",
        ",diff_ci95_low,",
        ",diff_ci95_high,",
    ] {
        assert!(csv.contains(tag), "{tag} missing:\n{csv}");
    }
    assert!(csv.contains("bn - plain,diff_mean"), "{csv}");
    let rec = runs::load(t.path()).unwrap();
    assert_eq!(rec.jobs.len(), 4, "aggregate rows must not become jobs");
}

#[test]
fn one_seed_summary_says_ci_not_available() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(1),
        &[job(Variant::Plain, 1, 200.0), job(Variant::Bn, 1, 50.0)],
    );
    let csv = std::fs::read_to_string(t.path().join("summary.csv")).unwrap();
    assert!(csv.contains("95% CI not available"), "{csv}");
    assert!(!csv.contains("diff_ci95_low"), "{csv}");
}

#[test]
fn sweep_reports_diverged_points_and_where_bn_loses() {
    let t = tempfile::tempdir().unwrap();
    let cfg = RunConfig {
        preset: "small-batch".into(),
        sweep: Some(Sweep {
            param: SweepParam::BatchSize,
            values: vec![2.0, 60.0],
        }),
        ..RunConfig::default()
    };
    let mut jobs = vec![
        // batch 2: BN ends far lower than plain
        Job {
            top: 0.80,
            ..job(Variant::Bn, 1, 100.0)
        },
        job(Variant::Plain, 1, 100.0),
        job(Variant::Plain, 1, 100.0),
        Job {
            status: Status::Diverged,
            ..job(Variant::Bn, 1, 100.0)
        },
    ];
    jobs[2].point = 1;
    jobs[3].point = 1;
    write_run(t.path(), cfg, &jobs);
    let md = report(t.path());
    assert!(md.contains("| 60 | finished"), "{md}");
    assert!(md.contains("| diverged | diverged |"), "{md}");
    let d = discussion(&md);
    assert!(d.contains("At batch size = 2 BN (before act.) lost"), "{d}");
    assert!(
        d.contains("At batch size = 60 BN (before act.) diverged"),
        "{d}"
    );
    assert!(
        d.contains("BN (before act.) lost at batch size = 2, 60"),
        "{d}"
    );
    let svgs = std::fs::read_dir(t.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    assert!(svgs >= 2);
}

#[test]
fn missing_metrics_csv_is_named() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(1),
        &[job(Variant::Plain, 1, 100.0), job(Variant::Bn, 1, 100.0)],
    );
    std::fs::remove_file(t.path().join("metrics.csv")).unwrap();
    let e = format!(
        "{:#}",
        write_report(&[t.path().to_path_buf()], None).unwrap_err()
    );
    assert!(e.contains("metrics.csv"), "{e}");
}

#[test]
fn malformed_metrics_csv_names_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    write_run(
        t.path(),
        config(1),
        &[job(Variant::Plain, 1, 100.0), job(Variant::Bn, 1, 100.0)],
    );
    let p = t.path().join("metrics.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "bn,1,twelve,0.1,val_acc,0.5,0";
    std::fs::write(&p, lines.join("\n")).unwrap();
    let e = format!(
        "{:#}",
        write_report(&[t.path().to_path_buf()], None).unwrap_err()
    );
    assert!(e.contains("metrics.csv:4"), "{e}");
    assert!(e.contains("step"), "{e}");

    std::fs::write(&p, "variant,seed,step,epoch,metric,value,point\n").unwrap();
    let e = format!(
        "{:#}",
        write_report(&[t.path().to_path_buf()], None).unwrap_err()
    );
    assert!(
        e.contains("metrics.csv") && e.contains("no measurements"),
        "{e}"
    );
}

#[test]
fn a_seed_that_never_reached_the_threshold_is_counted_conservatively() {
    let t = tempfile::tempdir().unwrap();
    let plain_never = Job {
        top: 0.89,
        ..job(Variant::Plain, 3, 200.0)
    };
    write_run(
        t.path(),
        config(3),
        &[
            job(Variant::Plain, 1, 200.0),
            job(Variant::Bn, 1, 50.0),
            job(Variant::Plain, 2, 200.0),
            job(Variant::Bn, 2, 50.0),
            plain_never,
            job(Variant::Bn, 3, 50.0),
        ],
    );
    let md = report(t.path());
    let d = discussion(&md);
    assert!(
        d.contains("plain in 2 of 3") && d.contains("BN (before act.) was clearly faster to 90%"),
        "{d}"
    );
}
