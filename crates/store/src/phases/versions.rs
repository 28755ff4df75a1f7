//! The versions in the store: which numbers there are, their records, the
//! active one and the number the next version gets.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::BTreeSet;
use std::path::Path;

use super::version_record;
use super::version_tree::{self, Tree};
use crate::store::journal::to_trash;
use crate::store::layout::{ACTIVE, VERSIONS};
use crate::store::record_io::{read_opt, write_atomic};
use zerops_cache_base::filesystem;
use zerops_cache_component::component::plan::EntryKind;

pub(crate) use super::version_record::VersionMeta;

/// The versions in the store, oldest first: every number with a tree,
/// metadata or a directory (a version without all three is unfinished or
/// damaged; `repair` sets it aside).
pub fn list_versions(store: &Dir) -> Result<Vec<u32>> {
    let mut v: BTreeSet<u32> = BTreeSet::new();
    for l in filesystem::list(store, Path::new(VERSIONS)).unwrap_or_default() {
        let name = l.entry.name.as_str();
        let number: Option<u32> = match l.entry.kind {
            EntryKind::Dir => name.parse().ok(),
            EntryKind::File => name
                .strip_suffix(".json")
                .or_else(|| name.strip_suffix(".tree"))
                .and_then(|n| n.parse().ok()),
            _ => None,
        };
        v.extend(number);
    }
    Ok(v.into_iter().collect())
}

/// Version `v`'s record when it is there and intact.
pub fn meta(store: &Dir, v: u32) -> Option<VersionMeta> {
    version_record::read(store, v).ok().flatten()
}

/// Version `v`'s record: an error of class 2 when there is no version `v`,
/// of class 6 (naming the file) when its record is damaged.
pub fn meta_checked(store: &Dir, v: u32) -> Result<VersionMeta> {
    match version_record::read(store, v)? {
        Some(m) => Ok(m),
        None => Err(zerops_cache_base::exit::Exit::Usage.error(format!(
            "there is no version {v} (see `zerops-cache versions`)"
        ))),
    }
}

pub fn active(store: &Dir) -> Option<u32> {
    read_opt(store, ACTIVE)
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
}

/// Marks version `v` active. Whatever is at `versions/active` that is not
/// a regular file (a directory, a FIFO, a link) holds no mark and goes to
/// the trash first.
pub fn set_active(store: &Dir, v: u32) -> Result<()> {
    if store.symlink_metadata(ACTIVE).is_ok_and(|m| !m.is_file()) {
        to_trash(store, ACTIVE).context("moving what is at versions/active to the trash")?;
    }
    write_atomic(store, ACTIVE, format!("{v}\n").as_bytes())
}

/// The number the next version gets.
pub fn next_version(store: &Dir) -> Result<u32> {
    Ok(list_versions(store)?.last().copied().unwrap_or(0) + 1)
}

/// The newest complete version before `v` (metadata and tree), with its
/// tree: what the new version shares objects with.
pub(crate) fn previous(store: &Dir, v: u32) -> Option<(u32, Tree)> {
    let p = list_versions(store)
        .ok()?
        .into_iter()
        .rfind(|p| *p < v && meta(store, *p).is_some())?;
    Tree::load(store, p).ok().flatten().map(|t| (p, t))
}

/// Version `v`'s record and tree, each checked (the record's checksum, the
/// tree's checksum and that it is the tree the record names). A version
/// with a record and no tree is damaged (class 6, naming the file).
pub fn checked_tree(store: &Dir, v: u32) -> Result<(VersionMeta, Tree)> {
    let meta = meta_checked(store, v)?;
    let tree = Tree::load(store, v)?.ok_or_else(|| version_tree::missing(v))?;
    version_record::tree_matches(store, &meta)?;
    Ok((meta, tree))
}
