//! The primitives of the zerops-cache host: everything the store, the
//! sandbox and the commands share and that knows nothing of them.
//!
//! - [`interrupt`]: signals, and the process groups they stop.
//! - [`clock`]: timestamps. [`progress`]: bars on a terminal only.
//! - [`host_reaper`]: host-mode build commands die with zerops-cache.
//! - [`runner`]: running a build's commands and relaying their output.
//! - [`filesystem`]: listing, renames and copies (reflink or
//!   copy_file_range, sync); [`dir_handles`]: each directory of a walk
//!   opened from its parent's handle; [`overlay_meta`]: whiteouts and opaque marks
//!   kept by cross-filesystem copies.
//! - [`diagnostic`]: a policy diagnostic as an error; [`render`]: snippets.
//! - [`exit`]: the exit classes, one per failure class, and the one match
//!   that finds an error's class; [`store_error`]: the store's two errors
//!   that carry one (defined here so `exit` can name them).
//!
//! Public surface: these modules, named by the crates above by their real
//! paths (`zerops_cache_base::filesystem::…`); inside them only what another
//! crate or the e2e tests use is `pub`, everything else `pub(crate)`.
//! Unsafe code: system calls rustix does not cover (signals, waitpid).

pub mod clock;
pub mod diagnostic;
pub mod dir_handles;
pub mod exit;
pub mod filesystem;
pub mod host_reaper;
pub mod interrupt;
pub mod overlay_meta;
pub mod progress;
pub mod render;
pub mod runner;
pub mod store_error;
