//! scour finds leaked credentials in files and git history.
//!
//! The library is organised as the data flows: [`source`] yields bytes, [`detect`] finds
//! [`detect::Match`]es with the [`rules`], [`finding`] places them in files, [`scan`] drives a
//! whole scan, and [`report`] writes the result. `main.rs` only wires the command line to these.

pub mod allow;
pub mod checklist;
pub mod config;
pub mod detect;
pub mod finding;
pub mod history;
pub mod hook;
pub mod incremental;
pub mod interrupt;
pub mod purge;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod timing;
