//! `zerops-cache invalidate`: the `DELETE /service-stack/{id}/build-cache`
//! equivalent. The layer record gets a manual-invalidation event, so the
//! next build runs clean (prepareCommands included) and says why.

use anyhow::{Result, anyhow};
use zerops_cache_contract::record::Event;
use zerops_cache_contract::time::Timestamp;

use super::exit;
use super::project::{Project, StoreArgs, now};
use crate::store::journal;
use crate::store::layout::RECORD;
use crate::store::record_io::{BadFile, read_record, write_record};

#[derive(Debug, clap::Args)]
pub struct InvalidateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: InvalidateArgs) -> Result<u8> {
    let project = Project::load(&args.store)?;
    let store = project.store(&args.store, "invalidate")?;
    let record = match read_record(&store) {
        Ok(r) => r,
        Err(e) => match e.downcast_ref::<BadFile>() {
            Some(b) => {
                set_aside(&store, &b.problem)?;
                return Ok(exit::OK);
            }
            None => return Err(e),
        },
    };
    let Some(record) = record else {
        println!(
            "setup `{}` has no build cache yet: nothing to invalidate",
            project.build.setup
        );
        return Ok(exit::OK);
    };
    let e = Event::ManualInvalidation { at: stamp()? };
    match project.host.record_add_event(&record, &e)? {
        Ok(r) => write_record(&store.dir, &r)?,
        Err(d) => {
            set_aside(&store, &d.message)?;
            return Ok(exit::OK);
        }
    }
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
        .map_err(|d| crate::render::error(project.config_path.display(), d))?;
    write_record(store, &r)
}

/// An unreadable record cannot take an event: it is removed, so the next
/// build has no previous cache and rebuilds both layers.
fn set_aside(store: &crate::store::Store, why: &str) -> Result<()> {
    journal::to_trash(&store.dir, RECORD)?;
    journal::clean(&store.dir)?;
    println!(
        "the layer record {} was unreadable ({why}); it was removed: the next build rebuilds both layers",
        store.path.join(RECORD).display()
    );
    Ok(())
}
