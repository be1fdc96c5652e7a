//! Training: configs, one worker thread per trainer, typed events, shared control.

pub(crate) mod cadence;
pub(crate) mod config;
mod dense_eval;
pub mod eval;
pub(crate) mod events;
pub(crate) mod field;
pub(crate) mod ics;
pub(crate) mod init_grads;
pub mod optim;
#[cfg(test)]
mod reference_tests;
pub(crate) mod session;
pub mod smooth;
pub mod worker;

pub use config::{JobId, JobSpec, LrScaling, OptimizerKind, RunConfig, Slice, Sweep, SweepParam};
pub use events::{BnUnit, Control, Event, Status};
pub use field::{ConfigError, Field};
pub use session::Session;
