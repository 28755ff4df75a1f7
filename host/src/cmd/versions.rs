//! `zerops-cache versions`: the deploy artifacts of a setup (the last 10
//! kept), the active one marked.

use anyhow::Result;
use serde::Serialize;

use super::Format;
use super::project::{Project, RetentionArgs, StoreArgs};
use crate::exit::Exit;
use crate::phases::artifact;

#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Remove the versions over the retention budget now, and say why.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Serialize)]
struct VersionOut {
    version: u32,
    active: bool,
    created_at: Option<String>,
    files: Option<u64>,
    bytes: Option<u64>,
    path: String,
}

pub fn list(args: VersionsArgs) -> Result<Exit> {
    let project = Project::load(&args.store)?;
    let store = project.store(&args.store, "versions")?;
    if args.prune {
        let removed = artifact::prune(&project.host, &store.dir, &args.retention.budget())?;
        if removed.is_empty() {
            eprintln!("prune: every version is within the budget");
        }
        for r in &removed {
            eprintln!("prune: removed version {}: {}", r.number, r.reason);
        }
    }
    let active = artifact::active(&store.dir);
    let out: Vec<VersionOut> = artifact::list_versions(&store.dir)?
        .into_iter()
        .map(|v| {
            let m = artifact::meta(&store.dir, v);
            VersionOut {
                version: v,
                active: Some(v) == active,
                created_at: m.as_ref().map(|m| m.created_at.clone()),
                files: m.as_ref().map(|m| m.files),
                bytes: m.as_ref().map(|m| m.bytes),
                path: store.abs(&format!("versions/{v}")).display().to_string(),
            }
        })
        .collect();
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&out)?),
        Format::Human => {
            if out.is_empty() {
                println!("no versions yet: run `zerops-cache build`");
            }
            for v in &out {
                println!(
                    "{} {:>4}  {}  {} file(s)  {:>10}  {}",
                    if v.active { "*" } else { " " },
                    v.version,
                    v.created_at.as_deref().unwrap_or("?"),
                    v.files.unwrap_or(0),
                    zerops_cache_contract::retention::human_bytes(v.bytes.unwrap_or(0)),
                    v.path
                );
            }
        }
    }
    Ok(Exit::Ok)
}
