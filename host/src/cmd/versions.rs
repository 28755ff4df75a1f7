//! `zerops-cache versions`: the deploy artifacts of a setup (the last 10
//! kept), the active one marked.

use anyhow::Result;
use serde::Serialize;

use super::project::{Project, StoreArgs};
use super::{Format, exit};
use crate::phases::artifact;

#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
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

pub fn list(args: VersionsArgs) -> Result<u8> {
    let project = Project::load(&args.store)?;
    let store = project.store(&args.store, "versions")?;
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
                    "{} {:>4}  {}  {} file(s)  {}",
                    if v.active { "*" } else { " " },
                    v.version,
                    v.created_at.as_deref().unwrap_or("?"),
                    v.files.unwrap_or(0),
                    v.path
                );
            }
        }
    }
    Ok(exit::OK)
}
