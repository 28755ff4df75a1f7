//! The copy of one artifact: its tree as it grows, its counts, and the
//! walked directories of a deployFiles item recorded by a few threads.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::entry::{Lazy, Part, Shared, join_bytes};
use super::walk::Stats;
use crate::phases::list_ahead::Listing as ListedDir;
use crate::phases::objects::NewObjects;
use crate::phases::version_tree::{Node, Tree, mtime_of};
use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_component::component::plan::EntryKind;
use zerops_cache_component::component::walk::Walker;

pub(super) struct Copier<'a> {
    /// The previous version's number and tree: a file the same as its file
    /// at the same path (the very source inode, unchanged; or the same
    /// size, mode, modification time and bytes) names the same object.
    pub(super) previous: Option<(u32, Tree)>,
    /// The thread reading it while the first walk runs.
    pub(super) loading: Option<std::thread::ScopedJoinHandle<'a, Option<(u32, Tree)>>>,
    pub(super) new_objects: &'a NewObjects,
    pub(super) tree: Tree,
    pub(super) files: u64,
    pub(super) bytes: u64,
    pub(super) linked: u64,
    pub(super) left_out: &'a BTreeSet<PathBuf>,
    pub(super) source: &'a Dir,
    /// The store's objects directory.
    pub(super) objects: Option<Dir>,
    /// Source directories given owner read and search permission to be
    /// read (a `chmod 000` directory), with their modes to put back.
    pub(super) granted: Vec<(String, cap_std::fs::Permissions)>,
}

/// Maps a path under the walk's source root `from` to the artifact path
/// under `to`.
fn retarget(path: &str, from: &str, to: &str) -> String {
    let rest = if from.is_empty() {
        path
    } else {
        path.strip_prefix(from)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(path)
    };
    match (to.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => to.to_string(),
        (false, false) => format!("{to}/{rest}"),
    }
}

pub(super) fn open_or_self(dir: &Dir, rel: &str) -> std::io::Result<Dir> {
    if rel.is_empty() {
        dir.try_clone()
    } else {
        dir.open_dir(rel)
    }
}

/// Each walked directory's listing, by its path.
pub(super) type Listings = HashMap<String, ListedDir>;

/// What one walk found, shared by the threads that record it.
struct WalkFacts<'w> {
    cache: &'w DirCache<'w>,
    /// Each directory's listing.
    raw: &'w Listings,
    /// The metadata the readers read.
    stats: &'w HashMap<String, Stats>,
    /// The paths the walk kept.
    taken: HashSet<&'w str>,
}

impl Copier<'_> {
    /// Waits for the previous version's tree, read while the walk ran.
    pub(super) fn wait_for_previous(&mut self) {
        if let Some(h) = self.loading.take() {
            self.previous = h.join().unwrap_or(None);
        }
    }

    /// Whether `path` or a directory above it is the user's (in place).
    pub(super) fn left_out(&self, path: &str) -> bool {
        !self.left_out.is_empty()
            && Path::new(path)
                .ancestors()
                .any(|a| self.left_out.contains(a))
    }

    pub(super) fn shared(&self) -> Shared<'_> {
        Shared {
            objects: self.objects.as_ref(),
            prev: self.previous.as_ref().map(|(_, t)| t),
            new_objects: self.new_objects,
            tree: &self.tree,
        }
    }

    pub(super) fn absorb(&mut self, part: Part) {
        self.files += part.files;
        self.bytes += part.bytes;
        self.linked += part.linked;
        for (p, n) in part.nodes {
            self.tree.put(p, n);
        }
    }

    /// Adds the directories above `path` that the tree lacks (made for a
    /// deployFiles target, as `mkdir -p` would).
    pub(super) fn parents(&mut self, path: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64))
            .unwrap_or((0, 0));
        for a in Path::new(path).ancestors().skip(1) {
            let key = a.as_os_str().as_bytes().to_vec();
            if !self.tree.nodes.get(&key).is_some_and(Node::is_dir) {
                self.tree.put(
                    key,
                    Node::Dir {
                        mode: 0o755,
                        mtime: now,
                    },
                );
            }
        }
    }

    /// Records the kept entries of the project directory `dir` at the
    /// artifact directory `to`, with the metadata the walk already read.
    fn record_dir(&self, facts: &WalkFacts, part: &mut Part, dir: &str, to: &str) -> Result<()> {
        let listed = facts.raw.get(dir).map(|l| l.as_slice()).unwrap_or_default();
        let read = facts.stats.get(dir);
        let sd = Lazy::new(facts.cache, dir);
        let sh = self.shared();
        let mut path = String::with_capacity(dir.len() + 64);
        for (i, l) in listed.iter().enumerate() {
            path.clear();
            path.push_str(dir);
            if !dir.is_empty() {
                path.push('/');
            }
            path.push_str(&l.entry.name);
            // Taken, or a name that is not UTF-8 (recorded whole, never
            // decided on its own); the user's own paths stay out.
            let take = facts.taken.contains(path.as_str()) || !l.entry.utf8;
            if !take || self.left_out(&path) {
                continue;
            }
            // Directories are recorded on their own (the walk lists them).
            if l.entry.utf8 && l.entry.kind == EntryKind::Dir {
                continue;
            }
            let name = Path::new(&l.name);
            let md = match read.and_then(|r| r.entries.get(i)).and_then(Option::as_ref) {
                Some(md) => md.clone(),
                None => sd.get()?.symlink_metadata(name)?,
            };
            let at = join_bytes(to.as_bytes(), l.name.as_bytes());
            sh.record(part, &sd, name, at, &md)
                .with_context(|| format!("copying {path}"))?;
        }
        Ok(())
    }

    /// Records the project directory `src` as the artifact directory `dst`:
    /// the policy's walk driver lists it level by level and the command's
    /// deploy walker decides each level in one call; then the kept entries
    /// of the directories are recorded by a few threads (the work is
    /// `statx` and, for what changed, copying).
    pub(super) fn copy_dir(&mut self, walker: &Walker, src: &str, dst: &str) -> Result<()> {
        // Every directory is opened from its parent's handle.
        let cache = DirCache::new(self.source);
        let (walked, raw, stats) = self.walk_reading_ahead(walker, src, &cache)?;
        self.wait_for_previous();
        let facts = WalkFacts {
            cache: &cache,
            raw: &raw,
            stats: &stats,
            taken: walked.taken.iter().map(|f| f.path.as_str()).collect(),
        };
        if !dst.is_empty() {
            self.parents(dst);
        }
        let work = self.put_dirs(&walked.listed, src, dst, &facts)?;
        let parts = self.record_in_threads(&work, &facts)?;
        self.take_parts(parts);
        Ok(())
    }

    /// Puts a node for each walked directory of `src` (but the user's)
    /// under `dst`, with its mode before any grant; returns the directories
    /// whose entries are to be recorded, with their artifact paths.
    fn put_dirs<'w>(
        &mut self,
        listed: &'w [String],
        src: &str,
        dst: &str,
        facts: &WalkFacts,
    ) -> Result<Vec<(&'w str, String)>> {
        let mut work = Vec::new();
        for dir in listed {
            if self.left_out(dir) {
                continue;
            }
            let to = retarget(dir, src, dst);
            let md = match facts.stats.get(dir.as_str()).and_then(|s| s.dir.clone()) {
                Some(md) => md,
                None => facts.cache.open(dir)?.dir_metadata()?,
            };
            let mode = self
                .granted
                .iter()
                .find(|(r, _)| r == dir)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| md.permissions());
            self.tree.put(
                to.as_bytes().to_vec(),
                Node::Dir {
                    mode: cap_std::fs::PermissionsExt::mode(&mode) & 0o7777,
                    mtime: mtime_of(&md),
                },
            );
            work.push((dir.as_str(), to));
        }
        Ok(work)
    }

    /// Records the entries of the directories in `work` on a few threads,
    /// each taking every n-th directory.
    fn record_in_threads(&self, work: &[(&str, String)], facts: &WalkFacts) -> Result<Vec<Part>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
            .min(work.len().max(1));
        let parts: Vec<Result<Part>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (0..threads)
                .map(|k| {
                    scope.spawn(move || -> Result<Part> {
                        let mut part = Part::default();
                        for (dir, to) in work.iter().skip(k).step_by(threads) {
                            self.record_dir(facts, &mut part, dir, to)?;
                        }
                        Ok(part)
                    })
                })
                .collect();
            spawned
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a copying thread panicked")))
                })
                .collect()
        });
        parts.into_iter().collect()
    }

    /// Adds what the threads recorded to the tree.
    fn take_parts(&mut self, parts: Vec<Part>) {
        if self.tree.nodes.values().any(|n| !n.is_dir()) {
            // An earlier deployFiles item placed files: one at a time, so
            // that a later one replaces what it must.
            for p in parts {
                self.absorb(p);
            }
            return;
        }
        // Only directories so far, and one walk records each path once
        // and no directory: nothing collides, so the tree is built in
        // bulk (sorted once) rather than entry by entry.
        let mut all: Vec<(Vec<u8>, Node)> =
            std::mem::take(&mut self.tree.nodes).into_iter().collect();
        for mut p in parts {
            self.files += p.files;
            self.bytes += p.bytes;
            self.linked += p.linked;
            all.append(&mut p.nodes);
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.tree.nodes = all.into_iter().collect();
    }
}
