//! Models: statically shaped dfdx MLPs with and without BatchNorm.

mod activate;
pub mod block;
pub mod flat;
pub mod flat_layer;
pub mod fused;
#[cfg(test)]
mod fused_tests;
pub mod infer;
pub mod kinds;
pub mod net;
pub mod pixel_input;
pub mod probe;
pub mod sgd;
mod types;

pub use kinds::{Activation, Init, Variant};
pub use net::{build, BnMlp, LayerStats, NetSpec, Network, PlainMlp, HIDDEN, INPUT, OUTPUT};
pub use types::{Batch, Dev, Traced, E};

/// Hidden layers of the standard net (Ioffe & Szegedy 2015, section 4.1).
pub const SHALLOW_DEPTH: usize = 3;
/// Hidden layers of the deep net used for the vanishing-gradient experiments.
pub const DEEP_DEPTH: usize = 10;
pub type PlainNet = PlainMlp<{ SHALLOW_DEPTH - 1 }>;
pub type BnNet = BnMlp<{ SHALLOW_DEPTH - 1 }>;
pub type DeepPlainNet = PlainMlp<{ DEEP_DEPTH - 1 }>;
pub type DeepBnNet = BnMlp<{ DEEP_DEPTH - 1 }>;
