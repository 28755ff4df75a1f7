//! The store of one project and setup: layers, record, journal, lock,
//! artifacts and workspace, all in one directory (see [`layout`]).

pub mod journal;
pub mod layout;
pub mod lock;
pub mod migrate;
pub mod record_io;
pub mod trash;

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::{Path, PathBuf};

/// An opened setup store, locked.
pub struct Store {
    pub path: PathBuf,
    pub dir: Dir,
    _lock: lock::Lock,
}

impl Store {
    /// Opens (creating it when missing) and locks the store of `setup` of
    /// the project at `project`, then recovers an interrupted build.
    pub fn open(
        root_flag: Option<&Path>,
        project: &Path,
        slug: &str,
        setup: &str,
        what: &str,
        no_wait: bool,
    ) -> Result<Store> {
        let path = Store::path_of(root_flag, project, slug, setup)?;
        Store::migrate(root_flag, project, &path, setup, what, no_wait)?;
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating the store {}", path.display()))?;
        Store::open_at(path, project, what, no_wait)
    }

    /// Where the store of `setup` of the project named `slug` is (it may
    /// not exist).
    pub fn path_of(
        root_flag: Option<&Path>,
        _project: &Path,
        slug: &str,
        setup: &str,
    ) -> Result<PathBuf> {
        Ok(layout::named_dir(&layout::root(root_flag)?, slug, setup))
    }

    /// Moves the path-named store of this checkout to its identity name
    /// (once; see [`migrate`]).
    fn migrate(
        root_flag: Option<&Path>,
        project: &Path,
        path: &Path,
        setup: &str,
        what: &str,
        no_wait: bool,
    ) -> Result<()> {
        let old = layout::setup_dir(&layout::root(root_flag)?, project, setup);
        migrate::path_named(&old, path, what, no_wait)
    }

    /// [`Store::open`] for commands that only look (`plan`, `status`): a
    /// store that does not exist is not created.
    pub fn open_existing(
        root_flag: Option<&Path>,
        project: &Path,
        slug: &str,
        setup: &str,
        what: &str,
        no_wait: bool,
    ) -> Result<Option<Store>> {
        let path = Store::path_of(root_flag, project, slug, setup)?;
        Store::migrate(root_flag, project, &path, setup, what, no_wait)?;
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        Store::open_at(path, project, what, no_wait).map(Some)
    }

    fn open_at(path: PathBuf, project: &Path, what: &str, no_wait: bool) -> Result<Store> {
        let path = path.canonicalize()?;
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority())
            .with_context(|| format!("opening the store {}", path.display()))?;
        let lock = lock::acquire(&dir, what, no_wait)?;
        trash::opened(&path);
        match journal::recover(&dir, &path, project)? {
            journal::Recovered::Nothing => {}
            journal::Recovered::Committed => {
                eprintln!("recovered: finished the commit of an interrupted build")
            }
            journal::Recovered::RolledBack { moves } => eprintln!(
                "recovered: rolled back an interrupted build ({moves} move(s) undone; the cache is as it was)"
            ),
        }
        // What a killed pull of the remote tier staged was never applied.
        if std::fs::symlink_metadata(path.join(crate::remote::tier::STAGING)).is_ok() {
            journal::to_trash(&dir, crate::remote::tier::STAGING)?;
            eprintln!(
                "recovered: removed what an interrupted remote pull had staged (nothing of it was applied)"
            );
        }
        for d in [layout::HOME, layout::CACHE, layout::VERSIONS] {
            dir.create_dir_all(d).with_context(|| {
                format!(
                    "creating {} in the store {} (something that is not a directory is in the \
                     way: {})",
                    d,
                    path.display(),
                    record_io::REPAIR
                )
            })?;
        }
        Ok(Store {
            path,
            dir,
            _lock: lock,
        })
    }

    /// Opens and locks an existing store without recovering it (for
    /// `repair`, which decides what recovery may trust).
    pub fn lock_only(path: &Path, what: &str, no_wait: bool) -> Result<Store> {
        let path = path.canonicalize()?;
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority())
            .with_context(|| format!("opening the store {}", path.display()))?;
        let lock = lock::acquire(&dir, what, no_wait)?;
        Ok(Store {
            path,
            dir,
            _lock: lock,
        })
    }

    /// An absolute path inside the store (for commands' cwd and HOME).
    pub fn abs(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }
}
