//! Typed questions to the component's `plan` interface: the build section
//! of a setup and its `deployFiles`. WIT types are converted to the
//! contract's data types.

use anyhow::Result;
use zerops_cache_contract::Diagnostic;
pub use zerops_cache_contract::keys::CacheSpec;
pub use zerops_cache_contract::plan::deploy::DeployItem;
pub use zerops_cache_contract::plan::setup::BuildSetup;
pub use zerops_cache_contract::plan::{Entry, EntryKind};

use crate::component::PolicyHost;
use crate::component::lint::diagnostic;
use crate::component::map::Convert;

impl PolicyHost {
    /// The build section of `setup` (or the only setup), after `extends`.
    pub fn build_setup(
        &self,
        src: &str,
        setup: Option<&str>,
    ) -> Result<std::result::Result<BuildSetup, Diagnostic>> {
        let out = self.call("reading the build section", |p, s| {
            p.zerops_build_cache_plan().call_build_setup(s, src, setup)
        })?;
        Ok(out.map_err(diagnostic).map(Convert::convert))
    }

    /// `deployFiles` resolved into source and target paths.
    pub fn deploy_items(
        &self,
        deploy_files: &[String],
    ) -> Result<std::result::Result<Vec<DeployItem>, Diagnostic>> {
        let out = self.call("resolving deployFiles", |p, s| {
            p.zerops_build_cache_plan()
                .call_deploy_items(s, deploy_files)
        })?;
        Ok(out.map_err(diagnostic).map(Convert::convert))
    }
}
