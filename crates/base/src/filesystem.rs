//! The rename engine: every move of the cache goes through here, between
//! two cap-std `Dir` handles. Symlinks are moved as links and never
//! followed. When the two sides are on different filesystems (`EXDEV`), the
//! entry is copied (modes, times and links kept), fsynced, renamed into
//! place under its final name, and the original removed, with a warning.
//!
//! Test hook: `ZEROPS_CACHE_FAIL_AFTER_RENAMES=N` aborts the process (as a
//! `kill -9` would stop it) right after the Nth rename of this process, so
//! tests can interrupt a build at every step and check recovery.

use anyhow::{Context, Result};
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::{Dir, FileType, Permissions, PermissionsExt};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::dir_handles::{DirCache, DirStack};
use crate::overlay_meta;
use zerops_cache_contract::plan::{Entry, EntryKind};

/// The environment variable of the test hook.
pub(crate) const FAIL_AFTER_RENAMES: &str = "ZEROPS_CACHE_FAIL_AFTER_RENAMES";

/// Said once per command, at the first move that crosses filesystems.
pub(crate) const CROSS_FS_WARNING: &str = "warning: the build store and the project are on different \
filesystems, so caching does not pay off here: every restore and preserve must copy the cache \
(reflink or copy_file_range where offered) instead of renaming it in O(1). Put the store on the \
project's filesystem (--store DIR or ZEROPS_CACHE_DIR) to make them renames.";

static RENAMES: AtomicU64 = AtomicU64::new(0);
static EXDEV_WARNED: AtomicBool = AtomicBool::new(false);

fn fail_after() -> Option<u64> {
    static N: OnceLock<Option<u64>> = OnceLock::new();
    *N.get_or_init(|| {
        std::env::var(FAIL_AFTER_RENAMES)
            .ok()
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Counts one rename; aborts when the test hook says so.
pub fn count_rename() {
    let n = RENAMES.fetch_add(1, Ordering::SeqCst) + 1;
    if fail_after() == Some(n) {
        eprintln!("zerops-cache: {FAIL_AFTER_RENAMES}={n} reached, aborting (test hook)");
        std::process::abort();
    }
}

/// How many renames this process has done (for the summary and tests).
pub fn renames() -> u64 {
    RENAMES.load(Ordering::SeqCst)
}

/// One entry of a listing, with its real name.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: OsString,
    pub entry: Entry,
}

fn kind(ft: FileType) -> EntryKind {
    if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    }
}

/// Lists `rel` under `dir` (`""` for `dir` itself), sorted by name bytes.
/// File types are those of the entries themselves (links not followed).
pub fn list(dir: &Dir, rel: &Path) -> io::Result<Vec<Listed>> {
    list_open(dir, rel).map(|(_, l)| l)
}

/// Opens the directory `rel` under `dir` (`""`: `dir` itself; a symlink is
/// not followed) and lists it as [`list`] does: one `openat2` and the
/// `getdents64` calls, and the handle is kept for reading the entries
/// (their metadata, their bytes) without opening the directory again.
pub fn list_open(dir: &Dir, rel: &Path) -> io::Result<(Dir, Vec<Listed>)> {
    use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
    use cap_std::fs::OpenOptionsExt;
    let mut opts = cap_std::fs::OpenOptions::new();
    opts.read(true)
        .custom_flags(libc::O_DIRECTORY)
        .follow(FollowSymlinks::No);
    let at = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let d = Dir::from_std_file(dir.open_with(at, &opts)?.into_std());
    let out = read_entries(&d)?;
    Ok((d, out))
}

/// Opens and lists the directory `rel` as [`list_open`] does, from its
/// parent's handle when `cache` keeps it; the handle is kept.
pub fn list_cached(cache: &DirCache, rel: &str) -> io::Result<(std::sync::Arc<Dir>, Vec<Listed>)> {
    let (d, l) = match cache.parent(rel) {
        None => list_open(cache.root(), Path::new(""))?,
        Some((base, path)) => list_open(base.dir(), &path)?,
    };
    let d = std::sync::Arc::new(d);
    cache.keep(rel, std::sync::Arc::clone(&d));
    Ok((d, l))
}

/// The entries of the open directory `d`, sorted by name bytes (read with
/// rustix's `RawDir`: cap-std's iterator opens the directory again and
/// allocates per entry).
fn read_entries(d: &Dir) -> io::Result<Vec<Listed>> {
    use rustix::fs::{FileType as Raw, RawDir};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let mut buf = Vec::with_capacity(32 * 1024);
    let mut raw = RawDir::new(d, buf.spare_capacity_mut());
    let mut out = Vec::new();
    while let Some(e) = raw.next() {
        let e = e.map_err(io::Error::from)?;
        let bytes = e.file_name().to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let name = OsString::from_vec(bytes.to_vec());
        let k = match e.file_type() {
            Raw::Directory => EntryKind::Dir,
            Raw::RegularFile => EntryKind::File,
            Raw::Symlink => EntryKind::Symlink,
            // The filesystem does not say (d_type): ask the entry itself.
            Raw::Unknown => kind(d.symlink_metadata(&name)?.file_type()),
            _ => EntryKind::Other,
        };
        let (lossy, utf8) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), true),
            Err(_) => (name.to_string_lossy().into_owned(), false),
        };
        out.push(Listed {
            name,
            entry: Entry {
                name: lossy,
                kind: k,
                utf8,
            },
        });
    }
    out.sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(out)
}

/// Whether anything (a dangling symlink included) exists at `rel`.
pub fn exists(dir: &Dir, rel: &Path) -> bool {
    dir.symlink_metadata(rel).is_ok()
}

/// Whether a move fell back to copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    Renamed,
    Copied,
}

fn marked(to: &Path, mark: &str) -> PathBuf {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    to.with_file_name(format!(".{name}.zerops-cache-{mark}"))
}

/// Where a cross-filesystem copy is written.
fn partial_name(to: &Path) -> PathBuf {
    marked(to, "partial")
}

/// The complete copy, renamed from the partial one once it is fsynced:
/// from then on the original may be removed.
fn copied_name(to: &Path) -> PathBuf {
    marked(to, "copied")
}

/// Settles an interrupted cross-filesystem move of `from` to `to`: a
/// partial copy is deleted (the original is intact); a complete copy means
/// the original was being removed, so the removal is finished and the copy
/// put in place. Afterwards the move is either not done or done.
pub fn settle(from_dir: &Dir, from: &Path, to_dir: &Dir, to: &Path) -> Result<()> {
    let partial = partial_name(to);
    if exists(to_dir, &partial) {
        remove_any(to_dir, &partial)?;
    }
    let copied = copied_name(to);
    if exists(to_dir, &copied) {
        if exists(from_dir, from) {
            remove_any(from_dir, from)?;
        }
        to_dir.rename(&copied, to_dir, to)?;
        count_rename();
    }
    Ok(())
}

/// Renames `from` (under `from_dir`) to `to` (under `to_dir`); `to` must
/// not exist. Across filesystems (`EXDEV`): copy to a partial name beside
/// `to`, fsync, rename it to a "copied" name (the commit point of the
/// copy), remove `from`, rename into place. [`settle`] finishes or undoes
/// each of these steps after a crash.
pub fn rename(from_dir: &Dir, from: &Path, to_dir: &Dir, to: &Path) -> Result<Moved> {
    match from_dir.rename(from, to_dir, to) {
        Ok(()) => {
            count_rename();
            Ok(Moved::Renamed)
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            // A read-only directory (Go's module cache, a 0555 package):
            // write permission where the rename needs it, then the modes
            // as they were.
            let granted = grant_for_rename(from_dir, from, to_dir, to)
                .with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
            let r = from_dir.rename(from, to_dir, to);
            let restored = granted.restore(from_dir, from, to_dir, to, r.is_ok());
            r.with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
            restored.with_context(|| format!("restoring the modes of {}", to.display()))?;
            count_rename();
            Ok(Moved::Renamed)
        }
        Err(e) if e.raw_os_error() == Some(18) => {
            if !EXDEV_WARNED.swap(true, Ordering::SeqCst) {
                eprintln!("{CROSS_FS_WARNING}");
            }
            let (partial, copied) = (partial_name(to), copied_name(to));
            settle(from_dir, from, to_dir, to)?;
            copy_tree(from_dir, from, to_dir, &partial)
                .with_context(|| format!("copying {} across filesystems", from.display()))?;
            // One barrier for the whole tree before the original goes.
            sync_fs(to_dir).with_context(|| format!("syncing the copy of {}", from.display()))?;
            to_dir
                .rename(&partial, to_dir, &copied)
                .with_context(|| format!("marking the copy of {} complete", from.display()))?;
            count_rename();
            remove_any(from_dir, from)
                .with_context(|| format!("removing {} after copying it", from.display()))?;
            to_dir
                .rename(&copied, to_dir, to)
                .with_context(|| format!("renaming into {}", to.display()))?;
            count_rename();
            Ok(Moved::Copied)
        }
        Err(e) => {
            Err(e).with_context(|| format!("renaming {} to {}", from.display(), to.display()))
        }
    }
}

/// Copies every `(from, to)` of `moves` from `from_dir` to `to_dir`, on
/// different filesystems, leaving the originals: each to a partial name
/// beside `to`, then renamed into place. No barrier: the originals stay,
/// so a crash loses nothing ([`settle`] removes a partial copy).
pub fn copy_all_across(from_dir: &Dir, to_dir: &Dir, moves: &[(PathBuf, PathBuf)]) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    if !EXDEV_WARNED.swap(true, Ordering::SeqCst) {
        eprintln!("{CROSS_FS_WARNING}");
    }
    for (from, to) in moves {
        settle(from_dir, from, to_dir, to)?;
        let partial = partial_name(to);
        copy_tree_parallel(from_dir, from, to_dir, &partial)
            .with_context(|| format!("copying {} across filesystems", from.display()))?;
        to_dir
            .rename(&partial, to_dir, to)
            .with_context(|| format!("renaming into {}", to.display()))?;
        count_rename();
        crate::interrupt::check()?;
    }
    Ok(())
}

/// Whether `from_dir` and `to_dir` are on different filesystems.
pub fn across(from_dir: &Dir, to_dir: &Dir) -> bool {
    use cap_std::fs::MetadataExt;
    match (from_dir.dir_metadata(), to_dir.dir_metadata()) {
        (Ok(a), Ok(b)) => a.dev() != b.dev(),
        _ => false,
    }
}

/// Modes changed so that a rename can happen, to put back afterwards.
#[derive(Default)]
struct Granted {
    from_parent: Option<(PathBuf, Permissions)>,
    to_parent: Option<(PathBuf, Permissions)>,
    /// The moved directory's own mode (a directory moved to another parent
    /// needs write permission on itself, for its `..`).
    itself: Option<Permissions>,
}

impl Granted {
    fn restore(
        self,
        from_dir: &Dir,
        from: &Path,
        to_dir: &Dir,
        to: &Path,
        moved: bool,
    ) -> io::Result<()> {
        if let Some(p) = self.itself {
            if moved {
                to_dir.set_permissions(to, p)?;
            } else {
                from_dir.set_permissions(from, p)?;
            }
        }
        if let Some((rel, p)) = self.to_parent {
            to_dir.set_permissions(rel, p)?;
        }
        if let Some((rel, p)) = self.from_parent {
            from_dir.set_permissions(rel, p)?;
        }
        Ok(())
    }
}

/// Adds `bits` to the mode of the directory `rel` (not the root of `dir`)
/// when it lacks them; returns the old permissions.
fn grant(dir: &Dir, rel: &Path, bits: u32) -> io::Result<Option<Permissions>> {
    if rel.as_os_str().is_empty() {
        return Ok(None);
    }
    let md = dir.symlink_metadata(rel)?;
    if !md.is_dir() {
        return Ok(None);
    }
    let old = md.permissions();
    let mode = old.mode();
    if mode & bits == bits {
        return Ok(None);
    }
    dir.set_permissions(rel, Permissions::from_mode(mode | bits))?;
    Ok(Some(old))
}

/// Runs `f` with owner read and search permission on the directory `rel`
/// (a `chmod 000` directory being copied), then puts its mode back.
pub(crate) fn readable<T, E: From<io::Error>>(
    dir: &Dir,
    rel: &Path,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let granted = grant(dir, rel, 0o500)?;
    let r = f();
    if let Some(p) = granted {
        dir.set_permissions(rel, p)?;
    }
    r
}

fn grant_for_rename(from_dir: &Dir, from: &Path, to_dir: &Dir, to: &Path) -> io::Result<Granted> {
    let parent = |p: &Path| p.parent().unwrap_or(Path::new("")).to_path_buf();
    let (fp, tp) = (parent(from), parent(to));
    let mut g = Granted::default();
    if let Some(p) = grant(from_dir, &fp, 0o300)? {
        g.from_parent = Some((fp, p));
    }
    if let Some(p) = grant(to_dir, &tp, 0o300)? {
        g.to_parent = Some((tp, p));
    }
    g.itself = grant(from_dir, from, 0o200)?;
    Ok(g)
}

/// Removes a tree whose files belong to ids this user cannot act as
/// directly (a rootless build's subordinate ids); `None` when there are no
/// such ids. The sandbox, a higher layer, provides it: the binary sets it
/// once at start ([`set_foreign_remover`]).
pub(crate) type ForeignRemover = fn(&Path) -> Option<io::Result<()>>;

static FOREIGN_REMOVER: OnceLock<ForeignRemover> = OnceLock::new();

/// Sets how [`remove_any`] removes trees of other ids (first call wins).
pub fn set_foreign_remover(remove: ForeignRemover) {
    let _ = FOREIGN_REMOVER.set(remove);
}

/// Removes a file, a link or a whole directory (links are not followed).
/// Read-only directories inside (Go's module cache, a `chmod 000`
/// directory) get owner permissions first: they are going away.
pub fn remove_any(dir: &Dir, rel: &Path) -> io::Result<()> {
    let md = dir.symlink_metadata(rel)?;
    if !md.is_dir() {
        return dir.remove_file(rel);
    }
    match dir.remove_dir_all(rel) {
        // Deeper than the open file limit (cap-std keeps each level open).
        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => remove_deep(dir, rel),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            let r = make_removable(dir, rel).and_then(|()| dir.remove_dir_all(rel));
            match r {
                // Files of the user's subordinate ids: removed in their
                // user namespace.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
                    match FOREIGN_REMOVER.get() {
                        Some(remove) => remove(&absolute(dir, rel)?).unwrap_or(Err(e)),
                        None => Err(e),
                    }
                }
                r => r,
            }
        }
        r => r,
    }
}

/// Gives the directory `name` of `parent` owner read, write and search
/// permission when it lacks them (it is being removed).
fn open_to_remove(parent: &Dir, name: &Path) -> io::Result<Dir> {
    use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
    use cap_std::fs::OpenOptionsExt;
    let md = parent.symlink_metadata(name)?;
    let mode = md.permissions().mode();
    if md.is_dir() && mode & 0o700 != 0o700 {
        rustix::fs::chmodat(
            parent,
            name,
            rustix::fs::Mode::from_raw_mode((mode | 0o700) as _),
            rustix::fs::AtFlags::empty(),
        )?;
    }
    // Opened for reading (to list it), not as a path.
    let mut opts = cap_std::fs::OpenOptions::new();
    opts.read(true)
        .custom_flags(libc::O_DIRECTORY)
        .follow(FollowSymlinks::No);
    Ok(Dir::from_std_file(
        parent.open_with(name, &opts)?.into_std(),
    ))
}

/// Removes the directory `rel` of `dir` and everything in it, one level
/// at a time with a bounded number of open directories ([`DirStack`]):
/// cap-std's `remove_dir_all` keeps every level open, so a tree deeper
/// than the open file limit (2,000 nested directories against a limit of
/// 1,024) could never leave the trash.
fn remove_deep(dir: &Dir, rel: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let top = open_to_remove(dir, rel)?;
    let mut stack = DirStack::new(&top);
    // The current directory (relative to `top`), and the subdirectories
    // still to remove of each level down to it.
    let mut at: Vec<u8> = Vec::new();
    let mut pending: Vec<Vec<OsString>> = Vec::new();
    let mut listed = false;
    loop {
        if !listed {
            let here = stack.go(&at, |p: &Dir, n: &Path, _: usize| open_to_remove(p, n))?;
            let mut subs = Vec::new();
            for e in read_entries(here)? {
                if e.entry.kind == EntryKind::Dir {
                    subs.push(e.name);
                } else {
                    here.remove_file(&e.name)?;
                }
            }
            pending.push(subs);
        }
        match pending.last_mut().and_then(Vec::pop) {
            Some(sub) => {
                if !at.is_empty() {
                    at.push(b'/');
                }
                at.extend_from_slice(sub.as_bytes());
                listed = false;
            }
            None => {
                pending.pop();
                if at.is_empty() {
                    break;
                }
                let cut = at.iter().rposition(|b| *b == b'/');
                let name = at[cut.map_or(0, |i| i + 1)..].to_vec();
                at.truncate(cut.unwrap_or(0));
                let parent = stack.go(&at, |p: &Dir, n: &Path, _: usize| open_to_remove(p, n))?;
                parent.remove_dir(std::ffi::OsStr::from_bytes(&name))?;
                listed = true;
            }
        }
    }
    drop(stack);
    drop(top);
    dir.remove_dir(rel)
}

/// Whether this user owns `rel`.
fn owned(dir: &Dir, rel: &Path) -> bool {
    use cap_std::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    dir.symlink_metadata(rel).is_ok_and(|m| m.uid() == me)
}

/// The path of `rel` under `dir` on the host.
pub fn absolute(dir: &Dir, rel: &Path) -> io::Result<std::path::PathBuf> {
    use std::os::fd::{AsFd, AsRawFd};
    let fd = dir.as_fd().as_raw_fd();
    Ok(std::fs::read_link(format!("/proc/self/fd/{fd}"))?.join(rel))
}

/// Gives the directory `rel` and every directory below it owner read,
/// write and search permission.
fn make_removable(dir: &Dir, rel: &Path) -> io::Result<()> {
    grant(dir, rel, 0o700)?;
    for e in list(dir, rel)? {
        if e.entry.kind == EntryKind::Dir {
            make_removable(dir, &rel.join(&e.name))?;
        }
    }
    Ok(())
}

/// Copies `from` to `to` (which must not exist): directories recursively,
/// files with their permissions and modification time, symlinks as links
/// with their target unchanged. Nothing is fsynced here: callers that need
/// the copy durable call [`sync_fs`] once for the whole tree. Overlay
/// metadata of a base layer survives: whiteouts (character devices 0:0) are
/// recreated and directories keep their `trusted.overlay.*` /
/// `user.overlay.*` xattrs (opaque marks). Sockets, FIFOs and other devices
/// are skipped.
pub fn copy_tree(from_dir: &Dir, from: &Path, to_dir: &Dir, to: &Path) -> io::Result<()> {
    let md = from_dir.symlink_metadata(from)?;
    let mtime = md.modified().ok().map(SystemTimeSpec::Absolute);
    let ft = md.file_type();
    if overlay_meta::is_whiteout(&md) {
        return overlay_meta::whiteout(to_dir, to);
    }
    if ft.is_symlink() {
        let target = from_dir.read_link_contents(from)?;
        to_dir.symlink_contents(&target, to)?;
        let _ = to_dir.set_symlink_times(to, None, mtime);
    } else if ft.is_dir() {
        to_dir.create_dir(to)?;
        readable(from_dir, from, || {
            list(from_dir, from)?.iter().try_for_each(|e| {
                copy_tree(from_dir, &from.join(&e.name), to_dir, &to.join(&e.name))
            })
        })?;
        overlay_meta::copy_xattrs(from_dir, from, to_dir, to)?;
        to_dir.set_permissions(to, md.permissions())?;
        to_dir.set_times(to, None, mtime)?;
    } else if ft.is_file() {
        copy_file(from_dir, from, to_dir, to, &md)?;
    }
    Ok(())
}

/// As [`copy_tree`], with the entries of a directory tree copied by a few
/// threads (copying is kernel and memory work that runs in parallel across
/// directories): the directories first, then their entries, then the
/// directories' overlay marks, modes and times, deepest first. A `chmod
/// 000` directory is made readable for the copy and put back afterwards.
pub(crate) fn copy_tree_parallel(
    from_dir: &Dir,
    from: &Path,
    to_dir: &Dir,
    to: &Path,
) -> io::Result<()> {
    let md = from_dir.symlink_metadata(from)?;
    if !md.is_dir() {
        return copy_tree(from_dir, from, to_dir, to);
    }
    let mut granted: Vec<(PathBuf, Permissions)> = Vec::new();
    let r = copy_dirs_then_entries(from_dir, from, to_dir, to, &mut granted);
    for (rel, p) in granted.into_iter().rev() {
        from_dir.set_permissions(&rel, p)?;
    }
    r
}

fn copy_dirs_then_entries(
    from_dir: &Dir,
    from: &Path,
    to_dir: &Dir,
    to: &Path,
    granted: &mut Vec<(PathBuf, Permissions)>,
) -> io::Result<()> {
    // Directories (relative to `from` and `to`), parents first, and the
    // other entries of each.
    let mut dirs: Vec<PathBuf> = vec![PathBuf::new()];
    let mut leaves: Vec<(PathBuf, Vec<OsString>)> = Vec::new();
    to_dir.create_dir(to)?;
    let mut i = 0;
    while i < dirs.len() {
        let rel = dirs[i].clone();
        let src = from.join(&rel);
        if let Some(p) = grant(from_dir, &src, 0o500)? {
            granted.push((src.clone(), p));
        }
        let mut names = Vec::new();
        for l in list(from_dir, &src)? {
            if l.entry.kind == EntryKind::Dir {
                let r = rel.join(&l.name);
                to_dir.create_dir(to.join(&r))?;
                dirs.push(r);
            } else {
                names.push(l.name);
            }
        }
        leaves.push((rel, names));
        i += 1;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some((rel, names)) = leaves.get(k) else {
                            return Ok(());
                        };
                        if names.is_empty() {
                            continue;
                        }
                        let (s, d) = (
                            from_dir.open_dir(from.join(rel))?,
                            to_dir.open_dir(to.join(rel))?,
                        );
                        for n in names {
                            copy_tree(&s, Path::new(n), &d, Path::new(n))?;
                        }
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(io::Error::other("a copying thread panicked")))
        })
    })?;
    for rel in dirs.iter().rev() {
        let (src, dst) = (from.join(rel), to.join(rel));
        let md = from_dir.symlink_metadata(&src)?;
        let perms = granted
            .iter()
            .find(|(g, _)| *g == src)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| md.permissions());
        overlay_meta::copy_xattrs(from_dir, &src, to_dir, &dst)?;
        to_dir.set_permissions(&dst, perms)?;
        to_dir.set_times(&dst, None, md.modified().ok().map(SystemTimeSpec::Absolute))?;
    }
    Ok(())
}

/// How [`copy_file`] copied the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// A reflink (`FICLONE`): the new file shares the old one's extents
    /// copy-on-write (btrfs, XFS, bcachefs), in O(1).
    Reflink,
    /// `copy_file_range(2)`: the kernel copies, without the bytes passing
    /// through user space (and reflinks where the filesystem can).
    Kernel,
    /// read/write.
    Read,
}

/// Copies the regular file `from` to a **new** file `to` (never written
/// in place: an existing `to` is an error, so a file hard-linked into an
/// earlier version can never be changed through it) with `md`'s mode and
/// modification time: a reflink where the filesystem offers it, else
/// `copy_file_range`, else read/write. Not fsynced (see [`sync_fs`]).
pub fn copy_file(
    from_dir: &Dir,
    from: &Path,
    to_dir: &Dir,
    to: &Path,
    md: &cap_std::fs::Metadata,
) -> io::Result<Copied> {
    let src = from_dir.open(from)?;
    let mut opts = cap_std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    let dst = to_dir.open_with(to, &opts)?;
    let how = copy_bytes(&src, &dst, md.len())?;
    let mode = md.permissions().mode() & 0o7777;
    rustix::fs::fchmod(&dst, rustix::fs::Mode::from_raw_mode(mode as _))?;
    if let Ok(t) = md.modified() {
        let t = t.into_std();
        let since = t
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64))
            .unwrap_or_else(|e| {
                let d = e.duration();
                let (s, n) = (d.as_secs() as i64, d.subsec_nanos() as i64);
                if n == 0 {
                    (-s, 0)
                } else {
                    (-s - 1, 1_000_000_000 - n)
                }
            });
        let times = rustix::fs::Timestamps {
            last_access: rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_OMIT,
            },
            last_modification: rustix::fs::Timespec {
                tv_sec: since.0,
                tv_nsec: since.1 as _,
            },
        };
        rustix::fs::futimens(&dst, &times)?;
    }
    Ok(how)
}

/// The filesystems (by device number) where `FICLONE` failed: a copy to
/// them does not ask again, while copies on a filesystem with reflinks
/// (btrfs, XFS) keep asking.
#[cfg(target_os = "linux")]
fn no_reflink() -> &'static std::sync::Mutex<std::collections::HashSet<u64>> {
    static DEVICES: OnceLock<std::sync::Mutex<std::collections::HashSet<u64>>> = OnceLock::new();
    DEVICES.get_or_init(Default::default)
}

/// The bytes of `src` (of `len` bytes) into the empty `dst`.
fn copy_bytes(src: &cap_std::fs::File, dst: &cap_std::fs::File, len: u64) -> io::Result<Copied> {
    #[cfg(target_os = "linux")]
    {
        use rustix::io::Errno;
        let dev = rustix::fs::fstat(dst)?.st_dev;
        let tried = |devices: &std::collections::HashSet<u64>| devices.contains(&dev);
        if len > 0 && !tried(&no_reflink().lock().unwrap_or_else(|e| e.into_inner())) {
            match rustix::fs::ioctl_ficlone(dst, src) {
                Ok(()) => return Ok(Copied::Reflink),
                // Not offered on this filesystem (ext4, tmpfs), or across
                // two: stop asking for copies to it.
                Err(Errno::OPNOTSUPP | Errno::XDEV | Errno::INVAL | Errno::NOTTY) => {
                    no_reflink()
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(dev);
                }
                Err(_) => {}
            }
        }
        let mut left = len;
        let mut kernel = true;
        while left > 0 && kernel {
            let chunk = left.min(1 << 30) as usize;
            match rustix::fs::copy_file_range(src, None, dst, None, chunk) {
                Ok(0) => break, // the file shrank while copying
                Ok(n) => left -= n as u64,
                Err(Errno::XDEV | Errno::NOSYS | Errno::INVAL | Errno::OPNOTSUPP)
                    if left == len =>
                {
                    kernel = false
                }
                Err(e) => return Err(e.into()),
            }
        }
        if kernel {
            return Ok(Copied::Kernel);
        }
    }
    let _ = len;
    io::copy(&mut &*src, &mut &*dst)?;
    Ok(Copied::Read)
}

/// One durability barrier for everything written to the filesystem that
/// holds `dir`: `syncfs(2)` on Linux (one call instead of an fsync per
/// file), `sync(2)` elsewhere.
pub fn sync_fs(dir: &Dir) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // The directory handle may be O_PATH, which syncfs refuses: open
        // the directory itself for reading.
        let f = dir.open(".")?;
        rustix::fs::syncfs(&f)?;
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        rustix::fs::sync();
    }
    Ok(())
}

/// Creates `rel` and its missing parents under `dir`, each new directory
/// with the permissions of the directory at the same path under `like`
/// (when there is one).
pub fn create_dirs_like(dir: &Dir, rel: &Path, like: &Dir, like_rel: &Path) -> io::Result<()> {
    if rel.as_os_str().is_empty() || exists(dir, rel) {
        return Ok(());
    }
    if let Some(parent) = rel.parent() {
        let like_parent = like_rel.parent().unwrap_or(Path::new(""));
        create_dirs_like(dir, parent, like, like_parent)?;
    }
    dir.create_dir(rel)?;
    if let Ok(md) = like.metadata(like_rel) {
        dir.set_permissions(rel, md.permissions())?;
    }
    Ok(())
}

/// Number of entries (files, links, directories below the top) and bytes
/// of files under `rel`; links are not followed.
pub fn usage(dir: &Dir, rel: &Path) -> io::Result<(u64, u64)> {
    let md = dir.symlink_metadata(rel)?;
    if !md.is_dir() {
        return Ok((1, md.len()));
    }
    let (mut n, mut bytes) = (0, 0);
    for e in list(dir, rel)? {
        let (a, b) = usage(dir, &rel.join(&e.name))?;
        n += a;
        bytes += b;
    }
    Ok((n + u64::from(!rel.as_os_str().is_empty()), bytes))
}

/// The bytes under every path of `rel` down to `depth` components (paths
/// relative to `rel`, `/`-separated; names that are not UTF-8 are skipped).
/// Symlinks count as their own size and are not followed.
pub fn sizes(dir: &Dir, rel: &Path, depth: u32) -> io::Result<Vec<(String, u64)>> {
    fn walk(
        dir: &Dir,
        rel: &Path,
        shown: &str,
        depth: u32,
        out: &mut Vec<(String, u64)>,
    ) -> io::Result<u64> {
        let mut total = 0;
        for e in list(dir, rel)? {
            let Some(name) = e.name.to_str() else {
                continue;
            };
            let path = rel.join(name);
            let shown = if shown.is_empty() {
                name.to_string()
            } else {
                format!("{shown}/{name}")
            };
            let md = dir.symlink_metadata(&path)?;
            let bytes = if md.is_dir() {
                if depth > 1 {
                    walk(dir, &path, &shown, depth - 1, out)?
                } else {
                    usage(dir, &path)?.1
                }
            } else {
                md.len()
            };
            total += bytes;
            out.push((shown, bytes));
        }
        Ok(total)
    }
    let mut out = Vec::new();
    walk(dir, rel, "", depth.max(1), &mut out)?;
    out.sort();
    Ok(out)
}

/// Every regular file under `rel` (not following links), with its inode
/// identity, link count and size: for what a version shares with others.
pub fn files_with_links(
    dir: &Dir,
    rel: &Path,
    f: &mut impl FnMut((u64, u64), u64, u64),
) -> io::Result<()> {
    // A directory its owner cannot read (an overlay's work directory,
    // mode 000) is read with the owner's read and search granted while
    // it and what is below it are walked; then its mode is put back.
    match files_with_links_in(dir, rel, f) {
        // Gone while walked (the trash being emptied by its cleaner).
        Err(e) if e.kind() == io::ErrorKind::NotFound && !rel.as_os_str().is_empty() => Ok(()),
        // Another id's directory (a rootless build's subordinate ids, e.g.
        // apt's `_apt` of mode 0700): not this user's to read or measure.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && !owned(dir, rel) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            let old = grant(dir, rel, 0o500)?;
            let r = files_with_links_in(dir, rel, f);
            if let Some(old) = old {
                dir.set_permissions(rel, old)?;
            }
            r
        }
        r => r,
    }
}

fn files_with_links_in(
    dir: &Dir,
    rel: &Path,
    f: &mut impl FnMut((u64, u64), u64, u64),
) -> io::Result<()> {
    use cap_std::fs::MetadataExt;
    for e in list(dir, rel)? {
        let p = rel.join(&e.name);
        let md = match dir.symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            r => r?,
        };
        if md.is_dir() {
            files_with_links(dir, &p, f)?;
        } else if md.is_file() {
            f((md.dev(), md.ino()), md.nlink(), md.len());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree deeper than the open file limit leaves the trash all the same.
    #[test]
    fn a_tree_deeper_than_the_open_file_limit_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        d.create_dir("t").unwrap();
        let mut s = DirStack::new(&d);
        let mut path = b"t".to_vec();
        for i in 0..1500 {
            path.extend_from_slice(b"/d");
            let here = s
                .go(&path, |p: &Dir, n: &Path, _: usize| {
                    if !p.exists(n) {
                        p.create_dir(n)?;
                    }
                    p.open_dir(n)
                })
                .unwrap();
            here.write(format!("f{i}"), b"x").unwrap();
            if i % 100 == 0 {
                here.create_dir("side").unwrap();
                here.write("side/g", b"y").unwrap();
                here.set_permissions("side", Permissions::from_mode(0o500))
                    .unwrap();
            }
        }
        drop(s);
        remove_deep(&d, Path::new("t")).unwrap();
        assert!(!d.exists("t"));
    }

    /// A filesystem without reflinks (tmpfs) is remembered by its device
    /// number only: copies to another filesystem still ask for reflinks.
    #[cfg(target_os = "linux")]
    #[test]
    fn reflink_fallback_is_per_filesystem() {
        use cap_std::fs::MetadataExt;
        let shm = Path::new("/dev/shm");
        if !shm.is_dir() {
            return;
        }
        let t = tempfile::tempdir_in(shm).unwrap();
        let d = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        d.write("a", b"bytes").unwrap();
        let md = d.metadata("a").unwrap();
        let how = copy_file(&d, Path::new("a"), &d, Path::new("b"), &md).unwrap();
        assert_ne!(how, Copied::Reflink, "tmpfs has no reflinks");
        assert_eq!(d.read("b").unwrap(), b"bytes");
        assert_eq!(d.metadata("b").unwrap().mtime(), md.mtime());
        // Only tmpfs's device is remembered (other tests of this process
        // may have added theirs).
        assert!(no_reflink().lock().unwrap().contains(&md.dev()));
    }
}
