use crate::Component;
use crate::exports::zerops::build_cache::plan::{self as wit, Guest};
use crate::map::Convert;
use zerops_cache_policy as policy;
use zerops_cache_policy::plan::deploy;

impl Guest for Component {
    fn build_setup(
        source: String,
        setup: Option<String>,
    ) -> Result<wit::SetupBuild, crate::exports::zerops::build_cache::diagnostics::Diagnostic> {
        let b =
            policy::api::build_setup(&source, setup.as_deref()).map_err(crate::lint::diagnostic)?;
        Ok(b.convert())
    }

    fn deploy_items(
        deploy_files: Vec<String>,
    ) -> Result<Vec<wit::DeployItem>, crate::exports::zerops::build_cache::diagnostics::Diagnostic>
    {
        let items = deploy::deploy_items(&deploy_files).map_err(crate::lint::diagnostic)?;
        Ok(items.convert())
    }
}
