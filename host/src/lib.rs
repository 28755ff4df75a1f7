//! zerops-cache: Zerops-style two-layer cached builds, anywhere.
//!
//! Every rule is asked of the policy component (loaded in wasmtime); this
//! crate only touches the world: files, processes, terminals. The library
//! exists so the binary and the end-to-end tests share one implementation.

pub mod ci;
pub mod clock;
pub mod cmd;
pub mod component;
pub mod config_file;
pub mod diagnostic;
pub mod dir_handles;
pub mod exit;
pub mod filesystem;
pub mod git;
pub mod host_reaper;
pub mod identity;
pub mod image;
pub mod interrupt;
pub mod lsp;
pub mod overlay_meta;
pub mod phases;
pub mod progress;
pub mod remote;
pub mod render;
pub mod runner;
pub mod sandbox;
pub mod store;
pub mod tree;
pub mod workspace;

/// `--version` text: the crate version and the WIT package id.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (zerops:build-cache@0.3.0)");

#[cfg(test)]
mod tests {
    #[test]
    fn version_names_the_wit_package() {
        assert!(super::LONG_VERSION.contains(zerops_cache_contract::WIT_PACKAGE));
    }
}
