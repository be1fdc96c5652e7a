//! Models: one dfdx MLP type whose depth, normalization and activation are run-time choices.

mod activate;
pub(crate) mod block;
mod collection;
#[cfg(test)]
mod dropout_tests;
pub(crate) mod flat;
pub mod flat_layer;
pub(crate) mod freeze;
pub(crate) mod fused;
#[cfg(test)]
mod fused_tests;
pub(crate) mod infer;
pub mod kinds;
pub(crate) mod net;
pub mod pixel_input;
pub(crate) mod probe;
pub(crate) mod renorm;
mod renorm_dfdx;
#[cfg(test)]
mod renorm_tests;
pub mod sgd;
pub(crate) mod stream;
mod types;

pub use kinds::{Activation, Block, Init, Norm, Trainable, Variant, VariantSettings};
pub use net::{build, LayerStats, Net, NetSpec, Network, HIDDEN, INPUT, MAX_DEPTH, OUTPUT};
pub use types::{Batch, Dev, Traced, E};

/// Hidden layers of the standard net (Ioffe & Szegedy 2015, section 4.1).
pub const SHALLOW_DEPTH: usize = 3;
/// Hidden layers of the deep net used for the vanishing-gradient experiments.
pub const DEEP_DEPTH: usize = 10;

/// A ReLU net of seed 11 built on a device of seed 3, for the model's tests.
#[cfg(test)]
pub(crate) fn test_net(variant: Variant, depth: usize, init: Init) -> Net {
    let spec = NetSpec {
        variant,
        depth,
        activation: Activation::Relu,
        init,
        seed: 11,
        settings: Default::default(),
    };
    build(&Dev::seed_from_u64(3), &spec)
}
