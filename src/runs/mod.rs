//! Runs: the record of a run in memory, and its folder on disk.

pub mod folder;
pub mod grid;
pub mod limits;
pub mod pool;
pub mod record;
pub mod remove;
pub mod save;

pub use folder::{list, load, RunError};
pub use record::{DataInfo, JobRecord, MetricRow, RunRecord};
pub use save::{save, save_new};

/// Where runs go unless `--out` says otherwise.
pub const DEFAULT_DIR: &str = "saved_runs";

/// Where a run goes when its folder cannot be written (unwritable, disk full).
pub fn fallback_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("bnlab-runs")
}
