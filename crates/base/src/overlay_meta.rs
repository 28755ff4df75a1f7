//! Overlay metadata in a base layer (the container's upper directory),
//! kept by cross-filesystem copies: whiteouts are character devices 0:0,
//! opaque directories carry `trusted.overlay.opaque` (made as root) or
//! `user.overlay.opaque` (made with `userxattr`).

use cap_std::fs::{Dir, Metadata};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The xattr prefixes overlayfs uses.
const PREFIXES: &[&[u8]] = &[b"trusted.overlay.", b"user.overlay."];

pub fn is_whiteout(md: &Metadata) -> bool {
    use cap_std::fs::{FileTypeExt, MetadataExt};
    md.file_type().is_char_device() && md.rdev() == 0
}

fn c(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a path"))
}

/// Creates a whiteout at `to` under `dir`.
pub fn whiteout(dir: &Dir, to: &Path) -> io::Result<()> {
    use rustix::fs::{FileType, Mode};
    rustix::fs::mknodat(dir, c(to)?, FileType::CharacterDevice, Mode::empty(), 0)?;
    Ok(())
}

/// The overlay xattrs of the directory `rel` under `dir`: name -> value.
pub fn overlay_xattrs(dir: &Dir, rel: &Path) -> io::Result<Vec<(CString, Vec<u8>)>> {
    // A plain read-only open: cap-std's directory handles are O_PATH, on
    // which xattr calls fail.
    let d = dir.open(if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    })?;
    let mut names = vec![0u8; 4096];
    let n = match rustix::fs::flistxattr(&d, &mut names[..]) {
        Ok(n) => n,
        // A filesystem without xattrs has none to keep.
        Err(rustix::io::Errno::OPNOTSUPP) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for name in names[..n].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        if !PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let cname = CString::new(name).map_err(|_| io::Error::other("xattr name"))?;
        let mut val = vec![0u8; 4096];
        let len = rustix::fs::fgetxattr(&d, cname.as_c_str(), &mut val[..])?;
        val.truncate(len);
        out.push((cname, val));
    }
    Ok(out)
}

/// Copies the overlay xattrs of directory `from` to directory `to`.
pub fn copy_xattrs(from_dir: &Dir, from: &Path, to_dir: &Dir, to: &Path) -> io::Result<()> {
    let attrs = overlay_xattrs(from_dir, from)?;
    if attrs.is_empty() {
        return Ok(());
    }
    let d = to_dir.open(to)?;
    for (name, val) in attrs {
        rustix::fs::fsetxattr(&d, name.as_c_str(), &val, rustix::fs::XattrFlags::empty())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(dir: &Path, name: &str, val: &[u8]) -> bool {
        rustix::fs::setxattr(dir, name, val, rustix::fs::XattrFlags::empty()).is_ok()
    }

    #[test]
    fn whiteouts_and_opaque_marks_survive_a_copy() {
        let t = tempfile::tempdir().unwrap();
        let from = t.path().join("from");
        std::fs::create_dir_all(from.join("etc/opaque")).unwrap();
        std::fs::write(from.join("etc/opaque/kept"), "k").unwrap();
        // user.* xattrs need a filesystem with them (ext4, tmpfs >= 6.6).
        assert!(set(&from.join("etc/opaque"), "user.overlay.opaque", b"y"));
        assert!(set(&from.join("etc/opaque"), "user.other", b"not copied"));
        let root = rustix::process::geteuid().is_root();
        if root {
            assert!(set(&from.join("etc"), "trusted.overlay.opaque", b"y"));
        }
        let d = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        let mknod = whiteout(&d, Path::new("from/etc/motd"));
        // Unprivileged mknod of 0:0 is allowed on current kernels; as root always.
        assert!(mknod.is_ok() || !root, "{mknod:?}");
        crate::filesystem::copy_tree(&d, Path::new("from"), &d, Path::new("to")).unwrap();
        let x = overlay_xattrs(&d, Path::new("to/etc/opaque")).unwrap();
        assert_eq!(x.len(), 1, "only overlay xattrs: {x:?}");
        assert_eq!(x[0].0.as_bytes(), b"user.overlay.opaque");
        assert_eq!(x[0].1, b"y");
        assert_eq!(
            std::fs::read_to_string(t.path().join("to/etc/opaque/kept")).unwrap(),
            "k"
        );
        if root {
            let x = overlay_xattrs(&d, Path::new("to/etc")).unwrap();
            assert_eq!(x[0].0.as_bytes(), b"trusted.overlay.opaque");
        }
        if mknod.is_ok() {
            let md = d.symlink_metadata("to/etc/motd").unwrap();
            assert!(is_whiteout(&md), "the whiteout is a char device 0:0 again");
        }
    }
}
