//! One lock per setup store: an OS file lock on `lock`, released by the
//! kernel when the process ends however it ends (a kill -9 included), so
//! there is no stale lock to clean up. The holder writes its pid and
//! command into the file, so a waiting command can say who it waits for.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, OpenOptions};
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

use super::layout::LOCK;

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The store is locked by another process and `--no-wait` was given
/// (exit code 5, [`crate::exit::Exit::StoreLocked`]).
#[derive(Debug)]
pub struct Locked {
    /// Who holds it, as it wrote itself into the lock file.
    pub holder: String,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the store is locked by {}; not waiting (--no-wait)",
            self.holder
        )
    }
}

impl std::error::Error for Locked {}

/// Takes the store's lock. When another process holds it: fails at once
/// with `no_wait`, else says so on stderr and waits.
pub fn acquire(store: &Dir, what: &str, no_wait: bool) -> Result<Lock> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true);
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

/// Takes the lock if it is free, without waiting and without writing the
/// holder into the file (its modification time is when a command last
/// used the store, which `gc` reads).
pub fn try_hold(store: &Dir) -> Result<Option<Lock>> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
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
