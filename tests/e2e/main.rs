//! End-to-end tests of zerops-cache on real files and directories.
//! One test binary, a module per area (as in wasmtime's tests).

mod advice;
mod build;
mod build_crash;
mod build_support;
mod common;
mod component;
mod container;
mod container_more;
mod container_rootless;
mod layers;
mod lint_cli;
mod lint_more;
mod match_cli;
mod patterns_component;
mod plan_component;
