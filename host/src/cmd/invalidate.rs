//! `zerops-cache invalidate`: the `DELETE /service-stack/{id}/build-cache`
//! equivalent. The layer record gets a manual-invalidation event, so the
//! next build runs clean (prepareCommands included) and says why.

use anyhow::Result;
use zerops_cache_contract::record::Event;

use super::project::{Project, StoreArgs, stamp};
use zerops_cache_base::exit::Exit;
use zerops_cache_store::store::journal;
use zerops_cache_store::store::layout::RECORD;
use zerops_cache_store::store::record_io::{BadFile, read_record, write_record};

#[derive(Debug, clap::Args)]
pub struct InvalidateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) remote: zerops_cache_remote::remote::config::RemoteArgs,
}

pub fn run(args: InvalidateArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Invalidate),
    )?;
    let store = project.store(&args.store, "invalidate")?;
    reach_remote(&project, &store, &args.remote, "invalidate")?;
    let record = match read_record(&store) {
        Ok(r) => r,
        Err(e) => match e.downcast_ref::<BadFile>() {
            Some(b) => {
                set_aside(&store, &b.problem)?;
                return Ok(Exit::Ok);
            }
            None => return Err(e),
        },
    };
    let Some(record) = record else {
        println!(
            "setup `{}` has no build cache yet: nothing to invalidate",
            project.build.setup
        );
        return Ok(Exit::Ok);
    };
    let e = Event::ManualInvalidation { at: stamp()? };
    match project.host.record_add_event(&record, &e)? {
        Ok(r) => write_record(&store.dir, &r)?,
        Err(d) => {
            set_aside(&store, &d.message)?;
            return Ok(Exit::Ok);
        }
    }
    println!(
        "invalidated the build cache of setup `{}`: the next build rebuilds both layers",
        project.build.setup
    );
    Ok(Exit::Ok)
}

/// Raises the remote epoch of the project and setup (when a remote is
/// configured), so that no builder restores the invalidated layers. A
/// remote that cannot be reached is an error: the local store is then
/// left as it was, and the command can be run again.
pub(crate) fn reach_remote(
    project: &Project,
    store: &zerops_cache_store::store::Store,
    remote: &zerops_cache_remote::remote::config::RemoteArgs,
    reason: &str,
) -> Result<()> {
    match zerops_cache_remote::remote::tier::invalidate(
        &project.host,
        remote,
        store,
        &project.identity.slug,
        &project.build.setup,
        reason,
    ) {
        Ok(Some(n)) => {
            println!("remote: epoch {n}: no builder restores the earlier layers of this setup");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(Exit::RemoteUnavailable.error(format!(
            "the remote could not be invalidated, so nothing was ({e:#}); run it again when the remote is reachable"
        ))),
    }
}

/// An unreadable record cannot take an event: it is removed, so the next
/// build has no previous cache and rebuilds both layers.
fn set_aside(store: &zerops_cache_store::store::Store, why: &str) -> Result<()> {
    journal::to_trash(&store.dir, RECORD)?;
    journal::clean(&store.dir)?;
    println!(
        "the layer record {} was unreadable ({why}); it was removed: the next build rebuilds both layers",
        store.path.join(RECORD).display()
    );
    Ok(())
}
