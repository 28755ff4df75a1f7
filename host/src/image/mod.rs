//! The build image: `os` and `base` resolved by the component (the policy's
//! table, the override files, `--image`), pulled from its registry
//! ([`pull`]), unpacked once into the image store shared by every project
//! ([`store`], [`unpack`]) and stacked as the overlay's lower layers.
//!
//! `--rootfs` and `--isolation none` work as before; `--image host` is the
//! host's own root. Override files: the project's `.zerops-cache-images`
//! (beside zerops.yaml's project root), then the machine's
//! (`$ZEROPS_CACHE_IMAGES_FILE`, else `~/.config/zerops-cache/images`).

pub mod auth;
pub mod pull;
pub mod store;
pub mod unpack;

use anyhow::{Context, Result};
use std::path::PathBuf;
use zerops_cache_contract::image::{ImageOverride, ImageRequest};

use crate::cmd::project::Project;
use crate::exit::{Classify, Exit};
use crate::sandbox::rootfs::{self, Image, Resolved};
use crate::sandbox::{Isolation, SandboxArgs};
use store::{ImageMeta, ImageStore};

pub const ENV_FILE: &str = "ZEROPS_CACHE_IMAGES_FILE";
pub const PROJECT_FILE: &str = ".zerops-cache-images";

/// `--pull`, with podman's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PullPolicy {
    /// Pull only when the image is not in the image store.
    #[default]
    Missing,
    /// Ask the registry every time (a moved tag is pulled).
    Always,
    /// Never contact a registry; an image not pulled is an error.
    Never,
}

/// The machine's override file.
pub fn machine_file() -> Option<PathBuf> {
    match std::env::var_os(ENV_FILE).filter(|p| !p.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::config_dir().map(|d| d.join("zerops-cache/images")),
    }
}

fn overrides(project: &Project) -> Result<Vec<ImageOverride>> {
    overrides_in(&project.host, &project.root)
}

/// The override lines of the project at `root`, then the machine's.
pub fn overrides_in(
    host: &crate::component::PolicyHost,
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

/// The request of the project's setup.
fn request(project: &Project, args: &SandboxArgs) -> Result<ImageRequest> {
    if args.image.is_some() {
        // `--image` decides alone: the config's os and base are not read.
        return Ok(ImageRequest {
            flag: args.image.clone(),
            ..ImageRequest::default()
        });
    }
    let keys = project
        .host
        .keys(&project.source, project.setup())?
        .map_err(|d| Exit::Config.error(d.message))?;
    let snap = keys
        .into_iter()
        .next()
        .context("no setup")?
        .1
        .map_err(|d| Exit::Config.error(d.message))?;
    Ok(ImageRequest {
        os: snap.inputs.os,
        base: snap.inputs.base,
        overrides: overrides(project)?,
        flag: args.image.clone(),
    })
}

fn flavour() -> &'static str {
    if crate::sandbox::namespaces::is_root() {
        "root"
    } else {
        "rootless"
    }
}

/// How a command may get the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A build: pull as `--pull` says.
    Build { progress: bool },
    /// `plan`, `status`: never contact a registry.
    Look,
}

/// The image a command of `project` uses, as `args` and the config say.
pub fn resolve(args: &SandboxArgs, project: &Project, access: Access) -> Result<Resolved> {
    if args.isolation == Isolation::None || args.rootfs.is_some() {
        if let (Some(r), Some(i)) = (&args.rootfs, &args.image)
            && i != "host"
        {
            return Err(Exit::Usage.error(format!(
                "--rootfs {} and --image {i} both name the image; give one",
                r.display()
            )));
        }
        return rootfs::resolve(args).class(Exit::Usage);
    }
    let req = match request(project, args) {
        Ok(r) => r,
        // `status` of a file the platform refuses still answers.
        Err(e) if access == Access::Look => {
            return Ok(Resolved {
                id: "(unknown: the config cannot be read)".into(),
                image: None,
                about: Some(format!("unknown: {e:#}")),
                digest: None,
            });
        }
        Err(e) => return Err(e),
    };
    let choice = project
        .host
        .resolve_image(&req)?
        .map_err(|e| Exit::Config.error(e))?;
    if choice.host {
        let mut r = rootfs::resolve(args).class(Exit::Usage)?;
        r.about = Some(format!("the host's own root (from {})", choice.origin));
        return Ok(r);
    }
    let policy = match access {
        Access::Build { .. } => args.pull,
        Access::Look => PullPolicy::Never,
    };
    let progress = matches!(access, Access::Build { progress: true });
    let store = ImageStore::open_default()?;
    let got = obtain(&project.host, &store, &choice.canonical, policy, progress)?;
    let (name, meta, dirs, fetched) = match got {
        Obtained::Ready {
            name,
            meta,
            dirs,
            fetched,
        } => (name, meta, dirs, fetched),
        Obtained::Absent { name } => {
            let about = format!("{} ({}), not pulled", choice.reference, choice.origin);
            if access == Access::Look {
                return Ok(Resolved {
                    id: format!("oci {name} (not pulled) {}", flavour()),
                    image: None,
                    about: Some(about),
                    digest: None,
                });
            }
            return Err(Exit::Usage.error(format!(
                "the image {} is not in the image store and --pull never was given; \
                 pull it first (`zerops-cache images pull {}`), or pass --pull missing",
                choice.reference, choice.reference
            )));
        }
    };
    let id = project
        .host
        .image_identity(&name, &meta.digest, flavour())?;
    let short = &meta.digest[..meta.digest.len().min(19)];
    let mut about = format!("{} {short}… ({})", choice.reference, choice.origin);
    match fetched {
        Some((n, b)) => about.push_str(&format!(
            ", pulled: {n} layer(s), {}",
            zerops_cache_contract::retention::human_bytes(b)
        )),
        None => about.push_str(", present"),
    }
    let env = meta
        .env
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(Resolved {
        id: id.clone(),
        image: Some(Image::Layers {
            layers: dirs,
            id,
            env,
        }),
        about: Some(about),
        digest: Some(meta.digest),
    })
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
    host: &crate::component::PolicyHost,
    store: &ImageStore,
    canonical: &str,
    policy: PullPolicy,
    progress: bool,
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
        crate::sandbox::clear_scratch(&store.tmp())?;
    }
    let p = pull::pull(
        store,
        canonical,
        &reference.registry,
        &name,
        progress,
        &crate::cmd::project::now(),
    )
    .class(Exit::Unsupported)?;
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
    host: &crate::component::PolicyHost,
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
