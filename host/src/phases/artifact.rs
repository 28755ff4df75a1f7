//! The deploy artifact: `deployFiles` resolved by the component (`~`
//! strip-prefix), filtered directory by directory by `.deployignore`, and
//! copied into a new numbered version before preserve moves anything away.
//! The last [`KEEP`] versions are kept.

use anyhow::{Context, Result, bail};
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::join;
use crate::ask::plan::{Entry, EntryKind};
use crate::component::PolicyHost;
use crate::moves;
use crate::store::layout::{ACTIVE, VERSIONS};
use crate::store::record_io::{read_opt, read_text, write_atomic};

/// How many versions are kept, as Zerops keeps 10 app versions.
pub const KEEP: usize = 10;

/// The largest `.deployignore` the build reads (the policy's lint limit).
pub const DEPLOYIGNORE_MAX: u64 = 1 << 20;

/// What is stored beside a version (`versions/N.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionMeta {
    pub version: u32,
    pub created_at: String,
    pub setup: String,
    pub files: u64,
    pub bytes: u64,
}

/// The versions in the store, oldest first.
pub fn list_versions(store: &Dir) -> Result<Vec<u32>> {
    let mut v: Vec<u32> = moves::list(store, Path::new(VERSIONS))
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.entry.kind == EntryKind::Dir)
        .filter_map(|l| l.entry.name.parse().ok())
        .collect();
    v.sort_unstable();
    Ok(v)
}

pub fn meta(store: &Dir, v: u32) -> Option<VersionMeta> {
    read_opt(store, format!("{VERSIONS}/{v}.json"))
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
}

pub fn active(store: &Dir) -> Option<u32> {
    read_opt(store, ACTIVE)
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
}

pub fn set_active(store: &Dir, v: u32) -> Result<()> {
    write_atomic(store, ACTIVE, format!("{v}\n").as_bytes())
}

/// The number the next version gets.
pub fn next_version(store: &Dir) -> Result<u32> {
    Ok(list_versions(store)?.last().copied().unwrap_or(0) + 1)
}

struct Copier<'a> {
    host: &'a PolicyHost,
    left_out: &'a BTreeSet<PathBuf>,
    ignore: Option<String>,
    source: &'a Dir,
    out: &'a Dir,
    files: u64,
    bytes: u64,
}

impl Copier<'_> {
    fn keep(&self, dir: &str, e: &Entry) -> Result<bool> {
        Ok(self
            .host
            .deploy_filter(self.ignore.as_deref(), dir, std::slice::from_ref(e))?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// Copies `src` (a project path) to `dst` (an artifact path).
    fn copy(&mut self, src: &str, dst: &str) -> Result<()> {
        let md = if src.is_empty() {
            self.source.dir_metadata()?
        } else {
            self.source.symlink_metadata(src)?
        };
        if !md.is_dir() {
            if dst.is_empty() {
                bail!(
                    "deployFiles: `{src}` is {}, not a directory, so it cannot become the \
                     artifact root (a `~` strips directories only)",
                    crate::store::record_io::kind_of(md.file_type())
                );
            }
            if let Some(p) = Path::new(dst).parent() {
                self.out
                    .create_dir_all(p)
                    .with_context(|| format!("creating {} in the artifact", p.display()))?;
            }
            if moves::exists(self.out, Path::new(dst)) {
                moves::remove_any(self.out, Path::new(dst))?;
            }
            moves::copy_tree(self.source, Path::new(src), self.out, Path::new(dst))?;
            self.files += 1;
            self.bytes += md.len();
            return Ok(());
        }
        if !dst.is_empty() {
            self.out.create_dir_all(dst)?;
        }
        moves::readable(self.source, Path::new(src), || self.copy_dir(src, dst, &md))
    }

    fn copy_dir(&mut self, src: &str, dst: &str, md: &cap_std::fs::Metadata) -> Result<()> {
        let listed = moves::list(self.source, Path::new(src))?;
        let entries: Vec<Entry> = listed.iter().map(|l| l.entry.clone()).collect();
        let keep = self
            .host
            .deploy_filter(self.ignore.as_deref(), src, &entries)?;
        for (l, k) in listed.iter().zip(keep) {
            if !k || self.left_out.contains(&Path::new(src).join(&l.name)) {
                continue;
            }
            let name = l.name.to_string_lossy();
            if l.entry.utf8 {
                self.copy(&join(src, &name), &join(dst, &name))?;
            } else {
                // Not UTF-8: copied as is, never matched on its own.
                let s = Path::new(src).join(&l.name);
                let d = Path::new(dst).join(&l.name);
                moves::copy_tree(self.source, &s, self.out, &d)?;
                self.files += 1;
            }
        }
        if !dst.is_empty() {
            // The directory keeps its mode and time, as its files do.
            self.out.set_permissions(dst, md.permissions())?;
            if let Ok(t) = md.modified() {
                self.out
                    .set_times(dst, None, Some(SystemTimeSpec::Absolute(t)))?;
            }
        }
        Ok(())
    }
}

/// Copies the artifact of `deploy_files` from `source` into `versions/N`.
/// Returns the version's metadata.
#[allow(clippy::too_many_arguments)]
pub fn create(
    host: &PolicyHost,
    store: &Dir,
    source: &Dir,
    deploy_files: &[String],
    version: u32,
    setup: &str,
    now: &str,
    left_out: &BTreeSet<PathBuf>,
) -> Result<VersionMeta> {
    let items = match host.deploy_items(deploy_files)? {
        Ok(i) => i,
        Err(d) => bail!("{}", d.message),
    };
    let ignore = read_text(source, Path::new(".deployignore"), DEPLOYIGNORE_MAX, true)
        .map_err(|p| anyhow::anyhow!(".deployignore {p}; `zerops-cache lint` checks it"))?;
    let rel = format!("{VERSIONS}/{version}");
    store.create_dir_all(&rel)?;
    let out = store.open_dir(&rel)?;
    let mut c = Copier {
        host,
        left_out,
        ignore,
        source,
        out: &out,
        files: 0,
        bytes: 0,
    };
    for item in &items {
        if !item.source.is_empty() {
            let Ok(md) = source.symlink_metadata(&item.source) else {
                bail!(
                    "deployFiles: `{}` does not exist after the build (looked for {})",
                    item.written,
                    item.source
                );
            };
            let (parent, name) = match item.source.rsplit_once('/') {
                Some((p, n)) => (p, n),
                None => ("", item.source.as_str()),
            };
            let kind = if md.file_type().is_symlink() {
                EntryKind::Symlink
            } else if md.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            if !c.keep(parent, &Entry::new(name, kind))?
                || left_out.contains(Path::new(&item.source))
            {
                continue;
            }
        }
        c.copy(&item.source, &item.target)
            .with_context(|| format!("copying deployFiles `{}`", item.written))?;
    }
    let meta = VersionMeta {
        version,
        created_at: now.to_string(),
        setup: setup.to_string(),
        files: c.files,
        bytes: c.bytes,
    };
    write_atomic(
        store,
        &format!("{VERSIONS}/{version}.json"),
        &serde_json::to_vec_pretty(&meta)?,
    )?;
    Ok(meta)
}

/// Removes the oldest versions beyond [`KEEP`], never the active one.
pub fn prune(store: &Dir) -> Result<Vec<u32>> {
    let all = list_versions(store)?;
    let act = active(store);
    let mut removed = Vec::new();
    let excess = all.len().saturating_sub(KEEP);
    for v in all.into_iter().filter(|v| Some(*v) != act).take(excess) {
        moves::remove_any(store, Path::new(&format!("{VERSIONS}/{v}")))
            .with_context(|| format!("removing the old version {v}"))?;
        let _ = store.remove_file(format!("{VERSIONS}/{v}.json"));
        removed.push(v);
    }
    Ok(removed)
}
