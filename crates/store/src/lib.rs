//! The project and its store: everything a build reads and keeps.
//!
//! - The project: [`git`] (the only place that runs git), [`tree_facts`] (the
//!   tree lints' facts), [`workspace`] (the build's copy of the project),
//!   [`identity`] (the project identity's facts), [`config_file`] (finding
//!   and reading zerops.yaml).
//! - [`store`]: a setup's store, its layout, lock, intent journal,
//!   records, trash, repair and gc.
//! - [`phases`]: a build's phases on the store: restore, preserve,
//!   artifact, the versions' trees, objects and directories, checkout.
//!
//! The modules keep the paths they had when the host was one crate, and
//! the lower crates' modules are re-exported here under their old names,
//! so `crate::filesystem::…` reads as before. No unsafe code: the gc
//! protocol's liveness check (`kill(pid, 0)`) goes through rustix.

#![forbid(unsafe_code)]

// The lower crates' modules, under the paths of the one-crate host.
pub(crate) use zerops_cache_base::{
    diagnostic, dir_handles, exit, filesystem, interrupt, progress, store_error,
};
pub(crate) use zerops_cache_component::component;
pub(crate) use zerops_cache_sandbox::sandbox;

pub mod config_file;
pub mod git;
pub mod identity;
pub mod phases;
pub mod store;
pub mod tree_facts;
pub mod workspace;
