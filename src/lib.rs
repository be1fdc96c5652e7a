//! bnlab: a plain MLP and the same MLP with Batch Normalization, trained side by side.

pub mod data;
pub mod model;
pub mod seeds;
pub mod train;
pub mod runs;
pub mod presets;
pub mod cli;
pub mod headless;
pub mod report;
