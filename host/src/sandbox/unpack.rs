//! Unpacking a `--rootfs` tar into the store, as root or as any user
//! (`tar` crate, so that what the tar holds decides nothing about the exit
//! code):
//! - device nodes are skipped: the container's /dev is made fresh each run;
//! - owners are kept as root; as another user every file is the user's
//!   (root inside the container's user namespace);
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
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Character and block devices.
    pub devices: usize,
    /// Entries that could not be made, with the first few reasons.
    pub failed: usize,
    pub reasons: Vec<String>,
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

/// Unpacks `tar` into the directory `dir`; `owners`: keep the owners of
/// the entries (as root).
pub fn unpack(tar: &Path, dir: &Path, owners: bool) -> Result<Skipped> {
    let mut ar = tar::Archive::new(open(tar)?);
    ar.set_preserve_permissions(true);
    ar.set_preserve_mtime(true);
    ar.set_preserve_ownerships(owners);
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
            if let Err(err) = fifo(dir, &name, e.header().mode().unwrap_or(0o644)) {
                note(&mut skipped, format!("{name}: {err}"));
            }
            continue;
        }
        match e.unpack_in(dir) {
            Ok(true) => {}
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
        if let Err(err) = d.unpack_in(dir) {
            note(&mut skipped, format!("{name}: {err}"));
        }
    }
    Ok(skipped)
}

/// A named pipe of the image (the `tar` crate would make a file of it).
fn fifo(dir: &Path, name: &str, mode: u32) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
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
    let c = std::ffi::CString::new(p.as_os_str().as_bytes())?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), (mode & 0o7777) as libc::mode_t) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
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
            let s = unpack(&tar, &out, false).unwrap();
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

    #[test]
    fn a_file_that_is_not_a_tar_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.tar");
        std::fs::write(&p, vec![b'x'; 2000]).unwrap();
        let e = unpack(&p, t.path(), false).unwrap_err().to_string();
        assert!(
            e.contains("not a readable tar") || e.contains("empty"),
            "{e}"
        );
    }
}
