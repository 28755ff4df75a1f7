//! One `deployFiles` path, resolved.

/// One `deployFiles` path, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployItem {
    /// The path as written.
    pub written: String,
    /// Where the files come from, relative to the project root (`""` is
    /// the root itself).
    pub source: String,
    /// Where they land, relative to the artifact root (`""` is the root:
    /// the source's contents are placed there).
    pub target: String,
}
