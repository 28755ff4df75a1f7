//! The build workspace (`/build/source` on Zerops): a fresh copy of the
//! project's git-visible files, i.e. tracked files plus untracked files that
//! are not ignored, as `zcli push` sends them by default. The user's working
//! tree is only read.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::filesystem;
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
pub fn populate(project: &Dir, source: &Dir, files: &[PathBuf]) -> Result<usize> {
    let mut n = 0;
    for f in files {
        if !filesystem::exists(project, f) {
            continue; // tracked but deleted in the working tree
        }
        if let Some(parent) = f.parent() {
            filesystem::create_dirs_like(source, parent, project, parent)?;
        }
        if filesystem::exists(source, f) {
            continue;
        }
        filesystem::copy_tree(project, f, source, f)
            .with_context(|| format!("copying {} into the workspace", f.display()))?;
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

/// A real directory.
pub struct RealSource<'a>(pub &'a Dir);

impl SourceLister for RealSource<'_> {
    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        match filesystem::list(self.0, Path::new(rel)) {
            Ok(v) => Ok(v.into_iter().map(|l| l.entry).collect()),
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
