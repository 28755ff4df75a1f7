//! `zerops-cache invalidate`: the `DELETE /service-stack/{id}/build-cache`
//! equivalent. The layer record gets a manual-invalidation event, so the
//! next build runs clean (prepareCommands included) and says why.

use anyhow::{Result, anyhow};
use zerops_cache_policy::record::Event;
use zerops_cache_policy::time::Timestamp;

use super::exit;
use super::project::{Project, StoreArgs, now};
use crate::store::record_io::{read_record, write_record};

#[derive(Debug, clap::Args)]
pub struct InvalidateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: InvalidateArgs) -> Result<u8> {
    let project = Project::load(&args.store)?;
    let store = project.store(&args.store, "invalidate")?;
    let Some(record) = read_record(&store.dir)? else {
        println!(
            "setup `{}` has no build cache yet: nothing to invalidate",
            project.build.setup
        );
        return Ok(exit::OK);
    };
    add_event(
        &project,
        &store.dir,
        &record,
        Event::ManualInvalidation { at: stamp()? },
    )?;
    println!(
        "invalidated the build cache of setup `{}`: the next build rebuilds both layers",
        project.build.setup
    );
    Ok(exit::OK)
}

pub fn stamp() -> Result<Timestamp> {
    Timestamp::parse(&now()).map_err(|e| anyhow!("{e}"))
}

pub fn add_event(
    project: &Project,
    store: &cap_std::fs::Dir,
    record: &str,
    e: Event,
) -> Result<()> {
    let r = project
        .host
        .record_add_event(record, &e)?
        .map_err(|d| anyhow!("{}", d.message))?;
    write_record(store, &r)
}
