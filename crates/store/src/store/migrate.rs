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

/// Moves the store at `old` (path-named, relative to the stores' `root`,
/// shown as `root_path`) to `new` (identity-named, relative to `root`) when
/// `old` exists and `new` does not. Says what it did on stderr.
pub fn path_named(
    root: &Dir,
    root_path: &Path,
    old: &Path,
    new: &Path,
    what: &str,
    no_wait: bool,
) -> Result<()> {
    let exists = |p: &Path| root.symlink_metadata(p).is_ok();
    if old == new || !exists(old) || exists(new) {
        return Ok(());
    }
    let shown = |p: &Path| root_path.join(p).display().to_string();
    let dir = root
        .open_dir(old)
        .with_context(|| format!("opening the store {}", shown(old)))?;
    let held = lock::acquire(&dir, what, no_wait)?;
    // Someone may have moved it while we waited for the lock.
    if exists(new) || !exists(old) {
        return Ok(());
    }
    let parent = new.parent().context("a store path has a parent")?;
    if !parent.as_os_str().is_empty() {
        root.create_dir_all(parent)
            .with_context(|| format!("creating {}", shown(parent)))?;
    }
    root.rename(old, root, new).with_context(|| {
        format!(
            "moving the store {} to its project-identity name {}",
            shown(old),
            shown(new)
        )
    })?;
    let old_parent = old.parent().unwrap_or(parent);
    for d in [parent, old_parent] {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        if let Ok(f) = root.open(d) {
            let _ = f.sync_all();
        }
    }
    drop(held);
    eprintln!(
        "store: moved {} to {} (stores are named by project identity now, so every clone of the project shares it)",
        shown(old),
        shown(new)
    );
    if !old_parent.as_os_str().is_empty() {
        // Only if empty: other setups may still be there.
        let _ = root.remove_dir(old_parent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_once_and_never_over_an_existing_store() {
        let t = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        let (old, new) = (Path::new("app-aaaa/api"), Path::new("app-bbbb/api"));
        std::fs::create_dir_all(t.path().join(old).join("cache")).unwrap();
        std::fs::write(t.path().join(old).join("cache/f"), "x").unwrap();
        path_named(&root, t.path(), old, new, "test", false).unwrap();
        assert!(!t.path().join(old).exists());
        assert!(!t.path().join("app-aaaa").exists());
        assert_eq!(
            std::fs::read(t.path().join(new).join("cache/f")).unwrap(),
            b"x"
        );
        // Both exist: nothing moves.
        std::fs::create_dir_all(t.path().join(old).join("cache")).unwrap();
        path_named(&root, t.path(), old, new, "test", false).unwrap();
        assert!(t.path().join(old).exists());
        assert!(t.path().join(new).join("cache/f").exists());
    }
}
