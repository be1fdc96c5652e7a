//! Runs: the record of a run in memory, and its folder on disk.

pub mod folder;
pub(crate) mod grid;
pub mod limits;
pub(crate) mod pool;
pub mod record;
pub mod remove;
pub(crate) mod save;

pub use folder::{list, load, RunError};
pub use record::{DataInfo, JobRecord, MetricRow, RunRecord};
pub use save::{save, save_new};

/// Where runs go unless `--out` says otherwise.
pub const DEFAULT_DIR: &str = "saved_runs";

/// Where a run goes when its folder cannot be written (unwritable, disk full).
pub fn fallback_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("bnlab-runs")
}
