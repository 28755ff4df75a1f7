//! The image store, shared by every project and store of the user:
//!
//! ```text
//! <root>/                         $ZEROPS_CACHE_IMAGES, or <user cache dir>/zerops-cache/images
//!   lock                          held (exclusively) while pulling or removing
//!   refs/<hash>.json              a reference (as pulled) → its manifest digest
//!   images/<hex>.json             an image: reference, digest, platform manifest, layers
//!   layers/<flavour>/<hex>/       one layer, unpacked (content-addressed by the
//!                                 digest of its blob); only ever renamed in whole
//!   uses/<hex>/<hash>             a store that built on image <hex> (its path)
//!   tmp/                          downloads and unpacks in progress; emptied by
//!                                 the next pull (a kill -9 leaves nothing in use)
//! ```
//! `flavour` is `root` (owners kept, `trusted.` overlay marks) or
//! `rootless-UID` (the user's files, `user.` marks): the two cannot share.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub(crate) const ENV: &str = "ZEROPS_CACHE_IMAGES";

/// One layer of an image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub(crate) size: u64,
    pub(crate) media_type: String,
}

/// What the store keeps of a pulled image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageMeta {
    /// The reference it was pulled as (canonical, without a digest).
    pub reference: String,
    /// What the reference names: the index's digest for a multi-arch
    /// image, else the manifest's. Its identity.
    pub digest: String,
    /// The manifest of this host's platform.
    pub(crate) manifest: String,
    pub platform: String,
    /// Bottom first.
    pub layers: Vec<Layer>,
    /// The image config's `Env` (`NAME=VALUE`), the container's start.
    #[serde(default)]
    pub env: Vec<String>,
    pub pulled_at: String,
}

/// A reference's entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefEntry {
    pub reference: String,
    pub digest: String,
}

pub struct ImageStore {
    pub root: PathBuf,
}

pub fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `root` or `rootless-UID`.
pub(crate) fn flavour() -> String {
    if zerops_cache_sandbox::sandbox::namespaces::is_root() {
        "root".into()
    } else {
        format!(
            "rootless-{}",
            zerops_cache_sandbox::sandbox::namespaces::uid()
        )
    }
}

/// Writes `bytes` to `path` by a rename (never half a file).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("no parent")?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("x"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

impl ImageStore {
    /// `$ZEROPS_CACHE_IMAGES`, else the user's cache directory.
    pub fn open_default() -> Result<ImageStore> {
        let root = match std::env::var_os(ENV).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => dirs::cache_dir()
                .context("no user cache directory is known here; set ZEROPS_CACHE_IMAGES")?
                .join("zerops-cache/images"),
        };
        Ok(ImageStore { root })
    }

    pub fn layer_dir(&self, digest: &str) -> PathBuf {
        self.root.join("layers").join(flavour()).join(hex(digest))
    }

    pub(crate) fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn ref_path(&self, reference: &str) -> PathBuf {
        self.root
            .join("refs")
            .join(format!("{}.json", hash(reference)))
    }

    fn meta_path(&self, digest: &str) -> PathBuf {
        self.root
            .join("images")
            .join(format!("{}.json", hex(digest)))
    }

    /// Takes the store's lock (exclusive), waiting for another pull.
    pub fn lock(&self) -> Result<std::fs::File> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("creating the image store {}", self.root.display()))?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("lock"))?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .context("locking the image store")?;
        Ok(f)
    }

    /// The digest a reference was last pulled as.
    pub fn lookup(&self, reference: &str) -> Option<String> {
        let t = std::fs::read(self.ref_path(reference)).ok()?;
        let e: RefEntry = serde_json::from_slice(&t).ok()?;
        (e.reference == reference).then_some(e.digest)
    }

    pub(crate) fn set_ref(&self, reference: &str, digest: &str) -> Result<()> {
        let e = RefEntry {
            reference: reference.into(),
            digest: digest.into(),
        };
        write_atomic(&self.ref_path(reference), &serde_json::to_vec(&e)?)
    }

    pub fn meta(&self, digest: &str) -> Option<ImageMeta> {
        let t = std::fs::read(self.meta_path(digest)).ok()?;
        serde_json::from_slice(&t).ok()
    }

    pub(crate) fn set_meta(&self, m: &ImageMeta) -> Result<()> {
        write_atomic(&self.meta_path(&m.digest), &serde_json::to_vec_pretty(m)?)
    }

    /// The image's layer directories, bottom first, if every one is here.
    pub(crate) fn complete(&self, m: &ImageMeta) -> Option<Vec<PathBuf>> {
        m.layers
            .iter()
            .map(|l| {
                let d = self.layer_dir(&l.digest);
                d.is_dir().then_some(d)
            })
            .collect()
    }

    pub fn all_refs(&self) -> Vec<RefEntry> {
        let mut out: Vec<RefEntry> = std::fs::read_dir(self.root.join("refs"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
            .collect();
        out.sort_by(|a: &RefEntry, b| a.reference.cmp(&b.reference));
        out
    }

    pub fn all_images(&self) -> Vec<ImageMeta> {
        std::fs::read_dir(self.root.join("images"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
            .collect()
    }

    /// Notes that the store at `store` built on `digest`.
    pub(crate) fn note_use(&self, digest: &str, store: &Path) -> Result<()> {
        let s = store.to_string_lossy();
        let p = self.root.join("uses").join(hex(digest)).join(hash(&s));
        if std::fs::read_to_string(&p).ok().as_deref() == Some(&*s) {
            return Ok(());
        }
        write_atomic(&p, s.as_bytes())
    }

    /// The stores whose layer record is still built on `digest`.
    pub fn users(&self, digest: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.root.join("uses").join(hex(digest)))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(PathBuf::from)
            .filter(|store| {
                std::fs::read_to_string(store.join(zerops_cache_store::store::layout::RECORD))
                    .is_ok_and(|r| r.contains(digest))
            })
            .collect();
        out.sort();
        out
    }

    /// Removes the image's metadata, references and uses, then every
    /// layer of it that no remaining image names; the bytes freed.
    pub fn remove(&self, m: &ImageMeta) -> Result<u64> {
        for r in self.all_refs() {
            if r.digest == m.digest {
                let _ = std::fs::remove_file(self.ref_path(&r.reference));
            }
        }
        std::fs::remove_file(self.meta_path(&m.digest))?;
        let _ = std::fs::remove_dir_all(self.root.join("uses").join(hex(&m.digest)));
        let mut freed = 0;
        let flat = super::flatten::flat_dir(self, &m.digest);
        if flat.exists() {
            let gone = self.tmp().join(format!("rm.flat.{}", hex(&m.digest)));
            std::fs::create_dir_all(self.tmp())?;
            std::fs::rename(&flat, &gone)?;
            freed += du(&gone);
            zerops_cache_sandbox::sandbox::clear_scratch(&gone)?;
        }
        let kept: std::collections::BTreeSet<String> = self
            .all_images()
            .into_iter()
            .flat_map(|i| i.layers.into_iter().map(|l| l.digest))
            .collect();
        for l in &m.layers {
            if kept.contains(&l.digest) {
                continue;
            }
            let d = self.layer_dir(&l.digest);
            if d.exists() {
                // Into tmp by a rename first: never half a layer in place.
                let gone = self.tmp().join(format!("rm.{}", hex(&l.digest)));
                std::fs::create_dir_all(self.tmp())?;
                std::fs::rename(&d, &gone)?;
                freed += du(&gone);
                zerops_cache_sandbox::sandbox::clear_scratch(&gone)?;
            }
        }
        Ok(freed)
    }
}

/// Bytes below `p` (files counted once per inode).
pub fn du(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(md) = e.path().symlink_metadata() else {
                continue;
            };
            if md.is_dir() {
                stack.push(e.path());
            } else if seen.insert((md.dev(), md.ino())) {
                total += md.blocks() * 512;
            }
        }
    }
    total
}
