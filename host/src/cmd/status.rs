//! `zerops-cache status`: the layers of a setup's store, their keys and
//! sizes, the last build, and whether the next build would reuse them and
//! why.

use anyhow::{Result, anyhow};
use serde::Serialize;
use std::path::Path;
use zerops_cache_policy::record::LayerRecord;

use super::project::{Project, StoreArgs};
use super::{Format, exit};
use crate::moves;
use crate::phases::artifact;
use crate::store::layout::{CACHE, HOME};
use crate::store::record_io::read_record;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Serialize)]
struct LayerStatus {
    entries: u64,
    bytes: u64,
    /// The key the layer was built with (none before the first build).
    key: Option<String>,
    /// The key the current config gives.
    current_key: String,
    next_build: &'static str,
    reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StatusOut {
    setup: String,
    store: String,
    last_build: Option<String>,
    layers: std::collections::BTreeMap<&'static str, LayerStatus>,
    versions: Vec<u32>,
    active_version: Option<u32>,
}

pub fn run(args: StatusArgs) -> Result<u8> {
    let project = Project::load(&args.store)?;
    // A store that does not exist yet is not created by looking at it.
    let store = project.existing_store(&args.store, "status")?;
    let record = match &store {
        Some(s) => read_record(s)?,
        None => None,
    };
    let store_path = match &store {
        Some(s) => s.path.clone(),
        None => crate::store::Store::path_of(
            args.store.store.as_deref(),
            &project.root,
            &project.build.setup,
        )?,
    };
    let d = project
        .host
        .decide(&project.source, project.setup(), record.as_deref())?
        .map_err(|d| anyhow!("{}", d.message))?;
    let last_build = record
        .as_deref()
        .and_then(|r| LayerRecord::from_json(r).ok())
        .map(|r| r.built_at.as_str().to_string());
    let usage = |rel: &str| {
        store
            .as_ref()
            .and_then(|s| moves::usage(&s.dir, Path::new(rel)).ok())
            .unwrap_or((0, 0))
    };
    let (he, hb) = usage(HOME);
    let (ce, cb) = usage(CACHE);
    let mut layers = std::collections::BTreeMap::new();
    layers.insert(
        "base",
        LayerStatus {
            entries: he.saturating_sub(1),
            bytes: hb,
            key: d.previous_keys.as_ref().map(|k| k.base.clone()),
            current_key: d.keys.base.clone(),
            next_build: if d.base.invalidated {
                "rebuild"
            } else {
                "reuse"
            },
            reasons: d.base.reasons.iter().map(|r| r.message.clone()).collect(),
        },
    );
    layers.insert(
        "build",
        LayerStatus {
            entries: ce.saturating_sub(1),
            bytes: cb,
            key: d.previous_keys.as_ref().map(|k| k.build.clone()),
            current_key: d.keys.build.clone(),
            next_build: if d.build.invalidated { "drop" } else { "reuse" },
            reasons: d.build.reasons.iter().map(|r| r.message.clone()).collect(),
        },
    );
    let out = StatusOut {
        setup: project.build.setup.clone(),
        store: store_path.display().to_string(),
        last_build,
        layers,
        versions: match &store {
            Some(s) => artifact::list_versions(&s.dir)?,
            None => Vec::new(),
        },
        active_version: store.as_ref().and_then(|s| artifact::active(&s.dir)),
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&out)?),
        Format::Human => {
            println!("setup `{}`, store {}", out.setup, out.store);
            println!(
                "  last build: {}",
                out.last_build.as_deref().unwrap_or("never")
            );
            for (name, l) in &out.layers {
                println!(
                    "  {name} layer: {} entries, {} bytes; next build: {}{}",
                    l.entries,
                    l.bytes,
                    l.next_build,
                    if l.reasons.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", l.reasons.join("; "))
                    }
                );
                println!("    key {}", l.key.as_deref().unwrap_or("(none yet)"));
            }
            println!(
                "  versions: {:?}, active: {}",
                out.versions,
                out.active_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into())
            );
        }
    }
    Ok(exit::OK)
}
