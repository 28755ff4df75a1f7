//! A version's directory (`versions/N/`): a view of its tree, every file
//! a hard link of its immutable object. The view of a new version is made
//! from the view of the version before it: that directory is renamed to a
//! staging name, only what differs between the two trees is changed, and it
//! is renamed to `versions/N`. So an unchanged app's view costs two renames,
//! and an app where a few files changed costs those few files.
//!
//! A file's object may be shared by versions whose files had the same
//! bytes and mode but not the same modification time (`npm ci` stamps
//! every file with the install time). The tree keeps each version's own
//! time; a view, made of hard links, shows the object's (that of the first
//! version with those bytes), and `versions export` writes each file with
//! the version's own time. Bytes and modes are always the version's.
//!
//! Views are a convenience, never the truth: a view that is missing or was
//! left half-made by a kill (`versions/.view-*`) is made again from the
//! tree (`zerops-cache activate`, `versions export`), and a failure to
//! make one is a warning, never a failed build.

use anyhow::{Context, Result};
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::{Dir, Permissions, PermissionsExt};
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::object_check;
use super::objects;
use super::version_tree::{Node, Time, Tree};
use crate::filesystem;
use crate::store::journal::to_trash;
use crate::store::layout::VERSIONS;

const STAGING: &str = ".view-";

pub fn rel(v: u32) -> String {
    format!("{VERSIONS}/{v}")
}

/// Whether version `v` has a view.
pub fn exists(store: &Dir, v: u32) -> bool {
    store.symlink_metadata(rel(v)).is_ok_and(|m| m.is_dir())
}

/// Moves half-made views (a kill while one was made) to the trash.
pub fn clear_staging(store: &Dir) -> Result<()> {
    for l in filesystem::list(store, Path::new(VERSIONS)).unwrap_or_default() {
        if l.name.as_bytes().starts_with(STAGING.as_bytes()) {
            to_trash(store, &format!("{VERSIONS}/{}", l.entry.name))?;
        }
    }
    Ok(())
}

/// Makes the view of version `v` (tree `tree`): from the view of `from`
/// (its number and tree) when that one has a view, which it then no longer
/// has; else from nothing. Returns whether an earlier view was reused.
pub fn make(store: &Dir, v: u32, tree: &Tree, from: Option<(u32, &Tree)>) -> Result<bool> {
    clear_staging(store)?;
    if exists(store, v) {
        to_trash(store, &rel(v))?;
    }
    let staging = format!("{VERSIONS}/{STAGING}{v}");
    let empty = Tree::default();
    let reused = match from {
        Some((p, old)) if exists(store, p) => {
            filesystem::rename(store, Path::new(&rel(p)), store, Path::new(&staging))?;
            Some(old)
        }
        _ => {
            store.create_dir(&staging)?;
            None
        }
    };
    let out = store.open_dir(&staging)?;
    let objects = objects::open(store).ok_or_else(|| no_objects(v))?;
    apply(
        &out,
        reused.unwrap_or(&empty),
        tree,
        &objects,
        Place::Link(v),
    )
    .with_context(|| format!("making the directory of version {v}"))?;
    drop(out);
    filesystem::rename(store, Path::new(&staging), store, Path::new(&rel(v)))?;
    Ok(reused.is_some())
}

/// Writes a copy of version `v` (tree `tree`) into the empty directory
/// `out`: every file a new file, each object's bytes checked against its
/// digest while they are copied (one read), so nothing done to the copy
/// reaches the store and a damaged object is an error naming it.
pub fn export(store: &Dir, v: u32, tree: &Tree, out: &Dir) -> Result<()> {
    let objects = objects::open(store).ok_or_else(|| no_objects(v))?;
    apply(out, &Tree::default(), tree, &objects, Place::Copy(v))
}

fn no_objects(v: u32) -> anyhow::Error {
    crate::exit::Exit::StoreBroken.error(format!(
        "version {v}: the store's {} is not a directory; `zerops-cache repair` fixes the store",
        crate::store::layout::OBJECTS
    ))
}

/// How a file is placed, for version N.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A hard link of the object, once it is checked to be a regular file
    /// of the size the tree says (a view is made at every build: reading
    /// every object would cost the whole artifact's bytes each time;
    /// `activate` reads them all).
    Link(u32),
    /// A copy, every byte checked against the digest.
    Copy(u32),
}

fn os(p: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(p))
}

fn parent(p: &[u8]) -> &[u8] {
    p.iter()
        .rposition(|b| *b == b'/')
        .map_or(&[][..], |i| &p[..i])
}

fn time(t: Time) -> SystemTimeSpec {
    let base = std::time::UNIX_EPOCH;
    let at = if t.0 >= 0 {
        base + std::time::Duration::new(t.0 as u64, t.1 as u32)
    } else {
        base - std::time::Duration::from_secs(t.0.unsigned_abs())
            + std::time::Duration::from_nanos(t.1 as u64)
    };
    SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(at))
}

/// Turns the directory `out`, which holds the view of `old`, into the view
/// of `new`: what differs is removed, then added; the directories whose
/// entries, mode or time changed get their mode and time last, deepest
/// first (a read-only directory is written into before it becomes so).
fn apply(out: &Dir, old: &Tree, new: &Tree, objects: &Dir, how: Place) -> Result<()> {
    let mut touched: BTreeSet<&[u8]> = BTreeSet::new();
    let writable = |dir: &[u8]| -> std::io::Result<()> {
        // The owner may write into and search it until its mode is set.
        let p = if dir.is_empty() {
            Path::new(".")
        } else {
            os(dir)
        };
        let md = out.symlink_metadata(p)?;
        let mode = md.permissions().mode();
        if mode & 0o700 != 0o700 {
            out.set_permissions(p, Permissions::from_mode(mode | 0o700))?;
        }
        Ok(())
    };
    // One pass over both trees in path order: what goes, what comes.
    let (mut gone, mut come) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (old.nodes.iter().peekable(), new.nodes.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some((pa, na)), Some((pb, nb))) if pa == pb => {
                if !na.same_entry(nb) {
                    gone.push((pa.as_slice(), *na));
                    come.push((pb.as_slice(), *nb));
                }
                a.next();
                b.next();
            }
            (Some((pa, _)), Some((pb, _))) if pa < pb => {
                gone.extend(a.next().map(|(p, n)| (p.as_slice(), n)))
            }
            (Some(_), None) => gone.extend(a.next().map(|(p, n)| (p.as_slice(), n))),
            _ => come.extend(b.next().map(|(p, n)| (p.as_slice(), n))),
        }
    }
    // The root is the directory itself: never removed or added.
    gone.retain(|(p, _)| !p.is_empty());
    come.retain(|(p, _)| !p.is_empty());
    // Removals, children before their parents.
    for &(p, n) in gone.iter().rev() {
        let up = parent(p);
        if touched.insert(up) {
            writable(up)?;
        }
        if n.is_dir() {
            // Its entries went first; a directory made a file goes now.
            writable(p)?;
        }
        match filesystem::remove_any(out, os(p)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", os(p).display()));
            }
            _ => {}
        }
    }
    // Additions, parents before their children.
    for &(p, n) in &come {
        let up = parent(p);
        if touched.insert(up) && !new_dir(old, new, up) {
            writable(up)?;
        }
        let at = os(p);
        match n {
            Node::Dir { .. } => out.create_dir(at),
            Node::File {
                object,
                mtime,
                mode,
                size,
                digest,
                ..
            } => match how {
                Place::Link(v) => {
                    if let Err(d) = object_check::check_shallow(objects, *object, *size) {
                        return Err(super::artifact::damaged(v, p, &d));
                    }
                    objects.hard_link(object.rel(), out, at)
                }
                // A copy gets this version's own mode and modification time
                // (the object is read-only, with the time of the version
                // that made it).
                Place::Copy(v) => {
                    let want = object_check::Expect {
                        size: *size,
                        digest: *digest,
                    };
                    match object_check::copy_checked(objects, *object, want, out, at, *mode) {
                        Ok(()) => out.set_times(at, None, Some(time(*mtime))),
                        Err(object_check::ReadError::Damage(d)) => {
                            return Err(super::artifact::damaged(v, p, &d));
                        }
                        Err(object_check::ReadError::Write(e)) => Err(e),
                    }
                }
            },
            Node::Symlink { target, mtime } => out
                .symlink_contents(os(target), at)
                .and_then(|()| out.set_symlink_times(at, None, Some(time(*mtime)))),
        }
        .with_context(|| format!("placing {}", at.display()))?;
    }
    // Directory modes and times, deepest first.
    for (p, n) in new.nodes.iter().rev() {
        let Node::Dir { mode, mtime } = n else {
            continue;
        };
        let same = old.nodes.get(p) == Some(n);
        if same && !touched.contains(p.as_slice()) {
            continue;
        }
        let at = if p.is_empty() { Path::new(".") } else { os(p) };
        out.set_permissions(at, Permissions::from_mode(*mode))?;
        out.set_times(at, None, Some(time(*mtime)))?;
    }
    Ok(())
}

/// Whether `dir` is a directory that `apply` creates (and so is writable).
fn new_dir(old: &Tree, new: &Tree, dir: &[u8]) -> bool {
    !dir.is_empty() && !old.nodes.get(dir).is_some_and(Node::is_dir) && new.nodes.contains_key(dir)
}
