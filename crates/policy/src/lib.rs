//! The rules of the Zerops two-layer build cache, as pure functions over data.
//!
//! Nothing here performs I/O, reads clocks or uses randomness: the same
//! inputs give the same outputs natively and inside the WebAssembly
//! component, which is how every rule is tested differentially.
#![forbid(unsafe_code)]

pub mod advise;
pub mod api;
pub mod assist;
pub mod decide;
pub mod diag;
pub mod diff;
pub mod image;
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

/// Rendering of decisions (text and the `explain` JSON), from the contract.
pub use zerops_cache_contract::report;

pub use diag::{Code, Diagnostic, Pos, Severity, Span};

/// The WIT package this policy implements (the plugin API version).
pub use zerops_cache_contract::WIT_PACKAGE;

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
