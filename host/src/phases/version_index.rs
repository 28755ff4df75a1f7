//! The version index (`versions/.index/N`): for every regular file of
//! version N, the identity of the source file it was made from (device,
//! inode, change time, size, modification time). The next artifact links a
//! file from version N without reading it when the source file at the same
//! path is still that very inode, unchanged since: any write or `chmod`
//! moves the change time, which no program can set back. Everything else
//! is compared byte for byte ([`super::artifact`]).
//!
//! The index is a cache: a missing, unreadable or foreign one only means
//! more reading. Entries whose change time is within [`RACY_SECS`] of the
//! moment the index was written are never trusted (a write in the same
//! clock tick would not move it: git's "racy" rule).

use cap_std::fs::{Dir, Metadata, MetadataExt};
use std::collections::HashMap;
use std::fmt::Write as _;

use crate::store::layout::VERSIONS;

/// Where the indexes live, beside the versions.
pub const DIR: &str = ".index";
const MAGIC: &str = "zerops-cache-version-index 1";
/// The largest index read (about 3 million files).
const MAX_BYTES: u64 = 256 << 20;
/// An entry changed this close to the index's writing is not trusted.
pub const RACY_SECS: i64 = 2;

/// What identifies the bytes of a source file without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId {
    ino: u64,
    ctime: (i64, i64),
    size: u64,
    mtime: (i64, i64),
}

impl SourceId {
    pub fn of(md: &Metadata) -> SourceId {
        SourceId {
            ino: md.ino(),
            ctime: (md.ctime(), md.ctime_nsec()),
            size: md.size(),
            mtime: (md.mtime(), md.mtime_nsec()),
        }
    }
}

/// One version's index.
#[derive(Debug, Default)]
pub struct Index {
    dev: u64,
    written_at: i64,
    files: HashMap<String, SourceId>,
}

pub fn path(version: u32) -> String {
    format!("{VERSIONS}/{DIR}/{version}")
}

impl Index {
    pub fn new(dev: u64) -> Index {
        Index {
            dev,
            ..Index::default()
        }
    }

    /// Reads version `v`'s index; `None` when there is none or it does not
    /// parse.
    pub fn load(store: &Dir, v: u32) -> Option<Index> {
        // A hostile or broken store cannot make this read without bound.
        if store.symlink_metadata(path(v)).ok()?.len() > MAX_BYTES {
            return None;
        }
        let text = store.read_to_string(path(v)).ok()?;
        let mut lines = text.lines();
        let head = lines.next()?.strip_prefix(MAGIC)?;
        let mut h = head.split_ascii_whitespace();
        let dev = h.next()?.parse().ok()?;
        let written_at = h.next()?.parse().ok()?;
        let mut files = HashMap::new();
        for l in lines {
            let mut f = l.splitn(7, ' ');
            let mut n = || f.next()?.parse::<i64>().ok();
            let id = SourceId {
                ino: n()? as u64,
                ctime: (n()?, n()?),
                size: n()? as u64,
                mtime: (n()?, n()?),
            };
            files.insert(f.next()?.to_string(), id);
        }
        Some(Index {
            dev,
            written_at,
            files,
        })
    }

    /// Whether the source file `md` is still the one version's `path` was
    /// made from, unchanged.
    pub fn unchanged(&self, path: &str, md: &Metadata) -> bool {
        md.dev() == self.dev
            && self.files.get(path).is_some_and(|id| {
                *id == SourceId::of(md) && id.ctime.0 + RACY_SECS < self.written_at
            })
    }

    /// An empty index for the same device.
    pub fn empty_like(&self) -> Index {
        Index::new(self.dev)
    }

    /// Adds the entries of `other`.
    pub fn absorb(&mut self, other: Index) {
        self.files.extend(other.files);
    }

    /// Records that `path` of the new version was made from `md`.
    pub fn record(&mut self, path: &str, md: &Metadata) {
        if md.dev() == self.dev && !path.contains('\n') {
            self.files.insert(path.to_string(), SourceId::of(md));
        }
    }

    /// Writes the index of version `v` (made durable by the version's own
    /// barrier).
    pub fn save(&self, store: &Dir, v: u32) -> std::io::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut out = format!("{MAGIC} {} {now}\n", self.dev);
        for (p, id) in &self.files {
            let _ = writeln!(
                out,
                "{} {} {} {} {} {} {p}",
                id.ino, id.ctime.0, id.ctime.1, id.size, id.mtime.0, id.mtime.1
            );
        }
        store.create_dir_all(format!("{VERSIONS}/{DIR}"))?;
        store.write(path(v), out)
    }

    /// Removes version `v`'s index, if any.
    pub fn remove(store: &Dir, v: u32) {
        let _ = store.remove_file(path(v));
    }
}
