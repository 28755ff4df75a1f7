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

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::tree_walk::Listing;
use super::{Entry, Kind};

/// One walked entry: the manifest entry and, for a file, its absolute path.
pub(crate) struct Walked {
    pub(crate) entry: Entry,
    pub(crate) abs: Option<PathBuf>,
}

/// What the walk found.
pub(crate) struct Walk {
    pub(crate) entries: Vec<Walked>,
    /// Special files left out (relative paths).
    pub(crate) left_out: Vec<String>,
}

fn mtime_ns(md: &fs::Metadata) -> i64 {
    md.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(md.mtime_nsec())
}

fn marked_opaque(abs: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .into_iter()
        .any(|name| {
            let mut v = [0u8; 4];
            matches!(rustix::fs::lgetxattr(abs, name, &mut v[..]), Ok(1) if v[0] == b'y')
        })
}

/// Walks the layer at `root` (which may not exist: an empty layer) on
/// every core ([`super::tree_walk`]). File digests are left empty:
/// [`super::pack`] hashes them in parallel.
pub(crate) fn walk(root: &Path) -> Result<Walk> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    super::tree_walk::walk(root, threads.min(8))
}

/// The entries of the directory `abs` (at `rel`, with its `/`), sorted by
/// name; its subdirectories are not entered.
pub(crate) fn list(abs: &Path, rel: &str) -> Result<Listing> {
    let mut names: Vec<_> = fs::read_dir(abs)
        .with_context(|| format!("listing {}", abs.display()))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", abs.display()))?;
    names.sort();
    let mut l = Listing {
        entries: Vec::with_capacity(names.len()),
        left_out: Vec::new(),
    };
    for name in names {
        let Some(n) = name.to_str() else {
            l.left_out.push((
                l.entries.len(),
                format!("{rel}{} (not UTF-8)", name.to_string_lossy()),
            ));
            continue;
        };
        let p = abs.join(&name);
        let r = format!("{rel}{n}");
        let md = fs::symlink_metadata(&p).with_context(|| format!("reading {}", p.display()))?;
        let ft = md.file_type();
        let kind = if ft.is_dir() {
            Kind::Dir {
                opaque: marked_opaque(&p),
            }
        } else if ft.is_file() {
            Kind::File {
                digest: String::new(),
                size: md.len(),
            }
        } else if ft.is_symlink() {
            let to = fs::read_link(&p).with_context(|| format!("reading {}", p.display()))?;
            match to.to_str() {
                Some(to) => Kind::Link { to: to.to_string() },
                None => {
                    l.left_out.push((
                        l.entries.len(),
                        format!("{r} (a symlink to a non-UTF-8 path)"),
                    ));
                    continue;
                }
            }
        } else if is_whiteout(&md) {
            Kind::Whiteout
        } else {
            l.left_out
                .push((l.entries.len(), format!("{r} (a special file)")));
            continue;
        };
        let is_file = matches!(kind, Kind::File { .. });
        l.entries.push(Walked {
            entry: Entry {
                path: r,
                kind,
                mode: md.mode() & 0o7777,
                mtime_ns: mtime_ns(&md),
            },
            abs: is_file.then_some(p),
        });
    }
    Ok(l)
}

fn is_whiteout(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    md.file_type().is_char_device() && md.rdev() == 0
}

/// Sets the mtime of `p` (not following a symlink).
fn set_mtime(p: &Path, t: i64) -> Result<()> {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, UTIME_OMIT};
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: t.div_euclid(1_000_000_000),
            tv_nsec: t.rem_euclid(1_000_000_000),
        },
    };
    rustix::fs::utimensat(CWD, p, &times, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(std::io::Error::from)
        .with_context(|| format!("setting the mtime of {}", p.display()))
}

fn set_opaque(p: &Path) -> Result<()> {
    let mut last = None;
    for name in ["trusted.overlay.opaque", "user.overlay.opaque"] {
        match rustix::fs::lsetxattr(p, name, b"y", rustix::fs::XattrFlags::empty()) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(std::io::Error::from(last.expect("tried")))
        .with_context(|| format!("marking {} overlay-opaque", p.display()))
}

/// Creates the directories, symlinks and whiteouts of `entries` under the
/// fresh directory `root` (files come later, from [`write_file`]).
pub(crate) fn prepare(root: &Path, entries: &[Entry], umask: u32) -> Result<()> {
    for e in entries {
        let p = root.join(&e.path);
        match &e.kind {
            // Owner-only until `finish` gives it its mode.
            Kind::Dir { .. } => fs::DirBuilder::new()
                .mode(0o700)
                .create(&p)
                .and_then(|_| {
                    if umask & 0o700 != 0 {
                        fs::set_permissions(&p, fs::Permissions::from_mode(0o700))
                    } else {
                        Ok(())
                    }
                })
                .with_context(|| format!("creating {}", p.display()))?,
            Kind::Link { to } => std::os::unix::fs::symlink(to, &p)
                .with_context(|| format!("creating the symlink {}", p.display()))?,
            // A character device 0:0 is overlayfs' whiteout.
            Kind::Whiteout => rustix::fs::mknodat(
                rustix::fs::CWD,
                &p,
                rustix::fs::FileType::CharacterDevice,
                rustix::fs::Mode::empty(),
                0,
            )
            .map_err(std::io::Error::from)
            .with_context(|| format!("creating the overlay whiteout {}", p.display()))?,
            Kind::File { .. } => {}
        }
    }
    Ok(())
}

/// The process's umask, read once per pull (from /proc, without changing
/// it); `0o7777` when it cannot be read: then every file's mode is set
/// after it is created.
pub(crate) fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o7777)
}

/// Writes one file of the layer (never over an existing one). Created with
/// its mode when the umask leaves it whole (else set on the open file), its
/// mtime set on the open file, to the nanosecond.
pub(crate) fn write_file(root: &Path, e: &Entry, contents: &[u8], umask: u32) -> Result<()> {
    let p = root.join(&e.path);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(e.mode & 0o777)
        .open(&p)
        .with_context(|| format!("creating {}", p.display()))?;
    f.write_all(contents)
        .with_context(|| format!("writing {}", p.display()))?;
    if e.mode & !0o777 != 0 || e.mode & umask != 0 {
        f.set_permissions(fs::Permissions::from_mode(e.mode))
            .with_context(|| format!("setting the mode of {}", p.display()))?;
    }
    let t = if e.mtime_ns >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(e.mtime_ns as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_nanos(e.mtime_ns.unsigned_abs())
    };
    f.set_times(fs::FileTimes::new().set_modified(t))
        .with_context(|| format!("setting the mtime of {}", p.display()))
}

/// After every file is written: symlink mtimes, then directory modes,
/// opaque flags and mtimes, deepest first.
pub(crate) fn finish(root: &Path, entries: &[Entry]) -> Result<()> {
    for e in entries {
        if let Kind::Link { .. } | Kind::Whiteout = e.kind {
            // A whiteout's mtime does not matter to overlayfs; a symlink's is kept.
            if matches!(e.kind, Kind::Link { .. }) {
                set_mtime(&root.join(&e.path), e.mtime_ns)?;
            }
        }
    }
    for e in entries.iter().rev() {
        if let Kind::Dir { opaque } = e.kind {
            let p = root.join(&e.path);
            if opaque {
                set_opaque(&p)?;
            }
            fs::set_permissions(&p, fs::Permissions::from_mode(e.mode))
                .with_context(|| format!("setting the mode of {}", p.display()))?;
            set_mtime(&p, e.mtime_ns)?;
        }
    }
    Ok(())
}
