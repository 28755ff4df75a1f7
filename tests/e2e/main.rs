//! End-to-end tests of zerops-cache on real files and directories.
//! One test binary, a module per area (as in wasmtime's tests).

mod advice;
mod assist_component;
mod build;
mod build_crash;
mod build_signals;
mod build_support;
mod cleanup;
mod common;
mod component;
mod config_limits;
mod container;
mod container_more;
mod container_rootless;
mod deployignore_limits;
mod hostile_store;
mod in_place_checkout;
mod layers;
mod lint_build_agree;
mod lint_ci;
mod lint_cli;
mod lint_more;
mod lint_precommit;
mod lsp_debounce;
mod lsp_nvim;
mod match_cli;
mod patterns_component;
mod plan_component;
mod read_only_trees;
mod remote;
mod remote_support;
mod repair;
mod retention;
mod store_props;
mod versions;
