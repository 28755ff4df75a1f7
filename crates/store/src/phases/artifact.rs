//! The deploy artifact: `deployFiles` resolved by the component (`~`
//! strip-prefix), filtered directory by directory by `.deployignore`, and
//! recorded as a new numbered version before preserve moves anything away.
//!
//! A version is a tree ([`super::version_tree`]) over immutable objects
//! ([`super::objects`]): a file unchanged since the previous version names
//! that version's object, anything else is copied into a new object. Only
//! new objects are written (one `syncfs` for them all), then the tree and
//! `N.json`, each fsynced. The directory `versions/N/` is a view of the
//! tree, made after the commit ([`super::version_view`]). Versions over
//! the retention budget ([`Budget`]: 10 by default, as on Zerops) are
//! removed as the policy decides.

use anyhow::{Context, Result};
use cap_std::fs::{Dir, MetadataExt};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use super::list_ahead::{Ahead, Listing as ListedDir, Readers, ToRead};
use super::object_check::{self, Expect};
use super::objects::{self, NewObjects};
use super::version_record;
use super::version_tree::{Node, ObjectId, Tree, mode_of, mtime_of};
use super::version_view;
use crate::store::journal::to_trash;
use crate::store::layout::{ACTIVE, OBJECTS, VERSIONS};
use crate::store::record_io::{read_opt, read_text, write_atomic};
use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_base::filesystem;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::plan::{DeployItem, Entry, EntryKind};
use zerops_cache_component::component::walk::{Listing, Purpose, Step, Walked, Walker, drive};

/// The threads that read the walked entries' metadata.
const READERS: usize = 2;

/// Where stores written before trees kept their version indexes.
const OLD_INDEX: &str = "versions/.index";

/// The largest `.deployignore` the build reads (the policy's lint limit).
pub const DEPLOYIGNORE_MAX: u64 = 1 << 20;

pub(crate) use super::version_record::VersionMeta;

/// The versions in the store, oldest first: every number with a tree,
/// metadata or a directory (a version written before trees has only the
/// last two).
pub fn list_versions(store: &Dir) -> Result<Vec<u32>> {
    let mut v: BTreeSet<u32> = BTreeSet::new();
    for l in filesystem::list(store, Path::new(VERSIONS)).unwrap_or_default() {
        let name = l.entry.name.as_str();
        let number: Option<u32> = match l.entry.kind {
            EntryKind::Dir => name.parse().ok(),
            EntryKind::File => name
                .strip_suffix(".json")
                .or_else(|| name.strip_suffix(".tree"))
                .and_then(|n| n.parse().ok()),
            _ => None,
        };
        v.extend(number);
    }
    Ok(v.into_iter().collect())
}

/// Version `v`'s record when it is there and intact.
pub fn meta(store: &Dir, v: u32) -> Option<VersionMeta> {
    version_record::read(store, v).ok().flatten()
}

/// Version `v`'s record: an error of class 2 when there is no version `v`,
/// of class 6 (naming the file) when its record is damaged.
pub fn meta_checked(store: &Dir, v: u32) -> Result<VersionMeta> {
    match version_record::read(store, v)? {
        Some(m) => Ok(m),
        None => Err(zerops_cache_base::exit::Exit::Usage.error(format!(
            "there is no version {v} (see `zerops-cache versions`)"
        ))),
    }
}

pub fn active(store: &Dir) -> Option<u32> {
    read_opt(store, ACTIVE)
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
}

/// Marks version `v` active. Whatever is at `versions/active` that is not
/// a regular file (a directory, a FIFO, a link) holds no mark and goes to
/// the trash first.
pub fn set_active(store: &Dir, v: u32) -> Result<()> {
    if store.symlink_metadata(ACTIVE).is_ok_and(|m| !m.is_file()) {
        to_trash(store, ACTIVE).context("moving what is at versions/active to the trash")?;
    }
    write_atomic(store, ACTIVE, format!("{v}\n").as_bytes())
}

/// The number the next version gets.
pub fn next_version(store: &Dir) -> Result<u32> {
    Ok(list_versions(store)?.last().copied().unwrap_or(0) + 1)
}

/// The newest complete version before `v` (metadata and tree), with its
/// tree: what the new version shares objects with.
pub(crate) fn previous(store: &Dir, v: u32) -> Option<(u32, Tree)> {
    let p = list_versions(store)
        .ok()?
        .into_iter()
        .rfind(|p| *p < v && meta(store, *p).is_some())?;
    Tree::load(store, p).ok().flatten().map(|t| (p, t))
}

struct Copier<'a> {
    /// The previous version's number and tree: a file the same as its file
    /// at the same path (the very source inode, unchanged; or the same
    /// size, mode, modification time and bytes) names the same object.
    previous: Option<(u32, Tree)>,
    /// The thread reading it while the first walk runs.
    loading: Option<std::thread::ScopedJoinHandle<'a, Option<(u32, Tree)>>>,
    new_objects: &'a NewObjects,
    tree: Tree,
    files: u64,
    bytes: u64,
    linked: u64,
    left_out: &'a BTreeSet<PathBuf>,
    source: &'a Dir,
    /// The store's objects directory.
    objects: Option<Dir>,
    /// Source directories given owner read and search permission to be
    /// read (a `chmod 000` directory), with their modes to put back.
    granted: Vec<(String, cap_std::fs::Permissions)>,
}

/// Maps a path under the walk's source root `from` to the artifact path
/// under `to`.
fn retarget(path: &str, from: &str, to: &str) -> String {
    let rest = if from.is_empty() {
        path
    } else {
        path.strip_prefix(from)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(path)
    };
    match (to.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => to.to_string(),
        (false, false) => format!("{to}/{rest}"),
    }
}

fn open_or_self(dir: &Dir, rel: &str) -> std::io::Result<Dir> {
    if rel.is_empty() {
        dir.try_clone()
    } else {
        dir.open_dir(rel)
    }
}

/// A source directory opened when first needed: an unchanged file is
/// recorded from the metadata the readers took, without opening anything.
/// It is opened from its parent's handle when that is kept ([`DirCache`]).
struct Lazy<'a> {
    cache: Option<&'a DirCache<'a>>,
    rel: &'a str,
    dir: std::cell::OnceCell<Arc<Dir>>,
}

impl<'a> Lazy<'a> {
    fn new(cache: &'a DirCache<'a>, rel: &'a str) -> Lazy<'a> {
        Lazy {
            cache: Some(cache),
            rel,
            dir: std::cell::OnceCell::new(),
        }
    }

    fn opened(dir: Dir) -> Lazy<'a> {
        Lazy {
            cache: None,
            rel: "",
            dir: std::cell::OnceCell::from(Arc::new(dir)),
        }
    }

    fn get(&self) -> std::io::Result<&Dir> {
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

fn join_bytes(dir: &[u8], name: &[u8]) -> Vec<u8> {
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
struct Part {
    nodes: Vec<(Vec<u8>, Node)>,
    files: u64,
    bytes: u64,
    linked: u64,
}

/// The facts the threads share.
struct Shared<'a> {
    prev: Option<&'a Tree>,
    /// The store's objects (what the previous version names).
    objects: Option<&'a Dir>,
    new_objects: &'a NewObjects,
    tree: &'a Tree,
}

impl Shared<'_> {
    /// Records the entry `name` of `src` (described by `md`) at the
    /// artifact path `at`: a regular file names the previous version's
    /// object when it is the same file, else a new object; a symlink its
    /// target; a directory (a name that is not UTF-8, never decided on its
    /// own) everything in it. Sockets, FIFOs and devices are left out.
    fn record(
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

/// Each walked directory's listing, by its path.
type Listings = HashMap<String, ListedDir>;

/// What one walk found, shared by the threads that record it.
struct WalkFacts<'w> {
    cache: &'w DirCache<'w>,
    /// Each directory's listing.
    raw: &'w Listings,
    /// The metadata the readers read.
    stats: &'w HashMap<String, Stats>,
    /// The paths the walk kept.
    taken: HashSet<&'w str>,
}

/// What the walk's reader thread read of one directory: its own metadata
/// and, in listing order, that of each entry that is not a directory
/// (`None`: a directory, or not readable here; the recording reads it again
/// and reports the error where it belongs).
#[derive(Default)]
struct Stats {
    dir: Option<cap_std::fs::Metadata>,
    entries: Vec<Option<cap_std::fs::Metadata>>,
}

/// Reads the metadata of the directories the walk sends, until it ends.
fn read_stats(
    source: &DirCache,
    rx: &std::sync::Mutex<Receiver<ToRead>>,
) -> HashMap<String, Stats> {
    let mut out = HashMap::new();
    loop {
        let next = rx.lock().map(|r| r.recv());
        let Ok(Ok(ToRead {
            dir,
            listing,
            handle,
            metadata,
        })) = next
        else {
            break;
        };
        let d = match &handle {
            Some(h) => Arc::clone(&h.dir),
            None => match source.open(&dir) {
                Ok(d) => d,
                Err(_) => continue,
            },
        };
        let st = Stats {
            dir: metadata,
            entries: listing
                .iter()
                .map(|l| {
                    (l.entry.kind != EntryKind::Dir)
                        .then(|| d.symlink_metadata(&l.name).ok())
                        .flatten()
                })
                .collect(),
        };
        out.insert(dir, st);
    }
    out
}

impl Copier<'_> {
    /// Waits for the previous version's tree, read while the walk ran.
    fn wait_for_previous(&mut self) {
        if let Some(h) = self.loading.take() {
            self.previous = h.join().unwrap_or(None);
        }
    }

    /// Whether `path` or a directory above it is the user's (in place).
    fn left_out(&self, path: &str) -> bool {
        !self.left_out.is_empty()
            && Path::new(path)
                .ancestors()
                .any(|a| self.left_out.contains(a))
    }

    /// Gives the source directory `rel` owner read and search permission
    /// until the artifact is done (its mode goes back in [`Copier::ungrant`]).
    fn grant(&mut self, rel: &str) -> Result<()> {
        if rel.is_empty() {
            return Ok(());
        }
        let md = self.source.symlink_metadata(rel)?;
        self.grant_with(rel, md)
    }

    /// [`Copier::grant`] with the directory's metadata already read.
    fn grant_with(&mut self, rel: &str, md: cap_std::fs::Metadata) -> Result<()> {
        use cap_std::fs::PermissionsExt;
        if rel.is_empty() {
            return Ok(());
        }
        let mode = md.permissions().mode();
        if md.is_dir() && mode & 0o500 != 0o500 {
            self.source
                .set_permissions(rel, cap_std::fs::Permissions::from_mode(mode | 0o500))?;
            self.granted.push((rel.to_string(), md.permissions()));
        }
        Ok(())
    }

    fn ungrant(&mut self) -> Result<()> {
        for (rel, p) in self.granted.drain(..).rev() {
            self.source.set_permissions(&rel, p)?;
        }
        Ok(())
    }

    fn shared(&self) -> Shared<'_> {
        Shared {
            objects: self.objects.as_ref(),
            prev: self.previous.as_ref().map(|(_, t)| t),
            new_objects: self.new_objects,
            tree: &self.tree,
        }
    }

    fn absorb(&mut self, part: Part) {
        self.files += part.files;
        self.bytes += part.bytes;
        self.linked += part.linked;
        for (p, n) in part.nodes {
            self.tree.put(p, n);
        }
    }

    /// Adds the directories above `path` that the tree lacks (made for a
    /// deployFiles target, as `mkdir -p` would).
    fn parents(&mut self, path: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64))
            .unwrap_or((0, 0));
        for a in Path::new(path).ancestors().skip(1) {
            let key = a.as_os_str().as_bytes().to_vec();
            if !self.tree.nodes.get(&key).is_some_and(Node::is_dir) {
                self.tree.put(
                    key,
                    Node::Dir {
                        mode: 0o755,
                        mtime: now,
                    },
                );
            }
        }
    }

    /// Records the kept entries of the project directory `dir` at the
    /// artifact directory `to`, with the metadata the walk already read.
    fn record_dir(&self, facts: &WalkFacts, part: &mut Part, dir: &str, to: &str) -> Result<()> {
        let listed = facts.raw.get(dir).map(|l| l.as_slice()).unwrap_or_default();
        let read = facts.stats.get(dir);
        let sd = Lazy::new(facts.cache, dir);
        let sh = self.shared();
        let mut path = String::with_capacity(dir.len() + 64);
        for (i, l) in listed.iter().enumerate() {
            path.clear();
            path.push_str(dir);
            if !dir.is_empty() {
                path.push('/');
            }
            path.push_str(&l.entry.name);
            // Taken, or a name that is not UTF-8 (recorded whole, never
            // decided on its own); the user's own paths stay out.
            let take = facts.taken.contains(path.as_str()) || !l.entry.utf8;
            if !take || self.left_out(&path) {
                continue;
            }
            // Directories are recorded on their own (the walk lists them).
            if l.entry.utf8 && l.entry.kind == EntryKind::Dir {
                continue;
            }
            let name = Path::new(&l.name);
            let md = match read.and_then(|r| r.entries.get(i)).and_then(Option::as_ref) {
                Some(md) => md.clone(),
                None => sd.get()?.symlink_metadata(name)?,
            };
            let at = join_bytes(to.as_bytes(), l.name.as_bytes());
            sh.record(part, &sd, name, at, &md)
                .with_context(|| format!("copying {path}"))?;
        }
        Ok(())
    }

    /// Records the project directory `src` as the artifact directory `dst`:
    /// the policy's walk driver lists it level by level and the command's
    /// deploy walker decides each level in one call; then the kept entries
    /// of the directories are recorded by a few threads (the work is
    /// `statx` and, for what changed, copying).
    fn copy_dir(&mut self, walker: &Walker, src: &str, dst: &str) -> Result<()> {
        // Every directory is opened from its parent's handle.
        let cache = DirCache::new(self.source);
        let (walked, raw, stats) = self.walk_reading_ahead(walker, src, &cache)?;
        self.wait_for_previous();
        let facts = WalkFacts {
            cache: &cache,
            raw: &raw,
            stats: &stats,
            taken: walked.taken.iter().map(|f| f.path.as_str()).collect(),
        };
        if !dst.is_empty() {
            self.parents(dst);
        }
        let work = self.put_dirs(&walked.listed, src, dst, &facts)?;
        let parts = self.record_in_threads(&work, &facts)?;
        self.take_parts(parts);
        Ok(())
    }

    /// Walks `src` with `walker`. While the walk waits for the component, a
    /// thread lists the next level ahead, and reader threads read the
    /// metadata of what each directory holds (the `statx` calls are most of
    /// the work, and need no decision: nearly everything is kept). Returns
    /// the walk, each directory's listing and what the readers read.
    fn walk_reading_ahead(
        &mut self,
        walker: &Walker,
        src: &str,
        cache: &DirCache,
    ) -> Result<(Walked<Step>, Listings, HashMap<String, Stats>)> {
        let mut raw: Listings = HashMap::new();
        let (tx, rx) = std::sync::mpsc::channel::<ToRead>();
        let rx = std::sync::Mutex::new(rx);
        let to_read = Readers::new(tx);
        let ahead = Ahead::new(cache);
        let (walked, stats) = std::thread::scope(|scope| {
            let readers: Vec<_> = (0..READERS)
                .map(|_| scope.spawn(|| read_stats(cache, &rx)))
                .collect();
            let lister_readers = to_read.clone();
            let ahead = &ahead;
            let lister = scope.spawn(move || ahead.run(&lister_readers));
            let walked = walker.walk(src, |dir| {
                let listed = self.list_for_walk(dir, ahead, cache, &to_read)?;
                ahead.ask(
                    listed
                        .iter()
                        .filter(|l| l.entry.kind == EntryKind::Dir && l.entry.utf8)
                        .map(|l| drive::join(dir, &l.entry.name)),
                );
                let entries = listed.iter().map(|l| l.entry.clone()).collect();
                raw.insert(dir.to_string(), listed);
                Ok(Some(Listing {
                    dir: dir.to_string(),
                    entries,
                    against: Vec::new(),
                }))
            });
            ahead.close();
            let _ = lister.join();
            drop(to_read);
            let mut stats = HashMap::new();
            for r in readers {
                stats.extend(r.join().unwrap_or_default());
            }
            (walked, stats)
        });
        Ok((walked?, raw, stats))
    }

    /// The listing of `dir` the walk asks for: the one listed ahead, granted
    /// from the metadata read then (a directory that can be listed but not
    /// searched); or, granted first (a `chmod 000` directory), listed now
    /// and sent to the readers.
    fn list_for_walk(
        &mut self,
        dir: &str,
        ahead: &Ahead,
        cache: &DirCache,
        to_read: &Readers,
    ) -> Result<ListedDir> {
        if let Some((l, md)) = ahead.take(dir) {
            match md {
                Some(md) => self.grant_with(dir, md)?,
                None => self.grant(dir)?,
            }
            return Ok(l);
        }
        self.grant(dir)?;
        let (handle, l) =
            filesystem::list_cached(cache, dir).with_context(|| format!("listing {dir:?}"))?;
        let l = Arc::new(l);
        let md = handle.dir_metadata().ok();
        to_read.send(dir, &l, handle, md);
        Ok(l)
    }

    /// Puts a node for each walked directory of `src` (but the user's)
    /// under `dst`, with its mode before any grant; returns the directories
    /// whose entries are to be recorded, with their artifact paths.
    fn put_dirs<'w>(
        &mut self,
        listed: &'w [String],
        src: &str,
        dst: &str,
        facts: &WalkFacts,
    ) -> Result<Vec<(&'w str, String)>> {
        let mut work = Vec::new();
        for dir in listed {
            if self.left_out(dir) {
                continue;
            }
            let to = retarget(dir, src, dst);
            let md = match facts.stats.get(dir.as_str()).and_then(|s| s.dir.clone()) {
                Some(md) => md,
                None => facts.cache.open(dir)?.dir_metadata()?,
            };
            let mode = self
                .granted
                .iter()
                .find(|(r, _)| r == dir)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| md.permissions());
            self.tree.put(
                to.as_bytes().to_vec(),
                Node::Dir {
                    mode: cap_std::fs::PermissionsExt::mode(&mode) & 0o7777,
                    mtime: mtime_of(&md),
                },
            );
            work.push((dir.as_str(), to));
        }
        Ok(work)
    }

    /// Records the entries of the directories in `work` on a few threads,
    /// each taking every n-th directory.
    fn record_in_threads(&self, work: &[(&str, String)], facts: &WalkFacts) -> Result<Vec<Part>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
            .min(work.len().max(1));
        let parts: Vec<Result<Part>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (0..threads)
                .map(|k| {
                    scope.spawn(move || -> Result<Part> {
                        let mut part = Part::default();
                        for (dir, to) in work.iter().skip(k).step_by(threads) {
                            self.record_dir(facts, &mut part, dir, to)?;
                        }
                        Ok(part)
                    })
                })
                .collect();
            spawned
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a copying thread panicked")))
                })
                .collect()
        });
        parts.into_iter().collect()
    }

    /// Adds what the threads recorded to the tree.
    fn take_parts(&mut self, parts: Vec<Part>) {
        if self.tree.nodes.values().any(|n| !n.is_dir()) {
            // An earlier deployFiles item placed files: one at a time, so
            // that a later one replaces what it must.
            for p in parts {
                self.absorb(p);
            }
            return;
        }
        // Only directories so far, and one walk records each path once
        // and no directory: nothing collides, so the tree is built in
        // bulk (sorted once) rather than entry by entry.
        let mut all: Vec<(Vec<u8>, Node)> =
            std::mem::take(&mut self.tree.nodes).into_iter().collect();
        for mut p in parts {
            self.files += p.files;
            self.bytes += p.bytes;
            self.linked += p.linked;
            all.append(&mut p.nodes);
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.tree.nodes = all.into_iter().collect();
    }
}

/// What [`create`] made.
pub struct Created {
    pub meta: VersionMeta,
    /// The version's tree (its view is made from it after the commit).
    pub tree: Tree,
    /// The version before it, whose view the new one is made from.
    pub previous: Option<(u32, Tree)>,
}

/// What the build gives [`create`] of the version to record.
pub struct NewVersion<'a> {
    /// The version's number.
    pub number: u32,
    /// The setup's `deployFiles`.
    pub deploy_files: &'a [String],
    /// The setup's name.
    pub setup: &'a str,
    /// When the version is made (RFC 3339).
    pub created_at: &'a str,
    /// The user's own paths (in place), never recorded.
    pub left_out: &'a BTreeSet<PathBuf>,
}

/// What the copy of the deployFiles items recorded.
struct Copied {
    tree: Tree,
    files: u64,
    bytes: u64,
    linked: u64,
    previous: Option<(u32, Tree)>,
}

/// Records the artifact of `new.deploy_files` from `source` as version
/// `new.number`. Returns its metadata and tree.
pub fn create(host: &PolicyHost, store: &Dir, source: &Dir, new: &NewVersion) -> Result<Created> {
    let version = new.number;
    let items = match host.deploy_items(new.deploy_files)? {
        Ok(i) => i,
        Err(d) => return Err(zerops_cache_base::diagnostic::DiagnosticError::new(d).into()),
    };
    let ignore =
        read_text(source, Path::new(".deployignore"), DEPLOYIGNORE_MAX, true).map_err(|p| {
            zerops_cache_base::exit::Exit::Config
                .error(format!(".deployignore {p}; `zerops-cache lint` checks it"))
        })?;
    // One walker for the whole artifact: `.deployignore` parsed once.
    let walker = host.walker(&Purpose::Deploy(ignore))?;
    store.create_dir_all(VERSIONS)?;
    let versions = store.open_dir(VERSIONS)?;
    clear_unfinished(store, &versions, version)?;
    let new_objects = NewObjects::start(store, version)?;
    let copied = copy_all(store, source, new, &new_objects, &walker, &items)?;
    let tree_sha256 = make_durable(store, &versions, version, new_objects, &copied)?;
    let meta = VersionMeta {
        version,
        created_at: new.created_at.to_string(),
        setup: new.setup.to_string(),
        files: copied.files,
        bytes: copied.bytes,
        linked: copied.linked,
        tree_sha256: Some(tree_sha256),
        sha256: None,
    };
    version_record::write(&versions, &meta)?;
    Ok(Created {
        meta,
        tree: copied.tree,
        previous: copied.previous,
    })
}

/// Removes what an unfinished build of number `version` left (it is not
/// this one's), and the version indexes of stores written before trees
/// (the trees hold what they held).
fn clear_unfinished(store: &Dir, versions: &Dir, version: u32) -> Result<()> {
    for name in [
        format!("{version}.json"),
        super::version_tree::file_name(version),
    ] {
        let _ = versions.remove_file(name);
    }
    objects::discard(store, version)?;
    if filesystem::exists(store, Path::new(OLD_INDEX)) {
        to_trash(store, OLD_INDEX)?;
    }
    if version_view::exists(store, version) {
        to_trash(store, &version_view::rel(version))?;
    }
    Ok(())
}

/// A new version's tree: the root directory, stamped now.
fn new_tree(source: &Dir) -> Result<Tree> {
    let mut tree = Tree::new(source.dir_metadata()?.dev());
    let began = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    tree.written_at = began.as_secs() as i64;
    tree.written_ns = Some(i64::from(began.subsec_nanos()));
    tree.nodes.insert(
        Vec::new(),
        Node::Dir {
            mode: 0o755,
            mtime: (tree.written_at, 0),
        },
    );
    Ok(tree)
}

/// Copies every deployFiles item into the new version's tree and objects;
/// the previous version's tree is read by another thread while the first
/// walk lists the project. The modes of granted directories go back
/// whatever happened.
fn copy_all(
    store: &Dir,
    source: &Dir,
    new: &NewVersion,
    new_objects: &NewObjects,
    walker: &Walker,
    items: &[DeployItem],
) -> Result<Copied> {
    let tree = new_tree(source)?;
    std::thread::scope(|scope| -> Result<_> {
        let mut c = Copier {
            previous: None,
            loading: Some(scope.spawn(|| previous(store, new.number))),
            new_objects,
            tree,
            files: 0,
            bytes: 0,
            linked: 0,
            left_out: new.left_out,
            source,
            objects: objects::open(store),
            granted: Vec::new(),
        };
        let copied = copy_items(&mut c, walker, items);
        let ungranted = c.ungrant();
        c.wait_for_previous();
        copied?;
        ungranted.context("restoring the modes of directories copied into the artifact")?;
        Ok(Copied {
            tree: c.tree,
            files: c.files,
            bytes: c.bytes,
            linked: c.linked,
            previous: c.previous,
        })
    })
}

/// One durability barrier for every new object, then the tree (which
/// names them) and what it no longer names of the previous version, each
/// fsynced. Returns the tree's SHA-256.
fn make_durable(
    store: &Dir,
    versions: &Dir,
    version: u32,
    new_objects: NewObjects,
    copied: &Copied,
) -> Result<String> {
    let tree = &copied.tree;
    if new_objects.count() > 0 {
        // An object made for a path a later deployFiles item replaced is
        // named by no tree: it goes now (nothing else would collect it).
        new_objects.drop_unnamed(tree.objects().map(|(o, _)| o));
        filesystem::sync_fs(store).context("syncing the new version")?;
    }
    new_objects.finish(store);
    let tree_sha256 = tree.save(versions, version)?;
    if let Some((p, prev)) = &copied.previous {
        objects::release(versions, version, prev, *p, tree)?;
    }
    Ok(tree_sha256)
}

fn copy_items(c: &mut Copier, walker: &Walker, items: &[DeployItem]) -> Result<()> {
    for item in items {
        let md = if item.source.is_empty() {
            c.source.dir_metadata()?
        } else {
            let Ok(md) = c.source.symlink_metadata(&item.source) else {
                return Err(zerops_cache_base::exit::Exit::BuildFailed.error(format!(
                    "deployFiles: `{}` does not exist after the build (looked for {})",
                    item.written, item.source
                )));
            };
            let (parent, name) = item
                .source
                .rsplit_once('/')
                .unwrap_or(("", item.source.as_str()));
            let kind = if md.file_type().is_symlink() {
                EntryKind::Symlink
            } else if md.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            let steps = walker.decide(&[Listing {
                dir: parent.to_string(),
                entries: vec![Entry::new(name, kind)],
                against: Vec::new(),
            }])?;
            if matches!(steps[0][0], Step::Skip(_)) || c.left_out(&item.source) {
                continue;
            }
            md
        };
        let r = if md.is_dir() {
            c.copy_dir(walker, &item.source, &item.target)
        } else if item.target.is_empty() {
            // What the build left is not what deployFiles names.
            return Err(zerops_cache_base::exit::Exit::BuildFailed.error(format!(
                "deployFiles: `{}` is {}, not a directory, so it cannot become the \
                 artifact root (a `~` strips directories only)",
                item.source,
                crate::store::record_io::kind_of(md.file_type())
            )));
        } else {
            let (sp, sn) = item
                .source
                .rsplit_once('/')
                .unwrap_or(("", item.source.as_str()));
            c.parents(&item.target);
            c.wait_for_previous();
            let sd = Lazy::opened(open_or_self(c.source, sp)?);
            let mut part = Part::default();
            let r = c.shared().record(
                &mut part,
                &sd,
                Path::new(sn),
                item.target.as_bytes().to_vec(),
                &md,
            );
            c.absorb(part);
            r
        };
        r.with_context(|| format!("copying deployFiles `{}`", item.written))?;
    }
    Ok(())
}

/// How many versions to keep, and how much disk they may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub keep: u32,
    pub max_bytes: Option<u64>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            keep: zerops_cache_contract::retention::KEEP_VERSIONS,
            max_bytes: None,
        }
    }
}

/// What the versions take: per version the bytes only it holds, and all of
/// them together (shared files once). A version's files are its objects
/// (or, written before trees, the files of its directory).
fn version_facts(
    store: &Dir,
) -> Result<(Vec<zerops_cache_contract::retention::VersionFacts>, u64)> {
    let act = active(store);
    let numbers = list_versions(store)?;
    let mut trees: Vec<(u32, Option<Tree>)> = Vec::new();
    let mut users: HashMap<ObjectId, (u32, u64)> = HashMap::new();
    for &v in &numbers {
        let tree = Tree::load(store, v).with_context(|| format!("reading version {v}"))?;
        if let Some(t) = &tree {
            let mine: HashMap<ObjectId, u64> = t.objects().collect();
            for (o, len) in mine {
                users.entry(o).or_insert((0, len)).0 += 1;
            }
        }
        trees.push((v, tree));
    }
    let mut total: u64 = users.values().map(|(_, len)| len).sum();
    let mut seen = BTreeSet::new();
    let mut facts = Vec::new();
    for (v, tree) in &trees {
        let own = match tree {
            Some(t) => {
                let mine: HashSet<ObjectId> = t.objects().map(|(o, _)| o).collect();
                mine.iter()
                    .filter_map(|o| users.get(o))
                    .filter(|(n, _)| *n == 1)
                    .map(|(_, len)| len)
                    .sum()
            }
            None => {
                let mut own = 0;
                filesystem::files_with_links(
                    store,
                    Path::new(&format!("{VERSIONS}/{v}")),
                    &mut |id, links, len| {
                        if links == 1 {
                            own += len;
                        }
                        if seen.insert(id) {
                            total += len;
                        }
                    },
                )
                .with_context(|| format!("measuring version {v}"))?;
                own
            }
        };
        facts.push(zerops_cache_contract::retention::VersionFacts {
            number: *v,
            bytes: own,
            active: Some(*v) == act,
        });
    }
    Ok((facts, total))
}

/// Removes version `v`: its metadata first (it is not complete any more),
/// its tree, and its directory to the trash by one rename each. Its objects
/// go in [`objects::collect`].
pub(crate) fn remove(store: &Dir, v: u32) -> Result<()> {
    for rel in crate::store::layout::version_parts(v) {
        to_trash(store, &rel).with_context(|| format!("removing the old version {v}"))?;
    }
    Ok(())
}

/// Removes the versions the policy says are over `budget` (never the active
/// or the newest one), then the objects no kept version names: all by
/// renames into the trash, deleted later by the detached cleaner. `known`
/// are trees the caller already holds (read from the store otherwise).
pub fn prune(
    host: &PolicyHost,
    store: &Dir,
    budget: &Budget,
    known: Vec<(u32, &Tree)>,
) -> Result<Vec<zerops_cache_contract::retention::VersionRemoval>> {
    // Sizes matter only for a size budget; counting needs no walk.
    let (facts, total) = if budget.max_bytes.is_some() {
        version_facts(store)?
    } else {
        let act = active(store);
        let facts = list_versions(store)?
            .into_iter()
            .map(|v| zerops_cache_contract::retention::VersionFacts {
                number: v,
                bytes: 0,
                active: Some(v) == act,
            })
            .collect();
        (facts, 0)
    };
    let removals = host.versions_to_remove(&facts, total, budget.keep, budget.max_bytes)?;
    for r in &removals {
        remove(store, r.number)?;
    }
    if !removals.is_empty() {
        let mut trees = objects::KeptTrees::new(known);
        objects::collect(store, &list_versions(store)?, &mut trees)?;
    }
    Ok(removals)
}

/// Makes sure version `v` has its directory: made from its tree when it
/// has none (its own tree only; a version written before trees has its
/// directory always).
pub fn ensure_view(store: &Dir, v: u32) -> Result<()> {
    if version_view::exists(store, v) {
        return Ok(());
    }
    let tree = Tree::load(store, v)?
        .with_context(|| format!("version {v} has neither a tree nor a directory"))?;
    version_view::make(store, v, &tree)
}

/// Version `v`'s record and tree, each checked (the record's checksum, the
/// tree's checksum and that it is the tree the record names).
pub fn checked_tree(store: &Dir, v: u32) -> Result<(VersionMeta, Option<Tree>)> {
    let meta = meta_checked(store, v)?;
    let tree = Tree::load(store, v)?;
    if tree.is_some() {
        version_record::tree_matches(store, &meta)?;
    }
    Ok((meta, tree))
}

/// Reads every object of version `v` through and checks its digest: what
/// `activate` does before it marks a version to deploy. The error (class
/// 6) names the first damaged object, the file it holds and the version.
pub fn verify(store: &Dir, v: u32, tree: &Tree) -> Result<()> {
    let objects = objects::open(store).ok_or_else(|| {
        zerops_cache_base::exit::Exit::StoreBroken.error(format!(
            "version {v}: the store has no directory {OBJECTS}; `zerops-cache repair` fixes the store"
        ))
    })?;
    for (path, o, want) in tree.files() {
        if let Err(d) = object_check::check_deep(&objects, o, want) {
            return Err(damaged(v, path, &d));
        }
    }
    Ok(())
}

/// The error for a damaged object of version `v` holding `path`.
pub(crate) fn damaged(v: u32, path: &[u8], d: &object_check::Damage) -> anyhow::Error {
    zerops_cache_base::exit::Exit::StoreBroken.error(format!(
        "version {v}: the object {} (the file {}) {}; `zerops-cache repair --deep` sets it \
         aside and says which versions are lost",
        d.path,
        String::from_utf8_lossy(path),
        d.what
    ))
}

/// Writes a copy of version `v` into the empty directory `out`: new files
/// throughout, each object's bytes checked against its digest while they
/// are copied, so nothing done to the copy reaches the store and no
/// damaged byte reaches the copy.
pub fn export(store: &Dir, v: u32, out: &Dir) -> Result<()> {
    match checked_tree(store, v)?.1 {
        Some(t) => version_view::export(store, v, &t, out),
        None if !version_view::exists(store, v) => Err(zerops_cache_base::exit::Exit::StoreBroken.error(
            format!("version {v} has neither a tree nor a directory; `zerops-cache repair` sets it aside"),
        )),
        None => {
            // Written before trees: its directory is the version.
            let rel = version_view::rel(v);
            for l in filesystem::list(store, Path::new(&rel))? {
                filesystem::copy_tree(
                    store,
                    &Path::new(&rel).join(&l.name),
                    out,
                    Path::new(&l.name),
                )?;
            }
            Ok(())
        }
    }
}
