//! Stores used to be named after the checkout's path; they are named after
//! the project identity now. The first command that opens a setup's store
//! under its identity name moves an existing path-named store there, once.
//!
//! The move is one rename of the setup's directory, made while holding that
//! store's lock, so it is atomic: a crash leaves the store at the old name
//! or at the new one, never split. An empty old project directory is removed
//! afterwards (a crash before that leaves only an empty directory).

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use super::lock;

/// Moves the store at `old` (path-named) to `new` (identity-named) when
/// `old` exists and `new` does not. Says what it did on stderr.
pub fn path_named(old: &Path, new: &Path, what: &str, no_wait: bool) -> Result<()> {
    if old == new
        || std::fs::symlink_metadata(old).is_err()
        || std::fs::symlink_metadata(new).is_ok()
    {
        return Ok(());
    }
    let dir = Dir::open_ambient_dir(old, cap_std::ambient_authority())
        .with_context(|| format!("opening the store {}", old.display()))?;
    let held = lock::acquire(&dir, what, no_wait)?;
    // Someone may have moved it while we waited for the lock.
    if std::fs::symlink_metadata(new).is_ok() || std::fs::symlink_metadata(old).is_err() {
        return Ok(());
    }
    let parent = new.parent().context("a store path has a parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    std::fs::rename(old, new).with_context(|| {
        format!(
            "moving the store {} to its project-identity name {}",
            old.display(),
            new.display()
        )
    })?;
    for d in [parent, old.parent().unwrap_or(parent)] {
        if let Ok(f) = std::fs::File::open(d) {
            let _ = f.sync_all();
        }
    }
    drop(held);
    eprintln!(
        "store: moved {} to {} (stores are named by project identity now, so every clone of the project shares it)",
        old.display(),
        new.display()
    );
    if let Some(p) = old.parent() {
        // Only if empty: other setups may still be there.
        let _ = std::fs::remove_dir(p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_once_and_never_over_an_existing_store() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("app-aaaa/api");
        let new = t.path().join("app-bbbb/api");
        std::fs::create_dir_all(old.join("cache")).unwrap();
        std::fs::write(old.join("cache/f"), "x").unwrap();
        path_named(&old, &new, "test", false).unwrap();
        assert!(!old.exists());
        assert!(!t.path().join("app-aaaa").exists());
        assert_eq!(std::fs::read(new.join("cache/f")).unwrap(), b"x");
        // Both exist: nothing moves.
        std::fs::create_dir_all(old.join("cache")).unwrap();
        path_named(&old, &new, "test", false).unwrap();
        assert!(old.exists());
        assert!(new.join("cache/f").exists());
    }
}
