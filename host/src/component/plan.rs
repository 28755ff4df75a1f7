//! Typed questions to the component's `plan` interface: the build section
//! of a setup, and the per-directory restore, preserve and deploy
//! decisions. WIT types are converted to the policy crate's data types.

use anyhow::Result;
use zerops_cache_contract::Diagnostic;
pub use zerops_cache_contract::keys::CacheSpec;
pub use zerops_cache_contract::plan::deploy::DeployItem;
pub use zerops_cache_contract::plan::preserve::PreserveAction;
pub use zerops_cache_contract::plan::restore::RestoreAction;
pub use zerops_cache_contract::plan::setup::BuildSetup;
pub use zerops_cache_contract::plan::{Entry, EntryKind};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::plan as wit;
use crate::component::lint::diagnostic;
use crate::component::map::Convert;

fn entries(v: &[Entry]) -> Vec<wit::Entry> {
    v.to_vec().convert()
}

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

    /// Restore decisions for one cache directory against the source
    /// directory at the same path.
    pub fn restore_dir(&self, cache: &[Entry], source: &[Entry]) -> Result<Vec<RestoreAction>> {
        let (c, s) = (entries(cache), entries(source));
        let out = self.call("planning restore", |p, st| {
            p.zerops_build_cache_plan().call_restore_dir(st, &c, &s)
        })?;
        Ok(out.convert())
    }

    /// How deep preserve can take paths (0: nothing).
    pub fn preserve_depth(&self, cache: &CacheSpec) -> Result<u32> {
        let c: wit::CacheSpec = cache.clone().convert();
        self.call("planning preserve", |p, s| {
            p.zerops_build_cache_plan().call_preserve_depth(s, &c)
        })
    }

    /// Preserve decisions for one source directory.
    pub fn preserve_dir(
        &self,
        cache: &CacheSpec,
        dir: &str,
        list: &[Entry],
    ) -> Result<Vec<PreserveAction>> {
        let (c, l): (wit::CacheSpec, _) = (cache.clone().convert(), entries(list));
        let out = self.call("planning preserve", |p, s| {
            p.zerops_build_cache_plan()
                .call_preserve_dir(s, &c, dir, &l)
        })?;
        Ok(out.convert())
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

    /// Which entries of project directory `dir` the artifact keeps.
    pub fn deploy_filter(
        &self,
        deployignore: Option<&str>,
        dir: &str,
        list: &[Entry],
    ) -> Result<Vec<bool>> {
        let l = entries(list);
        self.call("filtering the artifact", |p, s| {
            p.zerops_build_cache_plan()
                .call_deploy_filter(s, deployignore, dir, &l)
        })
    }
}
