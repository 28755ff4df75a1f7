//! The body of a lock object (`v1/locks/<id>`), and a lock as a publish or
//! `remote gc` sees it listed (restic's protocol; the rules are the
//! policy's `remote::lock`).

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-lock/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockKind {
    /// A publish: many at once.
    Shared,
    /// `remote gc`: alone.
    Exclusive,
}

/// What a lock object says (stored as compact JSON, unsigned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub format: String,
    pub kind: LockKind,
    /// Who holds it (for messages): `publish <project>/<setup>` or `gc`.
    pub holder: String,
}

/// Another holder's lock, as listed and read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockFacts {
    pub name: String,
    /// Its body, when it could be read and parsed (`None` blocks both
    /// kinds, as an exclusive lock would).
    pub body: Option<Lock>,
    /// On the object store's clock.
    pub modified_ms: u64,
}
