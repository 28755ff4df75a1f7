//! A version read through whole, each object checked against its digest:
//! before `activate` marks it, and as a copy written out (`versions
//! export`).

use anyhow::Result;
use cap_std::fs::Dir;

use super::object_check;
use super::objects;
use super::version_tree::Tree;
use super::version_view;
use super::versions::checked_tree;
use crate::store::layout::OBJECTS;

/// Reads every object of version `v` through and checks its digest: what
/// `activate` does before it marks a version to deploy. The error (class
/// 6) names the first damaged object, the file it holds and the version.
pub fn verify(store: &Dir, v: u32, tree: &Tree) -> Result<()> {
    let objects = objects::open(store).ok_or_else(|| {
        zerops_cache_base::exit::Exit::StoreBroken.error(format!(
            "version {v}: the store has no directory {OBJECTS}; `zerops-cache repair` fixes the store"
        ))
    })?;
    for (path, o, want) in tree.files() {
        if let Err(d) = object_check::check_deep(&objects, o, want) {
            return Err(damaged(v, path, &d));
        }
    }
    Ok(())
}

/// The error for a damaged object of version `v` holding `path`.
pub(crate) fn damaged(v: u32, path: &[u8], d: &object_check::Damage) -> anyhow::Error {
    zerops_cache_base::exit::Exit::StoreBroken.error(format!(
        "version {v}: the object {} (the file {}) {}; `zerops-cache repair --deep` sets it \
         aside and says which versions are lost",
        d.path,
        String::from_utf8_lossy(path),
        d.what
    ))
}

/// Writes a copy of version `v` into the empty directory `out`: new files
/// throughout, each object's bytes checked against its digest while they
/// are copied, so nothing done to the copy reaches the store and no
/// damaged byte reaches the copy.
pub fn export(store: &Dir, v: u32, out: &Dir) -> Result<()> {
    let (_, tree) = checked_tree(store, v)?;
    version_view::export(store, v, &tree, out)
}
