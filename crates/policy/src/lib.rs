//! The rules of the Zerops two-layer build cache, as pure functions over data.
//!
//! Nothing here performs I/O, reads clocks or uses randomness: the same
//! inputs give the same outputs natively and inside the WebAssembly
//! component, which is how every rule is tested differentially.

pub mod advise;
pub mod assist;
pub mod decide;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod keys;
pub mod lint;
pub mod managers;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod record;
pub mod remote;
pub mod retention;
pub mod select;
pub mod snapshot;
pub mod time;
pub mod yaml;

pub use diag::{Diagnostic, Pos, Severity, Span};

/// The WIT package this policy implements (the plugin API version).
pub const WIT_PACKAGE: &str = "zerops:build-cache@0.1.1";

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
