//! A version's directory (`versions/N/`): a view of its tree, every file
//! a hard link of its immutable object. A view is made afresh from the
//! checked tree in a staging directory and renamed to `versions/N` when
//! complete: never written in place, never made from an older view, so
//! nothing done to an older view reaches a newer one. Each object is
//! checked before it is linked (a regular file of the tree's size).
//!
//! A view is a window onto the store, not a copy: its files *are* the
//! objects (read-only). What zerops-cache hands out of a version is
//! verified byte for byte when it reads it (`versions export`,
//! `activate`, `repair --deep`); a program that writes into a view's file
//! (as root: the files are read-only) changes the object, and those
//! commands then refuse every version that names it.
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
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::object_check;
use super::objects;
use super::version_tree::{Node, Time, Tree};
use crate::store::journal::to_trash;
use crate::store::layout::VERSIONS;
use zerops_cache_base::dir_handles::DirStack;
use zerops_cache_base::filesystem;

const STAGING: &str = ".view-";

pub fn rel(v: u32) -> String {
    format!("{VERSIONS}/{v}")
}

/// Whether version `v` has a view.
pub fn exists(store: &Dir, v: u32) -> bool {
    store.symlink_metadata(rel(v)).is_ok_and(|m| m.is_dir())
}

/// Moves half-made views (a kill while one was made) to the trash.
pub(crate) fn clear_staging(store: &Dir) -> Result<()> {
    for l in filesystem::list(store, Path::new(VERSIONS)).unwrap_or_default() {
        if l.name.as_bytes().starts_with(STAGING.as_bytes()) {
            to_trash(store, &format!("{VERSIONS}/{}", l.entry.name))?;
        }
    }
    Ok(())
}

/// Makes the view of version `v` (tree `tree`) afresh: a new staging
/// directory, every entry placed from the tree (each object checked before
/// it is linked), renamed to `versions/N` when complete. A view is never
/// written in place and never made from an older one, so nothing done to
/// an older view (a file replaced, one added) reaches a newer one.
pub fn make(store: &Dir, v: u32, tree: &Tree) -> Result<()> {
    clear_staging(store)?;
    let staging = format!("{VERSIONS}/{STAGING}{v}");
    store.create_dir(&staging)?;
    let out = store.open_dir(&staging)?;
    let objects = objects::open(store).ok_or_else(|| no_objects(v))?;
    place(&out, tree, &objects, Place::Link(v))
        .with_context(|| format!("making the directory of version {v}"))?;
    drop(out);
    if exists(store, v) {
        to_trash(store, &rel(v))?;
    }
    filesystem::rename(store, Path::new(&staging), store, Path::new(&rel(v)))?;
    Ok(())
}

/// Writes a copy of version `v` (tree `tree`) into the empty directory
/// `out`: every file a new file, each object's bytes checked against its
/// digest while they are copied (one read), so nothing done to the copy
/// reaches the store and a damaged object is an error naming it.
pub(crate) fn export(store: &Dir, v: u32, tree: &Tree, out: &Dir) -> Result<()> {
    let objects = objects::open(store).ok_or_else(|| no_objects(v))?;
    place(out, tree, &objects, Place::Copy(v))
}

fn no_objects(v: u32) -> anyhow::Error {
    zerops_cache_base::exit::Exit::StoreBroken.error(format!(
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

/// The directory part and the name of a tree path.
fn split(p: &[u8]) -> (&[u8], &[u8]) {
    match p.iter().rposition(|b| *b == b'/') {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => (&[][..], p),
    }
}

/// Places every entry of `tree` into the empty directory `out`, in path
/// order, each directory entered once from its parent's handle (an entry
/// costs the same at any depth); then the directories' modes and times,
/// deepest first (a read-only directory is written into before it becomes
/// so).
fn place(out: &Dir, tree: &Tree, objects: &Dir, how: Place) -> Result<()> {
    let mut stack = DirStack::new(out);
    let enter = |p: &Dir, n: &Path, _: usize| p.open_dir_nofollow(n);
    for (p, n) in &tree.nodes {
        if p.is_empty() {
            continue;
        }
        let (dir, name) = split(p);
        let here = stack
            .go(dir, enter)
            .with_context(|| format!("entering {}", os(dir).display()))?;
        let at = os(name);
        match n {
            Node::Dir { .. } => here.create_dir(at),
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
                        return Err(super::version_verify::damaged(v, p, &d));
                    }
                    objects.hard_link(object.rel(), here, at)
                }
                // A copy gets this version's own mode and modification time
                // (the object is read-only, with the time of the version
                // that made it).
                Place::Copy(v) => {
                    let want = object_check::Expect {
                        size: *size,
                        digest: *digest,
                    };
                    match object_check::copy_checked(objects, *object, want, here, at, *mode) {
                        Ok(()) => here.set_times(at, None, Some(time(*mtime))),
                        Err(object_check::ReadError::Damage(d)) => {
                            return Err(super::version_verify::damaged(v, p, &d));
                        }
                        Err(object_check::ReadError::Write(e)) => Err(e),
                    }
                }
            },
            Node::Symlink { target, mtime } => here
                .symlink_contents(os(target), at)
                .and_then(|()| here.set_symlink_times(at, None, Some(time(*mtime)))),
        }
        .with_context(|| format!("placing {}", os(p).display()))?;
    }
    // Directory modes and times, deepest first: in reverse path order a
    // directory comes after everything in it.
    for (p, n) in tree.nodes.iter().rev() {
        let Node::Dir { mode, mtime } = n else {
            continue;
        };
        let (dir, name) = split(p);
        let (here, at) = if p.is_empty() {
            stack.up_to(0);
            (out, Path::new("."))
        } else {
            let here = stack
                .go(dir, enter)
                .with_context(|| format!("entering {}", os(dir).display()))?;
            (here, os(name))
        };
        here.set_permissions(at, Permissions::from_mode(*mode))
            .and_then(|()| here.set_times(at, None, Some(time(*mtime))))
            .with_context(|| format!("setting the mode of {}", os(p).display()))?;
    }
    Ok(())
}
