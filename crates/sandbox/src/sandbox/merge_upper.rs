//! The base layer takes what a successful build's commands wrote outside
//! /build/source. buildCommands run on an overlay of their own, whose lower
//! layer is the base layer as prepareCommands left it (see sandbox::mounts);
//! its upper directory (`run/upper.build`) holds only their changes. Only
//! after a successful build are those changes merged into `base/upper`, so
//! a failed, timed-out or killed build leaves the base layer as its
//! prepareCommands (or the build before) left it.
//!
//! The merge applies overlay semantics to the two upper directories:
//! entries replace what the base layer has at their path, whiteouts
//! (character devices 0:0) and opaque directories included; directories
//! present in both are merged entry by entry. Every step is one rename (what
//! it replaces goes to the trash first), and a step done before a crash is
//! not done again, so the commit can finish the merge after a kill.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, Metadata, MetadataExt, PermissionsExt};
use std::path::Path;

use zerops_cache_base::filesystem;
use zerops_cache_base::overlay_meta::is_whiteout;

/// The opaque mark overlayfs reads: `user.overlay.opaque` with the
/// `userxattr` option (a user namespace), else `trusted.overlay.opaque`.
fn opaque_name(userxattr: bool) -> &'static str {
    if userxattr {
        "user.overlay.opaque"
    } else {
        "trusted.overlay.opaque"
    }
}

fn is_opaque(dir: &Dir, rel: &Path, userxattr: bool) -> bool {
    let Ok(f) = dir.open(rel) else {
        return false;
    };
    let mut buf = [0u8; 8];
    matches!(
        rustix::fs::fgetxattr(&f, opaque_name(userxattr), &mut buf),
        Ok(n) if buf[..n] == *b"y"
    )
}

fn set_opaque(dir: &Dir, rel: &Path, userxattr: bool) -> Result<()> {
    let f = dir
        .open(rel)
        .with_context(|| format!("opening {} to mark it opaque", rel.display()))?;
    rustix::fs::fsetxattr(
        &f,
        opaque_name(userxattr),
        b"y",
        rustix::fs::XattrFlags::empty(),
    )
    .with_context(|| format!("marking {} opaque", rel.display()))?;
    Ok(())
}

/// Moves `rel` of the store to the trash (the store's trash is emptied
/// off the critical path).
fn trash(store: &Dir, rel: &Path, trash_dir: &Path) -> Result<()> {
    store.create_dir_all(trash_dir)?;
    let mut n = 0u32;
    let target = loop {
        let t = trash_dir.join(format!("upper.{}.{n}", std::process::id()));
        if !filesystem::exists(store, &t) {
            break t;
        }
        n += 1;
    };
    filesystem::rename(store, rel, store, &target)
        .with_context(|| format!("moving {} to the trash", rel.display()))?;
    Ok(())
}

/// Merges the upper directory `from` (store-relative) into the upper
/// directory `to`, then removes `from`. Returns how many entries moved.
/// Directories of the user's subordinate ids (a rootless build's apt
/// `_apt` directories of mode 0700), which the user cannot list or move,
/// are merged in their user namespace (the merge goes on where it stopped).
pub fn merge(
    store: &Dir,
    from: &Path,
    to: &Path,
    userxattr: bool,
    trash_dir: &Path,
) -> Result<usize> {
    match merge_here(store, from, to, userxattr, trash_dir) {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
            }) =>
        {
            let store = filesystem::absolute(store, Path::new(""))?;
            super::userns::merge_in_namespace(&store, from, to, userxattr, trash_dir)
                .unwrap_or(Err(e))
        }
        r => r,
    }
}

pub(crate) fn merge_here(
    store: &Dir,
    from: &Path,
    to: &Path,
    userxattr: bool,
    trash_dir: &Path,
) -> Result<usize> {
    if !filesystem::exists(store, from) {
        return Ok(0);
    }
    store.create_dir_all(to)?;
    let n = merge_dir(store, from, to, userxattr, trash_dir)?;
    store
        .remove_dir(from)
        .with_context(|| format!("removing the merged {}", from.display()))?;
    Ok(n)
}

fn merge_dir(
    store: &Dir,
    from: &Path,
    to: &Path,
    userxattr: bool,
    trash_dir: &Path,
) -> Result<usize> {
    let mut moved = 0;
    let entries = store
        .read_dir(from)
        .with_context(|| format!("listing {}", from.display()))?;
    for e in entries {
        let name = e?.file_name();
        let (src, dst) = (from.join(&name), to.join(&name));
        let md = store.symlink_metadata(&src)?;
        let there = store.symlink_metadata(&dst).ok();
        if md.is_dir() && !is_opaque(store, &src, userxattr) {
            match &there {
                Some(d) if d.is_dir() => {
                    moved += merge_dir(store, &src, &dst, userxattr, trash_dir)?;
                    copy_attrs(store, &md, &dst);
                    store
                        .remove_dir(&src)
                        .with_context(|| format!("removing the merged {}", src.display()))?;
                    continue;
                }
                // The base layer deleted what the image has here, and the
                // build made a new directory: it must hide the image's.
                Some(w) if is_whiteout(w) => set_opaque(store, &src, userxattr)?,
                _ => {}
            }
        }
        if there.is_some() {
            trash(store, &dst, trash_dir)?;
        }
        filesystem::rename(store, &src, store, &dst)
            .with_context(|| format!("merging {} into the base layer", dst.display()))?;
        moved += 1;
    }
    Ok(moved)
}

/// A directory's mode and owner, as the build left them (best effort: an
/// owner may not be settable by this user, and then stays).
fn copy_attrs(store: &Dir, md: &Metadata, dst: &Path) {
    let _ = store.set_permissions(dst, cap_std::fs::Permissions::from_mode(md.mode() & 0o7777));
    let _ = rustix::fs::chownat(
        store,
        dst,
        Some(rustix::fs::Uid::from_raw(md.uid())),
        Some(rustix::fs::Gid::from_raw(md.gid())),
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(root: &Path, files: &[(&str, &str)]) {
        for (p, t) in files {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        }
    }

    fn read(root: &Path, p: &str) -> Option<String> {
        std::fs::read_to_string(root.join(p)).ok()
    }

    #[test]
    fn changes_replace_and_directories_merge() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        tree(
            r,
            &[
                ("base/upper/opt/prep", "prepare"),
                ("base/upper/opt/kept", "kept"),
                ("base/upper/home/zerops/.npmrc", "old"),
            ],
        );
        tree(
            r,
            &[
                ("run/upper.build/opt/prep", "build"),
                ("run/upper.build/opt/new/f", "new"),
                ("run/upper.build/home/zerops/.npmrc", "new"),
                ("run/upper.build/usr/local/bin/tool", "t"),
            ],
        );
        let store = Dir::open_ambient_dir(r, cap_std::ambient_authority()).unwrap();
        let n = merge(
            &store,
            Path::new("run/upper.build"),
            Path::new("base/upper"),
            true,
            Path::new("trash"),
        )
        .unwrap();
        assert_eq!(n, 4);
        assert_eq!(read(r, "base/upper/opt/prep").as_deref(), Some("build"));
        assert_eq!(read(r, "base/upper/opt/kept").as_deref(), Some("kept"));
        assert_eq!(read(r, "base/upper/opt/new/f").as_deref(), Some("new"));
        assert_eq!(
            read(r, "base/upper/home/zerops/.npmrc").as_deref(),
            Some("new")
        );
        assert_eq!(
            read(r, "base/upper/usr/local/bin/tool").as_deref(),
            Some("t")
        );
        assert!(!r.join("run/upper.build").exists());
        // Done again (a crash after the merge): nothing to do.
        assert_eq!(
            merge(
                &store,
                Path::new("run/upper.build"),
                Path::new("base/upper"),
                true,
                Path::new("trash"),
            )
            .unwrap(),
            0
        );
    }

    #[test]
    fn a_new_directory_over_a_whiteout_hides_the_image() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("base/upper")).unwrap();
        let store = Dir::open_ambient_dir(r, cap_std::ambient_authority()).unwrap();
        if zerops_cache_base::overlay_meta::whiteout(&store, Path::new("base/upper/etc")).is_err() {
            return; // no mknod of 0:0 here
        }
        tree(r, &[("run/upper.build/etc/new", "n")]);
        merge(
            &store,
            Path::new("run/upper.build"),
            Path::new("base/upper"),
            true,
            Path::new("trash"),
        )
        .unwrap();
        assert!(is_opaque(&store, Path::new("base/upper/etc"), true));
        assert_eq!(read(r, "base/upper/etc/new").as_deref(), Some("n"));
    }

    #[test]
    fn a_whiteout_from_the_build_replaces_the_entry() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        tree(r, &[("base/upper/opt/gone/f", "x")]);
        std::fs::create_dir_all(r.join("run/upper.build/opt")).unwrap();
        let store = Dir::open_ambient_dir(r, cap_std::ambient_authority()).unwrap();
        if zerops_cache_base::overlay_meta::whiteout(&store, Path::new("run/upper.build/opt/gone"))
            .is_err()
        {
            return;
        }
        merge(
            &store,
            Path::new("run/upper.build"),
            Path::new("base/upper"),
            true,
            Path::new("trash"),
        )
        .unwrap();
        let md = store.symlink_metadata("base/upper/opt/gone").unwrap();
        assert!(is_whiteout(&md));
    }
}
