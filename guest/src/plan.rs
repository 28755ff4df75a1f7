use crate::Component;
use crate::exports::zerops::build_cache::plan::{self as wit, Guest};
use crate::map::Convert;
use zerops_cache_policy as policy;
use zerops_cache_policy::plan::{deploy, gitignore, preserve, restore};

fn entries(v: Vec<wit::Entry>) -> Vec<policy::plan::Entry> {
    v.convert()
}

impl Guest for Component {
    fn build_setup(
        source: String,
        setup: Option<String>,
    ) -> Result<wit::SetupBuild, crate::exports::zerops::build_cache::diagnostics::Diagnostic> {
        let b =
            policy::api::build_setup(&source, setup.as_deref()).map_err(crate::lint::diagnostic)?;
        Ok(b.convert())
    }

    fn restore_dir(cache: Vec<wit::Entry>, source: Vec<wit::Entry>) -> Vec<wit::RestoreAction> {
        restore::restore_dir(&entries(cache), &entries(source)).convert()
    }

    fn preserve_depth(cache: wit::CacheSpec) -> u32 {
        preserve::Preserve::new(&cache.convert())
            .max_depth()
            .try_into()
            .unwrap_or(u32::MAX)
    }

    fn preserve_dir(
        cache: wit::CacheSpec,
        dir: String,
        list: Vec<wit::Entry>,
    ) -> Vec<wit::PreserveAction> {
        preserve::Preserve::new(&cache.convert())
            .select(&dir, &entries(list))
            .into_iter()
            .map(preserve::PreserveAction::from_decision)
            .collect::<Vec<_>>()
            .convert()
    }

    fn deploy_items(
        deploy_files: Vec<String>,
    ) -> Result<Vec<wit::DeployItem>, crate::exports::zerops::build_cache::diagnostics::Diagnostic>
    {
        let items = deploy::deploy_items(&deploy_files).map_err(crate::lint::diagnostic)?;
        Ok(items.convert())
    }

    fn deploy_filter(
        deployignore: Option<String>,
        dir: String,
        list: Vec<wit::Entry>,
    ) -> Vec<bool> {
        let ignore = gitignore::Ignore::parse(deployignore.as_deref().unwrap_or(""));
        deploy::deploy_filter(&ignore, &dir, &entries(list))
    }
}
