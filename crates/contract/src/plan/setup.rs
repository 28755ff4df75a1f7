//! What a build of one setup runs.

use crate::keys::CacheSpec;

/// The build section of the selected setup, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSetup {
    /// The selected setup.
    pub setup: String,
    /// The setup the `build` section comes from (itself or a parent).
    pub build_from: Option<String>,
    pub prepare_commands: Vec<String>,
    pub build_commands: Vec<String>,
    /// `deployFiles`, or the deprecated `deploy` when it is absent.
    pub deploy_files: Vec<String>,
    pub cache: CacheSpec,
    /// `envVariables` in file order, values as written.
    pub env_variables: Vec<(String, String)>,
}
