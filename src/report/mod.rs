//! Reports built on run folders: comparison metrics, `report.md`, SVG charts.

pub mod charts;
pub mod cmd;
pub(crate) mod discuss;
pub(crate) mod figures;
pub(crate) mod pooled;

pub(crate) mod seeds;
pub(crate) mod sweep;
pub(crate) mod table;
pub(crate) mod write;

pub use write::write_report;
