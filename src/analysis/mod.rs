//! The numbers a run is judged by, computed once for the report, the UI and `summary.csv`:
//! per-trainer metrics, statistics over seeds, paired comparisons and the summary rows.
//! It reads `runs` and sits below both `report` and the UI.

pub mod compare;
pub mod metrics;
pub mod stats;
pub mod summary;

pub use summary::{save, save_new};
