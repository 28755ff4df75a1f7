//! Gathering the facts the tree lints need: a listing of the project
//! directory (as deep as the cache paths reach) and `git ls-files`.
//!
//! Only reading happens here; every judgement is the policy's. Symlinks are
//! listed, never followed; names that are not UTF-8 are left out (they are
//! never matched on their own); `.git` is not listed.

use std::collections::VecDeque;
use std::path::Path;
use std::process::{Command, Stdio};
use zerops_cache_contract::lint::TreeFacts;

/// Listing stops after this many entries; the facts then claim only the
/// levels listed completely, so no pattern is judged on a partial listing.
pub const MAX_ENTRIES: usize = 200_000;

/// Lists `root` down to `depth` components and asks git what it tracks.
pub fn gather(root: &Path, depth: u32) -> TreeFacts {
    let (entries, depth) = list(root, depth, MAX_ENTRIES);
    TreeFacts {
        entries,
        depth,
        tracked: git_ls_files(root),
    }
}

/// Breadth-first listing; returns the entries and the depth listed completely.
pub fn list(root: &Path, depth: u32, max: usize) -> (Vec<String>, u32) {
    let mut entries = Vec::new();
    let mut queue: VecDeque<(std::path::PathBuf, String, u32)> = VecDeque::new();
    queue.push_back((root.to_path_buf(), String::new(), 0));
    let mut complete = depth;
    while let Some((dir, prefix, level)) = queue.pop_front() {
        if level >= depth {
            continue;
        }
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<(String, bool)> = read
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                Some((name, is_dir))
            })
            .filter(|(n, _)| !(level == 0 && n == ".git"))
            .collect();
        names.sort();
        for (name, is_dir) in names {
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
            if is_dir {
                queue.push_back((dir.join(&name), path.clone(), level + 1));
            }
            entries.push(path);
        }
    }
    (entries, complete)
}

/// `git ls-files` in `root` (paths relative to `root`, only those below
/// it); `None` when git is missing or `root` is not in a work tree.
pub fn git_ls_files(root: &Path) -> Option<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .filter_map(|p| std::str::from_utf8(p).ok())
            .map(str::to_string)
            .collect(),
    )
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
        let (e, depth) = list(d.path(), 2, 100);
        assert_eq!(e, ["a", "z", "a/b", "a/f"]);
        assert_eq!(depth, 2);
        let (e, depth) = list(d.path(), 3, 3);
        assert_eq!(depth, 1, "{e:?}");
        assert_eq!(e, ["a", "z"]);
    }
}
