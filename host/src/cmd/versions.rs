//! `zerops-cache versions`: the deploy artifacts of a setup (the last 10
//! kept), the active one marked; `versions export N DIR` writes a copy of
//! any kept version.

use anyhow::Result;
use serde::Serialize;

use super::Format;
use super::project::{Project, RetentionArgs, StoreArgs};
use zerops_cache_base::exit::Exit;
use zerops_cache_store::phases::{retention, version_verify, versions};

#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    #[command(subcommand)]
    pub(crate) action: Option<VersionsAction>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Remove the versions over the retention budget now, and say why.
    #[arg(long)]
    pub(crate) prune: bool,
    #[command(flatten)]
    pub(crate) retention: RetentionArgs,
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum VersionsAction {
    /// Write a copy of version N into DIR (new, or an empty directory):
    /// new files throughout, so the copy can be changed freely.
    Export {
        /// The version number (see `zerops-cache versions`).
        version: u32,
        /// Where the copy goes.
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Serialize)]
struct VersionOut {
    version: u32,
    active: bool,
    created_at: Option<String>,
    files: Option<u64>,
    bytes: Option<u64>,
    /// Its directory (the newest and the activated versions have one;
    /// `versions export` copies any version).
    path: Option<String>,
}

pub fn list(args: VersionsArgs) -> Result<Exit> {
    let project = Project::load(&args.store)?;
    let store = project.store(&args.store, "versions")?;
    if let Some(VersionsAction::Export { version, dir }) = &args.action {
        return export(&store.dir, *version, dir);
    }
    if args.prune {
        let removed = retention::prune(
            &project.host,
            &store.dir,
            &args.retention.budget(),
            Vec::new(),
        )?;
        if removed.is_empty() {
            eprintln!("prune: every version is within the budget");
        }
        for r in &removed {
            eprintln!("prune: removed version {}: {}", r.number, r.reason);
        }
    }
    let active = versions::active(&store.dir);
    let out: Vec<VersionOut> = versions::list_versions(&store.dir)?
        .into_iter()
        .map(|v| {
            let m = versions::meta(&store.dir, v);
            VersionOut {
                version: v,
                active: Some(v) == active,
                created_at: m.as_ref().map(|m| m.created_at.clone()),
                files: m.as_ref().map(|m| m.files),
                bytes: m.as_ref().map(|m| m.bytes),
                path: zerops_cache_store::phases::version_view::exists(&store.dir, v)
                    .then(|| store.abs(&format!("versions/{v}")).display().to_string()),
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
                    "{} {:>4}  {}  {}  {:>10}  {}",
                    if v.active { "*" } else { " " },
                    v.version,
                    v.created_at.as_deref().unwrap_or("?"),
                    zerops_cache_base::render::count(v.files.unwrap_or(0), "file", "files"),
                    zerops_cache_contract::retention::human_bytes(v.bytes.unwrap_or(0)),
                    v.path
                        .as_deref()
                        .unwrap_or("(no directory: `versions export`)")
                );
            }
        }
    }
    Ok(Exit::Ok)
}

/// `versions export N DIR`.
fn export(store: &cap_std::fs::Dir, v: u32, dir: &std::path::Path) -> Result<Exit> {
    use anyhow::Context;
    // No version is class 2; a damaged record is class 6, naming it.
    versions::meta_checked(store, v)?;
    let mut created = false;
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Exit::Usage.error(format!(
                    "versions export: {} is not empty (give a new or empty directory)",
                    dir.display()
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            created = true;
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    }
    let out = cap_std::fs::Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .with_context(|| format!("opening {}", dir.display()))?;
    if let Err(e) = version_verify::export(store, v, &out) {
        // A half-written copy is no copy; a directory the user gave stays.
        drop(out);
        if created {
            let _ = std::fs::remove_dir_all(dir);
        }
        return Err(e.context(format!("exporting version {v}")));
    }
    eprintln!("version {v} written to {}", dir.display());
    Ok(Exit::Ok)
}
