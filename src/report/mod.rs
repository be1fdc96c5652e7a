//! Reports built on run folders.

pub mod cmd;
pub mod table;
