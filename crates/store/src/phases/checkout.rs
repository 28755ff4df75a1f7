//! The user's checkout in an in-place build (`build --in-place`): preserve
//! may take from it only what the build created or what restore moved into
//! it. `.git`, every path git tracks and every entry that was there before
//! the build stay where they are. A directory that was there before but
//! holds new entries (a `node_modules` with a tracked file, restored into)
//! is not taken whole: its new entries are, one by one. The artifact
//! leaves out `.git` and the files git ignored before the build (as `zcli
//! push` never sends them), unless the build wrote them.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::preserve::PreservePlan;
use super::{Left, Skipped, join};
use zerops_cache_base::filesystem;
use zerops_cache_component::component::walk::SkipReason;

/// Listing of the checkout stops here (an error: preserve cannot tell the
/// user's files from the build's).
pub(crate) const MAX_ENTRIES: usize = 2_000_000;

/// What the checkout held before the build.
#[derive(Debug, Default, Clone)]
pub struct Checkout {
    /// Every path there before the build, and every path git tracks.
    pub(crate) before: BTreeSet<PathBuf>,
    /// What the artifact leaves out: `.git` (a workspace of git-visible
    /// files has none).
    left_out: BTreeSet<PathBuf>,
    /// Files git ignored before the build (`.env`, local caches): `zcli
    /// push` never sends them, so the artifact leaves them out unless the
    /// build wrote them (see [`Checkout::left_out_now`]).
    ignored_before: BTreeMap<PathBuf, Option<Stamp>>,
    /// The paths git tracks, with their parents (never the build's).
    pub(crate) tracked: BTreeSet<PathBuf>,
    /// Directories git ignored as a whole before the build.
    ignored_dirs_before: BTreeMap<PathBuf, Option<Stamp>>,
    /// The directories holding those files, inside them.
    dirs_between: BTreeMap<PathBuf, Option<Stamp>>,
}

/// An entry's inode and change time: any write, rename into place,
/// removal of or addition to it moves one of them.
type Stamp = (u64, i64, i64);

fn stamp_of(dir: &Dir, p: &Path) -> Option<Stamp> {
    use cap_std::fs::MetadataExt;
    dir.symlink_metadata(p)
        .ok()
        .map(|m| (m.ino(), m.ctime(), m.ctime_nsec()))
}

/// Whether `p` is `.git` or inside it.
pub fn in_git_dir(p: &Path) -> bool {
    p.components()
        .next()
        .is_some_and(|c| c.as_os_str() == ".git")
}

impl Checkout {
    /// Lists the checkout (links not followed, `.git` left out) and asks git
    /// what it tracks (nothing when this is not a git repository).
    pub fn snapshot(root: &Path, dir: &Dir) -> Result<Checkout> {
        let mut before = BTreeSet::new();
        let mut stack = vec![PathBuf::new()];
        while let Some(d) = stack.pop() {
            let listed = match filesystem::list(dir, &d) {
                // Unreadable to us: kept whole, as it was.
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => continue,
                r => r.with_context(|| {
                    format!("listing {} of the checkout", root.join(&d).display())
                })?,
            };
            for l in listed {
                let p = d.join(&l.name);
                if in_git_dir(&p) {
                    continue;
                }
                if l.entry.kind == zerops_cache_component::component::plan::EntryKind::Dir {
                    stack.push(p.clone());
                }
                before.insert(p);
                if before.len() > MAX_ENTRIES {
                    anyhow::bail!(
                        "{} holds more than {MAX_ENTRIES} entries; an in-place build cannot tell \
                         the checkout's files from the build's (build without --in-place)",
                        root.display()
                    );
                }
            }
        }
        let mut c = Checkout::with(before, crate::tree_facts::git_ls_files(root));
        let stamped = |paths: Vec<PathBuf>| {
            paths
                .into_iter()
                .map(|p| {
                    let s = stamp_of(dir, &p);
                    (p, s)
                })
                .collect()
        };
        c.ignored_before = stamped(crate::git::ignored_files(root));
        c.ignored_dirs_before = stamped(crate::git::ignored_dirs(root));
        let between: BTreeSet<PathBuf> = c
            .ignored_before
            .keys()
            .flat_map(|f| f.ancestors().skip(1).map(Path::to_path_buf))
            .filter(|a| {
                c.ignored_dirs_before
                    .keys()
                    .any(|d| a.starts_with(d) && a != d)
            })
            .collect();
        c.dirs_between = stamped(between.into_iter().collect());
        Ok(c)
    }

    /// Source paths the artifact must not copy: `.git`, and each file git
    /// ignored before the build that the build did not write since (its
    /// inode and change time are as the snapshot found them). What the
    /// build creates or rewrites is deployed, whatever `.gitignore` says.
    pub fn left_out_now(&self, dir: &Dir) -> BTreeSet<PathBuf> {
        let changed = |p: &Path, then: &Option<Stamp>| stamp_of(dir, p) != *then;
        let mut out = self.left_out.clone();
        for (p, then) in &self.ignored_before {
            if !changed(p, then) {
                out.insert(p.clone());
            }
        }
        // An ignored directory the build did not touch goes whole (it
        // would otherwise stay as an empty directory): neither it, nor a
        // file in it, nor a directory holding one changed.
        for (d, then) in &self.ignored_dirs_before {
            let inside = |m: &BTreeMap<PathBuf, Option<Stamp>>| {
                m.iter()
                    .filter(|(p, _)| p.starts_with(d))
                    .any(|(p, t)| changed(p, t))
            };
            let touched =
                changed(d, then) || inside(&self.ignored_before) || inside(&self.dirs_between);
            if !touched {
                out.insert(d.clone());
            }
        }
        out
    }

    /// The paths there before, and those git tracks (with their parents).
    pub(crate) fn with(mut before: BTreeSet<PathBuf>, tracked: Option<Vec<String>>) -> Checkout {
        let mut tracked_all = BTreeSet::new();
        for t in tracked.unwrap_or_default() {
            let mut p = PathBuf::from(t);
            loop {
                before.insert(p.clone());
                tracked_all.insert(p.clone());
                if !p.pop() || p.as_os_str().is_empty() {
                    break;
                }
            }
        }
        Checkout {
            before,
            tracked: tracked_all,
            left_out: BTreeSet::from([PathBuf::from(".git")]),
            ignored_before: BTreeMap::new(),
            ignored_dirs_before: BTreeMap::new(),
            dirs_between: BTreeMap::new(),
        }
    }

    fn was_there(&self, p: &Path) -> bool {
        self.before.contains(p)
    }

    /// Narrows `plan` (computed on `source`, the checkout after the build)
    /// to what the build created or restore moved in.
    pub fn narrow(&self, source: &Dir, plan: &mut PreservePlan) -> Result<()> {
        let mut take = Vec::new();
        for p in std::mem::take(&mut plan.take) {
            self.narrow_one(source, &p, &mut take, &mut plan.noted)?;
        }
        plan.take = take;
        Ok(())
    }

    fn narrow_one(
        &self,
        source: &Dir,
        p: &str,
        take: &mut Vec<String>,
        noted: &mut Vec<Skipped>,
    ) -> Result<()> {
        let path = Path::new(p);
        if in_git_dir(path) {
            noted.push(Skipped {
                path: p.to_string(),
                reason: Left::GitDirectory,
            });
            return Ok(());
        }
        if !self.was_there(path) {
            take.push(p.to_string());
            return Ok(());
        }
        let is_dir = source.symlink_metadata(path).is_ok_and(|m| m.is_dir());
        let before = take.len();
        if is_dir {
            let listed = match filesystem::list(source, path) {
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Vec::new(),
                r => r.with_context(|| format!("listing {p}"))?,
            };
            for l in listed {
                if !l.entry.utf8 {
                    if !self.was_there(&path.join(&l.name)) {
                        noted.push(Skipped {
                            path: join(p, &l.entry.name),
                            reason: Left::Walk(SkipReason::NotUtf8),
                        });
                    }
                    continue;
                }
                let child = join(p, &l.entry.name);
                let mut quiet = Vec::new();
                self.narrow_one(source, &child, take, &mut quiet)?;
            }
        }
        if take.len() == before {
            noted.push(Skipped {
                path: p.to_string(),
                reason: Left::InCheckout,
            });
        }
        Ok(())
    }
}

/// For `plan`: the rule without a listing from before the build, which a
/// dry run does not have: `.git` and what git tracks stay.
pub fn tracked_only(root: &Path) -> Checkout {
    Checkout::with(BTreeSet::new(), crate::tree_facts::git_ls_files(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_paths_bring_their_parents() {
        let c = Checkout::with(BTreeSet::new(), Some(vec!["a/b/c.txt".into()]));
        assert!(c.was_there(Path::new("a")));
        assert!(c.was_there(Path::new("a/b")));
        assert!(c.was_there(Path::new("a/b/c.txt")));
        assert!(!c.was_there(Path::new("a/d")));
        assert!(in_git_dir(Path::new(".git/config")));
        assert!(!in_git_dir(Path::new("x/.git")));
    }
}
