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
use cap_fs_ext::DirExt;
use cap_std::fs::{Dir, Metadata, PermissionsExt};
use std::collections::{BTreeSet, HashSet};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::object_check::{self, Expect};
use super::version_tree::{ObjectId, Tree};
use crate::store::journal::to_trash;
use crate::store::layout::{OBJECTS, RELEASED, TRASH, VERSIONS};
use crate::store::record_io::{read_opt, write_atomic};
use zerops_cache_base::filesystem;

const RELEASED_MAGIC: &str = "zerops-cache-released 1";

/// The new objects of the version being made.
pub(crate) struct NewObjects {
    version: u32,
    dir: Dir,
    next: AtomicU64,
}

impl NewObjects {
    /// Starts version `v`'s objects; objects left by an unfinished build of
    /// the same number are no one's and go to the trash first.
    pub(crate) fn start(store: &Dir, v: u32) -> Result<NewObjects> {
        // Not a directory: every version's objects are gone, and a new
        // version would name them. Repair sets those versions aside.
        if let Ok(md) = store.symlink_metadata(OBJECTS)
            && !md.is_dir()
        {
            return Err(zerops_cache_base::exit::Exit::StoreBroken.error(format!(
                "`{OBJECTS}` in the store is {}, not a directory; run `zerops-cache repair`",
                crate::store::record_io::kind_of(md.file_type())
            )));
        }
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
    /// new object; returns its id and the digest of the object's bytes,
    /// read back from the object itself (what was stored, whatever the
    /// source did meanwhile). The object is made read-only: its mode loses
    /// every write bit (the tree keeps the file's own mode).
    pub(crate) fn copy(
        &self,
        src: &Dir,
        name: &Path,
        md: &Metadata,
    ) -> io::Result<(ObjectId, Expect)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let rel = n.to_string();
        filesystem::copy_file(src, name, &self.dir, Path::new(&rel), md)?;
        let (digest, size) = object_check::hash_file(&self.dir, Path::new(&rel))?;
        let mode = md.permissions().mode() & 0o7777 & !0o222;
        self.dir
            .set_permissions(&rel, cap_std::fs::Permissions::from_mode(mode))?;
        Ok((
            ObjectId {
                version: self.version,
                index: n,
            },
            Expect { size, digest },
        ))
    }

    /// How many objects were made.
    pub(crate) fn count(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// Removes the objects made here that `named` does not name.
    pub(crate) fn drop_unnamed(&self, named: impl Iterator<Item = ObjectId>) {
        let named: HashSet<u64> = named
            .filter(|o| o.version == self.version)
            .map(|o| o.index)
            .collect();
        if named.len() as u64 == self.count() {
            return;
        }
        for n in (0..self.count()).filter(|n| !named.contains(n)) {
            let _ = self.dir.remove_file(n.to_string());
        }
    }

    /// Removes the directory when no object was made.
    pub(crate) fn finish(self, store: &Dir) {
        if self.count() == 0 {
            let _ = store.remove_dir(format!("{OBJECTS}/{}", self.version));
        }
    }
}

/// Opens the objects directory, if there is one (a directory itself, not
/// a link to one).
pub(crate) fn open(store: &Dir) -> Option<Dir> {
    store
        .symlink_metadata(OBJECTS)
        .is_ok_and(|m| m.is_dir())
        .then(|| store.open_dir_nofollow(OBJECTS).ok())
        .flatten()
}

fn released_name(v: u32) -> String {
    format!("released/{v}")
}

/// Writes down that version `v` no longer names these objects of `prev`,
/// the version before it (the objects' runs end at `prev`). Durable before
/// `v` is recorded.
pub(crate) fn release(
    versions: &Dir,
    v: u32,
    prev: &Tree,
    prev_number: u32,
    new: &Tree,
) -> Result<()> {
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
pub(crate) fn discard(store: &Dir, v: u32) -> Result<()> {
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

/// The kept versions' trees, read at most once each: those the caller
/// already holds (a build holds its new version's and the previous one's),
/// else from the store.
pub(crate) struct KeptTrees<'a> {
    known: Vec<(u32, &'a Tree)>,
    /// Which object directories each loaded tree names (`None`: unreadable).
    loaded: std::collections::HashMap<u32, Option<BTreeSet<u32>>>,
}

impl<'a> KeptTrees<'a> {
    pub(crate) fn new(known: Vec<(u32, &'a Tree)>) -> KeptTrees<'a> {
        KeptTrees {
            known,
            loaded: Default::default(),
        }
    }

    /// Whether version `k` names an object of version `v`; an unreadable
    /// tree names everything (keeping is the safe side).
    fn names_objects_of(&mut self, store: &Dir, k: u32, v: u32) -> bool {
        if let Some((_, t)) = self.known.iter().find(|(n, _)| *n == k) {
            return t.objects().any(|(o, _)| o.version == v);
        }
        let dirs = self.loaded.entry(k).or_insert_with(|| {
            // A version without a tree (unfinished or damaged) names none.
            Tree::load(store, k).ok().map(|t| {
                t.map_or_else(BTreeSet::new, |t| {
                    t.objects().map(|(o, _)| o.version).collect()
                })
            })
        });
        dirs.as_ref().is_none_or(|d| d.contains(&v))
    }
}

/// What [`collect`] moved to the trash.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Collected {
    /// Whole object directories (a version's objects that no kept version
    /// names), one rename each.
    pub(crate) dirs: u64,
    /// Single objects, one rename each.
    pub(crate) objects: u64,
}

/// Moves the objects that no kept version names any more to the trash,
/// where the detached cleaner deletes them (`store::trash`): nothing is
/// deleted here, so pruning costs renames, never the deletion of a
/// version's files.
///
/// An object directory `objects/V` goes whole, by one rename, when V is
/// not kept and the first kept version after V names none of its objects
/// (runs are contiguous from V, so no later version can name one either).
/// Otherwise the released objects whose run holds no kept version go one
/// by one into one trash directory: that costs what changed between the
/// versions, never a walk of every tree.
pub(crate) fn collect(store: &Dir, kept: &[u32], trees: &mut KeptTrees) -> Result<Collected> {
    let mut kept = kept.to_vec();
    kept.sort_unstable();
    let mut out = Collected::default();
    let mut whole: BTreeSet<u32> = BTreeSet::new();
    for l in filesystem::list(store, Path::new(OBJECTS)).unwrap_or_default() {
        let Some(v) = l.name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if kept.binary_search(&v).is_ok() {
            continue;
        }
        let alive = match kept.iter().find(|k| **k > v) {
            Some(&k) => trees.names_objects_of(store, k, v),
            None => false,
        };
        if !alive {
            to_trash(store, &format!("{OBJECTS}/{v}"))
                .with_context(|| format!("moving the objects of version {v} to the trash"))?;
            whole.insert(v);
            out.dirs += 1;
        }
    }
    let Ok(listed) = filesystem::list(store, Path::new(RELEASED)) else {
        return Ok(out);
    };
    let versions = store.open_dir(VERSIONS)?;
    let objects = open(store);
    let mut bin: Option<Dir> = None;
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
            if whole.contains(&first) {
                continue;
            }
            if kept.iter().any(|v| (first..=last).contains(v)) {
                survivors.push(id);
                continue;
            }
            let Some(o) = &objects else { continue };
            if bin.is_none() {
                bin = Some(trash_dir(store)?);
            }
            let b = bin.as_ref().expect("made above");
            match o.rename(id.rel(), b, format!("{}-{}", id.version, id.index)) {
                Ok(()) => out.objects += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("moving object {id} to the trash"));
                }
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
    Ok(out)
}

/// A new directory in the trash for single objects.
fn trash_dir(store: &Dir) -> Result<Dir> {
    crate::store::journal::trash_dir(store)?;
    for n in 0u32.. {
        let rel = format!("{TRASH}/objects.{n}");
        match store.create_dir(&rel) {
            Ok(()) => return Ok(store.open_dir(&rel)?),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).context("making a trash directory for objects"),
        }
    }
    anyhow::bail!("no free name in the trash")
}

#[cfg(test)]
mod tests {
    use super::super::version_tree::Node;
    use super::*;

    fn file(version: u32, index: u64) -> Node {
        Node::File {
            mode: 0o644,
            mtime: (1, 0),
            size: 1,
            object: ObjectId { version, index },
            digest: [0; 32],
            source: None,
        }
    }

    /// Pruning deletes nothing: a version's objects that no kept version
    /// names go to the trash by one rename of their directory; released
    /// objects of a directory still in use go one by one; what a kept
    /// version names stays.
    #[test]
    fn collect_only_renames_into_the_trash() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        store.create_dir_all(VERSIONS).unwrap();
        let versions = store.open_dir(VERSIONS).unwrap();
        // v1 names 1/0 and 1/1; v2 names 1/0 and 2/0; v3 names 1/0 and 3/0.
        let names: [&[(u32, u64)]; 3] = [&[(1, 0), (1, 1)], &[(1, 0), (2, 0)], &[(1, 0), (3, 0)]];
        let mut trees = Vec::new();
        for (i, objs) in names.iter().enumerate() {
            let mut t = Tree::new(0);
            for (k, (v, n)) in objs.iter().enumerate() {
                t.put(format!("f{k}").into_bytes(), file(*v, *n));
                store.create_dir_all(format!("{OBJECTS}/{v}")).unwrap();
                store.write(format!("{OBJECTS}/{v}/{n}"), b"x").unwrap();
            }
            trees.push(t);
            let v = i as u32 + 1;
            if v > 1 {
                release(&versions, v, &trees[i - 1], v - 1, &trees[i]).unwrap();
            }
        }
        // Versions 1 and 2 are pruned; 3 stays.
        let mut kept = KeptTrees::new(vec![(3, &trees[2])]);
        let got = collect(&store, &[3], &mut kept).unwrap();
        assert_eq!(
            got,
            Collected {
                dirs: 1,
                objects: 1
            }
        );
        assert!(store.is_file(format!("{OBJECTS}/1/0")));
        assert!(store.is_file(format!("{OBJECTS}/3/0")));
        assert!(!store.exists(format!("{OBJECTS}/1/1")));
        assert!(!store.exists(format!("{OBJECTS}/2")));
        // Everything that went is in the trash, for the detached cleaner.
        assert!(store.is_file(format!("{TRASH}/objects.0/1-1")));
        assert!(store.is_file(format!("{TRASH}/versions_objects_2.0/0")));
        assert!(!store.exists(RELEASED.to_string() + "/2"));
        assert!(!store.exists(RELEASED.to_string() + "/3"));
        // Again: nothing more goes.
        let mut kept = KeptTrees::new(vec![(3, &trees[2])]);
        assert_eq!(
            collect(&store, &[3], &mut kept).unwrap(),
            Collected::default()
        );
    }

    #[test]
    fn released_lists_parse_and_refuse_damage() {
        let (last, ids) = parse_released("zerops-cache-released 1 4\n1/0\n3/12\n").unwrap();
        let id = |version, index| ObjectId { version, index };
        assert_eq!((last, ids), (4, vec![id(1, 0), id(3, 12)]));
        assert!(parse_released("zerops-cache-released 1 4\n+1/0\n").is_none());
        assert!(parse_released("zerops-cache-released 1 4\n../x\n").is_none());
        assert!(parse_released("other 4\n").is_none());
    }
}
