//! What the host knows about the project directory.

use serde::{Deserialize, Serialize};

/// What the host knows about the project directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeFacts {
    /// Paths that exist now, relative to the project root, `/`-separated,
    /// files and directories, complete down to `depth` components.
    pub entries: Vec<String>,
    /// How many components deep `entries` is complete: 1 for a top-level
    /// listing. Patterns with more components are not judged by
    /// `cache-matches-nothing`.
    pub depth: u32,
    /// Files tracked by git (`git ls-files`), relative and `/`-separated;
    /// `None` outside a git repository.
    pub tracked: Option<Vec<String>>,
}
