//! Reports built on run folders.

pub mod table;
