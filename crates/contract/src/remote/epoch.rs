//! The body of an invalidation object (`v1/invalidations/<project>/<setup>/<N>`):
//! one immutable, signed object per raise of a project and setup's epoch.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-epoch/1";

/// What an invalidation object says (stored as compact JSON, fields in
/// this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    pub format: String,
    pub project: String,
    pub setup: String,
    /// The epoch it raises to.
    pub epoch: u64,
    /// Why it was raised (shown by `remote ls`).
    pub reason: String,
}
