//! Diagnostics are data: the policy produces them, hosts render them. The
//! types live in the contract crate.

pub use zerops_cache_contract::diag::*;
