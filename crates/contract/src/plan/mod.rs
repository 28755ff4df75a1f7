//! The answers of the planning questions: what a build runs ([`setup`])
//! and what the artifact holds ([`deploy`]). What restore, preserve and the
//! artifact do with each entry is the walk's [`crate::walk::Step`].

pub mod deploy;
pub mod setup;

pub use crate::select::{Entry, EntryKind};
