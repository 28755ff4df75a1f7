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

impl BuildSetup {
    /// A setup known only by its name (the file could not be read): what
    /// the commands that need only the name work with.
    pub fn named(setup: String) -> BuildSetup {
        BuildSetup {
            setup,
            build_from: None,
            prepare_commands: Vec::new(),
            build_commands: Vec::new(),
            deploy_files: Vec::new(),
            cache: CacheSpec::All(false),
            env_variables: Vec::new(),
        }
    }
}
