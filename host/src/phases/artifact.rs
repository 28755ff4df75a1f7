//! The deploy artifact: `deployFiles` resolved by the component (`~`
//! strip-prefix), filtered directory by directory by `.deployignore`, and
//! copied into a new numbered version before preserve moves anything away.
//! Versions over the retention budget ([`Budget`]: 10 by default, as on
//! Zerops) are removed as the policy decides.

use anyhow::{Context, Result};
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::join;
use crate::component::PolicyHost;
use crate::component::plan::{Entry, EntryKind};
use crate::filesystem;
use crate::store::layout::{ACTIVE, VERSIONS};
use crate::store::record_io::{read_opt, read_text, write_atomic};

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
    /// Files hard-linked from the previous version (shared, not copied).
    #[serde(default)]
    pub linked: u64,
}

/// The versions in the store, oldest first.
pub fn list_versions(store: &Dir) -> Result<Vec<u32>> {
    let mut v: Vec<u32> = filesystem::list(store, Path::new(VERSIONS))
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
    /// The previous complete version: files identical to its files (same
    /// size, modification time and mode, rsync's `--link-dest` rule) are
    /// hard-linked from it instead of copied.
    prev: Option<Dir>,
    linked: u64,
    left_out: &'a BTreeSet<PathBuf>,
    ignore: Option<String>,
    source: &'a Dir,
    out: &'a Dir,
    files: u64,
    bytes: u64,
}

impl Copier<'_> {
    /// Hard-links `dst` from the previous version when the file there is the
    /// same as the one about to be copied. Versions never change once
    /// written, so sharing the inode cannot change an earlier version.
    fn link_from_prev(&self, dst: &str, md: &cap_std::fs::Metadata) -> bool {
        use cap_std::fs::PermissionsExt;
        let Some(prev) = &self.prev else { return false };
        let Ok(old) = prev.symlink_metadata(dst) else {
            return false;
        };
        let same = old.is_file()
            && old.len() == md.len()
            && old.permissions().mode() == md.permissions().mode()
            && matches!((old.modified(), md.modified()), (Ok(a), Ok(b)) if a == b);
        same && prev.hard_link(dst, self.out, dst).is_ok()
    }

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
                // What the build left is not what deployFiles names.
                return Err(crate::exit::Exit::BuildFailed.error(format!(
                    "deployFiles: `{src}` is {}, not a directory, so it cannot become the \
                     artifact root (a `~` strips directories only)",
                    crate::store::record_io::kind_of(md.file_type())
                )));
            }
            if let Some(p) = Path::new(dst).parent() {
                self.out
                    .create_dir_all(p)
                    .with_context(|| format!("creating {} in the artifact", p.display()))?;
            }
            if filesystem::exists(self.out, Path::new(dst)) {
                filesystem::remove_any(self.out, Path::new(dst))?;
            }
            if md.is_file() && self.link_from_prev(dst, &md) {
                self.linked += 1;
            } else {
                filesystem::copy_tree(self.source, Path::new(src), self.out, Path::new(dst))?;
            }
            self.files += 1;
            self.bytes += md.len();
            return Ok(());
        }
        if !dst.is_empty() {
            self.out.create_dir_all(dst)?;
        }
        filesystem::readable(self.source, Path::new(src), || self.copy_dir(src, dst, &md))
    }

    fn copy_dir(&mut self, src: &str, dst: &str, md: &cap_std::fs::Metadata) -> Result<()> {
        let listed = filesystem::list(self.source, Path::new(src))?;
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
                filesystem::copy_tree(self.source, &s, self.out, &d)?;
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
#[allow(clippy::too_many_arguments)] // one call site; the build's facts
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
        Err(d) => return Err(crate::diagnostic::DiagnosticError::new(d).into()),
    };
    let ignore =
        read_text(source, Path::new(".deployignore"), DEPLOYIGNORE_MAX, true).map_err(|p| {
            crate::exit::Exit::Config
                .error(format!(".deployignore {p}; `zerops-cache lint` checks it"))
        })?;
    let rel = format!("{VERSIONS}/{version}");
    store.create_dir_all(&rel)?;
    let out = store.open_dir(&rel)?;
    let prev = list_versions(store)?
        .into_iter()
        .rfind(|p| *p < version && meta(store, *p).is_some())
        .and_then(|p| store.open_dir(format!("{VERSIONS}/{p}")).ok());
    let mut c = Copier {
        host,
        prev,
        linked: 0,
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
                return Err(crate::exit::Exit::BuildFailed.error(format!(
                    "deployFiles: `{}` does not exist after the build (looked for {})",
                    item.written, item.source
                )));
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
    // One durability barrier for the whole version, before it is recorded.
    filesystem::sync_fs(store).context("syncing the new version")?;
    let meta = VersionMeta {
        version,
        created_at: now.to_string(),
        setup: setup.to_string(),
        files: c.files,
        bytes: c.bytes,
        linked: c.linked,
    };
    write_atomic(
        store,
        &format!("{VERSIONS}/{version}.json"),
        &serde_json::to_vec_pretty(&meta)?,
    )?;
    Ok(meta)
}

/// How many versions to keep, and how much disk they may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub keep: u32,
    pub max_bytes: Option<u64>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            keep: zerops_cache_contract::retention::KEEP_VERSIONS,
            max_bytes: None,
        }
    }
}

/// What the versions take: per version the bytes only it holds, and all of
/// them together (shared files once).
fn version_facts(
    store: &Dir,
) -> Result<(Vec<zerops_cache_contract::retention::VersionFacts>, u64)> {
    let act = active(store);
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    let mut facts = Vec::new();
    for v in list_versions(store)? {
        let mut own = 0;
        filesystem::files_with_links(
            store,
            Path::new(&format!("{VERSIONS}/{v}")),
            &mut |id, links, len| {
                if links == 1 {
                    own += len;
                }
                if seen.insert(id) {
                    total += len;
                }
            },
        )
        .with_context(|| format!("measuring version {v}"))?;
        facts.push(zerops_cache_contract::retention::VersionFacts {
            number: v,
            bytes: own,
            active: Some(v) == act,
        });
    }
    Ok((facts, total))
}

/// Removes the versions the policy says are over `budget` (never the active
/// or the newest one): each goes to the trash by one rename.
pub fn prune(
    host: &PolicyHost,
    store: &Dir,
    budget: &Budget,
) -> Result<Vec<zerops_cache_contract::retention::VersionRemoval>> {
    // Sizes matter only for a size budget; counting needs no walk.
    let (facts, total) = if budget.max_bytes.is_some() {
        version_facts(store)?
    } else {
        let act = active(store);
        let facts = list_versions(store)?
            .into_iter()
            .map(|v| zerops_cache_contract::retention::VersionFacts {
                number: v,
                bytes: 0,
                active: Some(v) == act,
            })
            .collect();
        (facts, 0)
    };
    let removals = host.versions_to_remove(&facts, total, budget.keep, budget.max_bytes)?;
    for r in &removals {
        let v = r.number;
        // Metadata first: a version without it is not complete any more.
        let _ = store.remove_file(format!("{VERSIONS}/{v}.json"));
        crate::store::journal::to_trash(store, &format!("{VERSIONS}/{v}"))
            .with_context(|| format!("removing the old version {v}"))?;
    }
    Ok(removals)
}
