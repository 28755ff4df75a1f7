//! What the linter reports and what the host tells it about the tree.

pub mod codes;
mod tree;

pub use codes::{CODES, Category, Code, CodeInfo, info};
pub use tree::TreeFacts;
