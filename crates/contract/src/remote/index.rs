//! The body of an index object (`v1/index/<project>/<setup>`): what
//! `remote ls` shows of each manifest, kept by publishes.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-index/1";

/// What `remote ls` shows of one manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The manifest's name.
    pub name: String,
    /// Entries of its tree.
    pub files: u64,
    /// Bytes of file contents (uncompressed).
    pub bytes: u64,
    /// Bytes of the frames holding them (as stored).
    pub stored_bytes: u64,
}

/// What an index object says (stored as compact JSON, signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub format: String,
    pub project: String,
    pub setup: String,
    /// Sorted by name.
    pub entries: Vec<IndexEntry>,
}
