//! Which image a command of a project uses: the project's setup (its `os`
//! and `base`), the override files and `--image`, resolved by the component,
//! then found in the image store or pulled ([`zerops_cache_image::image`]). It reads the
//! project, so it lives with the commands; the image store and the pull
//! below it know nothing of projects.

use anyhow::{Context, Result};
use zerops_cache_contract::image::{
    FlagOrigin, ImageChoice, ImageFlag, ImageOverride, ImageRequest,
};

use crate::cmd::project::Project;
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_image::image::store::ImageStore;
use zerops_cache_image::image::{Obtained, PullPolicy, obtain, overrides_in};
use zerops_cache_sandbox::sandbox::rootfs::{self, Image, Resolved};
use zerops_cache_sandbox::sandbox::{Isolation, SandboxArgs};

fn overrides(project: &Project) -> Result<Vec<ImageOverride>> {
    overrides_in(&project.host, &project.root)
}

/// The image named for this build (`--image` or `ZEROPS_CACHE_IMAGE`), and
/// where.
fn flag(args: &SandboxArgs) -> Option<ImageFlag> {
    let origin = if args.image_from_env {
        FlagOrigin::Environment
    } else {
        FlagOrigin::CommandLine
    };
    args.image.clone().map(|image| ImageFlag { image, origin })
}

/// The request of the project's setup.
fn request(project: &Project, args: &SandboxArgs) -> Result<ImageRequest> {
    if args.image.is_some() {
        // `--image` decides alone: the config's os and base are not read.
        return Ok(ImageRequest {
            flag: flag(args),
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
        flag: None,
    })
}

fn flavour() -> &'static str {
    if zerops_cache_sandbox::sandbox::namespaces::is_root() {
        "root"
    } else {
        "rootless"
    }
}

/// How a command may get the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A build: pull as `--pull` says.
    Build { progress: bool },
    /// `plan`, `status`: never contact a registry.
    Look,
}

/// The image a command of `project` uses, as `args` and the config say.
pub(crate) fn resolve(args: &SandboxArgs, project: &Project, access: Access) -> Result<Resolved> {
    if args.isolation == Isolation::None || args.rootfs.is_some() {
        if let (Some(r), Some(f)) = (&args.rootfs, flag(args))
            && f.image != "host"
        {
            return Err(Exit::Usage.error(format!(
                "--rootfs {} and {} {} both name the image; give one",
                r.display(),
                f.origin.name(),
                f.image
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
    pulled(project, args, access, &choice)
}

/// A pulled image the component chose: obtained from the image store (or
/// a registry, as `--pull` and `access` allow).
fn pulled(
    project: &Project,
    args: &SandboxArgs,
    access: Access,
    choice: &ImageChoice,
) -> Result<Resolved> {
    let policy = match access {
        Access::Build { .. } => args.pull,
        Access::Look => PullPolicy::Never,
    };
    let progress = matches!(access, Access::Build { progress: true });
    let store = ImageStore::open_default()?;
    let got = obtain(
        &project.host,
        &store,
        &choice.canonical,
        policy,
        progress,
        &zerops_cache_base::clock::now(),
    )?;
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
    // Stacked as they are, or flattened once where one overlay cannot
    // stack them (a look at the image writes nothing).
    let dirs = match access {
        Access::Build { .. } => zerops_cache_image::image::flatten::lowers(&store, &meta, dirs)?,
        Access::Look => dirs,
    };
    let id = project
        .host
        .image_identity(&name, &meta.digest, flavour())?;
    let short = &meta.digest[..meta.digest.len().min(19)];
    let mut about = format!("{} {short}… ({})", choice.reference, choice.origin);
    match fetched {
        Some((n, b)) => about.push_str(&format!(
            ", pulled: {}, {}",
            zerops_cache_base::render::count(n as u64, "layer", "layers"),
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
