//! Planning a cached build, one directory at a time (what the build runs is
//! [`crate::api::setup`]): what restore moves back into the source ([`restore`]), what
//! preserve keeps ([`preserve`]) and what the artifact holds ([`deploy`]).
//!
//! Every function here decides about one directory listing (or a handful of
//! config values) and returns data: the host lists directories, asks, and
//! applies the answer. Nothing walks a tree or touches a file, so the same
//! rules run natively in tests and inside the WebAssembly component, and a
//! call crosses the wasm boundary once per directory, never once per file.

pub mod deploy;
pub mod gitignore;
pub mod preserve;
pub mod restore;
pub mod walker;

pub use crate::select::{Entry, EntryKind};
