//! `zerops-cache activate N`: marks a deploy artifact active and, as on
//! Zerops (`PUT /app-version/{id}/deploy`), invalidates the build cache.

use anyhow::{Result, bail};
use zerops_cache_contract::record::Event;

use super::project::{Project, StoreArgs};
use super::project::{add_event, stamp};
use crate::exit::Exit;
use crate::phases::artifact;
use crate::store::record_io::read_record;

#[derive(Debug, clap::Args)]
pub struct ActivateArgs {
    /// The version number (see `zerops-cache versions`).
    pub version: u32,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub remote: crate::remote::config::RemoteArgs,
}

pub fn run(args: ActivateArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Activate),
    )?;
    let store = project.store(&args.store, "activate")?;
    if artifact::meta(&store.dir, args.version).is_none() {
        bail!(
            "there is no version {} (see `zerops-cache versions`)",
            args.version
        );
    }
    super::invalidate::reach_remote(
        &project,
        &store,
        &args.remote,
        &format!("activate {}", args.version),
    )?;
    // Its directory first: the active version is the one to deploy.
    artifact::ensure_view(&store.dir, args.version)?;
    artifact::set_active(&store.dir, args.version)?;
    if let Some(record) = read_record(&store)? {
        add_event(
            &project,
            &store.dir,
            &record,
            Event::VersionActivated {
                version: args.version,
                at: stamp()?,
            },
        )?;
    }
    println!(
        "version {} is active; the build cache is invalidated (as on Zerops)",
        args.version
    );
    Ok(Exit::Ok)
}
