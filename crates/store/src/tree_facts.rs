//! Gathering the facts the tree lints need: a listing of the project
//! directory (as deep as the cache paths reach) and `git ls-files`.
//!
//! Only reading happens here, through the filesystem layer's listing (the
//! one the build's restore and preserve use), so lint and build see the
//! same names; every judgement is the policy's. Symlinks are listed, never
//! followed; a name that is not UTF-8 is listed in its lossy form (as the
//! build's listings show it); `.git` is not listed.

use cap_std::fs::Dir;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use zerops_cache_contract::lint::TreeFacts;

use zerops_cache_contract::plan::EntryKind;

/// Listing stops after this many entries; the facts then claim only the
/// levels listed completely, so no pattern is judged on a partial listing.
pub(crate) const MAX_ENTRIES: usize = 200_000;

/// Opens `root` and gathers its facts; a root that cannot be opened has
/// no entries (the tree lints then claim nothing).
pub fn gather(root: &Path, depth: u32) -> TreeFacts {
    match Dir::open_ambient_dir(root, cap_std::ambient_authority()) {
        Ok(dir) => gather_in(&dir, root, depth),
        Err(_) => TreeFacts {
            entries: Vec::new(),
            depth: 0,
            tracked: git_ls_files(root),
        },
    }
}

/// Lists `dir` (the directory at `root`) down to `depth` components and
/// asks git what it tracks.
pub fn gather_in(dir: &Dir, root: &Path, depth: u32) -> TreeFacts {
    let (entries, depth) = list(dir, depth, MAX_ENTRIES);
    TreeFacts {
        entries,
        depth,
        tracked: git_ls_files(root),
    }
}

/// Breadth-first listing; returns the entries and the depth listed completely.
pub(crate) fn list(root: &Dir, depth: u32, max: usize) -> (Vec<String>, u32) {
    let mut entries = Vec::new();
    let mut queue: VecDeque<(PathBuf, String, u32)> = VecDeque::new();
    queue.push_back((PathBuf::new(), String::new(), 0));
    let mut complete = depth;
    while let Some((rel, prefix, level)) = queue.pop_front() {
        if level >= depth {
            continue;
        }
        let Ok(listed) = zerops_cache_base::filesystem::list(root, &rel) else {
            continue;
        };
        for l in listed {
            let name = &l.entry.name;
            if level == 0 && name == ".git" {
                continue;
            }
            if entries.len() >= max {
                // This level is partial: claim only the ones before it.
                complete = complete.min(level);
                entries.retain(|e: &String| (e.matches('/').count() as u32) < level);
                return (entries, complete);
            }
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if l.entry.kind == EntryKind::Dir {
                queue.push_back((rel.join(&l.name), path.clone(), level + 1));
            }
            entries.push(path);
        }
    }
    (entries, complete)
}

/// `git ls-files` in `root` (paths relative to `root`, only those below
/// it); `None` when git is missing or `root` is not in a work tree.
pub(crate) fn git_ls_files(root: &Path) -> Option<Vec<String>> {
    crate::git::tracked_files(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_breadth_first_and_reports_complete_depth() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b/c")).unwrap();
        std::fs::write(d.path().join("a/f"), "").unwrap();
        std::fs::write(d.path().join("z"), "").unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        let dir = Dir::open_ambient_dir(d.path(), cap_std::ambient_authority()).unwrap();
        let (e, depth) = list(&dir, 2, 100);
        assert_eq!(e, ["a", "z", "a/b", "a/f"]);
        assert_eq!(depth, 2);
        let (e, depth) = list(&dir, 3, 3);
        assert_eq!(depth, 1, "{e:?}");
        assert_eq!(e, ["a", "z"]);
    }

    #[test]
    fn lists_names_that_are_not_utf8_as_the_build_does() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"n\xffme");
        std::fs::create_dir(d.path().join(odd)).unwrap();
        std::fs::write(d.path().join(odd).join("f"), "").unwrap();
        let dir = Dir::open_ambient_dir(d.path(), cap_std::ambient_authority()).unwrap();
        let (e, _) = list(&dir, 2, 100);
        assert_eq!(e, ["n\u{fffd}me", "n\u{fffd}me/f"]);
    }
}
