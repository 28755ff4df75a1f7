//! One directory for an image whose layers one overlay cannot stack (more
//! than a page of lower directories on a kernel without `lowerdir+`, more
//! than overlayfs' 500, or `ZEROPS_CACHE_FLATTEN_IMAGES=1`; see
//! `zerops_cache_sandbox::sandbox::mounts::can_stack`). Made once per image, in the image
//! store (`flat/<flavour>/<digest hex>/`), bottom layer first:
//! - a whiteout (a character device 0/0) removes what the layers below
//!   put at its name, and an opaque directory what they put below it;
//! - files, symlinks and other non-directories are hard links to the
//!   layer's own inode (an overlay's lower files are never written, so
//!   they can be shared: no copy, owners, modes and xattrs as unpacked),
//!   or a copy where a hard link is refused;
//! - directories are made, and take the topmost layer's mode, owner,
//!   times and extended attributes (as the overlay would show them).
//!
//! It is made in `tmp/` and renamed into place whole, under the store's
//! lock, like a layer.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::store::{ImageMeta, ImageStore, flavour, hex};

const OPAQUE: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

/// The lower directories to stack for `meta` (bottom first): its layers,
/// or, when the overlay cannot stack them, its flattened directory (made
/// now if missing).
pub fn lowers(store: &ImageStore, meta: &ImageMeta, layers: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    if zerops_cache_sandbox::sandbox::mounts::can_stack(&layers) {
        return Ok(layers);
    }
    let flat = flat_dir(store, &meta.digest);
    if flat.is_dir() {
        return Ok(vec![flat]);
    }
    let _lock = store.lock()?;
    if flat.is_dir() {
        return Ok(vec![flat]);
    }
    let tmp = store.tmp().join(format!("flat.{}", hex(&meta.digest)));
    if tmp.exists() {
        zerops_cache_sandbox::sandbox::clear_scratch(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    flatten(&layers, &tmp).with_context(|| {
        format!(
            "flattening the {} layers of {}",
            layers.len(),
            meta.reference
        )
    })?;
    if let Some(p) = flat.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::rename(&tmp, &flat)
        .with_context(|| format!("moving the flattened image into {}", flat.display()))?;
    Ok(vec![flat])
}

/// Where the image `digest` is flattened, for this user.
pub(crate) fn flat_dir(store: &ImageStore, digest: &str) -> PathBuf {
    store.root.join("flat").join(flavour()).join(hex(digest))
}

/// Applies `layers` (bottom first) onto the empty directory `into`.
pub(crate) fn flatten(layers: &[PathBuf], into: &Path) -> Result<()> {
    let mut dirs = Vec::new();
    for l in layers {
        apply(l, into, &mut dirs).with_context(|| format!("applying {}", l.display()))?;
    }
    // Each directory takes its topmost layer's attributes (the last noted),
    // deepest first, so a read-only directory does not stop its entries.
    let mut done = std::collections::HashSet::new();
    let mut top: Vec<&(PathBuf, PathBuf)> = dirs
        .iter()
        .rev()
        .filter(|d| done.insert(d.0.clone()))
        .collect();
    top.sort_by(|a, b| b.0.cmp(&a.0));
    for (dst, src) in top {
        // A later layer removed it, or put a file in its place.
        if !std::fs::symlink_metadata(dst).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        copy_attrs(src, dst).with_context(|| format!("setting {}", dst.display()))?;
    }
    copy_attrs(layers.last().context("no layers")?, into)?;
    Ok(())
}

fn is_whiteout(md: &std::fs::Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

fn is_opaque(dir: &Path) -> bool {
    OPAQUE.iter().any(|n| {
        let mut v = [0u8; 4];
        rustix::fs::lgetxattr(dir, *n, &mut v[..]).is_ok_and(|len| v[..len] == *b"y")
    })
}

fn remove(p: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Ok(md) if md.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Applies the layer directory `src` onto `dst`; notes each directory
/// (destination, source) for its attributes.
fn apply(src: &Path, dst: &Path, dirs: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    let mut names: Vec<OsString> = std::fs::read_dir(src)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for n in names {
        let (s, d) = (src.join(&n), dst.join(&n));
        let md = std::fs::symlink_metadata(&s)?;
        if is_whiteout(&md) {
            remove(&d)?;
            continue;
        }
        if md.is_dir() {
            match std::fs::symlink_metadata(&d) {
                Ok(have) if have.is_dir() => {
                    if is_opaque(&s) {
                        remove(&d)?;
                        std::fs::create_dir(&d)?;
                    }
                }
                Ok(_) => {
                    remove(&d)?;
                    std::fs::create_dir(&d)?;
                }
                Err(_) => std::fs::create_dir(&d)?,
            }
            // Writable by us until every layer is applied.
            std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
            dirs.push((d.clone(), s.clone()));
            apply(&s, &d, dirs)?;
            continue;
        }
        remove(&d)?;
        if std::fs::hard_link(&s, &d).is_err() {
            copy_entry(&s, &d, &md)?;
        }
    }
    Ok(())
}

/// A copy of a non-directory where a hard link is refused (another
/// filesystem, a link count at its limit).
fn copy_entry(s: &Path, d: &Path, md: &std::fs::Metadata) -> Result<()> {
    if md.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(s)?, d)?;
    } else if md.is_file() {
        std::fs::copy(s, d)?;
    } else {
        anyhow::bail!("{}: cannot link or copy this kind of file", s.display());
    }
    copy_attrs(s, d)
}

/// `src`'s owner (as root), mode, extended attributes (not overlay's) and
/// times onto `dst`.
fn copy_attrs(src: &Path, dst: &Path) -> Result<()> {
    let md = std::fs::symlink_metadata(src)?;
    if zerops_cache_sandbox::sandbox::namespaces::is_root() {
        std::os::unix::fs::lchown(dst, Some(md.uid()), Some(md.gid()))?;
    }
    let mut list = vec![0u8; 64 * 1024];
    if let Ok(n) = rustix::fs::llistxattr(src, &mut list[..]) {
        for name in list[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
            let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name);
            if name.to_string_lossy().contains(".overlay.") {
                continue;
            }
            let mut v = vec![0u8; 64 * 1024];
            if let Ok(len) = rustix::fs::lgetxattr(src, name, &mut v[..]) {
                let _ =
                    rustix::fs::lsetxattr(dst, name, &v[..len], rustix::fs::XattrFlags::empty());
            }
        }
    }
    if !md.file_type().is_symlink() {
        std::fs::set_permissions(
            dst,
            std::os::unix::fs::PermissionsExt::from_mode(md.mode() & 0o7777),
        )?;
    }
    let t = |s: i64, ns: i64| rustix::fs::Timespec {
        tv_sec: s,
        tv_nsec: ns as _,
    };
    let times = rustix::fs::Timestamps {
        last_access: t(md.atime(), md.atime_nsec()),
        last_modification: t(md.mtime(), md.mtime_nsec()),
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        dst,
        &times,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn layer(root: &Path, name: &str, entries: &[(&str, Option<&str>)]) -> PathBuf {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            match data {
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(if path.starts_with("ro") { 0o555 } else { 0o755 });
                    h.set_size(0);
                    b.append_data(&mut h, path, &[][..]).unwrap();
                }
                Some(d) => {
                    h.set_mode(0o644);
                    h.set_size(d.len() as u64);
                    b.append_data(&mut h, path, d.as_bytes()).unwrap();
                }
            }
        }
        let dir = root.join(name);
        std::fs::create_dir(&dir).unwrap();
        let s =
            super::super::unpack::unpack_from(&b.into_inner().unwrap()[..], &dir, false).unwrap();
        assert_eq!(s.refused, 0, "{s:?}");
        dir
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Whiteouts, opaque directories, a directory replaced by a file and
    /// back, a read-only directory filled by two layers: one directory
    /// that reads as the overlay of the layers would, its files shared
    /// with the layers (hard links).
    #[test]
    fn a_flattened_image_reads_as_its_stacked_layers() {
        let t = tempfile::tempdir().unwrap();
        let l1 = layer(
            t.path(),
            "1",
            &[
                ("a/x", Some("x")),
                ("a/y", Some("y")),
                ("d/keep", Some("k")),
                ("f", Some("1")),
                ("ro", None),
                ("ro/in", Some("i")),
                ("e", Some("a file")),
            ],
        );
        let l2 = layer(
            t.path(),
            "2",
            &[
                ("a", None),
                ("a/.wh..wh..opq", Some("")),
                ("a/z", Some("z")),
                (".wh.d", Some("")),
                ("f", Some("2")),
                ("ro", None),
                ("ro/in2", Some("j")),
                ("e", None),
                ("e/now-a-dir", Some("n")),
            ],
        );
        let l3 = layer(t.path(), "3", &[("d/new", Some("n"))]);
        let flat = t.path().join("flat");
        std::fs::create_dir(&flat).unwrap();
        flatten(&[l1, l2.clone(), l3], &flat).unwrap();
        assert_eq!(names(&flat), ["a", "d", "e", "f", "ro"]);
        assert_eq!(names(&flat.join("a")), ["z"], "the opaque dir hides x, y");
        assert_eq!(names(&flat.join("d")), ["new"], "the whiteout hid keep");
        assert_eq!(names(&flat.join("e")), ["now-a-dir"]);
        assert_eq!(names(&flat.join("ro")), ["in", "in2"]);
        assert_eq!(std::fs::read_to_string(flat.join("f")).unwrap(), "2");
        let mode = std::fs::metadata(flat.join("ro"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o555);
        assert_eq!(
            std::fs::metadata(flat.join("f")).unwrap().ino(),
            std::fs::metadata(l2.join("f")).unwrap().ino(),
            "shared, not copied"
        );
        assert!(!is_opaque(&flat.join("a")), "no overlay mark is left");
    }
}
