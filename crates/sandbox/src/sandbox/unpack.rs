//! Unpacking a `--rootfs` tar into the store, as root or as any user
//! (`tar` crate, so that what the tar holds decides nothing about the exit
//! code):
//! - device nodes are skipped: the container's /dev is made fresh each run;
//! - owners are kept as root; as another user with subordinate ids (in
//!   their user namespace, [`super::userns`]) container id k stays k, so
//!   on the host root is the user and k the range's (k−1)th id, and ids
//!   past the range become root's; without subordinate ids every file is
//!   the user's (root inside the container's user namespace);
//! - an entry that cannot be made (a link to nothing, a name the
//!   filesystem refuses) is skipped and counted, never fatal;
//! - plain, gzip and zstd tars are read in-process; xz and bzip2 through
//!   the `xz`/`bzip2` programs.
//!
//! Directories are made last, deepest first, so a read-only directory of
//! the image does not stop its own entries (as `tar::Archive::unpack`).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// What an unpack left out.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Skipped {
    /// Character and block devices.
    pub(crate) devices: usize,
    /// Entries that could not be made, with the first few reasons.
    pub(crate) failed: usize,
    pub(crate) reasons: Vec<String>,
    /// Entries whose owner or group was past the mapped ids (made root's).
    #[serde(default)]
    pub(crate) unmapped_owners: usize,
}

/// Whose the unpacked files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owners {
    /// The tar's (as root).
    Keep,
    /// The user's (rootless without subordinate ids).
    User,
    /// The tar's where mapped (container ids below `uids`/`gids`), else
    /// root's: in a user namespace with subordinate ids.
    Mapped { uids: u64, gids: u64 },
}

fn open(tar: &Path) -> Result<Box<dyn Read>> {
    let f = std::fs::File::open(tar).with_context(|| format!("--rootfs {}", tar.display()))?;
    let mut r = BufReader::new(f);
    let magic = r
        .fill_buf()?
        .get(..6)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let tool = |prog: &str| -> Result<Box<dyn Read>> {
        let child = std::process::Command::new(prog)
            .arg("-dc")
            .arg(tar)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "--rootfs {}: running `{prog}` to decompress it",
                    tar.display()
                )
            })?;
        Ok(Box::new(child.stdout.context("no stdout")?))
    };
    Ok(match magic.as_slice() {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::MultiGzDecoder::new(r)),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        [0xfd, b'7', b'z', b'X', b'Z', 0] => tool("xz")?,
        [b'B', b'Z', b'h', ..] => tool("bzip2")?,
        _ => Box::new(r),
    })
}

/// Unpacks `tar` into the directory `dir`, its files owned as `owners`
/// says.
pub(crate) fn unpack(tar: &Path, dir: &Path, owners: Owners) -> Result<Skipped> {
    let mut ar = tar::Archive::new(open(tar)?);
    ar.set_preserve_permissions(true);
    ar.set_preserve_mtime(true);
    ar.set_preserve_ownerships(owners == Owners::Keep);
    ar.set_unpack_xattrs(false);
    ar.set_overwrite(true);
    let mut skipped = Skipped::default();
    let note = |s: &mut Skipped, what: String| {
        s.failed += 1;
        if s.reasons.len() < 5 {
            s.reasons.push(what);
        }
    };
    let mut dirs = Vec::new();
    let bad = |e: std::io::Error| {
        anyhow::anyhow!(
            "--rootfs {}: not a readable tar ({e}); give a root filesystem as `docker export` writes it",
            tar.display()
        )
    };
    let mut any = false;
    for entry in ar.entries().map_err(bad)? {
        let mut e = entry.map_err(bad)?;
        any = true;
        let kind = e.header().entry_type();
        if kind.is_character_special() || kind.is_block_special() {
            skipped.devices += 1;
            continue;
        }
        if kind.is_dir() {
            dirs.push(e);
            continue;
        }
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        if kind.is_fifo() {
            let made = fifo(dir, &name, e.header().mode().unwrap_or(0o644))
                .and_then(|()| map_owner(dir, &e, owners, &mut skipped));
            if let Err(err) = made {
                note(&mut skipped, format!("{name}: {err}"));
            }
            continue;
        }
        match e.unpack_in(dir) {
            Ok(true) => {
                if let Err(err) = map_owner(dir, &e, owners, &mut skipped) {
                    note(&mut skipped, format!("{name}: {err}"));
                }
            }
            Ok(false) => note(&mut skipped, format!("{name}: outside the root")),
            Err(err) => note(&mut skipped, format!("{name}: {err}")),
        }
    }
    if !any {
        bail!("--rootfs {}: the tar is empty", tar.display());
    }
    dirs.sort_by(|a, b| b.path_bytes().cmp(&a.path_bytes()));
    for mut d in dirs {
        let name = String::from_utf8_lossy(&d.path_bytes()).into_owned();
        let made = d
            .unpack_in(dir)
            .and_then(|_| map_owner(dir, &d, owners, &mut skipped));
        if let Err(err) = made {
            note(&mut skipped, format!("{name}: {err}"));
        }
    }
    Ok(skipped)
}

/// Gives an unpacked entry its owner within the mapped ids (root's when
/// past them), then its mode again (a chown clears setuid and setgid).
fn map_owner<R: Read>(
    dir: &Path,
    e: &tar::Entry<'_, R>,
    owners: Owners,
    skipped: &mut Skipped,
) -> std::io::Result<()> {
    let Owners::Mapped { uids, gids } = owners else {
        return Ok(());
    };
    let h = e.header();
    let (uid, gid) = (h.uid()?, h.gid()?);
    let fit = |id: u64, size: u64| if id < size { id as u32 } else { 0 };
    if uid >= uids || gid >= gids {
        skipped.unmapped_owners += 1;
    }
    let p = dir.join(relative(&e.path()?)?);
    std::os::unix::fs::lchown(&p, Some(fit(uid, uids)), Some(fit(gid, gids)))?;
    if !h.entry_type().is_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let mode = h.mode()? & 0o7777;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// A tar path as the `tar` crate unpacks it: `.` and `/` dropped, `..`
/// refused.
fn relative(p: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::Normal(n) => out.push(n),
            std::path::Component::ParentDir => {
                return Err(std::io::Error::other("a path with `..`"));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A named pipe of the image (the `tar` crate would make a file of it).
fn fifo(dir: &Path, name: &str, mode: u32) -> std::io::Result<()> {
    let rel = Path::new(name.trim_start_matches('/'));
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(std::io::Error::other("not a plain relative path"));
    }
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)?;
    }
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    mknodat(
        CWD,
        &p,
        FileType::Fifo,
        Mode::from_raw_mode(mode & 0o7777),
        0,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: tar::EntryType, path: &str, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_path(path).unwrap();
        h.set_size(size);
        h.set_mode(if kind.is_dir() { 0o555 } else { 0o644 });
        h.set_uid(4242);
        h.set_gid(4242);
        h.set_cksum();
        h
    }

    /// A tar as `docker export` writes one: device nodes in /dev, a
    /// read-only directory with a file in it, a FIFO, a link to nothing.
    fn image_tar(dir: &Path, gzip: bool) -> std::path::PathBuf {
        let p = dir.join(if gzip { "img.tar.gz" } else { "img.tar" });
        let f = std::fs::File::create(&p).unwrap();
        let w: Box<dyn std::io::Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(
                f,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(f)
        };
        let mut b = tar::Builder::new(w);
        for (kind, path) in [
            (tar::EntryType::Directory, "./dev/"),
            (tar::EntryType::Char, "./dev/full"),
            (tar::EntryType::Block, "./dev/vda"),
            (tar::EntryType::Directory, "./ro/"),
            (tar::EntryType::Fifo, "./ro/pipe"),
        ] {
            let h = header(kind, path, 0);
            b.append(&h, std::io::empty()).unwrap();
        }
        let h = header(tar::EntryType::Regular, "./ro/file", 3);
        b.append(&h, &b"hi\n"[..]).unwrap();
        let mut l = header(tar::EntryType::Link, "./ro/hard", 0);
        l.set_link_name("./nowhere").unwrap();
        l.set_cksum();
        b.append(&l, std::io::empty()).unwrap();
        b.into_inner().unwrap().flush().unwrap();
        p
    }

    #[test]
    fn devices_are_skipped_read_only_dirs_filled_and_broken_links_counted() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        for gzip in [false, true] {
            let t = tempfile::tempdir().unwrap();
            let tar = image_tar(t.path(), gzip);
            let out = t.path().join("root");
            std::fs::create_dir(&out).unwrap();
            let s = unpack(&tar, &out, Owners::User).unwrap();
            assert_eq!(s.devices, 2);
            assert_eq!(s.failed, 1, "{s:?}");
            assert!(s.reasons[0].contains("hard"), "{s:?}");
            assert!(std::fs::read_dir(out.join("dev")).unwrap().next().is_none());
            assert_eq!(
                std::fs::read_to_string(out.join("ro/file")).unwrap(),
                "hi\n"
            );
            let ro = std::fs::metadata(out.join("ro")).unwrap();
            assert_eq!(ro.permissions().mode() & 0o777, 0o555);
            let pipe = std::fs::symlink_metadata(out.join("ro/pipe")).unwrap();
            assert!(pipe.file_type().is_fifo());
            std::fs::set_permissions(out.join("ro"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
    }

    /// As in the user namespace of subordinate ids: owners within the ids
    /// are kept, others become root's, and setuid bits survive the chown.
    /// (Root here stands for the namespace's root.)
    #[test]
    fn mapped_owners_are_kept_within_the_range_and_root_past_it() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root to chown");
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("img.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&p).unwrap());
        for (kind, path, uid, mode) in [
            (tar::EntryType::Directory, "./home/", 0, 0o755),
            (tar::EntryType::Directory, "./home/app/", 42, 0o700),
            (tar::EntryType::Regular, "./home/app/f", 42, 0o600),
            (tar::EntryType::Regular, "./bin/su", 0, 0o4755),
            (tar::EntryType::Regular, "./far", 70000, 0o644),
            (tar::EntryType::Fifo, "./home/app/pipe", 42, 0o600),
        ] {
            let mut h = header(kind, path, 0);
            h.set_uid(uid);
            h.set_gid(uid);
            h.set_mode(mode);
            h.set_cksum();
            b.append(&h, std::io::empty()).unwrap();
        }
        b.into_inner().unwrap();
        let out = t.path().join("root");
        std::fs::create_dir(&out).unwrap();
        let s = unpack(
            &p,
            &out,
            Owners::Mapped {
                uids: 65537,
                gids: 65537,
            },
        )
        .unwrap();
        assert_eq!((s.failed, s.unmapped_owners), (0, 1), "{s:?}");
        let md = |r: &str| std::fs::symlink_metadata(out.join(r)).unwrap();
        assert_eq!((md("home/app").uid(), md("home/app").gid()), (42, 42));
        assert_eq!(md("home/app").permissions().mode() & 0o7777, 0o700);
        assert_eq!(md("home/app/f").uid(), 42);
        assert_eq!(md("home/app/pipe").uid(), 42);
        assert_eq!(md("bin/su").permissions().mode() & 0o7777, 0o4755);
        assert_eq!((md("far").uid(), md("far").gid()), (0, 0));
    }

    #[test]
    fn a_file_that_is_not_a_tar_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.tar");
        std::fs::write(&p, vec![b'x'; 2000]).unwrap();
        let e = unpack(&p, t.path(), Owners::User).unwrap_err().to_string();
        assert!(
            e.contains("not a readable tar") || e.contains("empty"),
            "{e}"
        );
    }
}
