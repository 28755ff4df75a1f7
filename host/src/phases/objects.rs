//! The objects of the deploy versions (`versions/objects/<V>/<n>`): one
//! immutable file per distinct file content, mode and mtime, made by
//! version V and named by that version's trees ([`super::version_tree`]).
//! An object is created new (a reflink, else `copy_file_range`) and never
//! written again, so a later build cannot change an earlier version's bytes.
//!
//! Versions reuse objects only from the version before them, so each object
//! is named by a contiguous run of versions `[V, last]`. When a version
//! stops naming objects of the one before it, it writes them down in
//! `versions/released/<its number>` with that `last`; an object is deleted
//! once no kept version lies in its run. Pruning therefore costs what
//! changed between versions, never a walk of all trees.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, Metadata};
use std::collections::{BTreeSet, HashSet};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::version_tree::{ObjectId, Tree};
use crate::filesystem;
use crate::store::journal::to_trash;
use crate::store::layout::{OBJECTS, RELEASED, VERSIONS};
use crate::store::record_io::{read_opt, write_atomic};

const RELEASED_MAGIC: &str = "zerops-cache-released 1";

/// The new objects of the version being made.
pub struct NewObjects {
    version: u32,
    dir: Dir,
    next: AtomicU64,
}

impl NewObjects {
    /// Starts version `v`'s objects; objects left by an unfinished build of
    /// the same number are no one's and go to the trash first.
    pub fn start(store: &Dir, v: u32) -> Result<NewObjects> {
        let rel = format!("{OBJECTS}/{v}");
        if filesystem::exists(store, Path::new(&rel)) {
            to_trash(store, &rel)?;
        }
        store
            .create_dir_all(&rel)
            .with_context(|| format!("creating {rel}"))?;
        Ok(NewObjects {
            version: v,
            dir: store.open_dir(&rel)?,
            next: AtomicU64::new(0),
        })
    }

    /// Copies the regular file `name` of `src` (described by `md`) into a
    /// new object; returns its id.
    pub fn copy(&self, src: &Dir, name: &Path, md: &Metadata) -> io::Result<ObjectId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        filesystem::copy_file(src, name, &self.dir, Path::new(&n.to_string()), md)?;
        Ok(ObjectId {
            version: self.version,
            n,
        })
    }

    /// How many objects were made.
    pub fn count(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// Removes the objects made here that `named` does not name.
    pub fn drop_unnamed(&self, named: impl Iterator<Item = ObjectId>) {
        let named: HashSet<u64> = named
            .filter(|o| o.version == self.version)
            .map(|o| o.n)
            .collect();
        if named.len() as u64 == self.count() {
            return;
        }
        for n in (0..self.count()).filter(|n| !named.contains(n)) {
            let _ = self.dir.remove_file(n.to_string());
        }
    }

    /// Removes the directory when no object was made.
    pub fn finish(self, store: &Dir) {
        if self.count() == 0 {
            let _ = store.remove_dir(format!("{OBJECTS}/{}", self.version));
        }
    }
}

/// Opens the objects directory, if there is one.
pub fn open(store: &Dir) -> Option<Dir> {
    store.open_dir(OBJECTS).ok()
}

fn released_name(v: u32) -> String {
    format!("released/{v}")
}

/// Writes down that version `v` no longer names these objects of `prev`,
/// the version before it (the objects' runs end at `prev`). Durable before
/// `v` is recorded.
pub fn release(versions: &Dir, v: u32, prev: &Tree, prev_number: u32, new: &Tree) -> Result<()> {
    let mut kept: Vec<ObjectId> = new.objects().map(|(o, _)| o).collect();
    kept.sort_unstable();
    let gone: BTreeSet<ObjectId> = prev
        .objects()
        .map(|(o, _)| o)
        .filter(|o| kept.binary_search(o).is_err())
        .collect();
    let _ = versions.remove_file(released_name(v));
    if gone.is_empty() {
        return Ok(());
    }
    let mut text = format!("{RELEASED_MAGIC} {prev_number}\n");
    for o in gone {
        text.push_str(&o.to_string());
        text.push('\n');
    }
    versions.create_dir_all("released")?;
    write_atomic(versions, &released_name(v), text.as_bytes())
}

/// Forgets what version `v` released (it is being rolled back: the
/// version before it still names those objects) and removes the objects
/// it made.
pub fn discard(store: &Dir, v: u32) -> Result<()> {
    let released = format!("{VERSIONS}/{}", released_name(v));
    if filesystem::exists(store, Path::new(&released)) {
        store.remove_file(&released)?;
    }
    let made = format!("{OBJECTS}/{v}");
    if filesystem::exists(store, Path::new(&made)) {
        to_trash(store, &made)?;
    }
    Ok(())
}

fn parse_released(text: &str) -> Option<(u32, Vec<ObjectId>)> {
    let mut lines = text.lines();
    let last = lines
        .next()?
        .strip_prefix(RELEASED_MAGIC)?
        .trim()
        .parse()
        .ok()?;
    let ids = lines
        .map(ObjectId::parse)
        .collect::<Option<Vec<ObjectId>>>()?;
    Some((last, ids))
}

/// Deletes the released objects that no kept version names any more (no
/// version of `kept` lies in the object's run). Returns how many went.
pub fn collect(store: &Dir, kept: &[u32]) -> Result<u64> {
    let Ok(listed) = filesystem::list(store, Path::new(RELEASED)) else {
        return Ok(0);
    };
    let versions = store.open_dir(VERSIONS)?;
    let objects = open(store);
    let mut removed = 0;
    let mut emptied: BTreeSet<u32> = BTreeSet::new();
    for l in listed {
        let Some(name) = l.name.to_str().filter(|n| n.parse::<u32>().is_ok()) else {
            continue;
        };
        let rel = format!("released/{name}");
        let Some(text) = read_opt(&versions, &rel)? else {
            continue;
        };
        let Some((last, ids)) = parse_released(&text) else {
            // Damaged: keeping every object is the safe side.
            continue;
        };
        let mut survivors = Vec::new();
        for id in ids {
            let first = id.version;
            if kept.iter().any(|v| (first..=last).contains(v)) {
                survivors.push(id);
                continue;
            }
            if let Some(o) = &objects {
                match o.remove_file(id.rel()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("removing object {id}")),
                }
                emptied.insert(first);
            }
        }
        if survivors.is_empty() {
            versions.remove_file(&rel)?;
        } else if survivors.len() < text.lines().count() - 1 {
            let mut t = format!("{RELEASED_MAGIC} {last}\n");
            for s in survivors {
                t.push_str(&s.to_string());
                t.push('\n');
            }
            write_atomic(&versions, &rel, t.as_bytes())?;
        }
    }
    if let Some(o) = &objects {
        for v in emptied {
            // Only an empty directory goes; others still hold objects.
            let _ = o.remove_dir(v.to_string());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_lists_parse_and_refuse_damage() {
        let (last, ids) = parse_released("zerops-cache-released 1 4\n1/0\n3/12\n").unwrap();
        let id = |version, n| ObjectId { version, n };
        assert_eq!((last, ids), (4, vec![id(1, 0), id(3, 12)]));
        assert!(parse_released("zerops-cache-released 1 4\n+1/0\n").is_none());
        assert!(parse_released("zerops-cache-released 1 4\n../x\n").is_none());
        assert!(parse_released("other 4\n").is_none());
    }
}
