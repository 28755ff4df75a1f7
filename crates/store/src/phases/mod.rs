//! The phases of a build that move or copy files, each asking the
//! component one directory at a time and applying its answers.

pub mod artifact;
pub mod checkout;
pub mod checkout_baseline;
pub mod list_ahead;
pub mod object_check;
pub mod objects;
pub mod preserve;
pub mod restore;
pub mod version_record;
pub mod version_repair;
pub mod version_tree;
pub mod version_view;

/// A path left where it was, and why (a stable code).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: &'static str,
}

pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
