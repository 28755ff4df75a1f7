//! The content check of the versions' objects: each object's SHA-256 is in
//! the tree that names it ([`super::version_tree`]), taken from the object
//! itself right after it was written. Everything that serves a version's
//! bytes checks them against it: `versions export` and `activate` hash
//! every object they read (export while it copies, so one read), and
//! `repair --check --deep` hashes every object of the store.
//!
//! An object is opened only after its type is checked, without following
//! links and without blocking (a FIFO put where an object belongs is never
//! opened: nothing can hang on it), and the opened file is checked again.
//!
//! SHA-256 because the store already uses it (identities, image digests);
//! with the SHA extensions of current x86 and ARM cores it hashes at memory
//! speed, so a second hash function would buy nothing.

use cap_std::fs::{Dir, File, Metadata, OpenOptions, OpenOptionsExt, PermissionsExt};
use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::path::Path;

use super::version_tree::ObjectId;
use crate::store::layout::OBJECTS;
use crate::store::record_io::kind_of;

/// A SHA-256 digest.
pub(crate) type Digest = [u8; 32];

/// The digest in lowercase hex.
pub(crate) fn hex(d: &Digest) -> String {
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from_digit(u32::from(b >> 4), 16).expect("a nibble"));
        s.push(char::from_digit(u32::from(b & 15), 16).expect("a nibble"));
    }
    s
}

/// A digest written by [`hex`] (64 lowercase hex digits, nothing else).
pub(crate) fn parse_hex(s: &str) -> Option<Digest> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut d = [0u8; 32];
    for (i, out) in d.iter_mut().enumerate() {
        *out = nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?;
    }
    Some(d)
}

/// The SHA-256 of `bytes`.
pub(crate) fn of_bytes(bytes: &[u8]) -> Digest {
    Sha256::digest(bytes).into()
}

/// What is wrong with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Its path in the store (`versions/objects/V/n`).
    pub(crate) path: String,
    pub(crate) what: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.path, self.what)
    }
}

/// The store path of an object.
pub(crate) fn store_path(o: ObjectId) -> String {
    format!("{OBJECTS}/{o}")
}

/// Opens `rel` of `dir` for reading when it is a regular file: the type is
/// checked before the open, the open follows no link and never blocks, and
/// the opened file is checked again. The error says what is there instead.
pub(crate) fn open_regular(dir: &Dir, rel: &Path) -> Result<(File, Metadata), String> {
    let md = dir.symlink_metadata(rel).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "is missing".to_string(),
        _ => format!("cannot be read: {e}"),
    })?;
    if !md.is_file() {
        return Err(format!(
            "is {}, not a regular file",
            kind_of(md.file_type())
        ));
    }
    let mut opts = OpenOptions::new();
    opts.read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let f = dir
        .open_with(rel, &opts)
        .map_err(|e| format!("cannot be opened: {e}"))?;
    let md = f.metadata().map_err(|e| format!("cannot be read: {e}"))?;
    if !md.is_file() {
        return Err(format!(
            "is {}, not a regular file",
            kind_of(md.file_type())
        ));
    }
    Ok((f, md))
}

/// What an object must be: `size` bytes whose SHA-256 is `digest`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect {
    pub(crate) size: u64,
    pub(crate) digest: Digest,
}

/// Checks object `o` without reading it: a regular file of the expected
/// size (what the view and a shallow `repair --check` look at).
pub(crate) fn check_shallow(objects: &Dir, o: ObjectId, size: u64) -> Result<(), Damage> {
    let damage = |what: String| Damage {
        path: store_path(o),
        what,
    };
    let md = objects.symlink_metadata(o.rel()).map_err(|e| {
        damage(match e.kind() {
            io::ErrorKind::NotFound => "is missing".to_string(),
            _ => format!("cannot be read: {e}"),
        })
    })?;
    if !md.is_file() {
        return Err(damage(format!(
            "is {}, not a regular file",
            kind_of(md.file_type())
        )));
    }
    if md.len() != size {
        return Err(damage(format!(
            "is {} bytes; its version's tree says {size}",
            md.len()
        )));
    }
    Ok(())
}

/// Whether object `o` may be named again without reading it: a regular
/// file of `size` bytes whose modification time is not after `not_after`
/// (when the walk of the version that last named it began). Objects are
/// read-only, but root writes through a view's hard link anyway, and any
/// write moves the modification time to the moment of the write: such an
/// object is not named by a new version (the build copies the source
/// again). A time set back on purpose, or a disk's own damage, is left to
/// the readers that hash (`versions export`, `activate`, `repair --deep`).
pub(crate) fn untouched_since(
    objects: &Dir,
    o: ObjectId,
    size: u64,
    not_after: (i64, i64),
) -> bool {
    use cap_std::fs::MetadataExt;
    objects.symlink_metadata(o.rel()).is_ok_and(|md| {
        md.is_file() && md.len() == size && (md.mtime(), md.mtime_nsec()) <= not_after
    })
}

/// Reads object `o` through, hashing it, and writes each chunk to `out`
/// as it goes; fails (naming the object) unless it is a regular file of
/// `want`'s size and digest.
fn read_checked(
    objects: &Dir,
    o: ObjectId,
    want: Expect,
    mut out: Option<&mut dyn Write>,
) -> Result<(), ReadError> {
    let damage = |what: String| {
        ReadError::Damage(Damage {
            path: store_path(o),
            what,
        })
    };
    let (mut f, md) = open_regular(objects, Path::new(&o.rel())).map_err(damage)?;
    if md.len() != want.size {
        return Err(damage(format!(
            "is {} bytes; its version's tree says {}",
            md.len(),
            want.size
        )));
    }
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 17];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(damage(format!("cannot be read: {e}"))),
        };
        total += n as u64;
        if total > want.size {
            return Err(damage(format!(
                "grew past the {} bytes its version's tree says",
                want.size
            )));
        }
        h.update(&buf[..n]);
        if let Some(w) = out.as_mut() {
            w.write_all(&buf[..n]).map_err(ReadError::Write)?;
        }
    }
    let got: Digest = h.finalize().into();
    if total != want.size {
        return Err(damage(format!(
            "is {total} bytes; its version's tree says {}",
            want.size
        )));
    }
    if got != want.digest {
        return Err(damage(format!(
            "does not hold the bytes its version's tree names (SHA-256 {}, expected {})",
            hex(&got),
            hex(&want.digest)
        )));
    }
    Ok(())
}

/// Why a checked read failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The object is damaged.
    Damage(Damage),
    /// Writing the copy failed (the destination's fault, not the store's).
    Write(io::Error),
}

/// Hashes object `o` through and compares it with `want`.
pub(crate) fn check_deep(objects: &Dir, o: ObjectId, want: Expect) -> Result<(), Damage> {
    read_checked(objects, o, want, None).map_err(|e| match e {
        ReadError::Damage(d) => d,
        ReadError::Write(_) => unreachable!("nothing is written"),
    })
}

/// Copies object `o` into the new file `at` of `out` (mode `mode`),
/// checking its bytes while it copies: one read. The copy is removed when
/// the object turns out damaged.
pub(crate) fn copy_checked(
    objects: &Dir,
    o: ObjectId,
    want: Expect,
    out: &Dir,
    at: &Path,
    mode: u32,
) -> Result<(), ReadError> {
    let mut opts = OpenOptions::new();
    opts.write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW);
    let mut f = out.open_with(at, &opts).map_err(ReadError::Write)?;
    let r = read_checked(objects, o, want, Some(&mut f));
    if r.is_err() {
        drop(f);
        let _ = out.remove_file(at);
        return r;
    }
    f.set_permissions(cap_std::fs::Permissions::from_mode(mode))
        .map_err(ReadError::Write)?;
    Ok(())
}

/// The digest and size of the regular file `rel` of `dir` (opened as
/// [`open_regular`] does).
pub(crate) fn hash_file(dir: &Dir, rel: &Path) -> io::Result<(Digest, u64)> {
    let (mut f, _) = open_regular(dir, rel).map_err(io::Error::other)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 17];
    let mut total = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((h.finalize().into(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_other_text() {
        let d = of_bytes(b"abc");
        assert_eq!(
            hex(&d),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(parse_hex(&hex(&d)), Some(d));
        assert_eq!(parse_hex(&hex(&d).to_uppercase()), None);
        assert_eq!(parse_hex(&hex(&d)[1..]), None);
        assert_eq!(parse_hex(""), None);
    }

    fn store() -> (tempfile::TempDir, Dir) {
        let tmp = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        d.create_dir_all("1").unwrap();
        (tmp, d)
    }

    const O: ObjectId = ObjectId {
        version: 1,
        index: 0,
    };

    #[test]
    fn damaged_objects_are_named_and_never_copied() {
        let (tmp, objects) = store();
        objects.write("1/0", b"hello").unwrap();
        let want = Expect {
            size: 5,
            digest: of_bytes(b"hello"),
        };
        let (_keep, out) = store();
        copy_checked(&objects, O, want, &out, Path::new("a"), 0o640).unwrap();
        assert_eq!(out.read("a").unwrap(), b"hello");
        assert!(check_deep(&objects, O, want).is_ok());
        // Same size, other bytes: only the digest sees it.
        objects.write("1/0", b"hellO").unwrap();
        let e = check_deep(&objects, O, want).unwrap_err();
        assert_eq!(e.path, "versions/objects/1/0");
        assert!(e.what.contains("SHA-256"), "{e}");
        assert!(check_shallow(&objects, O, 5).is_ok());
        match copy_checked(&objects, O, want, &out, Path::new("b"), 0o640) {
            Err(ReadError::Damage(d)) => assert_eq!(d.path, "versions/objects/1/0"),
            other => panic!("{other:?}"),
        }
        assert!(!out.exists("b"), "a damaged copy is not left behind");
        // Truncated.
        objects.write("1/0", b"he").unwrap();
        assert!(check_shallow(&objects, O, 5).is_err());
        assert!(
            check_deep(&objects, O, want)
                .unwrap_err()
                .what
                .contains("2 bytes")
        );
        // A FIFO is never opened: this returns at once.
        objects.remove_file("1/0").unwrap();
        use rustix::fs::{CWD, FileType, Mode, mknodat};
        let fifo = Mode::from_raw_mode(0o644);
        mknodat(CWD, tmp.path().join("1/0"), FileType::Fifo, fifo, 0).unwrap();
        let e = check_deep(&objects, O, want).unwrap_err();
        assert!(e.what.contains("FIFO"), "{e}");
        assert!(
            check_shallow(&objects, O, 5)
                .unwrap_err()
                .what
                .contains("FIFO")
        );
    }
}
