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
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::filesystem;

/// Levels of a stack that always keep their handle.
pub const KEEP_ALL: usize = 64;
/// Below [`KEEP_ALL`], every how many levels a handle is kept.
pub const STRIDE: usize = 16;
/// Handles a cache keeps.
pub const CACHED: usize = 256;

/// One handle per level of the current path of a walk in path order.
pub struct DirStack<'r> {
    root: &'r Dir,
    names: Vec<OsString>,
    dirs: Vec<Option<Dir>>,
}

impl<'r> DirStack<'r> {
    pub fn new(root: &'r Dir) -> DirStack<'r> {
        DirStack {
            root,
            names: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// How many levels deep the current path is (0: the root).
    pub fn depth(&self) -> usize {
        self.names.len()
    }

    /// How many leading names of `dirs` the current path shares.
    pub fn shared<S: AsRef<OsStr>>(&self, dirs: &[S]) -> usize {
        self.names
            .iter()
            .zip(dirs)
            .take_while(|(a, b)| a.as_os_str() == b.as_ref())
            .count()
    }

    /// The deepest level's handle (the root's at depth 0), opened again
    /// from the nearest kept level when it was not kept.
    pub fn top(&mut self) -> io::Result<&Dir> {
        let Some(last) = self.dirs.len().checked_sub(1) else {
            return Ok(self.root);
        };
        if self.dirs[last].is_none() {
            let from = self.dirs[..last].iter().rposition(Option::is_some);
            let start = from.map_or(0, |i| i + 1);
            let rel: PathBuf = self.names[start..=last].iter().collect();
            let base = match from {
                Some(i) => self.dirs[i].as_ref().expect("kept"),
                None => self.root,
            };
            let d = base.open_dir(rel)?;
            self.dirs[last] = Some(d);
        }
        Ok(self.dirs[last].as_ref().expect("opened above"))
    }

    /// Goes one level down, to `name` below the current path: `open` gets
    /// the parent's handle and the name, and opens (or makes) it.
    pub fn push(
        &mut self,
        name: &OsStr,
        open: impl FnOnce(&Dir, &Path) -> io::Result<Dir>,
    ) -> io::Result<()> {
        let d = open(self.top()?, Path::new(name))?;
        if let Some(last) = self.dirs.len().checked_sub(1)
            && last >= KEEP_ALL
            && last % STRIDE != 0
        {
            self.dirs[last] = None;
        }
        self.names.push(name.to_os_string());
        self.dirs.push(Some(d));
        Ok(())
    }

    /// Goes one level up; returns the handle of the level left.
    pub fn pop(&mut self) -> io::Result<Dir> {
        self.top()?;
        self.names.pop();
        Ok(self.dirs.pop().flatten().expect("opened by top"))
    }

    /// Goes up until the current path is `depth` levels deep.
    pub fn up_to(&mut self, depth: usize) -> io::Result<()> {
        while self.depth() > depth {
            self.names.pop();
            self.dirs.pop();
        }
        Ok(())
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, rel: &str) -> Option<Arc<Dir>> {
        self.lock().dirs.get(rel).cloned()
    }

    /// Keeps `dir` as the handle of `rel` (the oldest goes past
    /// [`CACHED`]).
    pub fn keep(&self, rel: &str, dir: Arc<Dir>) {
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
    pub fn parent(&self, rel: &str) -> Option<(Base<'r>, PathBuf)> {
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

impl DirCache<'_> {
    /// Opens and lists the directory `rel` as [`filesystem::list_open`]
    /// does, from its parent's handle; the handle is kept.
    pub fn list(&self, rel: &str) -> io::Result<(Arc<Dir>, Vec<filesystem::Listed>)> {
        let (d, l) = match self.parent(rel) {
            None => filesystem::list_open(self.root, Path::new(""))?,
            Some((base, path)) => filesystem::list_open(base.dir(), &path)?,
        };
        let d = Arc::new(d);
        self.keep(rel, Arc::clone(&d));
        Ok((d, l))
    }
}

/// Where a path is opened from.
pub enum Base<'r> {
    Root(&'r Dir),
    Kept(Arc<Dir>),
}

impl Base<'_> {
    pub fn dir(&self) -> &Dir {
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
        for _ in 0..300 {
            s.push(OsStr::new("d"), |p, n| {
                p.create_dir(n)?;
                p.open_dir(n)
            })
            .unwrap();
        }
        let open = s.dirs.iter().filter(|d| d.is_some()).count();
        assert!(open <= KEEP_ALL + 300 / STRIDE + 1, "{open} handles");
        s.top().unwrap().write("f", b"x").unwrap();
        for _ in 0..150 {
            s.pop().unwrap();
        }
        // Level 150 was not kept: opened again from a kept one.
        s.top().unwrap().write("g", b"y").unwrap();
        let deep: PathBuf = std::iter::repeat_n("d", 150).collect();
        assert_eq!(root.read(deep.join("g")).unwrap(), b"y");
        assert_eq!(s.shared(&["d", "d", "x"]), 2);
        s.up_to(0).unwrap();
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
