//! Shared helpers of the UI tests: an app on mnist-5k, a run fed with trainer events, and
//! the text of a rendered frame.

#![allow(dead_code)]

use bnlab::metric::{Layer, LayerMetric, Metric};
use std::path::PathBuf;

use bnlab::app::{App, DataState};
use bnlab::data::DatasetName;
use bnlab::model::Variant;
use bnlab::presets;
use bnlab::runs::{DataInfo, RunRecord};
use bnlab::train::{Event, JobId, RunConfig, Status};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

pub fn app() -> App {
    App::new(
        DataState::new(vec![DatasetName::Mnist5k]),
        PathBuf::from("/nonexistent/bnlab-test-runs"),
    )
}

pub fn record(preset: &str) -> RunRecord {
    let mut c: RunConfig = presets::find(preset).unwrap().config(DatasetName::Mnist5k);
    // One seed per variant: the screens' tests feed each trainer's events by hand.
    c.seeds = 1;
    RunRecord::new(
        c,
        DataInfo {
            origin: "embedded".into(),
            train: 4000,
            val: 1000,
            test: 0,
        },
    )
}

/// Events as trainers send them: started, then `n` logged steps of made-up but plausible values.
pub fn events(id: JobId, n: u64, total: u64, quality: f64) -> Vec<Event> {
    let mut v = vec![Event::Started {
        id,
        total_steps: total,
        steps_per_epoch: 50,
        point_value: None,
    }];
    for k in 1..=n {
        let step = k * 10;
        let t = step as f64 / total as f64;
        let loss = 2.3 * (-(quality * 6.0) * t).exp() + 0.05;
        let mut values = vec![
            (Metric::TrainLoss, loss),
            (Metric::TrainAcc, 1.0 - loss / 2.5),
            (Metric::GradNorm, 0.5 + 0.1 * (k % 3) as f64),
        ];
        if k % 5 == 0 {
            values.push((Metric::ValLoss, loss * 1.1));
            values.push((Metric::ValAcc, (1.0 - loss / 2.4).min(0.99)));
            for l in 1..=3u16 {
                let l = Layer::Hidden(l);
                values.push((LayerMetric::PreactP15.of(l), -1.0 - t));
                values.push((LayerMetric::PreactP50.of(l), 0.0));
                values.push((LayerMetric::PreactP85.of(l), 1.0 + t));
                let Layer::Hidden(n) = l else { unreachable!() };
                values.push((LayerMetric::GradNorm.of(l), 0.1 * f64::from(n)));
            }
            values.push((LayerMetric::GradNorm.of(Layer::Out), 0.5));
        }
        v.push(Event::Metrics {
            id,
            step,
            epoch: step as f64 / 50.0,
            values,
        });
        v.push(Event::Progress {
            id,
            step,
            elapsed_s: step as f64 / 100.0,
            samples_per_sec: 6000.0,
        });
    }
    v
}

pub fn id(variant: Variant, point: usize) -> JobId {
    JobId {
        variant,
        seed: 1,
        point,
    }
}

/// An app showing a live ioffe2015 run in which both variants have made progress.
pub fn app_with_run() -> App {
    let mut app = app();
    app.run_started(record("ioffe2015"));
    for (v, q) in [(Variant::Plain, 0.5), (Variant::Bn, 1.0)] {
        for e in events(id(v, 0), 40, 1000, q) {
            app.on_event(&e);
        }
    }
    app
}

pub fn finish(app: &mut App) {
    for v in [Variant::Plain, Variant::Bn] {
        app.on_event(&Event::Finished {
            id: id(v, 0),
            status: Status::Finished,
            step: 1000,
            message: None,
            elapsed_s: 10.0,
            samples_per_sec: 6000.0,
        });
    }
}

pub fn render(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| bnlab::ui::draw(f, app)).unwrap();
    t.backend().buffer().clone()
}

pub fn text(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// Feeds one trainer: `Started`, then a log every 10 steps up to `steps` with `loss(step)`,
/// and a validation accuracy `val(step)` every 50 steps.
pub fn feed(
    app: &mut App,
    id: JobId,
    steps: u64,
    total: u64,
    loss: impl Fn(u64) -> f64,
    val: impl Fn(u64) -> f64,
) {
    app.on_event(&Event::Started {
        id,
        total_steps: total,
        steps_per_epoch: 50,
        point_value: None,
    });
    for step in (10..=steps).step_by(10) {
        let mut values = vec![
            (Metric::TrainLoss, loss(step)),
            (Metric::TrainAcc, val(step)),
        ];
        if step % 50 == 0 {
            values.push((Metric::ValLoss, loss(step)));
            values.push((Metric::ValAcc, val(step)));
        }
        app.on_event(&Event::Metrics {
            id,
            step,
            epoch: step as f64 / 50.0,
            values,
        });
        app.on_event(&Event::Progress {
            id,
            step,
            elapsed_s: step as f64 / 100.0,
            samples_per_sec: 6000.0,
        });
    }
}

pub fn seed_id(variant: Variant, seed: u64) -> JobId {
    JobId {
        variant,
        seed,
        point: 0,
    }
}

/// The labels of a chart's y-axis in a rendered line range, as numbers ("96.5%" → 96.5).
pub fn y_labels(t: &str, col0: usize, col1: usize) -> Vec<f64> {
    t.lines()
        .filter_map(|l| {
            let cells: String = l.chars().skip(col0).take(col1 - col0).collect();
            // A y label sits between the chart's border and its axis: "│97.2%│".
            let parts: Vec<&str> = cells.split('│').collect();
            if parts.len() < 3 || !parts[0].trim().is_empty() {
                return None;
            }
            parts[1].trim().trim_end_matches('%').parse().ok()
        })
        .collect()
}
