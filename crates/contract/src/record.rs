//! Events of a layer record, as data. The record itself is written and
//! read by the policy alone; hosts store it as opaque text.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Something that happened to the cache outside a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// Someone asked to drop the cache (GUI "Invalidate build cache", API
    /// `DELETE /service-stack/{id}/build-cache`).
    ManualInvalidation { at: Timestamp },
    /// A backup app version was activated, which invalidates the cache.
    VersionActivated { version: u32, at: Timestamp },
}

impl Event {
    pub fn at(&self) -> &Timestamp {
        match self {
            Event::ManualInvalidation { at } | Event::VersionActivated { at, .. } => at,
        }
    }
}

/// What a stored layer record says about the last build, for hosts that
/// show it: hosts never parse the record themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInfo {
    /// The setup the cache was built with.
    pub setup: String,
    /// When the build that produced the cache finished (RFC 3339 UTC).
    pub built_at: String,
    /// The identity of the OS image the base layer was built on, when the
    /// record says.
    pub image: Option<String>,
    /// The keys the cache was built with.
    pub keys: crate::keys::LayerKeys,
}
