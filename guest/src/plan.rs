use crate::Component;
use crate::exports::zerops::build_cache::plan::{self as wit, Guest};
use zerops_cache_policy as policy;
use zerops_cache_policy::plan::{deploy, gitignore, preserve, restore};
use zerops_cache_policy::select::{Decision, SkipReason};

fn entry(e: wit::Entry) -> policy::plan::Entry {
    policy::plan::Entry {
        name: e.name,
        kind: match e.kind {
            wit::EntryKind::Dir => policy::plan::EntryKind::Dir,
            wit::EntryKind::File => policy::plan::EntryKind::File,
            wit::EntryKind::Symlink => policy::plan::EntryKind::Symlink,
            wit::EntryKind::Other => policy::plan::EntryKind::Other,
        },
        utf8: e.utf8,
    }
}

fn entries(v: Vec<wit::Entry>) -> Vec<policy::plan::Entry> {
    v.into_iter().map(entry).collect()
}

fn spec(c: wit::CacheSpec) -> preserve::CacheSpec {
    match c {
        wit::CacheSpec::All(b) => preserve::CacheSpec::All(b),
        wit::CacheSpec::Patterns(p) => preserve::CacheSpec::Patterns(p),
    }
}

impl Guest for Component {
    fn build_setup(
        source: String,
        setup: Option<String>,
    ) -> Result<wit::SetupBuild, crate::exports::zerops::build_cache::diagnostics::Diagnostic> {
        let b = policy::api::build_setup(&source, setup.as_deref())
            .map_err(crate::lint::diagnostic)?;
        Ok(wit::SetupBuild {
            setup: b.setup,
            build_from: b.build_from,
            prepare_commands: b.prepare_commands,
            build_commands: b.build_commands,
            deploy_files: b.deploy_files,
            cache: match b.cache {
                preserve::CacheSpec::All(x) => wit::CacheSpec::All(x),
                preserve::CacheSpec::Patterns(p) => wit::CacheSpec::Patterns(p),
            },
            env_variables: b.env_variables,
        })
    }

    fn restore_dir(cache: Vec<wit::Entry>, source: Vec<wit::Entry>) -> Vec<wit::RestoreAction> {
        restore::restore_dir(&entries(cache), &entries(source))
            .into_iter()
            .map(|a| match a {
                restore::RestoreAction::Move => wit::RestoreAction::Move,
                restore::RestoreAction::Descend => wit::RestoreAction::Descend,
                restore::RestoreAction::SourceWins => wit::RestoreAction::SourceWins,
                restore::RestoreAction::NotUtf8 => wit::RestoreAction::NotUtf8,
            })
            .collect()
    }

    fn preserve_depth(cache: wit::CacheSpec) -> u32 {
        preserve::Preserve::new(&spec(cache))
            .max_depth()
            .try_into()
            .unwrap_or(u32::MAX)
    }

    fn preserve_dir(
        cache: wit::CacheSpec,
        dir: String,
        list: Vec<wit::Entry>,
    ) -> Vec<wit::PreserveAction> {
        preserve::Preserve::new(&spec(cache))
            .select(&dir, &entries(list))
            .into_iter()
            .map(|d| match d {
                Decision::Take { .. } => wit::PreserveAction::Take,
                Decision::Descend { .. } => wit::PreserveAction::Descend,
                Decision::Skip { reason } => match reason {
                    SkipReason::NoMatch => wit::PreserveAction::Skip,
                    SkipReason::NotUtf8 => wit::PreserveAction::NotUtf8,
                    SkipReason::SymlinkNotFollowed { .. } => {
                        wit::PreserveAction::SymlinkNotFollowed
                    }
                    SkipReason::NotADirectory { .. } => wit::PreserveAction::NotADirectory,
                },
            })
            .collect()
    }

    fn deploy_items(
        deploy_files: Vec<String>,
    ) -> Result<Vec<wit::DeployItem>, crate::exports::zerops::build_cache::diagnostics::Diagnostic>
    {
        let items = deploy::deploy_items(&deploy_files).map_err(crate::lint::diagnostic)?;
        Ok(items
            .into_iter()
            .map(|i| wit::DeployItem {
                written: i.written,
                source: i.source,
                target: i.target,
            })
            .collect())
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
