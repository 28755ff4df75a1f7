//! The store of one project and setup: layers, record, journal, lock,
//! artifacts and workspace, all in one directory (see [`layout`]).

pub mod gc_protocol;
pub mod journal;
pub mod layout;
pub mod lock;
pub mod record_io;
pub mod repair_report;
pub mod restored;
pub mod trash;

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::{Path, PathBuf};

use zerops_cache_base::exit::{Classify, Exit};

/// An opened setup store, locked.
pub struct Store {
    pub path: PathBuf,
    pub dir: Dir,
    _lock: lock::Lock,
}

/// The directory that holds every store (`--store`, `$ZEROPS_CACHE_DIR` or
/// the user's cache directory), opened once: each setup's store is opened
/// inside it.
pub(crate) struct StoreRoot {
    pub(crate) path: PathBuf,
    pub(crate) dir: Dir,
}

impl StoreRoot {
    /// Opens the root of the stores, creating it with `create`; `None` when
    /// it does not exist and is not to be created.
    pub(crate) fn open(root_flag: Option<&Path>, create: bool) -> Result<Option<StoreRoot>> {
        // No root known is a usage error (pass --store); a root that cannot
        // be made or opened is a store that cannot be used.
        let path = layout::root(root_flag).class(Exit::Usage)?;
        if create {
            // The one ambient operation on the stores: their root.
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating the store root {}", path.display()))
                .class(Exit::StoreBroken)?;
        } else if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority())
            .with_context(|| format!("opening the store root {}", path.display()))
            .class(Exit::StoreBroken)?;
        Ok(Some(StoreRoot { path, dir }))
    }

    /// The store of `setup` of the project named `slug`, relative to the root.
    fn relative(&self, slug: &str, setup: &str) -> PathBuf {
        let full = layout::named_dir(&self.path, slug, setup);
        full.strip_prefix(&self.path)
            .map(Path::to_path_buf)
            .unwrap_or(full)
    }

    /// Opens (creating it when missing) the store of `setup` of `slug`.
    fn create(&self, slug: &str, setup: &str) -> Result<(PathBuf, Dir)> {
        let rel = self.relative(slug, setup);
        let path = self.path.join(&rel);
        self.dir
            .create_dir_all(&rel)
            .with_context(|| format!("creating the store {}", path.display()))
            .class(Exit::StoreBroken)?;
        let dir = self
            .dir
            .open_dir(&rel)
            .with_context(|| format!("opening the store {}", path.display()))
            .class(Exit::StoreBroken)?;
        Ok((canonical(path)?, dir))
    }

    /// The store of `setup` of `slug`, opened, if it exists.
    fn existing(&self, slug: &str, setup: &str) -> Result<Option<(PathBuf, Dir)>> {
        let rel = self.relative(slug, setup);
        if self.dir.symlink_metadata(&rel).is_err() {
            return Ok(None);
        }
        let path = self.path.join(&rel);
        let dir = self
            .dir
            .open_dir(&rel)
            .with_context(|| format!("opening the store {}", path.display()))
            .class(Exit::StoreBroken)?;
        Ok(Some((canonical(path)?, dir)))
    }
}

/// The store's path for messages, commands' cwd and HOME: absolute.
fn canonical(path: PathBuf) -> Result<PathBuf> {
    path.canonicalize()
        .with_context(|| format!("opening the store {}", path.display()))
        .class(Exit::StoreBroken)
}

impl Store {
    /// Opens (creating it when missing) and locks the store of `setup` of
    /// the project at `project` (opened as `project_dir`), then recovers an
    /// interrupted build.
    pub fn open(
        root_flag: Option<&Path>,
        project: &Path,
        project_dir: &Dir,
        slug: &str,
        setup: &str,
        what: &str,
        no_wait: bool,
    ) -> Result<Store> {
        let root = StoreRoot::open(root_flag, true)?.context("the store root was not created")?;
        // A store that `gc` removed while this command waited for its lock
        // is made again (gc holds the lock while it removes a store).
        for _ in 0..3 {
            let (path, dir) = root.create(slug, setup)?;
            let lock = lock::acquire(&dir, what, no_wait)?;
            if lock::is_at(&lock, &path) {
                return Store::opened(path, dir, lock, project, project_dir);
            }
            eprintln!(
                "the store was removed (`zerops-cache gc`) while this command waited: making it again"
            );
        }
        Err(Exit::StoreBroken
            .error("the store keeps being removed while this command waits for it"))
    }

    /// Where the store of `setup` of the project named `slug` is (it may
    /// not exist).
    pub fn path_of(root_flag: Option<&Path>, slug: &str, setup: &str) -> Result<PathBuf> {
        Ok(layout::named_dir(&layout::root(root_flag)?, slug, setup))
    }

    /// The store of `setup` of the project named `slug`, opened but not
    /// locked, if it exists (for `repair`, which looks at the lock before
    /// taking it).
    pub fn locate(
        root_flag: Option<&Path>,
        slug: &str,
        setup: &str,
    ) -> Result<Option<(PathBuf, Dir)>> {
        match StoreRoot::open(root_flag, false)? {
            Some(root) => root.existing(slug, setup),
            None => Ok(None),
        }
    }

    /// [`Store::open`] for commands that only look (`plan`, `status`): a
    /// store that does not exist is not created.
    pub fn open_existing(
        root_flag: Option<&Path>,
        project: &Path,
        project_dir: &Dir,
        slug: &str,
        setup: &str,
        what: &str,
        no_wait: bool,
    ) -> Result<Option<Store>> {
        let Some((path, dir)) = Store::locate(root_flag, slug, setup)? else {
            return Ok(None);
        };
        let lock = lock::acquire(&dir, what, no_wait)?;
        if !lock::is_at(&lock, &path) {
            // Removed by `gc` while this command waited: there is none.
            return Ok(None);
        }
        Store::opened(path, dir, lock, project, project_dir).map(Some)
    }

    fn opened(
        path: PathBuf,
        dir: Dir,
        lock: lock::Lock,
        project: &Path,
        project_dir: &Dir,
    ) -> Result<Store> {
        trash::opened(&path);
        match journal::recover(&dir, &path, project, project_dir)? {
            journal::Recovered::Nothing => {}
            journal::Recovered::Committed => {
                eprintln!("recovered: finished the commit of an interrupted build")
            }
            journal::Recovered::RolledBack(r) => eprintln!(
                "recovered: rolled back an interrupted build ({} undone; {})",
                zerops_cache_base::render::count(r.moves as u64, "move", "moves"),
                r.describe()
            ),
        }
        // What a killed pull of the remote tier staged was never applied.
        if dir.symlink_metadata(layout::REMOTE_STAGING).is_ok() {
            journal::to_trash(&dir, layout::REMOTE_STAGING)?;
            eprintln!(
                "recovered: removed what an interrupted remote pull had staged (nothing of it was applied)"
            );
        }
        for d in [layout::HOME, layout::CACHE, layout::VERSIONS] {
            dir.create_dir_all(d).map_err(|e| record_io::BadFile {
                path: path.join(d),
                problem: format!(
                    "cannot be made a directory of the store {} (something that is not \
                         a directory is in the way: {e})",
                    path.display()
                ),
                way_out: record_io::REPAIR,
            })?;
        }
        Ok(Store {
            path,
            dir,
            _lock: lock,
        })
    }

    /// Locks an opened store without recovering it (for `repair`, which
    /// decides what recovery may trust).
    pub fn lock_only(path: PathBuf, dir: Dir, what: &str, no_wait: bool) -> Result<Store> {
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
