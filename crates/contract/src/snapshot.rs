//! What one setup says about its build, as data.

use crate::keys::{LayerInputs, LayerKeys};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fields that change the build but never the cache (spec §4.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unkeyed {
    pub build_commands: Vec<String>,
    pub deploy_files: Vec<String>,
    pub env_variables: BTreeMap<String, String>,
    pub add_to_run_prepare: Vec<String>,
    /// The `run` section: each top-level key with its value in a compact
    /// flow form (`[a, b]`, `{k: v}`).
    pub run: BTreeMap<String, String>,
    /// The `deploy` section, like `run`.
    pub deploy: BTreeMap<String, String>,
}

/// One setup, resolved, as the cache policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub setup: String,
    /// Where the `build` section comes from: the setup itself or a parent
    /// reached through `extends`; `None` when there is no `build` at all.
    pub build_from: Option<String>,
    pub inputs: LayerInputs,
    pub keys: LayerKeys,
    pub unkeyed: Unkeyed,
}
