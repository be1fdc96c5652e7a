//! The record's folding of events, its lookups and its thinning, at the level of values.

use super::*;
use crate::metric::{Layer, LayerMetric};
use crate::model::Variant;

fn id(seed: u64) -> JobId {
    JobId {
        variant: Variant::Bn,
        seed,
        point: 0,
    }
}

fn rows(metric: Metric, steps: std::ops::Range<u64>) -> impl Iterator<Item = MetricRow> {
    steps.map(move |step| MetricRow {
        step,
        epoch: 0.0,
        metric,
        value: step as f64,
    })
}

#[test]
fn thinning_starts_at_the_limit_and_keeps_even_points_and_the_latest() {
    let mut j = JobRecord::new(id(1), None);
    let keep = SERIES_KEEP as u64;
    j.push_rows(rows(Metric::TrainLoss, 0..keep - 1));
    // A layer metric with its own, smaller limit, not reached.
    let probe = LayerMetric::GradNorm.of(Layer::Hidden(1));
    j.push_rows(rows(probe, 0..LAYER_KEEP as u64 - 1));
    assert_eq!(j.thinned(), 0);
    assert_eq!(j.rows.len(), SERIES_KEEP - 1 + LAYER_KEEP - 1);
    j.push_rows(rows(Metric::TrainLoss, keep - 1..keep));
    assert_eq!(j.thinned(), 1);
    let loss: Vec<u64> = j.series(Metric::TrainLoss).iter().map(|p| p.0).collect();
    assert_eq!(loss.len(), SERIES_KEEP / 2 + 1);
    assert!(loss[..SERIES_KEEP / 2]
        .iter()
        .enumerate()
        .all(|(i, &s)| s == 2 * i as u64));
    assert_eq!(*loss.last().unwrap(), keep - 1);
    // The probe was under its limit: untouched.
    assert_eq!(j.series(probe).len(), LAYER_KEEP - 1);
    // The count after thinning is what was kept, so the next pass comes when the metric
    // holds `SERIES_KEEP` points again.
    let more = (SERIES_KEEP / 2 - 1) as u64;
    j.push_rows(rows(Metric::TrainLoss, keep..keep + more - 1));
    assert_eq!(j.thinned(), 1);
    j.push_rows(rows(Metric::TrainLoss, keep + more - 1..keep + more));
    assert_eq!(j.thinned(), 2);
    // The probe reaches its own limit with one more point.
    j.push_rows(rows(probe, 5000..5001));
    assert_eq!(j.thinned(), 3);
    assert_eq!(j.series(probe).len(), LAYER_KEEP / 2 + 1);
    assert_eq!(j.last(probe), Some(5000.0));
    assert_eq!(j.last(Metric::ValAcc), None);
    // Bookkeeping takes no part in equality.
    let mut k = j.clone();
    k.tally = Tally::default();
    assert_eq!(j, k);
}

#[test]
fn progress_is_a_fraction_capped_at_one() {
    let mut j = JobRecord::new(id(1), None);
    assert_eq!(j.progress(), 0.0);
    j.total_steps = 200;
    j.step = 50;
    assert_eq!(j.progress(), 0.25);
    j.step = 300;
    assert_eq!(j.progress(), 1.0);
}

#[test]
fn events_fold_into_the_trainers_record() {
    let mut r = RunRecord::new(RunConfig::default(), DataInfo::default());
    let a = r.jobs[0].id;
    let stranger = id(99);
    r.apply(&Event::Started {
        id: a,
        total_steps: 100,
        steps_per_epoch: 0,
        point_value: Some(0.5),
    });
    let j = r.job(a).unwrap();
    assert_eq!(
        (j.status, j.total_steps, j.steps_per_epoch, j.point_value),
        (Status::Running, 100, 1, Some(0.5))
    );
    r.apply(&Event::Metrics {
        id: a,
        step: 30,
        epoch: 0.3,
        values: vec![(Metric::TrainLoss, 2.0), (Metric::ValAcc, 0.5)],
    });
    r.apply(&Event::Progress {
        id: a,
        step: 20,
        elapsed_s: 1.5,
        samples_per_sec: 64.0,
    });
    let j = r.job(a).unwrap();
    assert_eq!(j.step, 30);
    assert_eq!((j.elapsed_s, j.samples_per_sec), (1.5, 64.0));
    assert_eq!(j.series(Metric::ValAcc), [(30, 0.3, 0.5)]);
    assert_eq!(j.series(Metric::TrainLoss), [(30, 0.3, 2.0)]);
    let unit = BnUnit {
        layer: 2,
        ..BnUnit::default()
    };
    r.apply(&Event::BnUnit {
        id: a,
        step: 30,
        unit,
    });
    assert_eq!(r.job(a).unwrap().bn_unit, Some(unit));
    assert!(!r.all_final());
    // An event of a trainer the record does not know adds it.
    r.apply(&Event::Finished {
        id: stranger,
        status: Status::Diverged,
        step: 7,
        message: Some("NaN".into()),
        elapsed_s: 2.0,
        samples_per_sec: 8.0,
    });
    let s = r.job(stranger).unwrap();
    assert_eq!(
        (
            s.status,
            s.step,
            s.message.as_deref(),
            s.elapsed_s,
            s.samples_per_sec
        ),
        (Status::Diverged, 7, Some("NaN"), 2.0, 8.0)
    );
    assert_eq!(r.jobs.len(), 3);
    assert!(r.job(id(1234)).is_none());
    r.mark_interrupted();
    assert_eq!(r.job(a).unwrap().status, Status::Interrupted);
    assert_eq!(r.job(stranger).unwrap().status, Status::Diverged);
    assert_eq!(r.jobs[1].status, Status::Interrupted);
    assert!(r.all_final());
}
