//! Directory handles for walks, so that an entry costs the same at any
//! depth. cap-std resolves a path from its `Dir` component by component (one
//! `openat2` with `RESOLVE_BENEATH`), so a walk that names each entry by its
//! path from the root costs O(entries × depth): 2,000 nested directories
//! took 4.5× what 2,000 flat ones did (issue 26). Here a directory is opened
//! from its parent's handle, by its name.
//!
//! - [`DirStack`]: for a walk in path order (sorted paths, a version's
//!   tree): one handle per level of the current path.
//! - [`DirCache`]: for a walk level by level (the policy's walk driver):
//!   the handles of the directories opened last, by path; a directory is
//!   opened from its parent's.
//!
//! File descriptors stay bounded: a stack keeps the handle of every level
//! down to [`KEEP_ALL`], below that of every [`STRIDE`]th level and of the
//! deepest (a level without one is opened again from the nearest kept one,
//! at most `STRIDE` names away); a cache holds at most [`CACHED`] handles
//! (a directory whose parent is not among them is opened from the nearest
//! ancestor that is, or from the root).

use cap_std::fs::Dir;
use std::collections::{HashMap, VecDeque};
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Levels of a stack that always keep their handle.
pub(crate) const KEEP_ALL: usize = 64;
/// Below [`KEEP_ALL`], every how many levels a handle is kept.
pub(crate) const STRIDE: usize = 16;
/// Handles a cache keeps.
pub(crate) const CACHED: usize = 256;

/// One handle per level of the current path of a walk in path order.
/// Paths are bytes, `/`-separated, relative to the root (`""`: the root).
pub struct DirStack<'r> {
    root: &'r Dir,
    /// The current path.
    path: Vec<u8>,
    /// Where each level's name ends in `path`.
    ends: Vec<usize>,
    dirs: Vec<Option<Dir>>,
}

/// Opens (or makes) the directory `name` of `parent`, level `level` (0:
/// just below the root).
pub trait Open: FnMut(&Dir, &Path, usize) -> io::Result<Dir> {}
impl<F: FnMut(&Dir, &Path, usize) -> io::Result<Dir>> Open for F {}

fn os(b: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(OsStr::from_bytes(b))
}

impl<'r> DirStack<'r> {
    pub fn new(root: &'r Dir) -> DirStack<'r> {
        DirStack {
            root,
            path: Vec::new(),
            ends: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// How many levels deep the current path is (0: the root).
    pub(crate) fn depth(&self) -> usize {
        self.ends.len()
    }

    /// How many leading levels of the current path `dir` shares.
    fn shared(&self, dir: &[u8]) -> usize {
        // Most steps stay or go down: a prefix compared at memcmp speed.
        let m = if dir.starts_with(&self.path) {
            self.path.len()
        } else {
            self.path
                .iter()
                .zip(dir)
                .position(|(a, b)| a != b)
                .unwrap_or(self.path.len().min(dir.len()))
        };
        let mut k = self.ends.partition_point(|&e| e <= m);
        while k > 0 {
            let e = self.ends[k - 1];
            if dir.len() == e || dir[e] == b'/' {
                break;
            }
            k -= 1;
        }
        k
    }

    /// The deepest level's handle (the root's at depth 0), opened again
    /// from the nearest kept level when it was not kept.
    pub fn top(&mut self) -> io::Result<&Dir> {
        let Some(last) = self.dirs.len().checked_sub(1) else {
            return Ok(self.root);
        };
        if self.dirs[last].is_none() {
            let from = self.dirs[..last].iter().rposition(Option::is_some);
            let start = from.map_or(0, |i| self.ends[i] + 1);
            let base = match from {
                Some(i) => self.dirs[i].as_ref().expect("kept"),
                None => self.root,
            };
            let d = base.open_dir(os(&self.path[start..self.ends[last]]))?;
            self.dirs[last] = Some(d);
        }
        Ok(self.dirs[last].as_ref().expect("opened above"))
    }

    /// Goes one level down, to `name` below the current path.
    fn push(&mut self, name: &[u8], open: &mut impl Open) -> io::Result<()> {
        let level = self.depth();
        let d = open(self.top()?, os(name), level)?;
        if let Some(last) = level.checked_sub(1)
            && last >= KEEP_ALL
            && last % STRIDE != 0
        {
            self.dirs[last] = None;
        }
        if !self.path.is_empty() {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(name);
        self.ends.push(self.path.len());
        self.dirs.push(Some(d));
        Ok(())
    }

    /// Goes up until the current path is `depth` levels deep.
    pub fn up_to(&mut self, depth: usize) {
        if depth < self.depth() {
            self.ends.truncate(depth);
            self.dirs.truncate(depth);
            self.path.truncate(self.ends.last().copied().unwrap_or(0));
        }
    }

    /// Goes to the directory `dir`: up to what it shares with the current
    /// path, then down, each level opened by `open` from its parent. On an
    /// error the stack stays where it got to.
    pub fn go(&mut self, dir: &[u8], mut open: impl Open) -> io::Result<&Dir> {
        if dir != self.path.as_slice() {
            let keep = self.shared(dir);
            self.up_to(keep);
            let rest = if keep == 0 {
                0
            } else {
                self.ends[keep - 1] + 1
            };
            for name in dir.get(rest..).unwrap_or_default().split(|b| *b == b'/') {
                if !name.is_empty() {
                    self.push(name, &mut open)?;
                }
            }
        }
        self.top()
    }
}

/// The handles of the directories a level-by-level walk opened last, by
/// path (`/`-separated, relative to the root, `""` for the root).
pub struct DirCache<'r> {
    root: &'r Dir,
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    dirs: HashMap<String, Arc<Dir>>,
    order: VecDeque<String>,
}

fn parent_of(rel: &str) -> Option<(&str, &str)> {
    if rel.is_empty() {
        return None;
    }
    Some(rel.rsplit_once('/').unwrap_or(("", rel)))
}

impl<'r> DirCache<'r> {
    pub fn new(root: &'r Dir) -> DirCache<'r> {
        DirCache {
            root,
            state: Mutex::new(Cached::default()),
        }
    }

    /// The directory the paths are relative to.
    pub(crate) fn root(&self) -> &'r Dir {
        self.root
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, rel: &str) -> Option<Arc<Dir>> {
        self.lock().dirs.get(rel).cloned()
    }

    /// Keeps `dir` as the handle of `rel` (the oldest goes past
    /// [`CACHED`]).
    pub(crate) fn keep(&self, rel: &str, dir: Arc<Dir>) {
        let mut s = self.lock();
        if s.dirs.insert(rel.to_string(), dir).is_none() {
            s.order.push_back(rel.to_string());
            while s.order.len() > CACHED {
                if let Some(old) = s.order.pop_front() {
                    s.dirs.remove(&old);
                }
            }
        }
    }

    /// The parent of `rel` and `rel`'s name in it: the parent's handle
    /// when it is kept, else the nearest kept ancestor (or the root) and the
    /// path from it. `None` for the root itself.
    pub(crate) fn parent(&self, rel: &str) -> Option<(Base<'r>, PathBuf)> {
        let (mut up, name) = parent_of(rel)?;
        let mut names: Vec<&str> = vec![name];
        loop {
            if up.is_empty() {
                return Some((Base::Root(self.root), names.iter().rev().collect()));
            }
            if let Some(d) = self.cached(up) {
                return Some((Base::Kept(d), names.iter().rev().collect()));
            }
            let (next, n) = parent_of(up).expect("not the root");
            names.push(n);
            up = next;
        }
    }

    /// The directory `rel`, opened from its parent's handle (or the nearest
    /// kept ancestor's), links not followed, and kept.
    pub fn open(&self, rel: &str) -> io::Result<Arc<Dir>> {
        if let Some(d) = self.cached(rel) {
            return Ok(d);
        }
        let d = match self.parent(rel) {
            None => Arc::new(self.root.try_clone()?),
            Some((base, path)) => {
                use cap_fs_ext::DirExt;
                Arc::new(base.dir().open_dir_nofollow(path)?)
            }
        };
        self.keep(rel, Arc::clone(&d));
        Ok(d)
    }
}

/// Where a path is opened from.
pub(crate) enum Base<'r> {
    Root(&'r Dir),
    Kept(Arc<Dir>),
}

impl Base<'_> {
    pub(crate) fn dir(&self) -> &Dir {
        match self {
            Base::Root(d) => d,
            Base::Kept(d) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> (tempfile::TempDir, Dir) {
        let t = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        (t, d)
    }

    /// Deeper than every kept level: the stack reopens what it dropped and
    /// ends where it was told, with few handles open.
    #[test]
    fn a_stack_walks_deep_paths_with_few_handles() {
        let (_t, root) = tmp();
        let mut s = DirStack::new(&root);
        let deep = |n: usize| vec!["d"; n].join("/").into_bytes();
        let make = |p: &Dir, n: &Path, _: usize| {
            p.create_dir(n)?;
            p.open_dir(n)
        };
        s.go(&deep(300), make).unwrap().write("f", b"x").unwrap();
        let open = s.dirs.iter().filter(|d| d.is_some()).count();
        assert!(open <= KEEP_ALL + 300 / STRIDE + 1, "{open} handles");
        // Level 150 was not kept: opened again from a kept one.
        let opened = |p: &Dir, n: &Path, _: usize| p.open_dir(n);
        s.go(&deep(150), opened).unwrap().write("g", b"y").unwrap();
        assert_eq!(s.depth(), 150);
        assert_eq!(root.read(os(&deep(150)).join("g")).unwrap(), b"y");
        // A sibling whose name extends a level's name is not that level.
        let mut levels = Vec::new();
        let mut note = |p: &Dir, n: &Path, l: usize| {
            levels.push(l);
            p.create_dir(n)?;
            p.open_dir(n)
        };
        s.go(b"d/dd", &mut note).unwrap().write("h", b"z").unwrap();
        assert_eq!(levels, [1]);
        assert_eq!(root.read("d/dd/h").unwrap(), b"z");
        assert_eq!(s.go(b"", opened).unwrap().read("d/dd/h").unwrap(), b"z");
        assert_eq!(s.depth(), 0);
    }

    #[test]
    fn a_cache_opens_from_the_nearest_kept_ancestor() {
        let (_t, root) = tmp();
        root.create_dir_all("a/b/c/d").unwrap();
        root.write("a/b/c/d/f", b"x").unwrap();
        let c = DirCache::new(&root);
        let b = c.open("a/b").unwrap();
        assert!(b.exists("c"));
        match c.parent("a/b/c/d").unwrap() {
            (Base::Kept(_), p) => assert_eq!(p, Path::new("c/d")),
            _ => panic!("not from a/b"),
        }
        assert_eq!(c.open("a/b/c/d").unwrap().read("f").unwrap(), b"x");
        // A link is not followed.
        std::os::unix::fs::symlink("b", _t.path().join("a/l")).unwrap();
        assert!(c.open("a/l").is_err());
    }
}
