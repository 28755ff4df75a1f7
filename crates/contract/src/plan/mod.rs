//! The answers of the planning questions: what a build runs ([`setup`]),
//! what restore moves back ([`restore`]), what preserve keeps
//! ([`preserve`]) and what the artifact holds ([`deploy`]).

pub mod deploy;
pub mod preserve;
pub mod restore;
pub mod setup;

pub use crate::select::{Entry, EntryKind};
