//! bnlab: a plain MLP and the same MLP with Batch Normalization, trained side by side.

#![deny(unsafe_code)]

pub mod analysis;
pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod headless;
pub mod interrupt;
#[allow(unsafe_code)]
pub mod kernels;
pub mod metric;
pub mod model;
pub mod palette;
pub mod presets;
pub mod report;
pub mod runs;
pub(crate) mod seeds;
pub mod train;
pub mod tui;
pub mod ui;
pub mod usage;
