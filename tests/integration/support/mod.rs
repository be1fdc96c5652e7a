//! Helpers shared by several test files.

#![allow(dead_code)]

pub mod crafted;
pub mod http;
pub mod prereq;
pub mod reference;

pub use prereq::require;
