//! Run folders written from crafted metric rows, for the report tests.

use std::path::Path;

use bnlab::analysis;
use bnlab::runs::{DataInfo, MetricRow, RunRecord};
use bnlab::train::{JobId, RunConfig, Status};

/// An empty record of `config`'s jobs, as if the embedded data had been split 3000/1000/1000.
pub fn record(config: RunConfig) -> RunRecord {
    RunRecord::new(
        config,
        DataInfo {
            origin: "crafted".into(),
            train: 3000,
            val: 1000,
            test: 1000,
        },
    )
}

/// Gives job `id` its `rows` and ends it with `status`, at a fixed speed; returns it for more.
pub fn end_job(
    rec: &mut RunRecord,
    id: JobId,
    rows: Vec<MetricRow>,
    status: Status,
) -> &mut bnlab::runs::JobRecord {
    let r = rec
        .jobs
        .iter_mut()
        .find(|r| r.id == id)
        .expect("job in config");
    r.step = rows.iter().map(|m| m.step).max().unwrap_or(0);
    r.rows = rows;
    r.status = status;
    r.elapsed_s = 2.0;
    r.samples_per_sec = 15000.0;
    r
}

pub fn save(rec: &RunRecord, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    analysis::save(rec, dir).unwrap();
}
