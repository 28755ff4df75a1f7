//! `zerops-cache activate N`: marks a deploy artifact active and, as on
//! Zerops (`PUT /app-version/{id}/deploy`), invalidates the build cache.

use anyhow::Result;
use zerops_cache_contract::record::Event;

use super::project::{Project, StoreArgs};
use super::project::{add_event, stamp};
use zerops_cache_base::exit::Exit;
use zerops_cache_store::phases::{version_verify, versions};
use zerops_cache_store::store::record_io::read_record;

#[derive(Debug, clap::Args)]
pub struct ActivateArgs {
    /// The version number (see `zerops-cache versions`).
    pub(crate) version: u32,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) remote: zerops_cache_remote::remote::config::RemoteArgs,
}

pub fn run(args: ActivateArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Activate),
    )?;
    let store = project.store(&args.store, "activate")?;
    // The record and tree checked, then every object read through: the
    // active version is the one to deploy.
    let (_, tree) = versions::checked_tree(&store.dir, args.version)?;
    version_verify::verify(&store.dir, args.version, &tree)?;
    super::invalidate::reach_remote(
        &project,
        &store,
        &args.remote,
        &format!("activate {}", args.version),
    )?;
    // Its directory first: the active version is the one to deploy.
    // Made afresh from the checked tree (never trusting the directory that
    // is there: a file of it may have been replaced).
    zerops_cache_store::phases::version_view::make(&store.dir, args.version, &tree)?;
    versions::set_active(&store.dir, args.version)?;
    if let Some(record) = read_record(&store)? {
        let event = Event::VersionActivated {
            version: args.version,
            at: stamp()?,
        };
        match add_event(&project, &store.dir, &record, event) {
            Ok(_) => {}
            // A record the component cannot read: the next build rebuilds
            // both layers anyway, which is what the event would ask for.
            Err(e) if Exit::of(&e) == Exit::Config => eprintln!(
                "warning: {} is not readable ({e:#}); the next build rebuilds both layers \
                 (`zerops-cache repair` sets it aside)",
                store
                    .path
                    .join(zerops_cache_store::store::layout::RECORD)
                    .display()
            ),
            Err(e) => return Err(e),
        }
    }
    println!(
        "version {} is active; the build cache is invalidated (as on Zerops)",
        args.version
    );
    Ok(Exit::Ok)
}
