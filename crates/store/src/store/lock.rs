//! One lock per setup store: an OS file lock on `lock`, released by the
//! kernel when the process ends however it ends (a kill -9 included), so
//! there is no stale lock to clean up. The holder writes its pid and
//! command into the file, so a waiting command can say who it waits for.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

use super::layout::LOCK;

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The store is locked by another process and `--no-wait` was given
/// (defined with the exit classes, which recognize it).
pub(crate) use zerops_cache_base::store_error::Locked;

/// Takes the store's lock. When another process holds it: fails at once
/// with `no_wait`, else says so on stderr and waits.
pub(crate) fn acquire(store: &Dir, what: &str, no_wait: bool) -> Result<Lock> {
    regular_or_none(store)?;
    let mut opts = OpenOptions::new();
    opts.read(true)
        .write(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let mut file = store
        .open_with(LOCK, &opts)
        .context("opening the store lock")?
        .into_std();
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "another zerops-cache process".to_string()
            } else {
                holder.to_string()
            };
            if no_wait {
                return Err(Locked { holder }.into());
            }
            eprintln!("waiting for the store lock, held by {holder}...");
            file.lock().context("waiting for the store lock")?;
            eprintln!("got the store lock");
        }
        Err(TryLockError::Error(e)) => return Err(e).context("locking the store"),
    }
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    write!(file, "pid {} ({what})", std::process::id())?;
    Ok(Lock { _file: file })
}

/// Takes the lock if it is free, without waiting, and writes `what` (with
/// this pid) into it as its holder, as [`acquire`] does; the file's
/// modification time (when a command last used the store, which `gc`
/// reads) is put back, so holding it to look does not make it look used.
pub fn try_hold_as(store: &Dir, what: &str) -> Result<Option<Lock>> {
    let Some(lock) = try_hold(store)? else {
        return Ok(None);
    };
    let mut file = &lock._file;
    let md = file.metadata()?;
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    write!(file, "pid {} ({what})", std::process::id())?;
    let times = std::fs::FileTimes::new()
        .set_accessed(md.accessed()?)
        .set_modified(md.modified()?);
    file.set_times(times)?;
    Ok(Some(lock))
}

/// Whether the lock is still the lock file of the store at `store_path` (a
/// store that `gc` moved away and removed while this command waited for
/// its lock is not).
pub fn is_at(lock: &Lock, store_path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (
        lock._file.metadata(),
        std::fs::symlink_metadata(store_path.join(LOCK)),
    ) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Takes the lock if it is free, without waiting and without writing the
/// holder into the file (its modification time is when a command last
/// used the store, which `gc` reads).
pub(crate) fn try_hold(store: &Dir) -> Result<Option<Lock>> {
    regular_or_none(store)?;
    let mut opts = OpenOptions::new();
    opts.read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = store
        .open_with(LOCK, &opts)
        .context("opening the store lock")?
        .into_std();
    match file.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e).context("locking the store"),
    }
}

/// The lock file must be a regular file when it is there: a directory, a
/// FIFO or a link is never opened (class 6, naming it).
fn regular_or_none(store: &Dir) -> Result<()> {
    match store.symlink_metadata(LOCK) {
        Ok(md) if !md.is_file() => Err(zerops_cache_base::exit::Exit::StoreBroken.error(format!(
            "the store's lock file `{LOCK}` is {}, not a regular file (it was not opened); \
             run `zerops-cache repair`: it moves it to broken/ and makes a new one",
            super::record_io::kind_of(md.file_type())
        ))),
        _ => Ok(()),
    }
}
