//! The build workspace (`/build/source` on Zerops): a fresh copy of the
//! project's git-visible files, i.e. tracked files plus untracked files that
//! are not ignored, as `zcli push` sends them by default. The user's working
//! tree is only read.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use std::ffi::OsStr;
use zerops_cache_base::dir_handles::{DirCache, DirStack};
use zerops_cache_base::filesystem;
use zerops_cache_contract::plan::{Entry, EntryKind};

/// The git-visible files of the project at `project`, relative to it.
/// Tracked files deleted from the working tree are left out (by
/// [`populate`]).
pub fn git_visible(project: &Path) -> Result<Vec<PathBuf>> {
    crate::git::visible_files(project).map_err(|e| {
        anyhow::anyhow!(
            "{} is not inside a git repository ({e:#}); \
             the workspace is the git-visible files, or use --in-place to build in this directory",
            project.display(),
        )
    })
}

/// Copies `files` (relative paths) from `project` into the empty directory
/// `source`: files with their modes and modification times, symlinks as
/// links, directories created with the project's modes. Returns how many
/// entries were copied.
///
/// The paths are taken in order, each directory opened (and made) once
/// from its parent's handle on both sides ([`DirStack`]): an entry costs
/// the same at any depth.
pub fn populate(project: &Dir, source: &Dir, files: &[PathBuf]) -> Result<usize> {
    let mut files: Vec<&[u8]> = files.iter().map(|f| f.as_os_str().as_bytes()).collect();
    files.sort_unstable();
    let mut from = DirStack::new(project);
    let mut to = DirStack::new(source);
    // The project's mode of each level `from` entered.
    let mut modes: Vec<cap_std::fs::Permissions> = Vec::new();
    let mut n = 0;
    for f in files {
        let (dir, name) = match f.iter().rposition(|b| *b == b'/') {
            Some(i) => (&f[..i], &f[i + 1..]),
            None => (&[][..], f),
        };
        let name = Path::new(OsStr::from_bytes(name));
        // Tracked but deleted in the working tree (the file or a directory
        // above it): left out, and nothing is made for it.
        let entered = from.go(dir, |p: &Dir, n: &Path, level: usize| {
            let d = p.open_dir(n)?;
            modes.truncate(level);
            modes.push(d.dir_metadata()?.permissions());
            Ok(d)
        });
        match entered {
            Ok(d) if filesystem::exists(d, name) => {}
            _ => continue,
        }
        let here = to
            .go(dir, |p: &Dir, n: &Path, level: usize| {
                match p.create_dir(n) {
                    Ok(()) => p.set_permissions(n, modes[level].clone())?,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                p.open_dir(n)
            })
            .with_context(|| {
                format!("creating {} in the workspace", String::from_utf8_lossy(dir))
            })?;
        if filesystem::exists(here, name) {
            continue;
        }
        let shown = || String::from_utf8_lossy(f).into_owned();
        filesystem::copy_tree(from.top()?, name, to.top()?, name)
            .with_context(|| format!("copying {} into the workspace", shown()))?;
        n += 1;
    }
    Ok(n)
}

/// Lists a source directory: the real workspace, or (for a dry run) the
/// tree the workspace would be.
pub trait SourceLister: Sync {
    /// The entries of `rel` ("" is the root); an empty list when it does
    /// not exist.
    fn list(&self, rel: &str) -> Result<Vec<Entry>>;
}

/// A real directory, each directory listed from its parent's handle.
pub struct RealSource<'a>(DirCache<'a>);

impl<'a> RealSource<'a> {
    pub fn new(dir: &'a Dir) -> RealSource<'a> {
        RealSource(DirCache::new(dir))
    }
}

impl SourceLister for RealSource<'_> {
    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        match filesystem::list_cached(&self.0, rel) {
            Ok((_, v)) => Ok(v.into_iter().map(|l| l.entry).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("listing {rel}")),
        }
    }
}

/// The workspace a build would create, built from the git-visible paths
/// without copying anything.
pub struct VirtualSource {
    dirs: BTreeMap<String, BTreeMap<String, Entry>>,
}

impl VirtualSource {
    pub fn new(project: &Dir, files: &[PathBuf]) -> VirtualSource {
        let mut dirs: BTreeMap<String, BTreeMap<String, Entry>> = BTreeMap::new();
        for f in files {
            let Ok(md) = project.symlink_metadata(f) else {
                continue;
            };
            let comps: Vec<&std::ffi::OsStr> = f.iter().collect();
            let mut dir = String::new();
            for (i, c) in comps.iter().enumerate() {
                let last = i + 1 == comps.len();
                let kind = if !last {
                    EntryKind::Dir
                } else if md.file_type().is_symlink() {
                    EntryKind::Symlink
                } else if md.is_dir() {
                    EntryKind::Dir
                } else {
                    EntryKind::File
                };
                let (name, utf8) = match c.to_str() {
                    Some(s) => (s.to_string(), true),
                    None => (String::from_utf8_lossy(c.as_bytes()).into_owned(), false),
                };
                dirs.entry(dir.clone()).or_default().insert(
                    name.clone(),
                    Entry {
                        name: name.clone(),
                        kind,
                        utf8,
                    },
                );
                if !utf8 {
                    break;
                }
                dir = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
            }
        }
        VirtualSource { dirs }
    }
}

impl SourceLister for VirtualSource {
    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        Ok(self
            .dirs
            .get(rel)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }
}
