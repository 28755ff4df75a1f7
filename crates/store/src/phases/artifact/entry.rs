//! One entry of the project recorded in the new version's tree: a file
//! names the previous version's object when it is the same file, else a
//! new object is copied; a symlink its target; a directory whose name is
//! not UTF-8 everything in it.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use crate::phases::object_check::{self, Expect};
use crate::phases::objects::NewObjects;
use crate::phases::version_tree::{Node, ObjectId, Tree, mode_of, mtime_of};
use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_base::filesystem;

/// A source directory opened when first needed: an unchanged file is
/// recorded from the metadata the readers took, without opening anything.
/// It is opened from its parent's handle when that is kept ([`DirCache`]).
pub(super) struct Lazy<'a> {
    cache: Option<&'a DirCache<'a>>,
    rel: &'a str,
    dir: std::cell::OnceCell<Arc<Dir>>,
}

impl<'a> Lazy<'a> {
    pub(super) fn new(cache: &'a DirCache<'a>, rel: &'a str) -> Lazy<'a> {
        Lazy {
            cache: Some(cache),
            rel,
            dir: std::cell::OnceCell::new(),
        }
    }

    pub(super) fn opened(dir: Dir) -> Lazy<'a> {
        Lazy {
            cache: None,
            rel: "",
            dir: std::cell::OnceCell::from(Arc::new(dir)),
        }
    }

    pub(super) fn get(&self) -> std::io::Result<&Dir> {
        if let Some(d) = self.dir.get() {
            return Ok(d);
        }
        let cache = self
            .cache
            .ok_or_else(|| std::io::Error::other("no directory"))?;
        let d = cache.open(self.rel)?;
        Ok(self.dir.get_or_init(|| d))
    }
}

pub(super) fn join_bytes(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + name.len() + 1);
    p.extend_from_slice(dir);
    if !dir.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// What one thread recorded: entries in path order, and its counts.
#[derive(Default)]
pub(super) struct Part {
    pub(super) nodes: Vec<(Vec<u8>, Node)>,
    pub(super) files: u64,
    pub(super) bytes: u64,
    pub(super) linked: u64,
}

/// The facts the threads share.
pub(super) struct Shared<'a> {
    pub(super) prev: Option<&'a Tree>,
    /// The store's objects (what the previous version names).
    pub(super) objects: Option<&'a Dir>,
    pub(super) new_objects: &'a NewObjects,
    pub(super) tree: &'a Tree,
}

impl Shared<'_> {
    /// Records the entry `name` of `src` (described by `md`) at the
    /// artifact path `at`: a regular file names the previous version's
    /// object when it is the same file, else a new object; a symlink its
    /// target; a directory (a name that is not UTF-8, never decided on its
    /// own) everything in it. Sockets, FIFOs and devices are left out.
    pub(super) fn record(
        &self,
        part: &mut Part,
        src: &Lazy,
        name: &Path,
        at: Vec<u8>,
        md: &cap_std::fs::Metadata,
    ) -> Result<()> {
        let ft = md.file_type();
        if md.is_file() {
            let (object, is) = match self.reuse(src, name, &at, md) {
                Some(o) => {
                    part.linked += 1;
                    o
                }
                None => self
                    .new_objects
                    .copy(src.get()?, name, md)
                    .with_context(|| format!("copying {}", name.display()))?,
            };
            part.files += 1;
            part.bytes += md.len();
            let node = self.tree.file_node(md, object, is);
            part.nodes.push((at, node));
        } else if ft.is_symlink() {
            let target = src.get()?.read_link_contents(name)?;
            part.files += 1;
            part.bytes += md.len();
            part.nodes.push((
                at,
                Node::Symlink {
                    target: target.as_os_str().as_bytes().to_vec(),
                    mtime: mtime_of(md),
                },
            ));
        } else if ft.is_dir() {
            part.nodes.push((
                at.clone(),
                Node::Dir {
                    mode: mode_of(md),
                    mtime: mtime_of(md),
                },
            ));
            let (inner, listing) = filesystem::list_open(src.get()?, name)?;
            let inner = Lazy::opened(inner);
            for l in listing {
                let n = Path::new(&l.name);
                let md = inner.get()?.symlink_metadata(n)?;
                self.record(part, &inner, n, join_bytes(&at, l.name.as_bytes()), &md)?;
            }
        }
        Ok(())
    }

    /// The previous version's object for `at` when the source file is the
    /// same: the very inode it was made from, unchanged (no read); or the
    /// same size, mode and bytes, whatever its modification time (npm 11
    /// stamps every installed file with the install time, so `npm ci` makes
    /// every file new by its metadata): the source's SHA-256 is compared
    /// with the digest the previous tree records, so the object itself is
    /// never opened here (a damaged store cannot make the build read it).
    /// The tree keeps the version's own modification time; the object
    /// keeps that of the version that made it.
    fn reuse(
        &self,
        src: &Lazy,
        name: &Path,
        at: &[u8],
        md: &cap_std::fs::Metadata,
    ) -> Option<(ObjectId, Expect)> {
        let prev = self.prev?;
        let found = if let Some((o, digest)) = prev.unchanged(at, md) {
            let size = md.len();
            Some((o, Expect { size, digest }))
        } else {
            match prev.nodes.get(at)? {
                Node::File {
                    mode,
                    size,
                    object,
                    digest,
                    ..
                } if *size == md.len() && *mode == mode_of(md) => {
                    let (got, len) = object_check::hash_file(src.get().ok()?, name).ok()?;
                    (got == *digest && len == *size).then_some((
                        *object,
                        Expect {
                            size: *size,
                            digest: *digest,
                        },
                    ))
                }
                _ => None,
            }
        }?;
        // An object written since the previous version was recorded (through
        // a view's hard link) is not named again: the source is copied anew.
        let not_after = (prev.written_at, prev.written_ns.unwrap_or(999_999_999));
        object_check::untouched_since(self.objects?, found.0, found.1.size, not_after)
            .then_some(found)
    }
}
