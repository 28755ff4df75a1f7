//! zerops-cache: Zerops-style two-layer cached builds, anywhere.
//!
//! Every rule is asked of the policy component (loaded in wasmtime); the
//! host only touches the world: files, processes, terminals. This is the
//! binary's library: the commands ([`cmd`], one file per command), the
//! language server ([`lsp`]) and the CI output formats ([`ci`]). It exists
//! so the binary and the end-to-end tests share one implementation.
//! Public surface: these three modules, holding `pub` only what `main.rs`
//! or the e2e tests name (each command's arguments and `run`, the output
//! formats), everything else `pub(crate)`; the re-exports below; and
//! [`LONG_VERSION`].
//!
//! The work is done by the library crates below it (README, Layout):
//! `zerops-cache-component` (the policy component), `zerops-cache-base`
//! (primitives: signals, processes, files, exit classes),
//! `zerops-cache-sandbox` (the build container), `zerops-cache-store` (the
//! project, the store, a build's phases), `zerops-cache-remote` (the remote
//! tier) and `zerops-cache-image` (build images). The commands name
//! them by their real paths; their modules are also re-exported here
//! under the paths they had when the host was one crate
//! (`zerops_cache::store::…`), as the e2e tests, the fuzz targets and
//! embedders name them.

#![forbid(unsafe_code)]

pub use zerops_cache_base::{
    clock, diagnostic, dir_handles, exit, filesystem, host_reaper, interrupt, overlay_meta,
    progress, render, runner, store_error,
};
pub use zerops_cache_component::component;
pub use zerops_cache_remote::remote;
pub use zerops_cache_sandbox::sandbox;
pub use zerops_cache_store::{config_file, git, identity, phases, store, tree_facts, workspace};

pub mod ci;
pub mod cmd;
pub mod lsp;

/// `--version` text: the crate version and the WIT package id.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (zerops:build-cache@0.4.0)");

#[cfg(test)]
mod tests {
    #[test]
    fn version_names_the_wit_package() {
        assert!(super::LONG_VERSION.contains(zerops_cache_contract::WIT_PACKAGE));
    }
}
