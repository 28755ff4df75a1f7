//! Small files of the store, written atomically: a temporary file, fsync,
//! rename over the old one, fsync of the directory. A reader sees the old
//! or the new text, never a mix.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::io::{self, Write};
use std::path::Path;

use super::layout::RECORD;

/// Writes `name` in `dir` atomically.
pub fn write_atomic(dir: &Dir, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = format!("{name}.tmp");
    {
        let mut f = dir.create(&tmp).with_context(|| format!("writing {tmp}"))?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    dir.rename(&tmp, dir, name)
        .with_context(|| format!("replacing {name}"))?;
    crate::moves::count_rename();
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

/// The text of `name`, or none when it does not exist.
pub fn read_opt(dir: &Dir, name: impl AsRef<Path>) -> Result<Option<String>> {
    match dir.read_to_string(name.as_ref()) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", name.as_ref().display())),
    }
}

/// The layer record's text (the component reads it), if any.
pub fn read_record(dir: &Dir) -> Result<Option<String>> {
    read_opt(dir, RECORD)
}

pub fn write_record(dir: &Dir, text: &str) -> Result<()> {
    write_atomic(dir, RECORD, text.as_bytes())
}
