//! The walk of a layer directory that a push starts with, on every core:
//! each directory is listed (and its entries' metadata read) by whichever
//! thread takes it next, then the listings are put together parents
//! first, children sorted by name: what one thread walking would give.

use anyhow::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use super::Kind;
use super::layer_dir::{Walk, Walked, list};

/// One directory's listing.
pub(crate) struct Listing {
    /// Its entries, in name order.
    pub(crate) entries: Vec<Walked>,
    /// What was left out of it: (how many entries come before, why).
    pub(crate) left_out: Vec<(usize, String)>,
}

/// What the listing threads share.
struct Shared {
    /// Directories to list: (listing number, path, relative path with its `/`).
    todo: Vec<(usize, PathBuf, String)>,
    /// Directories being listed.
    busy: usize,
    /// Each listing, by number, with the listing number of each
    /// subdirectory among its entries (in order).
    listings: Vec<Option<(Listing, Vec<usize>)>>,
    failed: Option<anyhow::Error>,
}

/// Walks the layer at `root` (which may not exist: an empty layer) on up
/// to `threads` threads. File digests are left empty: the pack pass hashes
/// them.
pub(crate) fn walk(root: &Path, threads: usize) -> Result<Walk> {
    let mut w = Walk {
        entries: Vec::new(),
        left_out: Vec::new(),
    };
    if fs::symlink_metadata(root).is_err() {
        return Ok(w);
    }
    let shared = Mutex::new(Shared {
        todo: vec![(0, root.to_path_buf(), String::new())],
        busy: 0,
        listings: vec![None],
        failed: None,
    });
    let wake = Condvar::new();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| lister(&shared, &wake));
        }
    });
    let mut shared = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = shared.failed.take() {
        return Err(e);
    }
    assemble(&mut shared.listings, 0, &mut w);
    Ok(w)
}

/// Takes the next directory to list, or `None` once every one is listed
/// (or one failed).
fn next(shared: &Mutex<Shared>, wake: &Condvar) -> Option<(usize, PathBuf, String)> {
    let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if s.failed.is_some() {
            return None;
        }
        if let Some(job) = s.todo.pop() {
            s.busy += 1;
            return Some(job);
        }
        if s.busy == 0 {
            return None;
        }
        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
    }
}

/// Lists directories until none is left.
fn lister(shared: &Mutex<Shared>, wake: &Condvar) {
    while let Some((n, abs, rel)) = next(shared, wake) {
        let listed = list(&abs, &rel);
        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
        s.busy -= 1;
        match listed {
            Ok(l) => {
                let mut subdirs = Vec::new();
                for e in &l.entries {
                    if let Some(name) = dir_name(e) {
                        let m = s.listings.len();
                        s.listings.push(None);
                        subdirs.push(m);
                        s.todo
                            .push((m, abs.join(name), format!("{}/", e.entry.path)));
                    }
                }
                s.listings[n] = Some((l, subdirs));
            }
            Err(e) => {
                s.failed.get_or_insert(e);
            }
        }
        drop(s);
        wake.notify_all();
    }
    wake.notify_all();
}

/// The name of a directory entry (`None` for anything else).
fn dir_name(e: &Walked) -> Option<&str> {
    matches!(e.entry.kind, Kind::Dir { .. })
        .then(|| e.entry.path.rsplit('/').next())
        .flatten()
}

/// Listing `n`, each subdirectory followed by its own, into `w`.
fn assemble(listings: &mut [Option<(Listing, Vec<usize>)>], n: usize, w: &mut Walk) {
    let Some((l, subdirs)) = listings[n].take() else {
        return;
    };
    let mut subdirs = subdirs.into_iter();
    let mut left_out = l.left_out.into_iter().peekable();
    for (i, e) in l.entries.into_iter().enumerate() {
        while let Some((_, why)) = left_out.next_if(|(at, _)| *at == i) {
            w.left_out.push(why);
        }
        let is_dir = matches!(e.entry.kind, Kind::Dir { .. });
        w.entries.push(e);
        if is_dir && let Some(sub) = subdirs.next() {
            assemble(listings, sub, w);
        }
    }
    w.left_out.extend(left_out.map(|(_, why)| why));
}

#[cfg(test)]
mod order_tests {
    use super::*;

    /// The walk as one thread recursing would give it: (path, or why
    /// left out), parents first, children by name.
    fn reference(abs: &Path, rel: &str, out: &mut Vec<String>) {
        let l = list(abs, rel).unwrap();
        let mut left_out = l.left_out.into_iter().peekable();
        for (i, e) in l.entries.into_iter().enumerate() {
            while let Some((_, why)) = left_out.next_if(|(at, _)| *at == i) {
                out.push(format!("left out {why}"));
            }
            out.push(e.entry.path.clone());
            if let Some(name) = dir_name(&e) {
                reference(&abs.join(name), &format!("{}/", e.entry.path), out);
            }
        }
        out.extend(left_out.map(|(_, why)| format!("left out {why}")));
    }

    fn flat(w: Walk) -> (Vec<String>, Vec<String>) {
        (
            w.entries.into_iter().map(|e| e.entry.path).collect(),
            w.left_out,
        )
    }

    #[test]
    fn every_thread_count_walks_in_the_order_of_one_thread() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        // Wide and deep, with special files (left out) between entries.
        for p in 0..40 {
            let d = root.join(format!("node_modules/p{p:02}/lib/deep/er"));
            fs::create_dir_all(&d).unwrap();
            for f in 0..5 {
                fs::write(d.join(format!("f{f}")), "x").unwrap();
                fs::write(root.join(format!("node_modules/p{p:02}/f{f}")), "y").unwrap();
            }
            if p % 7 == 0 {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    root.join(format!("node_modules/p{p:02}/m-fifo")),
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(0o600),
                    0,
                )
                .unwrap();
            }
        }
        std::os::unix::fs::symlink("p00", root.join("node_modules/a-link")).unwrap();
        let mut want = Vec::new();
        reference(root, "", &mut want);
        let (one_paths, one_left) = flat(walk(root, 1).unwrap());
        let mut one = one_paths.clone();
        one.extend(one_left.iter().map(|w| format!("left out {w}")));
        // 40 packages of 5 + 5 files and 4 directories, the link, node_modules.
        assert_eq!(one_paths.len(), 40 * 14 + 2);
        assert_eq!(one_left.len(), 6);
        let mut sorted = one_paths.clone();
        sorted.sort();
        assert_eq!(one_paths, sorted, "parents first, children by name");
        let want_paths: Vec<_> = want
            .iter()
            .filter(|p| !p.starts_with("left out"))
            .cloned()
            .collect();
        let want_left: Vec<_> = want
            .iter()
            .filter_map(|p| p.strip_prefix("left out ").map(str::to_string))
            .collect();
        assert_eq!(one_paths, want_paths);
        assert_eq!(one_left, want_left);
        for threads in [2, 3, 8] {
            assert_eq!(
                flat(walk(root, threads).unwrap()),
                (one_paths.clone(), one_left.clone())
            );
        }
    }

    #[test]
    fn a_directory_that_cannot_be_listed_fails_the_walk() {
        let t = tempfile::tempdir().unwrap();
        assert!(
            walk(&t.path().join("missing"), 2)
                .unwrap()
                .entries
                .is_empty()
        );
        let f = t.path().join("a-file");
        fs::write(&f, "x").unwrap();
        let e = walk(&f, 2).err().expect("a file is no directory");
        assert!(format!("{e:#}").contains("listing"), "{e:#}");
    }
}
