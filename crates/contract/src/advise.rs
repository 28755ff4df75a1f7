//! The `advise` report: what the cache holds, which layer holds each part,
//! and what each part saves.

use crate::diag::Diagnostic;
use serde::Serialize;

/// Sizes measured in a store: path (relative to the layer's root,
/// `/`-separated) and the bytes of everything under it. Complete down to
/// [`store_depth`] components.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreFacts {
    /// The base layer's home directory.
    pub home: Vec<(String, u64)>,
    /// The build layer (the cached entries of /build/source).
    pub cache: Vec<(String, u64)>,
}

/// Which layer holds a part.
pub use crate::layer::Layer;

/// One part of what the cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub layer: Layer,
    /// As the user would write it: `~/.npm`, `node_modules`, `(prepareCommands)`.
    pub path: String,
    /// What it is and where it comes from.
    pub what: String,
    /// Measured in the store, when there is one.
    pub bytes: Option<u64>,
    /// What keeping it saves on a warm build (or why it saves nothing).
    pub saves: String,
}

/// The report of one setup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub setup: String,
    pub items: Vec<Item>,
    /// The lint findings about the cache of this setup.
    pub findings: Vec<Diagnostic>,
}
