//! The contract between the policy (the rules, inside the component) and
//! every host: the data types that cross the boundary, and nothing that
//! decides. The host binary depends on this crate and not on the policy,
//! so "the host decides nothing" is a property of the dependency graph.
//!
//! Module names mirror the policy crate's (`decide`, `keys`, `plan`, …):
//! the policy re-exports these types at the same paths.
#![forbid(unsafe_code)]

pub mod advise;
pub mod assist;
pub mod decide;
pub mod diag;
pub mod image;
pub mod keys;
pub mod layer;
pub mod lint;
pub mod pattern;
pub mod plan;
pub mod record;
pub mod remote;
pub mod report;
pub mod retention;
pub mod select;
pub mod snapshot;
pub mod time;
pub mod walk;
pub mod wit_map;

pub use diag::{Code, Diagnostic, Pos, Severity, Span};

/// The WIT package the policy component implements (the plugin API version).
pub const WIT_PACKAGE: &str = "zerops:build-cache@0.4.0";
