//! Small files of the store, written atomically: a temporary file, fsync,
//! rename over the old one, fsync of the directory. A reader sees the old
//! or the new text, never a mix.
//!
//! Reading treats every store file as untrusted data: its type is checked
//! before it is opened (a FIFO or a device is never opened, so nothing can
//! hang on it), it is opened without following links and without blocking,
//! its size is bounded, and its text must be UTF-8. Each failure is a
//! [`BadFile`] that names the file and says what to do.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use std::io::{self, Read, Write};
use std::path::Path;

use super::layout::RECORD;

/// The largest store file read: a restore batch of a million moves fits.
pub(crate) const MAX_STORE_FILE: u64 = 1 << 30;

/// The way out of a broken journal, for messages.
pub(crate) const REPAIR: &str = "run `zerops-cache repair`: it checks the store, sets the broken file \
     aside and brings the store to a consistent state without losing a cached file";
/// The way out of a broken layer record.
pub const INVALIDATE: &str = "run `zerops-cache invalidate` (the next build starts both layers \
     afresh) or `zerops-cache repair`";

/// Why a store file cannot be read.
#[derive(Debug)]
pub enum Problem {
    /// A directory, FIFO, socket or device where a file belongs.
    NotRegular(&'static str),
    /// The size, and the limit.
    TooLarge(u64, u64),
    NotUtf8 {
        at: usize,
    },
    Io(io::Error),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotRegular(k) => write!(f, "is {k}, not a regular file (it was not opened)"),
            Problem::TooLarge(n, max) => write!(
                f,
                "is {n} bytes, over the limit of {max} bytes (it was not read)"
            ),
            Problem::NotUtf8 { at } => write!(f, "is not UTF-8 text (bad byte at offset {at})"),
            Problem::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// A store file that cannot be used, named by its path (defined with the
/// exit classes, which recognize it).
pub use zerops_cache_base::store_error::BadFile;

/// What a file type is, in words.
pub fn kind_of(ft: cap_std::fs::FileType) -> &'static str {
    use cap_std::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// Writes `name` in `dir` atomically. Whatever is at the temporary name (a
/// torn write of a killed process, or anything else) is removed first, so
/// the write never opens a FIFO or follows a link.
pub(crate) fn write_atomic(dir: &Dir, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = format!("{name}.tmp");
    if let Ok(md) = dir.symlink_metadata(&tmp) {
        if md.is_dir() {
            zerops_cache_base::filesystem::remove_any(dir, Path::new(&tmp))
        } else {
            dir.remove_file(&tmp)
        }
        .with_context(|| format!("removing the leftover {tmp}"))?;
    }
    {
        let mut opts = OpenOptions::new();
        opts.write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW);
        let mut f = dir
            .open_with(&tmp, &opts)
            .with_context(|| format!("writing {tmp}"))?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    dir.rename(&tmp, dir, name)
        .with_context(|| format!("replacing {name}"))?;
    zerops_cache_base::filesystem::count_rename();
    sync_dir(dir);
    Ok(())
}

/// fsync of a directory (best effort: some filesystems refuse it).
pub fn sync_dir(dir: &Dir) {
    // The handle itself may be an O_PATH descriptor, which cannot be
    // fsynced: open the directory for reading.
    if let Ok(f) = dir.open(".") {
        let _ = f.sync_all();
    }
}

/// The bytes of `name` (at most `max`), or none when nothing is there. The
/// type is checked first (links are not followed), the open never blocks,
/// and the opened file is checked again.
pub(crate) fn read_bytes(dir: &Dir, name: &Path, max: u64) -> Result<Option<Vec<u8>>, Problem> {
    read_bytes_with(dir, name, max, false)
}

/// [`read_bytes`]; with `follow`, a symbolic link (inside `dir`) is
/// followed to the file it names.
pub fn read_bytes_with(
    dir: &Dir,
    name: &Path,
    max: u64,
    follow: bool,
) -> Result<Option<Vec<u8>>, Problem> {
    let md = if follow {
        dir.metadata(name)
    } else {
        dir.symlink_metadata(name)
    };
    let md = match md {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Problem::Io(e)),
    };
    if !md.is_file() {
        return Err(Problem::NotRegular(kind_of(md.file_type())));
    }
    if md.len() > max {
        return Err(Problem::TooLarge(md.len(), max));
    }
    let mut opts = OpenOptions::new();
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    opts.read(true).custom_flags(libc::O_NONBLOCK | nofollow);
    let f = dir.open_with(name, &opts).map_err(Problem::Io)?;
    let md = f.metadata().map_err(Problem::Io)?;
    if !md.is_file() {
        return Err(Problem::NotRegular(kind_of(md.file_type())));
    }
    let mut buf = Vec::new();
    f.into_std()
        .take(max + 1)
        .read_to_end(&mut buf)
        .map_err(Problem::Io)?;
    if buf.len() as u64 > max {
        return Err(Problem::TooLarge(buf.len() as u64, max));
    }
    Ok(Some(buf))
}

/// The UTF-8 text of `name` (see [`read_bytes_with`]).
pub(crate) fn read_text(
    dir: &Dir,
    name: &Path,
    max: u64,
    follow: bool,
) -> Result<Option<String>, Problem> {
    match read_bytes_with(dir, name, max, follow)? {
        None => Ok(None),
        Some(b) => String::from_utf8(b)
            .map(Some)
            .map_err(|e| Problem::NotUtf8 {
                at: e.utf8_error().valid_up_to(),
            }),
    }
}

/// The text of the store file `name` of the store at `store_path`, or none
/// when it does not exist; a [`BadFile`] error otherwise.
pub fn read_store_text(
    dir: &Dir,
    store_path: &Path,
    name: &str,
    way_out: &'static str,
) -> Result<Option<String>> {
    read_text(dir, Path::new(name), MAX_STORE_FILE, false).map_err(|p| {
        BadFile {
            path: store_path.join(name),
            problem: p.to_string(),
            way_out,
        }
        .into()
    })
}

/// The text of `name` (links inside `dir` followed), or none when it does
/// not exist: for files such as `.deployignore` or version metadata.
pub(crate) fn read_opt(dir: &Dir, name: impl AsRef<Path>) -> Result<Option<String>> {
    let name = name.as_ref();
    read_text(dir, name, MAX_STORE_FILE, true)
        .map_err(|p| anyhow::anyhow!("{} {p}", name.display()))
}

/// The layer record's text (the component reads it), if any.
pub fn read_record(store: &super::Store) -> Result<Option<String>> {
    read_store_text(&store.dir, &store.path, RECORD, INVALIDATE)
}

pub fn write_record(dir: &Dir, text: &str) -> Result<()> {
    write_atomic(dir, RECORD, text.as_bytes())
}
