//! Reports built on run folders: comparison metrics, `report.md`, SVG charts.

pub mod charts;
pub mod cmd;
pub mod discuss;
pub mod figures;
pub mod pooled;

pub mod seeds;
pub mod sweep;
pub mod table;
pub mod write;

pub use write::write_report;
