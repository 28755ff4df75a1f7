//! Unpacking one OCI layer (a tar, plain, gzip or zstd) into its own
//! directory, as an overlay lower layer:
//! - whiteouts become overlay whiteouts: `.wh.NAME` a character device
//!   0/0 (`mknod`, allowed to any user since Linux 5.8), `.wh..wh..opq`
//!   the opaque mark on its directory (`trusted.overlay.opaque` as root,
//!   `user.overlay.opaque` for an unprivileged user's `userxattr` overlay);
//! - hard links and symlinks are kept;
//! - nothing is written outside the directory, whatever the tar says: a
//!   name with `..` is left out, an absolute name is taken as relative,
//!   and no entry is written through a symlink (the `tar` crate
//!   canonicalizes each parent, and our whiteouts walk parents without
//!   following links);
//! - as root, owners are kept; as another user every file is the user's,
//!   so root inside the container's user namespace owns it;
//! - extended attributes (PAX `SCHILY.xattr.*`, libarchive's
//!   `LIBARCHIVE.xattr.*`) are kept: `user.*`, and as root
//!   `security.capability` (a file's capabilities, e.g. ping's) and
//!   `trusted.*`; never overlay's own (`*.overlay.*`: only whiteouts mark
//!   a layer for the overlay) nor `security.selinux` (the host labels);
//!   an unprivileged user's file capabilities are returned, to be set in
//!   a user namespace ([`zerops_cache_sandbox::sandbox::filecaps`]); what cannot be set
//!   is counted and named;
//! - device nodes are left out (the container's /dev is made fresh);
//! - directories get their modes last, deepest first, so a read-only
//!   directory does not stop its own entries.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What an unpack left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) entries: u64,
    pub(crate) whiteouts: u64,
    pub(crate) devices: u64,
    /// Entries refused (a name outside the layer, a write through a link)
    /// or that could not be made, with the first few reasons.
    pub(crate) refused: u64,
    pub(crate) reasons: Vec<String>,
    /// Extended attributes set.
    pub(crate) xattrs: u64,
    /// Extended attributes not set (left out, or refused by the kernel),
    /// with the first few reasons.
    pub(crate) xattrs_lost: u64,
    pub(crate) lost: Vec<String>,
    /// File capabilities an unprivileged user could not set here, for
    /// [`zerops_cache_sandbox::sandbox::filecaps`] (path, value).
    pub(crate) file_caps: Vec<(PathBuf, Vec<u8>)>,
}

impl Stats {
    fn refuse(&mut self, what: String) {
        self.refused += 1;
        if self.reasons.len() < 5 {
            self.reasons.push(what);
        }
    }
}

impl Stats {
    fn lose(&mut self, what: String) {
        self.xattrs_lost += 1;
        if self.lost.len() < 5 {
            self.lost.push(what);
        }
    }
}

/// An error with its causes (the `tar` crate's "failed to unpack" wraps
/// the reason).
fn why(e: &std::io::Error) -> String {
    let mut s = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// An extended attribute: name, value.
type Xattr = (Vec<u8>, Vec<u8>);

/// The extended attributes an entry carries: PAX `SCHILY.xattr.NAME`
/// (GNU tar, Docker, BuildKit) or `LIBARCHIVE.xattr.NAME` (the name
/// %-encoded, the value in base64).
fn xattrs_of<R: Read>(e: &mut tar::Entry<'_, R>) -> std::io::Result<Vec<Xattr>> {
    use base64::Engine;
    let b64 = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut out = Vec::new();
    let Some(exts) = e.pax_extensions()? else {
        return Ok(out);
    };
    for ext in exts {
        let ext = ext?;
        let key = ext.key_bytes();
        if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
            out.push((name.to_vec(), ext.value_bytes().to_vec()));
        } else if let Some(name) = key.strip_prefix(b"LIBARCHIVE.xattr.") {
            let name: Vec<u8> = percent_encoding::percent_decode(name).collect();
            if let Ok(v) = b64.decode(ext.value_bytes().trim_ascii()) {
                out.push((name, v));
            }
        }
    }
    Ok(out)
}

/// Sets `xattrs` on `at` (not following a link), as [`unpack`] says.
fn set_xattrs(at: &Path, xattrs: &[Xattr], shown: &str, s: &mut Stats) {
    use std::os::unix::fs::PermissionsExt;
    for (name, value) in xattrs {
        let n = String::from_utf8_lossy(name);
        if n.contains(".overlay.") || n == "security.selinux" || name.contains(&0) {
            s.lose(format!("{shown}: {n} left out"));
            continue;
        }
        let key = std::ffi::OsStr::from_bytes(name);
        let set = || rustix::fs::lsetxattr(at, key, value, rustix::fs::XattrFlags::empty());
        let mut r = set();
        // `user.*` needs write permission: a read-only file of the user's
        // is made writable for the moment.
        if r == Err(rustix::io::Errno::ACCESS)
            && let Ok(md) = std::fs::symlink_metadata(at)
            && !md.file_type().is_symlink()
        {
            let mode = md.permissions().mode();
            if std::fs::set_permissions(at, PermissionsExt::from_mode(mode | 0o200)).is_ok() {
                r = set();
                let _ = std::fs::set_permissions(at, PermissionsExt::from_mode(mode));
            }
        }
        match r {
            Ok(()) => s.xattrs += 1,
            // Set later, in a user namespace where the user is root.
            Err(rustix::io::Errno::PERM) if n == "security.capability" => {
                s.file_caps.push((at.to_path_buf(), value.clone()));
            }
            Err(e) => s.lose(format!("{shown}: {n}: {}", std::io::Error::from(e))),
        }
    }
}

/// A decompressing reader over `blob`, by its first bytes.
pub(crate) fn open(blob: &Path) -> Result<Box<dyn Read>> {
    let f = std::fs::File::open(blob).with_context(|| format!("opening {}", blob.display()))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let magic = r
        .fill_buf()?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok(match magic.as_slice() {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::MultiGzDecoder::new(r)),
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        _ => Box::new(r),
    })
}

/// The name as a plain relative path; `None` for one with `..` (or
/// nothing left).
fn relative(name: &[u8]) -> Option<PathBuf> {
    let p = Path::new(std::ffi::OsStr::from_bytes(name));
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Makes the directories of `rel` below `dir` without following any link:
/// `None` when a part of it is a link or not a directory.
fn safe_dirs(dir: &Path, rel: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut at = dir.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(&at)?,
            Err(e) => return Err(e),
        }
    }
    Ok(Some(at))
}

fn whiteout(at: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(at) {
        Ok(md) if md.is_dir() => std::fs::remove_dir_all(at)?,
        Ok(_) => std::fs::remove_file(at)?,
        Err(_) => {}
    }
    use rustix::fs::{CWD, FileType, Mode, makedev, mknodat};
    mknodat(
        CWD,
        at,
        FileType::CharacterDevice,
        Mode::empty(),
        makedev(0, 0),
    )?;
    Ok(())
}

fn opaque(at: &Path, owners: bool) -> std::io::Result<()> {
    let name = if owners {
        c"trusted.overlay.opaque"
    } else {
        c"user.overlay.opaque"
    };
    rustix::fs::lsetxattr(at, name, b"y", rustix::fs::XattrFlags::empty())?;
    Ok(())
}

/// Whether the name has a `..` component.
fn has_parent(raw: &[u8]) -> bool {
    Path::new(std::ffi::OsStr::from_bytes(raw))
        .components()
        .any(|c| c == Component::ParentDir)
}

/// Places the overlay mark of the entry `rel`, named `.wh.` + `hidden`: an
/// opaque directory (`.wh..opq`) or a whiteout of the name `hidden`, in
/// its directory below `dir` (made, never through a link).
fn mark(dir: &Path, rel: &Path, hidden: &[u8], owners: bool) -> std::io::Result<()> {
    let parent = rel.parent().unwrap_or(Path::new(""));
    match safe_dirs(dir, parent)? {
        Some(p) if hidden == b".wh..opq" => opaque(&p, owners),
        Some(p) if !hidden.is_empty() => whiteout(&p.join(std::ffi::OsStr::from_bytes(hidden))),
        _ => Err(std::io::Error::other("through a link or a file")),
    }
}

/// Unpacks the layer `blob` into the directory `dir` (which exists and is
/// empty); `owners`: keep the entries' owners and use root's overlay marks.
pub(crate) fn unpack(blob: &Path, dir: &Path, owners: bool) -> Result<Stats> {
    unpack_from(open(blob)?, dir, owners)
        .with_context(|| format!("unpacking the layer {}", blob.display()))
}

/// [`unpack`] from a tar stream.
pub(crate) fn unpack_from(r: impl Read, dir: &Path, owners: bool) -> Result<Stats> {
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_permissions(true);
    ar.set_preserve_mtime(true);
    ar.set_preserve_ownerships(owners);
    // Our own, from the PAX records (see [`set_xattrs`]).
    ar.set_unpack_xattrs(false);
    ar.set_overwrite(true);
    let mut s = Stats::default();
    let mut dirs = Vec::new();
    for entry in ar.entries().context("not a tar")? {
        let mut e = entry.context("reading the tar")?;
        s.entries += 1;
        let raw = e.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let Some(rel) = relative(&raw) else {
            // `./` is the layer's own directory; anything else has `..`.
            if has_parent(&raw) {
                s.refuse(format!("{shown}: a name outside the layer"));
            }
            continue;
        };
        let kind = e.header().entry_type();
        if kind.is_character_special() || kind.is_block_special() {
            s.devices += 1;
            continue;
        }
        let xattrs = xattrs_of(&mut e).context("reading the tar's PAX records")?;
        let base = rel
            .file_name()
            .map(|n| n.as_bytes().to_vec())
            .unwrap_or_default();
        if let Some(hidden) = base.strip_prefix(b".wh.") {
            match mark(dir, &rel, hidden, owners) {
                Ok(()) => s.whiteouts += 1,
                Err(err) => s.refuse(format!("{shown}: {err}")),
            }
            continue;
        }
        if kind.is_dir() {
            match safe_dirs(dir, &rel) {
                Ok(Some(at)) => dirs.push((e, at, xattrs, shown)),
                Ok(None) => s.refuse(format!("{shown}: through a link or a file")),
                Err(err) => s.refuse(format!("{shown}: {err}")),
            }
            continue;
        }
        match e.unpack_in(dir) {
            Ok(true) => {
                if !xattrs.is_empty() {
                    set_xattrs(&dir.join(&rel), &xattrs, &shown, &mut s);
                }
            }
            Ok(false) => s.refuse(format!("{shown}: a name outside the layer")),
            Err(err) => s.refuse(format!("{shown}: {}", why(&err))),
        }
    }
    if s.entries == 0 {
        bail!("the layer is an empty tar");
    }
    dirs.sort_by(|a, b| b.1.cmp(&a.1));
    for (mut d, at, xattrs, shown) in dirs {
        match d.unpack_in(dir) {
            Ok(_) => set_xattrs(&at, &xattrs, &shown, &mut s),
            Err(err) => s.refuse(format!("{shown}: {}", why(&err))),
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entry(
        b: &mut tar::Builder<Vec<u8>>,
        kind: tar::EntryType,
        name: &[u8],
        link: Option<&str>,
        data: &[u8],
    ) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        // Raw names: the builder's own checks would refuse `..`.
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_size(data.len() as u64);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    /// `..`, absolute names, a symlink out then a file through it, a hard
    /// link out, a whiteout through a link: nothing lands outside.
    #[test]
    fn a_hostile_layer_writes_nothing_outside_its_directory() {
        use tar::EntryType as K;
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("victim"), "keep").unwrap();
        let layer = t.path().join("layer");
        std::fs::create_dir(&layer).unwrap();
        let out = outside.display().to_string();
        let mut b = tar::Builder::new(Vec::new());
        entry(&mut b, K::Regular, b"../escaped", None, b"x");
        entry(&mut b, K::Regular, b"a/../../escaped2", None, b"x");
        entry(
            &mut b,
            K::Regular,
            format!("{out}/abs").as_bytes(),
            None,
            b"x",
        );
        entry(&mut b, K::Symlink, b"link", Some(&out), b"");
        entry(&mut b, K::Regular, b"link/through", None, b"x");
        entry(&mut b, K::Symlink, b"rel", Some("../outside"), b"");
        entry(&mut b, K::Regular, b"rel/through2", None, b"x");
        entry(
            &mut b,
            K::Link,
            b"hard",
            Some(&format!("{out}/victim")),
            b"",
        );
        entry(&mut b, K::Link, b"hard2", Some("../outside/victim"), b"");
        entry(&mut b, K::Regular, b"link/.wh.victim", None, b"");
        entry(
            &mut b,
            K::Symlink,
            b"victimlink",
            Some(&format!("{out}/victim")),
            b"",
        );
        entry(&mut b, K::Regular, b"victimlink", None, b"overwritten");
        entry(&mut b, K::Regular, b"ok/file", None, b"fine");
        let bytes = b.into_inner().unwrap();
        let s = unpack_from(&bytes[..], &layer, false).unwrap();
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            1,
            "only the victim is outside: {s:?}"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "keep"
        );
        assert!(!t.path().join("escaped").exists() && !t.path().join("escaped2").exists());
        assert_eq!(
            std::fs::read_to_string(layer.join("ok/file")).unwrap(),
            "fine"
        );
        // The absolute name was taken as relative, inside the layer.
        assert!(layer.join(out.trim_start_matches('/')).join("abs").exists());
        // The file replaced the link, it did not write through it.
        assert_eq!(
            std::fs::read_to_string(layer.join("victimlink")).unwrap(),
            "overwritten"
        );
        assert!(s.refused >= 6, "{s:?}");
    }

    #[test]
    fn whiteouts_and_opaque_dirs_become_overlay_marks_and_links_are_kept() {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        use tar::EntryType as K;
        let t = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        entry(&mut b, K::Directory, b"etc/", None, b"");
        entry(&mut b, K::Regular, b"etc/.wh.old.conf", None, b"");
        entry(&mut b, K::Directory, b"var/cache/", None, b"");
        entry(&mut b, K::Regular, b"var/cache/.wh..wh..opq", None, b"");
        entry(&mut b, K::Regular, b"bin/busybox", None, b"elf");
        entry(&mut b, K::Symlink, b"bin/sh", Some("busybox"), b"");
        entry(&mut b, K::Link, b"bin/ash", Some("bin/busybox"), b"");
        let bytes = b.into_inner().unwrap();
        // zstd, as a zstd layer arrives.
        let z = t.path().join("l.tar.zst");
        let mut enc = zstd::Encoder::new(std::fs::File::create(&z).unwrap(), 3).unwrap();
        enc.write_all(&bytes).unwrap();
        enc.finish().unwrap();
        let dir = t.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let s = unpack(&z, &dir, false).unwrap();
        assert_eq!((s.whiteouts, s.refused), (2, 0), "{s:?}");
        let w = std::fs::symlink_metadata(dir.join("etc/old.conf")).unwrap();
        assert!(w.file_type().is_char_device() && w.rdev() == 0);
        let mut v = [0u8; 4];
        let n = rustix::fs::lgetxattr(dir.join("var/cache"), "user.overlay.opaque", &mut v);
        assert_eq!(n, Ok(1), "opaque mark");
        assert_eq!(
            std::fs::read_link(dir.join("bin/sh")).unwrap(),
            Path::new("busybox")
        );
        let (a, bb) = (
            std::fs::metadata(dir.join("bin/ash")).unwrap(),
            std::fs::metadata(dir.join("bin/busybox")).unwrap(),
        );
        assert_eq!(a.ino(), bb.ino(), "a hard link stays one file");
    }

    /// A file capability (cap_net_raw+ep, `vfs_cap_data` revision 2).
    const NET_RAW: [u8; 20] = [
        1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    fn xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
        let mut v = vec![0u8; 256];
        let n = rustix::fs::lgetxattr(p, name, &mut v[..]).ok()?;
        v.truncate(n);
        Some(v)
    }

    #[test]
    fn extended_attributes_are_kept_and_overlay_marks_from_a_tar_are_not() {
        use tar::EntryType as K;
        let t = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let pax = |b: &mut tar::Builder<Vec<u8>>, kv: &[(&str, &[u8])]| {
            b.append_pax_extensions(kv.iter().copied()).unwrap();
        };
        pax(
            &mut b,
            &[("SCHILY.xattr.security.capability", &NET_RAW[..])],
        );
        entry(&mut b, K::Regular, b"bin/ping", None, b"elf");
        pax(&mut b, &[("SCHILY.xattr.user.zc", b"hello")]);
        entry(&mut b, K::Regular, b"data/f", None, b"f");
        pax(&mut b, &[("LIBARCHIVE.xattr.user.lib%2Dx", b"dg")]);
        entry(&mut b, K::Regular, b"data/g", None, b"g");
        pax(&mut b, &[("SCHILY.xattr.user.overlay.opaque", b"y")]);
        entry(&mut b, K::Directory, b"hidden/", None, b"");
        pax(
            &mut b,
            &[
                ("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
                ("SCHILY.xattr.user.kept", b"1"),
            ],
        );
        entry(&mut b, K::Directory, b"moved/", None, b"");
        let bytes = b.into_inner().unwrap();
        let dir = t.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let s = unpack_from(
            &bytes[..],
            &dir,
            zerops_cache_sandbox::sandbox::namespaces::is_root(),
        )
        .unwrap();
        assert_eq!(
            xattr(&dir.join("data/f"), "user.zc").as_deref(),
            Some(&b"hello"[..]),
            "{s:?}"
        );
        assert_eq!(xattr(&dir.join("data/g"), "user.lib-x").unwrap(), b"v");
        assert_eq!(xattr(&dir.join("moved"), "user.kept").unwrap(), b"1");
        assert_eq!(xattr(&dir.join("hidden"), "user.overlay.opaque"), None);
        assert_eq!(xattr(&dir.join("moved"), "trusted.overlay.redirect"), None);
        assert!(
            s.lost
                .iter()
                .any(|l| l.contains("trusted.overlay.redirect left out")),
            "{s:?}"
        );
        if zerops_cache_sandbox::sandbox::namespaces::is_root() {
            assert_eq!(
                xattr(&dir.join("bin/ping"), "security.capability").unwrap(),
                NET_RAW
            );
            assert_eq!((s.xattrs, s.xattrs_lost), (4, 2), "{s:?}");
        }
    }
}
