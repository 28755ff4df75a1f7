//! What the name of a manifest says, and where a reader expects a manifest
//! to be (the names themselves are the policy's `remote::naming`).

use crate::layer::Layer;

/// What a manifest's name (`v1/manifests/<project>/<setup>/e<N>/<layer>/<entry>`) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestName {
    /// The project's identity slug.
    pub project: String,
    /// The setup's name-safe form (its real name is inside the manifest).
    pub setup_part: String,
    pub epoch: u64,
    pub layer: Layer,
    /// The entry key.
    pub entry: String,
}

/// Where a manifest is stored, which it must say of itself (no replay
/// under another name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub project: String,
    /// The setup's real name.
    pub setup: String,
    pub layer: Layer,
    /// The entry key.
    pub entry: String,
    pub epoch: u64,
}
