//! The project and its store: everything a build reads and keeps.
//!
//! - The project: [`git`] (the only place that runs git), [`tree_facts`] (the
//!   tree lints' facts), [`workspace`] (the build's copy of the project),
//!   [`identity`] (the project identity's facts), [`config_file`] (finding
//!   and reading zerops.yaml).
//! - [`store`]: a setup's store, its layout, lock, intent journal,
//!   records, trash, repair and gc.
//! - [`phases`]: a build's phases on the store: restore, preserve,
//!   artifact, the versions (their list, retention, checks, trees, objects
//!   and directories), checkout.
//!
//! Public surface: these modules; inside them `pub` is what the commands, the
//! image crate, the e2e tests or the journal fuzz target (`store::journal`:
//! `Journal::load`, `check_loc`, `recover`, the moves) use, everything else
//! `pub(crate)`. It names the lower crates' modules by their real paths
//! (`zerops_cache_base::filesystem::…`). No unsafe code: the gc
//! protocol's liveness check (`kill(pid, 0)`) goes through rustix.

#![forbid(unsafe_code)]

pub mod config_file;
pub mod git;
pub mod identity;
pub mod phases;
pub mod store;
pub mod tree_facts;
pub mod workspace;
