//! A version's tree (`versions/N.tree`): every directory, file and symlink
//! of deploy version N, each file naming the immutable object that holds
//! its bytes ([`super::objects`]) and the identity of the source file it
//! was made from (device, inode, change time, size, modification time).
//!
//! The tree *is* the version: with `N.json` beside it, a version is
//! complete. Its directory `versions/N/` is a view made from the tree
//! ([`super::version_view`]), so an unchanged app's new version costs one
//! tree file, not a directory per directory of the app.
//!
//! The next artifact reuses a file's object without reading the file when
//! the source file at the same path is still that very inode, unchanged
//! since: any write or `chmod` moves the change time, which no program can
//! set back. Entries whose change time is too close to the moment the
//! walk began are never trusted that way (a write in the same clock tick
//! would not move it: git's "racy" rule). "Too close" is one clock tick
//! with room to spare ([`RACY_FINE_NS`]) when the change time has a
//! sub-second part, and [`RACY_SECS`] otherwise (a filesystem that keeps
//! whole seconds, or a tree written before the header had nanoseconds).
//!
//! The format is text, one entry a line, sorted by path bytes (a directory
//! before what it holds), fields separated by spaces, paths and link
//! targets percent-encoded (names need not be UTF-8):
//!
//! ```text
//! zerops-cache-version-tree 2 <device> <walk began, unix seconds> <and nanoseconds>
//! d <mode, octal> <mtime s> <mtime ns> <path>            the root is "."
//! f <mode> <mtime s> <mtime ns> <size> <object> <sha256> <ino> <ctime s> <ctime ns> <path>
//! l <mtime s> <mtime ns> <target> <path>
//! end <sha256 of every byte above this line>
//! ```
//! A file made on another device has `-` for ino and change time. The
//! `sha256` of a file is that of its object's bytes
//! ([`super::object_check`]); the last line makes a truncated or damaged
//! tree an error, never a smaller version. Format 1 (before digests) is
//! refused with a message: `repair` sets such a version aside.

use cap_std::fs::{Dir, Metadata, MetadataExt, PermissionsExt};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, percent_encode};
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::object_check::{self, Digest};
use crate::store::layout::VERSIONS;
use crate::store::record_io::{read_bytes, write_atomic};
use zerops_cache_base::exit::Exit;

const MAGIC: &str = "zerops-cache-version-tree 2";
/// The format written before objects had digests.
const MAGIC_1: &str = "zerops-cache-version-tree 1";
/// The last line: the digest of all the text before it.
const END: &str = "end ";
/// The largest tree read (about 3 million entries).
const MAX_BYTES: u64 = 512 << 20;
/// An entry changed this close to the walk's start is not trusted when its
/// change time has no sub-second part (whole-second filesystems).
pub(crate) const RACY_SECS: i64 = 2;
/// ... and this close when it has one: the kernel stamps change times from
/// a clock that lags by at most a tick (1-10 ms), so a write after the
/// walk's `statx` moves the change time past what it read.
pub(crate) const RACY_FINE_NS: i128 = 100_000_000;

/// The racy window in nanoseconds: [`RACY_FINE_NS`], or the value of the
/// test hook `ZEROPS_CACHE_RACY_WINDOW_NS` (tests that build twice in a row
/// set 0 instead of sleeping past the window; the whole-second rule for
/// filesystems without sub-second times is not changed by it).
fn racy_fine_ns() -> i128 {
    static WINDOW: std::sync::OnceLock<i128> = std::sync::OnceLock::new();
    *WINDOW.get_or_init(|| {
        std::env::var("ZEROPS_CACHE_RACY_WINDOW_NS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(RACY_FINE_NS)
    })
}
/// How the root is written.
const ROOT: &str = ".";
/// What is encoded in paths and targets: controls, space, `%`.
const ENCODED: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

/// Seconds and nanoseconds since the epoch.
pub(crate) type Time = (i64, i64);

/// What identifies the bytes of a source file without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceId {
    ino: u64,
    ctime: Time,
    size: u64,
    mtime: Time,
}

impl SourceId {
    pub(crate) fn of(md: &Metadata) -> SourceId {
        SourceId {
            ino: md.ino(),
            ctime: (md.ctime(), md.ctime_nsec()),
            size: md.size(),
            mtime: mtime_of(md),
        }
    }
}

pub(crate) fn mtime_of(md: &Metadata) -> Time {
    (md.mtime(), md.mtime_nsec())
}

pub(crate) fn mode_of(md: &Metadata) -> u32 {
    md.permissions().mode() & 0o7777
}

/// One entry of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir {
        mode: u32,
        mtime: Time,
    },
    File {
        mode: u32,
        mtime: Time,
        size: u64,
        /// The object holding the bytes (its own mode and mtime are these).
        object: ObjectId,
        /// The SHA-256 of the object's bytes.
        digest: Digest,
        /// What the file was made from, when it was on the tree's device.
        source: Option<Origin>,
    },
    Symlink {
        target: Vec<u8>,
        mtime: Time,
    },
}

/// The source file a version's file was made from: its inode and change
/// time (its size and modification time are the file's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) ino: u64,
    pub(crate) ctime: Time,
}

impl Node {
    pub(crate) fn is_dir(&self) -> bool {
        matches!(self, Node::Dir { .. })
    }
}

/// One version's tree: paths (bytes, relative, `""` for the root) to
/// entries.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub(crate) dev: u64,
    /// When the walk that made the tree began (seconds, and nanoseconds
    /// when the header has them).
    pub(crate) written_at: i64,
    pub(crate) written_ns: Option<i64>,
    pub(crate) nodes: BTreeMap<Vec<u8>, Node>,
}

pub(crate) fn file_name(version: u32) -> String {
    format!("{version}.tree")
}

pub(crate) fn path(version: u32) -> String {
    format!("{VERSIONS}/{}", file_name(version))
}

fn enc_into(out: &mut String, bytes: &[u8]) {
    if bytes.is_empty() {
        out.push_str(ROOT);
    } else {
        for part in percent_encode(bytes, ENCODED) {
            out.push_str(part);
        }
    }
}

/// `n` and a space (`itoa`: a large app's tree has hundreds of thousands of
/// numbers).
fn push_num(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
    out.push(' ');
}

fn dec(s: &str) -> Vec<u8> {
    if s == ROOT {
        return Vec::new();
    }
    if !s.contains('%') {
        return s.as_bytes().to_vec();
    }
    percent_decode_str(s).collect()
}

impl Tree {
    pub(crate) fn new(dev: u64) -> Tree {
        Tree {
            dev,
            ..Tree::default()
        }
    }

    /// Reads version `v`'s tree: `Ok(None)` when it has none (an unfinished
    /// or damaged version: see [`missing`]), an error of class 6 naming the file when it is
    /// there but not a regular file, too large, damaged or truncated (its
    /// last line is the digest of the rest), or of the older format.
    pub(crate) fn load(store: &Dir, v: u32) -> anyhow::Result<Option<Tree>> {
        let rel = path(v);
        let bytes = match read_bytes(store, std::path::Path::new(&rel), MAX_BYTES) {
            Ok(None) => return Ok(None),
            Ok(Some(b)) => b,
            Err(p) => return Err(broken(v, &p.to_string())),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            broken(
                v,
                &format!(
                    "is not UTF-8 text (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        if text.starts_with(MAGIC_1) {
            return Err(broken(
                v,
                "was written by an older zerops-cache, before objects had digests \
                 (tree format 1); its bytes cannot be checked",
            ));
        }
        let body = checked_body(&text)
            .ok_or_else(|| broken(v, "is truncated or damaged (its checksum does not match)"))?;
        Tree::parse(body)
            .map(Some)
            .ok_or_else(|| broken(v, "is damaged (an entry does not parse)"))
    }

    fn parse(text: &str) -> Option<Tree> {
        let mut lines = text.lines();
        let mut head = lines.next()?.strip_prefix(MAGIC)?.split_ascii_whitespace();
        let mut tree = Tree::new(head.next()?.parse().ok()?);
        tree.written_at = head.next()?.parse().ok()?;
        tree.written_ns = match head.next() {
            Some(ns) => Some(ns.parse().ok().filter(|n| (0..1_000_000_000).contains(n))?),
            None => None,
        };
        // Written sorted: collected, then the map is built in bulk (one
        // insert at a time costs a search each).
        let mut nodes: Vec<(Vec<u8>, Node)> = Vec::with_capacity(text.len() / 80);
        for l in lines {
            let mut f = l.split(' ');
            let mut next = || f.next();
            let kind = next()?;
            let int = |s: Option<&str>| s?.parse::<i64>().ok();
            let (p, node) = match kind {
                "d" => {
                    let mode = u32::from_str_radix(next()?, 8).ok()?;
                    let mtime = (int(next())?, int(next())?);
                    (next()?, Node::Dir { mode, mtime })
                }
                "f" => {
                    let mode = u32::from_str_radix(next()?, 8).ok()?;
                    let mtime = (int(next())?, int(next())?);
                    let size = next()?.parse().ok()?;
                    let object = ObjectId::parse(next()?)?;
                    let digest = object_check::parse_hex(next()?)?;
                    let source = match next()? {
                        "-" => {
                            (next()? == "-" && next()? == "-").then_some(())?;
                            None
                        }
                        ino => Some(Origin {
                            ino: ino.parse().ok()?,
                            ctime: (int(next())?, int(next())?),
                        }),
                    };
                    let node = Node::File {
                        mode,
                        mtime,
                        size,
                        object,
                        digest,
                        source,
                    };
                    (next()?, node)
                }
                "l" => {
                    let mtime = (int(next())?, int(next())?);
                    let target = dec(next()?);
                    (next()?, Node::Symlink { target, mtime })
                }
                _ => return None,
            };
            if next().is_some() {
                return None;
            }
            let p = dec(p);
            if !sane_path(&p) {
                return None;
            }
            nodes.push((p, node));
        }
        // `collect` sorts (stably: a path written twice keeps its last
        // entry, as inserting one by one did), in one pass when sorted.
        tree.nodes = nodes.into_iter().collect();
        Some(tree)
    }

    /// Writes version `v`'s tree durably (fsynced, then renamed in);
    /// returns the SHA-256 of the file, in hex (its record names it).
    pub(crate) fn save(&self, versions: &Dir, v: u32) -> anyhow::Result<String> {
        let text = self.text();
        write_atomic(versions, &file_name(v), text.as_bytes())?;
        Ok(object_check::hex(&object_check::of_bytes(text.as_bytes())))
    }

    /// The tree as its file holds it, with its checksum line.
    fn text(&self) -> String {
        let mut out = self.body();
        let sum = object_check::hex(&object_check::of_bytes(out.as_bytes()));
        let _ = writeln!(out, "{END}{sum}");
        out
    }

    /// The entries' text.
    fn body(&self) -> String {
        let mut out = String::with_capacity(self.nodes.len() * 112);
        let _ = write!(out, "{MAGIC} {} {}", self.dev, self.written_at);
        if let Some(ns) = self.written_ns {
            let _ = write!(out, " {ns}");
        }
        out.push('\n');
        for (p, n) in &self.nodes {
            match n {
                Node::Dir { mode, mtime } => {
                    let _ = write!(out, "d {mode:o} ");
                    push_num(&mut out, mtime.0);
                    push_num(&mut out, mtime.1);
                }
                Node::File {
                    mode,
                    mtime,
                    size,
                    object,
                    digest,
                    source,
                } => {
                    let _ = write!(out, "f {mode:o} ");
                    push_num(&mut out, mtime.0);
                    push_num(&mut out, mtime.1);
                    push_num(&mut out, *size);
                    let _ = write!(out, "{object} {} ", object_check::hex(digest));
                    match source {
                        Some(Origin { ino, ctime }) => {
                            push_num(&mut out, *ino);
                            push_num(&mut out, ctime.0);
                            push_num(&mut out, ctime.1);
                        }
                        None => out.push_str("- - - "),
                    }
                }
                Node::Symlink { target, mtime } => {
                    out.push_str("l ");
                    push_num(&mut out, mtime.0);
                    push_num(&mut out, mtime.1);
                    enc_into(&mut out, target);
                    out.push(' ');
                }
            }
            enc_into(&mut out, p);
            out.push('\n');
        }
        out
    }

    /// The object of `path` (and its digest) when the source file `md` is
    /// still the very file it was made from, unchanged since.
    pub(crate) fn unchanged(&self, path: &[u8], md: &Metadata) -> Option<(ObjectId, Digest)> {
        if md.dev() != self.dev {
            return None;
        }
        match self.nodes.get(path)? {
            Node::File {
                mode,
                mtime,
                size,
                object,
                digest,
                source: Some(Origin { ino, ctime }),
            } if SourceId::of(md)
                == (SourceId {
                    ino: *ino,
                    ctime: *ctime,
                    size: *size,
                    mtime: *mtime,
                })
                && *mode == mode_of(md)
                && self.settled(*ctime) =>
            {
                Some((*object, *digest))
            }
            _ => None,
        }
    }

    /// Whether a file whose change time is `ctime` was changed long enough
    /// before the walk began that a later write would have moved it.
    fn settled(&self, ctime: Time) -> bool {
        match self.written_ns {
            Some(ns) if ctime.1 != 0 => {
                let at = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
                at(ctime.0, ctime.1) + racy_fine_ns() < at(self.written_at, ns)
            }
            _ => ctime.0 + RACY_SECS < self.written_at,
        }
    }

    /// The file node for `md`, its bytes in `object` (of that size and
    /// digest: a file that changed while it was copied has the object's).
    pub(crate) fn file_node(
        &self,
        md: &Metadata,
        object: ObjectId,
        is: object_check::Expect,
    ) -> Node {
        let id = SourceId::of(md);
        Node::File {
            mode: mode_of(md),
            mtime: id.mtime,
            size: is.size,
            object,
            digest: is.digest,
            source: (md.dev() == self.dev).then_some(Origin {
                ino: id.ino,
                ctime: id.ctime,
            }),
        }
    }

    /// Puts `node` at `path`: whatever was there goes (a file replacing a
    /// directory takes its entries with it, as a later deployFiles item
    /// replaces an earlier one).
    pub(crate) fn put(&mut self, path: Vec<u8>, node: Node) {
        let was_dir = match self.nodes.entry(path) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(node);
                return;
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let was = e.get().is_dir();
                let path = e.key().clone();
                e.insert(node);
                (was && !e.get().is_dir()).then_some(path)
            }
        };
        if let Some(path) = was_dir {
            let mut prefix = path.clone();
            prefix.push(b'/');
            let inside: Vec<Vec<u8>> = self
                .nodes
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in inside {
                self.nodes.remove(&k);
            }
        }
    }

    /// Every object the tree names, with its size.
    pub(crate) fn objects(&self) -> impl Iterator<Item = (ObjectId, u64)> + '_ {
        self.nodes.values().filter_map(|n| match n {
            Node::File { object, size, .. } => Some((*object, *size)),
            _ => None,
        })
    }

    /// Every file: its path, object and what the object must be.
    pub(crate) fn files(
        &self,
    ) -> impl Iterator<Item = (&[u8], ObjectId, object_check::Expect)> + '_ {
        self.nodes.iter().filter_map(|(p, n)| match n {
            Node::File {
                object,
                size,
                digest,
                ..
            } => Some((
                p.as_slice(),
                *object,
                object_check::Expect {
                    size: *size,
                    digest: *digest,
                },
            )),
            _ => None,
        })
    }
}

/// The text before the checksum line when that line matches it.
fn checked_body(text: &str) -> Option<&str> {
    let body_end = text.strip_suffix('\n')?.rfind('\n')? + 1;
    let (body, last) = text.split_at(body_end);
    let sum = last.strip_prefix(END)?.strip_suffix('\n')?;
    (object_check::parse_hex(sum)? == object_check::of_bytes(body.as_bytes())).then_some(body)
}

/// A damaged tree: class 6, naming the file and the version.
/// The error for version `v` whose record is there but its tree is not.
pub(crate) fn missing(v: u32) -> anyhow::Error {
    broken(v, "is missing")
}

fn broken(v: u32, what: &str) -> anyhow::Error {
    Exit::StoreBroken.error(format!(
        "version {v}: its tree {} {what}; `zerops-cache repair` sets the version aside",
        path(v)
    ))
}

/// A path a tree may hold: relative, no `.`/`..`/empty components.
fn sane_path(p: &[u8]) -> bool {
    p.is_empty()
        || (!p.starts_with(b"/")
            && p.split(|b| *b == b'/')
                .all(|c| !c.is_empty() && c != b"." && c != b".."))
}

/// An object: the file version `version` made as its `index`th (from 0),
/// at `versions/objects/<version>/<index>` (written `<version>/<index>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjectId {
    pub(crate) version: u32,
    pub(crate) index: u64,
}

impl ObjectId {
    pub(crate) fn parse(id: &str) -> Option<ObjectId> {
        let (a, b) = id.split_once('/')?;
        // Decimal digits only: no sign, no other name.
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        (digits(a) && digits(b)).then_some(())?;
        Some(ObjectId {
            version: a.parse().ok()?,
            index: b.parse().ok()?,
        })
    }

    /// Its path under `versions/objects`.
    pub(crate) fn rel(&self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.version, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real build's tree (0.4.0, before `ObjectId` and `Origin` had
    /// their names): read and written back, byte for byte, checksum line
    /// included.
    #[test]
    fn a_stored_tree_keeps_its_bytes() {
        let text = include_str!("../../../../tests/corpus/stored-forms/version.tree");
        let tree = Tree::parse(checked_body(text).unwrap()).unwrap();
        assert!(tree.nodes.values().any(|n| matches!(
            n,
            Node::File {
                source: Some(_),
                ..
            }
        )));
        assert_eq!(tree.text(), text);
    }

    #[test]
    fn round_trip_keeps_every_entry() {
        let mut t = Tree::new(7);
        t.written_at = 100;
        t.written_ns = Some(5);
        t.nodes.insert(
            Vec::new(),
            Node::Dir {
                mode: 0o755,
                mtime: (1, 2),
            },
        );
        t.nodes.insert(
            b"a b%\n\xff".to_vec(),
            Node::File {
                mode: 0o644,
                mtime: (3, 4),
                size: 5,
                object: ObjectId {
                    version: 1,
                    index: 0,
                },
                digest: object_check::of_bytes(b"x"),
                source: Some(Origin {
                    ino: 9,
                    ctime: (10, 11),
                }),
            },
        );
        t.nodes.insert(
            b"l".to_vec(),
            Node::Symlink {
                target: b"../x y".to_vec(),
                mtime: (-1, 0),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        d.create_dir("versions").unwrap();
        t.save(&d.open_dir("versions").unwrap(), 1).unwrap();
        let text = std::fs::read_to_string(dir.path().join("versions/1.tree")).unwrap();
        assert_eq!(text, t.text());
        let back = Tree::load(&d, 1).unwrap().unwrap();
        assert_eq!(back.nodes, t.nodes);
        assert_eq!(
            (back.dev, back.written_at, back.written_ns),
            (7, 100, Some(5))
        );
    }

    #[test]
    fn racy_entries_are_not_trusted() {
        let mut t = Tree::new(1);
        t.written_at = 100;
        // A tree written before headers had nanoseconds: whole seconds.
        assert!(t.settled((97, 500)));
        assert!(!t.settled((98, 0)));
        assert!(!t.settled((98, 999_999_999)));
        t.written_ns = Some(50_000_000);
        // Sub-second change times: one tick with room (100 ms).
        assert!(t.settled((99, 900_000_000)));
        assert!(!t.settled((99, 950_000_001)));
        assert!(!t.settled((100, 1)));
        // Whole seconds (nanoseconds 0): the filesystem may keep only
        // those, so two seconds.
        assert!(!t.settled((99, 0)));
        assert!(t.settled((97, 0)));
        // A header without nanoseconds still parses.
        let old = Tree::parse("zerops-cache-version-tree 2 3 100\n").unwrap();
        assert_eq!((old.dev, old.written_at, old.written_ns), (3, 100, None));
        assert!(Tree::parse("zerops-cache-version-tree 2 3 100 x\n").is_none());
        assert!(Tree::parse("zerops-cache-version-tree 2 3 100 1000000000\n").is_none());
    }

    #[test]
    fn damaged_trees_do_not_parse() {
        for bad in [
            "nope\n",
            "zerops-cache-version-tree 1 1 1\n",
            "zerops-cache-version-tree 2 1 1\nf 644 1 1 1 x/y - - - a\n",
            "zerops-cache-version-tree 2 1 1\nf 644 1 1 1 1/0 - - - a\n",
            "zerops-cache-version-tree 2 1 1\nd 755 1 1 ../a\n",
            "zerops-cache-version-tree 2 1 1\nd 755 1 1 /a\n",
            "zerops-cache-version-tree 2 1 1\nq\n",
        ] {
            assert!(Tree::parse(bad).is_none(), "{bad:?}");
        }
    }

    /// Cut anywhere, or with one byte changed, a saved tree does not load
    /// (an error of class 6 naming the file), never as a smaller version.
    #[test]
    fn truncated_or_changed_trees_are_refused() {
        let mut t = Tree::new(1);
        for i in 0..20u64 {
            t.put(
                format!("f{i}").into_bytes(),
                Node::File {
                    mode: 0o644,
                    mtime: (1, 0),
                    size: i,
                    object: ObjectId {
                        version: 1,
                        index: i,
                    },
                    digest: object_check::of_bytes(&i.to_le_bytes()),
                    source: None,
                },
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        d.create_dir("versions").unwrap();
        t.save(&d.open_dir("versions").unwrap(), 3).unwrap();
        let full = d.read("versions/3.tree").unwrap();
        assert_eq!(Tree::load(&d, 3).unwrap().unwrap().nodes, t.nodes);
        for cut in [0, 1, full.len() / 2, full.len() - 70, full.len() - 1] {
            d.write("versions/3.tree", &full[..cut]).unwrap();
            let e = Tree::load(&d, 3).unwrap_err();
            assert_eq!(Exit::of(&e), Exit::StoreBroken, "cut at {cut}");
            assert!(format!("{e}").contains("versions/3.tree"), "{e}");
        }
        let mut changed = full.clone();
        changed[60] ^= 1;
        d.write("versions/3.tree", &changed).unwrap();
        assert!(Tree::load(&d, 3).is_err());
        d.write("versions/3.tree", b"zerops-cache-version-tree 1 3 100\n")
            .unwrap();
        assert!(format!("{}", Tree::load(&d, 3).unwrap_err()).contains("format 1"));
    }

    #[test]
    fn a_file_replacing_a_directory_takes_its_entries() {
        let mut t = Tree::new(1);
        let d = Node::Dir {
            mode: 0o755,
            mtime: (0, 0),
        };
        t.put(b"a".to_vec(), d.clone());
        t.put(b"a/b".to_vec(), d.clone());
        t.put(b"a-c".to_vec(), d.clone());
        t.put(
            b"a".to_vec(),
            Node::Symlink {
                target: b"x".to_vec(),
                mtime: (0, 0),
            },
        );
        let keys: Vec<&[u8]> = t.nodes.keys().map(Vec::as_slice).collect();
        assert_eq!(keys, [b"a".as_slice(), b"a-c"]);
    }
}
