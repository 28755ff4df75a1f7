//! The store's two errors that carry an exit class: a held lock
//! ([`Locked`], exit 5) and a store file that cannot be used ([`BadFile`],
//! exit 6). They are defined here, below `exit`, so that `exit`'s one
//! exhaustive match ([`crate::exit::Kind`]) can name them without the
//! primitives depending on the store; the store re-exports them where they
//! are made (`store::lock::Locked`, `store::record_io::BadFile`).

use std::path::PathBuf;

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

/// A store file that cannot be used, named by its path.
#[derive(Debug)]
pub struct BadFile {
    pub path: PathBuf,
    pub problem: String,
    /// What to do (the store's `record_io::REPAIR` or `record_io::INVALIDATE`).
    pub way_out: &'static str,
}

impl std::fmt::Display for BadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}; {}",
            self.path.display(),
            self.problem,
            self.way_out
        )
    }
}

impl std::error::Error for BadFile {}
