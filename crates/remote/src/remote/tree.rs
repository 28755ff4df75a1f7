//! A layer directory to manifest entries (push), and manifest entries back
//! into a fresh staging directory (pull).
//!
//! Entries come parents first, children sorted by name. Kept: files
//! (contents by digest), directories (overlay opaque flag), symlinks,
//! overlay whiteouts (character devices 0:0), permission bits, mtimes to
//! the nanosecond. Other special files (sockets, FIFOs, devices) are left
//! out and listed. Extraction creates every file with O_EXCL in a staging
//! directory it made itself, below directories the manifest declared, so
//! it never follows a symlink; the component checked every path first.

use anyhow::{Context, Result, anyhow};
use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Entry, Kind};

/// One walked entry: the manifest entry and, for a file, its absolute path.
pub struct Walked {
    pub entry: Entry,
    pub abs: Option<PathBuf>,
}

/// What the walk found.
pub struct Walk {
    pub entries: Vec<Walked>,
    /// Special files left out (relative paths).
    pub left_out: Vec<String>,
}

fn mtime_ns(md: &fs::Metadata) -> i64 {
    md.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(md.mtime_nsec())
}

fn opaque(abs: &Path) -> bool {
    for name in ["trusted.overlay.opaque", "user.overlay.opaque"] {
        let (Ok(p), Ok(n)) = (CString::new(abs.as_os_str().as_bytes()), CString::new(name)) else {
            continue;
        };
        let mut v = [0u8; 4];
        // SAFETY: valid NUL-terminated strings and a buffer of its length.
        let r = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        if r == 1 && v[0] == b'y' {
            return true;
        }
    }
    false
}

/// Walks the layer at `root` (which may not exist: an empty layer). File
/// digests are left empty: [`super::push`] hashes them in parallel.
pub fn walk(root: &Path) -> Result<Walk> {
    let mut w = Walk {
        entries: Vec::new(),
        left_out: Vec::new(),
    };
    if fs::symlink_metadata(root).is_err() {
        return Ok(w);
    }
    walk_dir(root, "", &mut w)?;
    Ok(w)
}

fn walk_dir(abs: &Path, rel: &str, w: &mut Walk) -> Result<()> {
    let mut names: Vec<_> = fs::read_dir(abs)
        .with_context(|| format!("listing {}", abs.display()))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", abs.display()))?;
    names.sort();
    for name in names {
        let Some(n) = name.to_str() else {
            w.left_out
                .push(format!("{rel}{} (not UTF-8)", name.to_string_lossy()));
            continue;
        };
        let p = abs.join(&name);
        let r = format!("{rel}{n}");
        let md = fs::symlink_metadata(&p).with_context(|| format!("reading {}", p.display()))?;
        let ft = md.file_type();
        let m = md.mode() & 0o7777;
        let t = mtime_ns(&md);
        let kind = if ft.is_dir() {
            Kind::Dir { o: opaque(&p) }
        } else if ft.is_file() {
            Kind::File {
                d: String::new(),
                s: md.len(),
            }
        } else if ft.is_symlink() {
            let to = fs::read_link(&p).with_context(|| format!("reading {}", p.display()))?;
            match to.to_str() {
                Some(to) => Kind::Link { to: to.to_string() },
                None => {
                    w.left_out
                        .push(format!("{r} (a symlink to a non-UTF-8 path)"));
                    continue;
                }
            }
        } else if is_whiteout(&md) {
            Kind::Whiteout
        } else {
            w.left_out.push(format!("{r} (a special file)"));
            continue;
        };
        let is_dir = matches!(kind, Kind::Dir { .. });
        let is_file = matches!(kind, Kind::File { .. });
        w.entries.push(Walked {
            entry: Entry {
                p: r.clone(),
                kind,
                m,
                t,
            },
            abs: is_file.then(|| p.clone()),
        });
        if is_dir {
            walk_dir(&p, &format!("{r}/"), w)?;
        }
    }
    Ok(())
}

fn is_whiteout(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    md.file_type().is_char_device() && md.rdev() == 0
}

fn cpath(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| anyhow!("a NUL byte in {}", p.display()))
}

/// Sets the mtime of `p` (not following a symlink).
fn set_mtime(p: &Path, t: i64) -> Result<()> {
    let ts = libc::timespec {
        tv_sec: t.div_euclid(1_000_000_000),
        tv_nsec: t.rem_euclid(1_000_000_000),
    };
    let times = [
        libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
        ts,
    ];
    let c = cpath(p)?;
    // SAFETY: a valid path and two timespecs.
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("setting the mtime of {}", p.display()));
    }
    Ok(())
}

fn set_opaque(p: &Path) -> Result<()> {
    let c = cpath(p)?;
    for name in ["trusted.overlay.opaque", "user.overlay.opaque"] {
        let n = CString::new(name).expect("no NUL");
        // SAFETY: valid NUL-terminated strings and a one-byte value.
        let r = unsafe { libc::lsetxattr(c.as_ptr(), n.as_ptr(), b"y".as_ptr().cast(), 1, 0) };
        if r == 0 {
            return Ok(());
        }
    }
    Err(std::io::Error::last_os_error())
        .with_context(|| format!("marking {} overlay-opaque", p.display()))
}

/// Creates the directories, symlinks and whiteouts of `entries` under the
/// fresh directory `root` (files come later, from [`write_file`]).
pub fn prepare(root: &Path, entries: &[Entry]) -> Result<()> {
    for e in entries {
        let p = root.join(&e.p);
        match &e.kind {
            Kind::Dir { .. } => fs::create_dir(&p)
                .and_then(|_| fs::set_permissions(&p, fs::Permissions::from_mode(0o700)))
                .with_context(|| format!("creating {}", p.display()))?,
            Kind::Link { to } => std::os::unix::fs::symlink(to, &p)
                .with_context(|| format!("creating the symlink {}", p.display()))?,
            Kind::Whiteout => {
                let c = cpath(&p)?;
                // SAFETY: a valid path; a character device 0:0 is overlayfs' whiteout.
                let r = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) };
                if r != 0 {
                    return Err(std::io::Error::last_os_error())
                        .with_context(|| format!("creating the overlay whiteout {}", p.display()));
                }
            }
            Kind::File { .. } => {}
        }
    }
    Ok(())
}

/// Writes one file of the layer (never over an existing one).
pub fn write_file(root: &Path, e: &Entry, contents: &[u8]) -> Result<()> {
    let p = root.join(&e.p);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&p)
        .with_context(|| format!("creating {}", p.display()))?;
    f.write_all(contents)
        .with_context(|| format!("writing {}", p.display()))?;
    f.set_permissions(fs::Permissions::from_mode(e.m))
        .with_context(|| format!("setting the mode of {}", p.display()))?;
    // On the open file (no second path lookup), to the nanosecond.
    let t = if e.t >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(e.t as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_nanos(e.t.unsigned_abs())
    };
    f.set_times(fs::FileTimes::new().set_modified(t))
        .with_context(|| format!("setting the mtime of {}", p.display()))
}

/// After every file is written: symlink mtimes, then directory modes,
/// opaque flags and mtimes, deepest first.
pub fn finish(root: &Path, entries: &[Entry]) -> Result<()> {
    for e in entries {
        if let Kind::Link { .. } | Kind::Whiteout = e.kind {
            // A whiteout's mtime does not matter to overlayfs; a symlink's is kept.
            if matches!(e.kind, Kind::Link { .. }) {
                set_mtime(&root.join(&e.p), e.t)?;
            }
        }
    }
    for e in entries.iter().rev() {
        if let Kind::Dir { o } = e.kind {
            let p = root.join(&e.p);
            if o {
                set_opaque(&p)?;
            }
            fs::set_permissions(&p, fs::Permissions::from_mode(e.m))
                .with_context(|| format!("setting the mode of {}", p.display()))?;
            set_mtime(&p, e.t)?;
        }
    }
    Ok(())
}
