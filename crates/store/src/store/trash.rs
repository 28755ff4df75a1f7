//! Deleting what the store no longer needs, off the critical path.
//!
//! Old layers, old versions and the workspace are moved into `trash/` by
//! one rename each (O(1), journaled where it matters). Emptying the trash is
//! the slow part (a 20k-file layer takes seconds to delete), so no command
//! does it while the user waits: when a command ends, after its output,
//! a detached `zerops-cache __empty-trash STORE` process deletes the trash
//! of every store the command opened. Nothing in the trash is ever needed
//! again, so a kill at any point loses nothing: whatever is left is deleted
//! by the next command's cleaner.
//!
//! `ZEROPS_CACHE_CLEANUP=inline` deletes in the command itself instead,
//! after its output (tests use it to see a settled store).

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::layout::TRASH;
use zerops_cache_base::filesystem;

/// The variable that selects inline cleanup.
pub(crate) const ENV_CLEANUP: &str = "ZEROPS_CACHE_CLEANUP";

static OPENED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remembers a store this command opened, so that [`finish`] empties its
/// trash when the command ends.
pub(crate) fn opened(store: &Path) {
    let mut v = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    if !v.iter().any(|p| p == store) {
        v.push(store.to_path_buf());
    }
}

fn has_trash(store: &Path) -> bool {
    store.join(TRASH).is_dir()
}

/// Called once when a command has printed its result: empties the trash of
/// the stores it opened, in a detached process unless
/// `ZEROPS_CACHE_CLEANUP=inline` (or the process cannot be started).
pub fn finish() {
    let stores = std::mem::take(&mut *OPENED.lock().unwrap_or_else(|e| e.into_inner()));
    let inline = std::env::var(ENV_CLEANUP).is_ok_and(|v| v == "inline");
    for store in stores.into_iter().filter(|s| has_trash(s)) {
        if (inline || spawn(&store).is_err())
            && let Err(e) = empty_at(&store)
        {
            eprintln!("warning: emptying the trash of {}: {e:#}", store.display());
        }
    }
}

/// Starts the detached cleaner: its own process group (a Ctrl-C of the
/// terminal does not reach it), no stdio, not waited for.
fn spawn(store: &Path) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    Command::new(std::env::current_exe()?)
        .arg("__empty-trash")
        .arg(store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}

/// Empties the trash of the store at `store` (the `__empty-trash` command).
pub fn empty_at(store: &Path) -> Result<()> {
    let dir = Dir::open_ambient_dir(store, cap_std::ambient_authority())
        .with_context(|| format!("opening the store {}", store.display()))?;
    empty(&dir)
}

/// Deletes every entry of `trash/`, then `trash/` itself when it is empty.
/// Several cleaners may run at once: an entry another one deleted first is
/// not an error.
pub(crate) fn empty(store: &Dir) -> Result<()> {
    match store.symlink_metadata(TRASH) {
        Err(_) => return Ok(()),
        // Not a directory (a file, a link, a FIFO): nothing of the store's.
        Ok(md) if !md.is_dir() => return super::journal::trash_dir(store),
        Ok(_) => {}
    }
    let entries = match filesystem::list(store, Path::new(TRASH)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context("listing the trash of the store"),
    };
    for e in entries {
        let rel = Path::new(TRASH).join(&e.name);
        if let Err(err) = filesystem::remove_any(store, &rel)
            && filesystem::exists(store, &rel)
        {
            return Err(err).with_context(|| format!("removing {}", rel.display()));
        }
    }
    match store.remove_dir(TRASH) {
        Ok(()) => Ok(()),
        // Another command put something new in: the next cleaner takes it.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::ENOENT)) => Ok(()),
        Err(e) => Err(e).context("removing the trash of the store"),
    }
}
