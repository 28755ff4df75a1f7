//! The build image: `os` and `base` resolved by the component (the policy's
//! table, the override files, `--image`), pulled from its registry
//! ([`pull`]), unpacked once into the image store shared by every project
//! ([`store`], [`unpack`]) and stacked as the overlay's lower layers.
//!
//! `--rootfs` and `--isolation none` work as before; `--image host` is the
//! host's own root. Override files: the project's `.zerops-cache-images`
//! (beside zerops.yaml's project root), then the machine's
//! (`$ZEROPS_CACHE_IMAGES_FILE`, else `~/.config/zerops-cache/images`).

// Used by the commands: `store` (the image store) and the functions below;
// the rest is this crate's.
pub(crate) mod auth;
pub mod flatten;
pub(crate) mod pull;
pub mod store;
pub(crate) mod unpack;

use anyhow::{Context, Result};
use std::path::PathBuf;
use zerops_cache_contract::image::{ImageOverride, ImageRequest};

use store::{ImageMeta, ImageStore};
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_sandbox::sandbox::rootfs::Resolved;

pub(crate) const ENV_FILE: &str = "ZEROPS_CACHE_IMAGES_FILE";
pub(crate) const PROJECT_FILE: &str = ".zerops-cache-images";

pub use zerops_cache_sandbox::sandbox::PullPolicy;

/// The machine's override file.
pub(crate) fn machine_file() -> Option<PathBuf> {
    match std::env::var_os(ENV_FILE).filter(|p| !p.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::config_dir().map(|d| d.join("zerops-cache/images")),
    }
}

/// The override lines of the project at `root`, then the machine's.
pub fn overrides_in(
    host: &zerops_cache_component::component::PolicyHost,
    root: &std::path::Path,
) -> Result<Vec<ImageOverride>> {
    let mut out = Vec::new();
    for f in [Some(root.join(PROJECT_FILE)), machine_file()]
        .into_iter()
        .flatten()
    {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Exit::Config.error(format!("reading {}: {e}", f.display())));
            }
        };
        let shown = f.display().to_string();
        let lines = host
            .parse_image_overrides(&text, &shown)?
            .map_err(|e| Exit::Config.error(e))?;
        out.extend(lines);
    }
    Ok(out)
}

/// Notes, in the image store, that `store` built on `image` (for `images
/// ls` and so that `images rm`/`prune` keep it).
pub fn note_use(image: &Resolved, store: &std::path::Path) {
    if let (Some(d), Ok(s)) = (&image.digest, ImageStore::open_default())
        && let Err(e) = s.note_use(d, store)
    {
        eprintln!("warning: noting the image's use in the image store: {e:#}");
    }
}

/// What [`obtain`] found.
pub enum Obtained {
    Ready {
        /// The reference without its digest.
        name: String,
        meta: Box<ImageMeta>,
        /// Layer directories, bottom first.
        dirs: Vec<PathBuf>,
        /// Layers and bytes fetched, when it was pulled now.
        fetched: Option<(usize, u64)>,
    },
    /// Not in the store, and `--pull never`.
    Absent { name: String },
}

/// The image `canonical` names, from the store or pulled, as `policy` says.
pub fn obtain(
    host: &zerops_cache_component::component::PolicyHost,
    store: &ImageStore,
    canonical: &str,
    policy: PullPolicy,
    progress: bool,
    now: &str,
) -> Result<Obtained> {
    let reference = host
        .parse_image_reference(canonical)?
        .map_err(|e| Exit::Usage.error(e))?;
    let name = format!(
        "{}/{}{}",
        reference.registry,
        reference.repository,
        reference
            .tag
            .as_deref()
            .map(|t| format!(":{t}"))
            .unwrap_or_default()
    );
    let present = || -> Option<(ImageMeta, Vec<PathBuf>)> {
        let digest = match &reference.digest {
            Some(d) => d.clone(),
            None => store.lookup(canonical)?,
        };
        let m = store.meta(&digest)?;
        let dirs = store.complete(&m)?;
        Some((m, dirs))
    };
    let found = match policy {
        PullPolicy::Missing | PullPolicy::Never => present(),
        PullPolicy::Always => None,
    };
    if let Some((meta, dirs)) = found {
        return Ok(Obtained::Ready {
            name,
            meta: Box::new(meta),
            dirs,
            fetched: None,
        });
    }
    if policy == PullPolicy::Never {
        return Ok(Obtained::Absent { name });
    }
    let _lock = store.lock()?;
    // What a killed pull left: never used, removed now.
    if store.tmp().exists() {
        zerops_cache_sandbox::sandbox::clear_scratch(&store.tmp())?;
    }
    let req = pull::Request {
        reference: canonical,
        registry: &reference.registry,
        name: &name,
        progress,
        now,
    };
    let p = pull::pull(store, &req).class(Exit::Unsupported)?;
    store.set_ref(canonical, &p.meta.digest)?;
    let dirs = store
        .complete(&p.meta)
        .context("a pulled layer is missing from the image store")?;
    Ok(Obtained::Ready {
        name,
        meta: Box::new(p.meta),
        dirs,
        fetched: Some((p.fetched, p.bytes)),
    })
}

/// The image a config's setup resolves to (for `explain`): the reference
/// and where it came from, or why there is none.
pub fn describe_choice(
    host: &zerops_cache_component::component::PolicyHost,
    src: &str,
    setup: &str,
    overrides: &[ImageOverride],
) -> Result<String> {
    let Ok(keys) = host.keys(src, Some(setup))? else {
        return Ok("(unknown)".into());
    };
    let Some((_, Ok(snap))) = keys.into_iter().next() else {
        return Ok("(unknown)".into());
    };
    let req = ImageRequest {
        os: snap.inputs.os,
        base: snap.inputs.base,
        overrides: overrides.to_vec(),
        flag: None,
    };
    Ok(match host.resolve_image(&req)? {
        Ok(c) if c.host => format!("the host's own root ({})", c.origin),
        Ok(c) => c.reference,
        Err(_) => "none (no row: the build would stop)".into(),
    })
}
