//! End-to-end tests of zerops-cache on real files and directories.
//! One test binary, a module per area (as in wasmtime's tests).

mod build;
mod build_crash;
mod build_signals;
mod build_support;
mod common;
mod component;
mod config_limits;
mod deployignore_limits;
mod hostile_store;
mod in_place_checkout;
mod layers;
mod lint_build_agree;
mod lint_cli;
mod lint_more;
mod match_cli;
mod patterns_component;
mod plan_component;
mod read_only_trees;
mod repair;
mod store_props;
