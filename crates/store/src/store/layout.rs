//! Where a setup's store lives and what is inside it.
//!
//! ```text
//! <root>/                       --store DIR, $ZEROPS_CACHE_DIR, or <user cache dir>/zerops-cache/stores
//!   <identity slug>/<setup>/    one directory per project (identity) and setup
//!     lock                      held by the command working on this store
//!     record.json               the layer record (written by the component)
//!     journal.json              the intent journal of an unfinished build
//!     journal.restore.json      its restore batch (written once per build)
//!     journal.restored          the restored entries' inodes and change times
//!     checkout.before           an in-place checkout before the first build that did
//!                               not finish (phases::checkout_baseline)
//!     base/                     the base layer
//!       upper/                  the container's overlay upper directory: all it
//!                               wrote outside /build/source (whiteouts included);
//!       upper/home/zerops/      HOME (also with --isolation none)
//!     cache/                    the build layer: cached entries
//!     versions/<N>.tree, <N>.json  deploy versions (the last 10): a tree of
//!                               each version's entries (each file's object and its
//!                               SHA-256, a checksum last), and its checksummed record
//!     versions/objects/<N>/<n>  the immutable objects their files name
//!     versions/released/<N>     what version N stopped naming of N-1's objects
//!     versions/<N>/             a version's directory: a view of its tree
//!     versions/active           the active version
//!     work/source/              the build workspace
//!     trash/                    what is being deleted
//!     run/                      the container's scratch: overlay work dirs, mount
//!                               point, /tmp (emptied at the start of each build)
//!     run/upper.build/          what buildCommands wrote outside /build/source,
//!                               merged into base/upper when the build commits
//!     image/                    a --rootfs tar, unpacked (kept while its digest matches)
//!     broken/<time>/            what `repair` set aside (kept for the user)
//!     remote.epochs.json        the remote epochs this store saw, and its layers' (remote/epoch_memory.rs)
//!     remote.staging/           a pull from the remote tier, until verified and renamed
//!                               into place (an interrupted one is removed on open)
//! ```
//! Everything is inside the store, on one filesystem, so every move of the
//! cache is a rename.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const LOCK: &str = "lock";
/// A pull from the remote tier, staged until verified and renamed into
/// place (`remote::tier::STAGING`); an interrupted one is removed on open.
pub const REMOTE_STAGING: &str = "remote.staging";
pub const RECORD: &str = "record.json";
pub const JOURNAL: &str = "journal.json";
/// The restore batch of the journal, written once (it can hold many moves).
pub const JOURNAL_RESTORE: &str = "journal.restore.json";
/// What the restore batch's entries were right after they moved (see
/// store::restored): written once per build, never synced.
pub(crate) const JOURNAL_STAMPS: &str = "journal.restored";
/// The base layer: the container's filesystem outside /build/source (the
/// name `HOME` is kept for the journal, which moves it as one directory).
pub const HOME: &str = "base";
/// The previous base layer while a rebuilt one is being prepared.
pub const HOME_OLD: &str = "base.old";
/// The overlay's upper directory inside the base layer.
pub const BASE_UPPER: &str = "base/upper";
/// HOME (/home/zerops) inside the base layer.
pub const BASE_HOME: &str = "base/upper/home/zerops";
/// The container's scratch (see the module docs).
pub const RUN: &str = "run";
/// What buildCommands wrote outside /build/source: the upper directory of
/// their own overlay over the base layer, merged into it on commit.
pub const BUILD_UPPER: &str = "run/upper.build";
/// An unpacked `--rootfs` tar.
pub const IMAGE: &str = "image";
pub const CACHE: &str = "cache";
/// The new build layer while preserve fills it.
pub const CACHE_NEW: &str = "cache.new";
pub const VERSIONS: &str = "versions";
pub const ACTIVE: &str = "versions/active";
/// The immutable objects of the versions' files (see phases::objects).
pub const OBJECTS: &str = "versions/objects";
/// What each version stopped naming of the one before it.
pub const RELEASED: &str = "versions/released";

/// What makes up version `v` in the store, metadata first (without it the
/// version is not complete): `N.json`, its tree `N.tree`, its directory.
pub(crate) fn version_parts(v: u32) -> [String; 3] {
    [
        format!("{VERSIONS}/{v}.json"),
        format!("{VERSIONS}/{v}.tree"),
        format!("{VERSIONS}/{v}"),
    ]
}
pub const WORK: &str = "work";
pub const SOURCE: &str = "work/source";
pub(crate) const TRASH: &str = "trash";
/// Where `repair` puts what it cannot trust (never deleted by zerops-cache).
pub(crate) const BROKEN: &str = "broken";

/// The environment variable that overrides the store root.
pub(crate) const ENV_DIR: &str = "ZEROPS_CACHE_DIR";

/// The root of all stores: `--store`, else `$ZEROPS_CACHE_DIR`, else the
/// user's cache directory.
pub fn root(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(ENV_DIR).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = dirs::cache_dir().context(
        "no user cache directory is known here; pass --store DIR or set ZEROPS_CACHE_DIR",
    )?;
    Ok(base.join("zerops-cache").join("stores"))
}

/// A file-name-safe rendering of `s` (letters, digits, `.`, `_`, `-`).
fn safe(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match t.as_str() {
        "" | "." | ".." => "_".to_string(),
        _ => t,
    }
}

/// A name-safe setup directory name (a short digest marks a changed name).
fn setup_name(setup: &str) -> String {
    let mut setup_name = safe(setup);
    if setup_name != setup {
        let d = Sha256::digest(setup.as_bytes());
        setup_name.push_str(&format!("-{:02x}{:02x}", d[0], d[1]));
    }
    setup_name
}

/// The store directory of `setup` of the project whose identity slug is
/// `slug` (see `crate::identity`): `<slug>/<setup>`, whatever the path.
pub(crate) fn named_dir(root: &Path, slug: &str, setup: &str) -> PathBuf {
    root.join(safe(slug)).join(setup_name(setup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_dirs_are_stable_and_safe() {
        let a = named_dir(Path::new("/s"), "github.com-org-app", "api");
        assert_eq!(a, Path::new("/s/github.com-org-app/api"));
        assert_eq!(a, named_dir(Path::new("/s"), "github.com-org-app", "api"));
        assert_ne!(a, named_dir(Path::new("/s"), "github.com-org-app", "web"));
        let odd = named_dir(Path::new("/s"), "../p", "../x");
        assert!(odd.starts_with("/s"));
        assert!(!odd.to_string_lossy().contains("../"), "{odd:?}");
        // A name made safe keeps a digest of the real one.
        assert_ne!(
            named_dir(Path::new("/s"), "p", "a/b"),
            named_dir(Path::new("/s"), "p", "a_b")
        );
    }
}
