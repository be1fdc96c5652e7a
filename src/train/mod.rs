//! Training: configs, one worker thread per trainer, typed events, shared control.

pub mod cadence;
pub mod config;
pub mod eval;
pub mod events;
pub mod field;
pub mod ics;
pub mod init_grads;
pub mod optim;
#[cfg(test)]
mod reference_tests;
pub mod session;
pub mod smooth;
pub mod worker;

pub use config::{JobId, JobSpec, LrScaling, OptimizerKind, RunConfig, Slice, Sweep, SweepParam};
pub use events::{BnUnit, Control, Event, Status};
pub use field::{ConfigError, Field};
pub use session::Session;
