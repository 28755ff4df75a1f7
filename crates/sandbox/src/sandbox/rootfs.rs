//! The container's OS image (the overlay's lower layer) and its identity,
//! which the layer record keeps: a different image rebuilds the base layer.
//!
//! - the host's own root (default): identified by `/etc/os-release`, the
//!   machine architecture and whether the layer is made as root or
//!   unprivileged (their whiteouts and opaque marks differ), and with
//!   which subordinate ids;
//! - `--rootfs DIR`: a digest of the tree's listing (path, type, mode,
//!   size, modification time, link target);
//! - `--rootfs FILE.tar`: a digest of the tar's bytes; it is unpacked once
//!   into the store (`image/`) and used as a directory.

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::namespaces;

/// A resolved image.
#[derive(Debug, Clone)]
pub enum Image {
    /// The host's `/`.
    HostRoot { id: String },
    /// A root filesystem directory (given, or unpacked from a tar).
    Dir { path: PathBuf, id: String },
    /// A tar not unpacked yet (resolved for a dry run only).
    Tar { path: PathBuf, id: String },
    /// A pulled OCI image: its unpacked layers, bottom first (see
    /// `crate::image`), and its config's environment.
    Layers {
        layers: Vec<PathBuf>,
        id: String,
        env: Vec<(String, String)>,
    },
}

impl Image {
    /// The identity recorded with the base layer.
    pub(crate) fn id(&self) -> &str {
        match self {
            Image::HostRoot { id }
            | Image::Dir { id, .. }
            | Image::Tar { id, .. }
            | Image::Layers { id, .. } => id,
        }
    }

    pub fn is_host_root(&self) -> bool {
        matches!(self, Image::HostRoot { .. })
    }

    /// The overlay's lower directory.
    pub(crate) fn lower(&self) -> &Path {
        match self {
            Image::HostRoot { .. } => Path::new("/"),
            Image::Dir { path, .. } | Image::Tar { path, .. } => path,
            Image::Layers { layers, .. } => layers.last().map_or(Path::new("/"), |p| p),
        }
    }

    /// The overlay's lower directories, top first, when there are several.
    pub(crate) fn lowers(&self) -> Vec<PathBuf> {
        match self {
            Image::Layers { layers, .. } => layers.iter().rev().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The image config's environment (pulled images only).
    pub fn env(&self) -> &[(String, String)] {
        match self {
            Image::Layers { env, .. } => env,
            _ => &[],
        }
    }
}

/// Root, rootless, or rootless with subordinate ids (the map's extents
/// in the digest: files owned by other ids are other files).
fn flavour() -> String {
    if namespaces::is_root() {
        return "root".into();
    }
    match super::subids::mapped() {
        None => "rootless".into(),
        Some(m) => {
            let mut h = Sha256::new();
            h.update(m.describe().as_bytes());
            format!("rootless-subids-{}", &short(&h.finalize())[..8])
        }
    }
}

fn short(d: &[u8]) -> String {
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The identity of a build without a container.
pub const NO_CONTAINER: &str = "none (host, no container)";

/// Identifies the image: the host root, or `rootfs`, without unpacking.
pub(crate) fn identify(rootfs: Option<&Path>) -> Result<Image> {
    let Some(p) = rootfs else {
        let release = std::fs::read("/etc/os-release").unwrap_or_default();
        let name = String::from_utf8_lossy(&release)
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| "unknown OS".into());
        let mut h = Sha256::new();
        h.update(&release);
        h.update(std::env::consts::ARCH.as_bytes());
        h.update(flavour().as_bytes());
        let id = format!(
            "host-root {name} {} {} #{}",
            std::env::consts::ARCH,
            flavour(),
            short(&h.finalize())
        );
        return Ok(Image::HostRoot { id });
    };
    let md = std::fs::metadata(p)
        .with_context(|| format!("--rootfs {}: cannot read it", p.display()))?;
    if md.is_dir() {
        let mut h = Sha256::new();
        listing(p, Path::new(""), &mut h)
            .with_context(|| format!("--rootfs {}: reading the tree", p.display()))?;
        h.update(flavour().as_bytes());
        let path = p
            .canonicalize()
            .with_context(|| format!("--rootfs {}", p.display()))?;
        let id = format!(
            "rootfs dir {} {} #{}",
            path.display(),
            flavour(),
            short(&h.finalize())
        );
        return Ok(Image::Dir { path, id });
    }
    let mut f = std::fs::File::open(p).with_context(|| format!("--rootfs {}", p.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.update(flavour().as_bytes());
    let id = format!("rootfs tar {} #{}", flavour(), short(&h.finalize()));
    Ok(Image::Tar {
        path: p.to_path_buf(),
        id,
    })
}

fn listing(root: &Path, rel: &Path, h: &mut Sha256) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let r = rel.join(e.file_name());
        let md = e.metadata()?;
        use std::os::unix::ffi::OsStrExt;
        h.update(r.as_os_str().as_bytes());
        h.update(
            format!(
                "\0{:o} {} {} {} {}\0",
                md.mode(),
                md.uid(),
                md.len(),
                md.mtime(),
                md.mtime_nsec()
            )
            .as_bytes(),
        );
        if md.file_type().is_symlink() {
            h.update(std::fs::read_link(e.path())?.as_os_str().as_bytes());
        } else if md.is_dir() {
            listing(root, &r, h)?;
        }
    }
    Ok(())
}

/// Makes the image usable as a lower directory: a tar is unpacked into
/// `scratch` (kept while its digest matches), as any user; see
/// [`super::unpack`].
pub fn materialize(img: Image, scratch: &Path) -> Result<Image> {
    let Image::Tar { path, id } = img else {
        return Ok(img);
    };
    let dir = scratch.join("rootfs");
    let stamp = scratch.join("digest");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(id.as_str()) && dir.is_dir() {
        return Ok(Image::Dir { path: dir, id });
    }
    super::clear_scratch(scratch)?;
    std::fs::create_dir_all(&dir)?;
    use super::unpack::{Owners, Skipped, unpack};
    let skipped = if namespaces::is_root() {
        unpack(&path, &dir, Owners::Keep)?
    } else if let Some(ids) = super::subids::mapped() {
        let task = super::userns::Task::Unpack {
            tar: path.clone(),
            dir: dir.clone(),
        };
        let out = super::userns::spawn_task(ids, task)
            .with_context(|| format!("--rootfs {}: unpacking", path.display()))?;
        serde_json::from_str::<Skipped>(out.trim())
            .with_context(|| format!("--rootfs {}: unpacking", path.display()))?
    } else {
        unpack(&path, &dir, Owners::User)?
    };
    if skipped.unmapped_owners > 0 {
        eprintln!(
            "zerops-cache: --rootfs {}: {} entries belong to ids past your subordinate range (/etc/subuid, /etc/subgid) and were given to root",
            path.display(),
            skipped.unmapped_owners
        );
    }
    if skipped.failed > 0 {
        eprintln!(
            "zerops-cache: --rootfs {}: {} entries could not be unpacked and were left out: {}",
            path.display(),
            skipped.failed,
            skipped.reasons.join("; ")
        );
    }
    std::fs::write(&stamp, &id)?;
    Ok(Image::Dir { path: dir, id })
}

/// What a build runs on: an image (in the container), or the host.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The identity recorded with the base layer.
    pub id: String,
    /// None with `--isolation none`.
    pub image: Option<Image>,
    /// What to show of it: the reference, where the choice came from,
    /// present or pulled (pulled and host images).
    pub about: Option<String>,
    /// A pulled image's digest.
    pub digest: Option<String>,
}

/// The image `args` name, identified (a tar is not unpacked yet).
pub fn resolve(args: &super::SandboxArgs) -> Result<Resolved> {
    match args.isolation {
        super::Isolation::None => {
            if let Some(r) = &args.rootfs {
                bail!(
                    "--rootfs {} needs the container; it cannot be used with --isolation none",
                    r.display()
                );
            }
            Ok(Resolved {
                id: NO_CONTAINER.to_string(),
                image: None,
                about: None,
                digest: None,
            })
        }
        super::Isolation::Container => {
            let img = identify(args.rootfs.as_deref())?;
            Ok(Resolved {
                id: img.id().to_string(),
                image: Some(img),
                about: None,
                digest: None,
            })
        }
    }
}
