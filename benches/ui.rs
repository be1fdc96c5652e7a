//! Frame render time with 50,000 points per series and 3 seeds per variant at 120×40 (the
//! mean, the min-max band and each seed are drawn). A measurement, not a check: run with
//! `cargo bench --bench ui`.

#[path = "../tests/integration/ui_common/mod.rs"]
mod ui_common;

use bnlab::metric::Metric;
use std::time::Instant;

use bnlab::app::View;
use bnlab::model::Variant;
use bnlab::train::Event;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_common::*;

/// Nanoseconds this thread has run on a CPU (Linux), so a busy machine does not inflate
/// the figure; 0 elsewhere.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

const SEEDS: u64 = 3;

fn frame_time_with_50k_points_per_series() {
    let mut app = app();
    let mut rec = record("ioffe2015");
    rec.config.seeds = SEEDS as usize;
    app.run_started(rec);
    let n = 50_000u64;
    let jobs: Vec<_> = [Variant::Plain, Variant::Bn]
        .into_iter()
        .flat_map(|v| (1..=SEEDS).map(move |seed| seed_id(v, seed)))
        .collect();
    for &id in &jobs {
        app.on_event(&Event::Started {
            id,
            total_steps: n * 10,
            steps_per_epoch: 1000,
            point_value: None,
        });
        for k in 1..=n {
            let x = k as f64 / n as f64;
            let noise = ((k * 7919) % 101) as f64 / 1000.0;
            app.on_event(&Event::Metrics {
                id,
                step: k * 10,
                epoch: k as f64 / 100.0,
                values: vec![
                    (Metric::TrainLoss, 2.3 * (-5.0 * x).exp() + noise),
                    (Metric::TrainAcc, 1.0 - (-5.0 * x).exp() - noise),
                    (Metric::GradNorm, 0.5 + noise),
                    (Metric::ValLoss, 2.3 * (-5.0 * x).exp() + 0.1),
                    (Metric::ValAcc, 1.0 - (-5.0 * x).exp()),
                ],
            });
            if k % 10 == 0 {
                app.on_event(&Event::Progress {
                    id,
                    step: k * 10,
                    elapsed_s: k as f64 / 1000.0,
                    samples_per_sec: 6000.0,
                });
            }
        }
    }
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // While training, each frame sees a few new points.
    let mut step = n * 10;
    for frames in [30u64] {
        let (t0, c0) = (Instant::now(), cpu_ns());
        for _ in 0..frames {
            step += 10;
            for &id in &jobs {
                app.on_event(&Event::Metrics {
                    id,
                    step,
                    epoch: step as f64 / 1000.0,
                    values: vec![
                        (Metric::TrainLoss, 0.1),
                        (Metric::TrainAcc, 0.9),
                        (Metric::GradNorm, 0.5),
                        (Metric::ValLoss, 0.1),
                        (Metric::ValAcc, 0.9),
                    ],
                });
            }
            t.draw(|f| bnlab::ui::draw(f, &app)).unwrap();
        }
        let ms = t0.elapsed().as_secs_f64() * 1e3 / frames as f64;
        let cpu = (cpu_ns() - c0) as f64 / 1e6 / frames as f64;
        println!("Curves live (new points every frame): {ms:.2} ms wall, {cpu:.2} ms on-CPU per frame at 120x40, {n}+ points per series, {SEEDS} seeds per variant");
    }
    for view in [View::Curves, View::Signals] {
        app.view = view;
        for raw in [false, true] {
            app.chart.raw = raw;
            for _ in 0..3 {
                t.draw(|f| bnlab::ui::draw(f, &app)).unwrap();
            }
            let frames = 30;
            let (t0, c0) = (Instant::now(), cpu_ns());
            for _ in 0..frames {
                t.draw(|f| bnlab::ui::draw(f, &app)).unwrap();
            }
            let ms = t0.elapsed().as_secs_f64() * 1e3 / frames as f64;
            let cpu = (cpu_ns() - c0) as f64 / 1e6 / frames as f64;
            println!(
                "{view:?} raw={raw}: {ms:.2} ms wall, {cpu:.2} ms on-CPU per frame at 120x40, {n} points per series, 2 variants x {SEEDS} seeds"
            );
        }
    }
}

fn chart_build_time_with_50k_points() {
    use bnlab::ui::charts::{build, Series};
    let mut app = app();
    app.run_started(record("ioffe2015"));
    let n = 50_000u64;
    for v in [Variant::Plain, Variant::Bn] {
        let id = id(v, 0);
        for k in 1..=n {
            app.on_event(&Event::Metrics {
                id,
                step: k * 10,
                epoch: k as f64 / 100.0,
                values: vec![(Metric::TrainLoss, 1.0 / k as f64), (Metric::ValAcc, 0.5)],
            });
        }
    }
    let run = app.run.as_ref().unwrap();
    let t0 = Instant::now();
    for _ in 0..30 {
        let d = build(
            run,
            &[Series {
                pick: bnlab::app::Pick::Metric(Metric::TrainLoss),
                main: true,
                smooth: true,
            }],
            &app.chart,
            false,
            60,
        );
        assert!(!d.lines.is_empty());
    }
    println!(
        "build train_loss: {:.2} ms",
        t0.elapsed().as_secs_f64() * 1e3 / 30.0
    );
    let t0 = Instant::now();
    for _ in 0..30 {
        let g = run.group(Variant::Bn);
        let _ = run.stats(&g);
    }
    println!("stats: {:.2} ms", t0.elapsed().as_secs_f64() * 1e3 / 30.0);
}

fn main() {
    frame_time_with_50k_points_per_series();
    chart_build_time_with_50k_points();
}
