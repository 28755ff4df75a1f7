//! `zerops-cache images ls | pull | rm | prune | table`: the image store
//! shared by every project (see `zerops_cache_image::image::store`).

use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;

use super::Format;
use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::retention::human_bytes;
use zerops_cache_image::image::store::{ImageMeta, ImageStore, du, hex};
use zerops_cache_image::image::{Obtained, PullPolicy, obtain};

#[derive(Debug, clap::Subcommand)]
pub enum ImagesCmd {
    /// The pulled images: reference, digest, size, and the stores that use each.
    Ls(LsArgs),
    /// Pull an image now (from its registry, even if present).
    Pull { reference: String },
    /// Remove an image (its layers no other image shares); refused while a store uses it.
    Rm { reference: String },
    /// Remove every image no store uses.
    Prune,
    /// The table that maps `os` and `base` to images, with sources.
    Table(LsArgs),
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Serialize)]
struct Listed {
    references: Vec<String>,
    digest: String,
    platform: String,
    layers: usize,
    bytes: u64,
    pulled_at: String,
    stores: Vec<PathBuf>,
}

pub fn run(cmd: ImagesCmd) -> Result<Exit> {
    let store = ImageStore::open_default()?;
    match cmd {
        ImagesCmd::Ls(a) => ls(&store, a.format),
        ImagesCmd::Pull { reference } => pull(&store, &reference),
        ImagesCmd::Rm { reference } => rm(&store, &reference),
        ImagesCmd::Prune => prune(&store),
        ImagesCmd::Table(a) => table(a.format),
    }
}

/// `images pull`: fetches the image, even when the store has it.
fn pull(store: &ImageStore, reference: &str) -> Result<Exit> {
    let host = PolicyHost::load()?;
    let canonical = canonical(&host, reference)?;
    let progress = zerops_cache_base::progress::enabled(false);
    match obtain(
        &host,
        store,
        &canonical,
        PullPolicy::Always,
        progress,
        &zerops_cache_base::clock::now(),
    )? {
        Obtained::Ready { meta, fetched, .. } => {
            let (n, b) = fetched.unwrap_or((0, 0));
            println!(
                "{reference}: {} ({} fetched, {})",
                meta.digest,
                zerops_cache_base::render::count(n as u64, "layer", "layers"),
                human_bytes(b)
            );
        }
        Obtained::Absent { .. } => unreachable!("pull always"),
    }
    Ok(Exit::Ok)
}

/// `images rm`: removes an image no store uses.
fn rm(store: &ImageStore, reference: &str) -> Result<Exit> {
    let host = PolicyHost::load()?;
    let canonical = canonical(&host, reference)?;
    let digest = match canonical.split_once('@') {
        Some((_, d)) => Some(d.to_string()),
        None => store.lookup(&canonical),
    };
    let Some(meta) = digest.and_then(|d| store.meta(&d)) else {
        return Err(Exit::Usage.error(format!("{reference} is not in the image store")));
    };
    let users = store.users(&meta.digest);
    if !users.is_empty() {
        let list: Vec<String> = users.iter().map(|u| u.display().to_string()).collect();
        return Err(Exit::Usage.error(format!(
            "{reference} is in use by {}; it stays (remove those stores, or rebuild them on another image, first)",
            list.join(", ")
        )));
    }
    let _lock = store.lock()?;
    let freed = store.remove(&meta)?;
    println!(
        "removed {reference} ({}), {} freed",
        meta.digest,
        human_bytes(freed)
    );
    Ok(Exit::Ok)
}

/// `images prune`: removes every image no store uses.
fn prune(store: &ImageStore) -> Result<Exit> {
    let _lock = store.lock()?;
    let mut total = 0;
    for m in store.all_images() {
        if store.users(&m.digest).is_empty() {
            let freed = store.remove(&m)?;
            total += freed;
            println!(
                "removed {} ({}), {} freed",
                m.reference,
                m.digest,
                human_bytes(freed)
            );
        }
    }
    println!("{} freed", human_bytes(total));
    Ok(Exit::Ok)
}

/// `images table`: the built-in image of each OS and base.
fn table(format: Format) -> Result<Exit> {
    let host = PolicyHost::load()?;
    let rows = host.image_table()?;
    if format == Format::Json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"os": r.os, "base": r.base, "image": r.image,
                    "source": r.source, "differs": r.differs})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        for r in rows {
            let base = if r.base.is_empty() { "(none)" } else { &r.base };
            println!("{:<7} {:<14} {:<45} {}", r.os, base, r.image, r.source);
        }
    }
    Ok(Exit::Ok)
}

fn canonical(host: &PolicyHost, reference: &str) -> Result<String> {
    let r = host
        .parse_image_reference(reference)?
        .map_err(|e| Exit::Usage.error(e))?;
    let mut s = format!("{}/{}", r.registry, r.repository);
    if let Some(t) = r.tag {
        s.push(':');
        s.push_str(&t);
    }
    if let Some(d) = r.digest {
        s.push('@');
        s.push_str(&d);
    }
    Ok(s)
}

fn size(store: &ImageStore, m: &ImageMeta) -> u64 {
    m.layers
        .iter()
        .map(|l| du(&store.layer_dir(&l.digest)))
        .sum()
}

fn ls(store: &ImageStore, format: Format) -> Result<Exit> {
    let refs = store.all_refs();
    let mut out: Vec<Listed> = store
        .all_images()
        .into_iter()
        .map(|m| Listed {
            references: refs
                .iter()
                .filter(|r| r.digest == m.digest)
                .map(|r| r.reference.clone())
                .collect(),
            bytes: size(store, &m),
            stores: store.users(&m.digest),
            layers: m.layers.len(),
            platform: m.platform.clone(),
            pulled_at: m.pulled_at.clone(),
            digest: m.digest,
        })
        .collect();
    out.sort_by(|a, b| a.references.cmp(&b.references));
    if format == Format::Json {
        println!("{}", serde_json::to_string(&out)?);
        return Ok(Exit::Ok);
    }
    if out.is_empty() {
        println!("no images in {}", store.root.display());
    }
    for i in &out {
        let names = if i.references.is_empty() {
            "(no reference)".to_string()
        } else {
            i.references.join(", ")
        };
        println!(
            "{names}\n  {} {}, {}, {} on disk, pulled {}",
            &hex(&i.digest)[..12.min(hex(&i.digest).len())],
            i.platform,
            zerops_cache_base::render::count(i.layers as u64, "layer", "layers"),
            human_bytes(i.bytes),
            i.pulled_at
        );
        if i.stores.is_empty() {
            println!("  used by no store");
        }
        for s in &i.stores {
            println!("  used by {}", s.display());
        }
    }
    Ok(Exit::Ok)
}
