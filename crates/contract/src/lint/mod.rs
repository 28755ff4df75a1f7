//! What the linter reports and what the host tells it about the tree.

pub mod codes;
pub mod docs;
pub mod explain;
pub mod gate;
mod tree_facts;

pub use codes::{CODES, Category, Code, CodeInfo, info};
pub use explain::{DOCS_BASE, Explanation, explain, href};
pub use gate::{GateVerdict, GatedCommand};
pub use tree_facts::TreeFacts;
