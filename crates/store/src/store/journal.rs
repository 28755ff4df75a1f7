//! The intent journal of a build: before any batch of renames, the moves
//! it will make are written and fsynced; then the renames run; the journal
//! goes when the build commits or rolls back. After a crash at any instant
//! (kill -9 included) the next command reads the journal and either
//! finishes the commit or rolls every move back, so no file is lost and
//! none is duplicated.
//!
//! Each move renames a path that exists to a path that does not, so its
//! state is visible on disk without per-move bookkeeping: `from` present
//! and `to` absent is not done; `from` absent and `to` present is done.
//! Rolling back renames `to` back to `from` exactly when the move is done.
//!
//! | phase (last journal write)       | recovery                                  |
//! |----------------------------------|-------------------------------------------|
//! | `started`, `preserving` | roll back preserve, then restore moves, then the base reset; drop the new version and work dirs |
//! | `committing` (holds the new record) | finish: swap in the new layers, write the record, clean up |

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

use super::layout::{
    ACTIVE, BASE_UPPER, BUILD_UPPER, CACHE, CACHE_NEW, HOME, HOME_OLD, JOURNAL, JOURNAL_RESTORE,
    JOURNAL_STAMPS, OBJECTS, RECORD, RELEASED, TRASH, WORK,
};
use super::record_io::{BadFile, REPAIR, read_store_text, write_atomic};
use zerops_cache_base::filesystem;

/// Which directory a journaled path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Root {
    /// The setup store.
    Store,
    /// The source directory of the build (the workspace, or the project
    /// directory with `--in-place`).
    Source,
}

/// One path of a move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loc {
    pub(crate) root: Root,
    pub path: String,
}

impl Loc {
    pub(crate) fn store(path: impl Into<String>) -> Loc {
        Loc {
            root: Root::Store,
            path: path.into(),
        }
    }
    pub(crate) fn source(path: impl Into<String>) -> Loc {
        Loc {
            root: Root::Source,
            path: path.into(),
        }
    }
}

/// One rename of the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub from: Loc,
    pub to: Loc,
    /// A copy across filesystems that leaves `from` in place (a restore
    /// from a store on another filesystem): rolling back removes the copy;
    /// `from` goes to the trash with the old layer when the build commits
    /// (preserve always makes `cache.new`, which replaces it whole).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) copy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Started,
    Preserving,
    Committing,
}

/// The journal document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub(crate) version: u32,
    pub phase: Phase,
    pub(crate) pid: u32,
    /// The source directory when it is outside the store (`--in-place`).
    pub source_dir: Option<PathBuf>,
    /// The old home was moved to `home.old` (the base layer is rebuilt).
    pub base_reset: bool,
    /// The artifact version this build created, if it got that far.
    pub version_created: Option<u32>,
    /// The restore batch, kept in its own file (`journal.restore.json`,
    /// written once) so later journal writes stay small.
    #[serde(skip)]
    pub restore: Vec<Move>,
    /// Whether the restore batch file belongs to this journal.
    pub(crate) restore_saved: bool,
    pub preserve: Vec<Move>,
    /// The layer record to write on commit.
    pub record: Option<String>,
    /// The old build layer was restored from: on commit, entries restore
    /// had to leave in it because their names are not UTF-8 (a journal
    /// path is text) join the new layer where their parent was preserved.
    #[serde(default)]
    pub carry_non_utf8: bool,
    /// The layer record of the base layer this build's prepareCommands
    /// made, once they all succeeded: a failure after them keeps that base
    /// layer (with an empty build layer) instead of the old one, so the
    /// retry reuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepared_record: Option<String>,
    /// buildCommands write the base layer directly (on the host with
    /// `--isolation none`, or where overlays cannot be stacked) since this
    /// time (seconds, nanoseconds): a failure drops what they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_direct_since: Option<(i64, i64)>,
    /// On commit, the upper directory buildCommands wrote (`run/upper.build`)
    /// is merged into the base layer; the value is the overlay's
    /// `userxattr` option (which opaque mark it reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_base: Option<bool>,
}

impl Journal {
    pub fn new(source_dir: Option<PathBuf>) -> Journal {
        Journal {
            version: 1,
            phase: Phase::Started,
            pid: std::process::id(),
            source_dir,
            base_reset: false,
            version_created: None,
            restore: Vec::new(),
            restore_saved: false,
            preserve: Vec::new(),
            record: None,
            carry_non_utf8: false,
            prepared_record: None,
            build_direct_since: None,
            merge_base: None,
        }
    }

    /// Writes the journal (atomically, fsynced) before the moves it names.
    pub fn save(&self, store: &Dir) -> Result<()> {
        let text = serde_json::to_vec(self)?;
        write_atomic(store, JOURNAL, &text)
    }

    /// Writes the restore batch, then the journal that points at it.
    pub(crate) fn save_restore(&mut self, store: &Dir) -> Result<()> {
        write_atomic(store, JOURNAL_RESTORE, &serde_json::to_vec(&self.restore)?)?;
        self.restore_saved = true;
        self.save(store)
    }

    /// Reads and validates the journal of the store at `store_path`: any
    /// content gives a journal whose every path stays inside the store or
    /// the source, or a [`BadFile`] error that names the file.
    pub fn load(store: &Dir, store_path: &Path) -> Result<Option<Journal>> {
        let Some(t) = read_store_text(store, store_path, JOURNAL, REPAIR)? else {
            return Ok(None);
        };
        let bad = |name: &str, problem: String| BadFile {
            path: store_path.join(name),
            problem,
            way_out: REPAIR,
        };
        let mut j: Journal = serde_json::from_str(&t)
            .map_err(|e| bad(JOURNAL, format!("is not a readable journal ({e})")))?;
        if j.restore_saved {
            let r =
                read_store_text(store, store_path, JOURNAL_RESTORE, REPAIR)?.ok_or_else(|| {
                    bad(
                        JOURNAL,
                        format!("names a restore batch, {JOURNAL_RESTORE}, that is missing"),
                    )
                })?;
            j.restore = serde_json::from_str(&r).map_err(|e| {
                bad(
                    JOURNAL_RESTORE,
                    format!("is not a readable restore batch ({e})"),
                )
            })?;
        }
        j.validate().map_err(|p| bad(JOURNAL, p))?;
        Ok(Some(j))
    }

    /// Checks what recovery would act on: the format version, and that
    /// every path is a plain relative path (no `..`, not absolute) under
    /// the part of the store a build moves to and from.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!(
                "has version {}; this zerops-cache writes version 1",
                self.version
            ));
        }
        if let Some(p) = &self.source_dir
            && !p.is_absolute()
        {
            return Err(format!(
                "names a source directory that is not absolute: {}",
                p.display()
            ));
        }
        for (batch, moves_) in [("restore", &self.restore), ("preserve", &self.preserve)] {
            for m in moves_ {
                for l in [&m.from, &m.to] {
                    check_loc(l).map_err(|e| format!("has a {batch} move with {e}"))?;
                }
            }
        }
        Ok(())
    }
}

/// A journaled path: relative, every component a plain name; in the store,
/// under `cache/` or `cache.new/` (the only store paths a build moves).
pub fn check_loc(l: &Loc) -> Result<(), String> {
    let p = Path::new(&l.path);
    let plain = !l.path.is_empty()
        && !l.path.contains('\0')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(format!(
            "the path {:?}, which is not a plain relative path",
            l.path
        ));
    }
    if l.root == Root::Store {
        let top = p.components().next().map(|c| c.as_os_str());
        let under = top.is_some_and(|t| t == CACHE || t == CACHE_NEW) && p.components().count() > 1;
        if !under {
            return Err(format!(
                "the store path {:?}, which is not inside {CACHE}/ or {CACHE_NEW}/",
                l.path
            ));
        }
    }
    Ok(())
}

impl Journal {
    /// Removes the journal, then its restore batch.
    pub(crate) fn remove(store: &Dir) -> Result<()> {
        store.remove_file(JOURNAL).or_else(ignore_missing)?;
        drop_file(store, JOURNAL_RESTORE)?;
        drop_file(store, JOURNAL_STAMPS)
    }
}

/// The two directories a journaled path can be relative to.
pub(crate) struct Roots<'a> {
    pub(crate) store: &'a Dir,
    pub(crate) source: Option<&'a Dir>,
}

impl Roots<'_> {
    pub(crate) fn dir(&self, r: Root) -> Option<&Dir> {
        match r {
            Root::Store => Some(self.store),
            Root::Source => self.source,
        }
    }
}

/// Rolls back the moves that are done, last first.
pub(crate) fn roll_back(roots: &Roots, moves_: &[Move]) -> Result<usize> {
    let mut undone = 0;
    for m in moves_.iter().rev() {
        let (Some(fd), Some(td)) = (roots.dir(m.from.root), roots.dir(m.to.root)) else {
            continue;
        };
        let (from, to) = (Path::new(&m.from.path), Path::new(&m.to.path));
        // A cross-filesystem move interrupted half-way, in either direction
        // (a rollback is a move too).
        filesystem::settle(fd, from, td, to)?;
        filesystem::settle(td, to, fd, from)?;
        if m.copy && filesystem::exists(fd, from) {
            // The original never left: the copy goes.
            if filesystem::exists(td, to) {
                filesystem::remove_any(td, to)
                    .with_context(|| format!("removing the copy at {}", m.to.path))?;
                undone += 1;
            }
            continue;
        }
        if !filesystem::exists(fd, from) && filesystem::exists(td, to) {
            if let Some(parent) = from.parent().filter(|p| !p.as_os_str().is_empty()) {
                fd.create_dir_all(parent).with_context(|| {
                    format!("recreating {} to roll a move back", parent.display())
                })?;
            }
            filesystem::rename(td, to, fd, from)
                .with_context(|| format!("rolling back the move to {}", m.to.path))?;
            undone += 1;
        }
    }
    Ok(undone)
}

/// Removes the store file `name` (a leftover of a build no journal names
/// any more): a directory there goes to the trash, anything else is
/// unlinked (a link, not what it points at); a missing one is fine.
fn drop_file(store: &Dir, name: &str) -> Result<()> {
    match store.symlink_metadata(name) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Ok(md) if md.is_dir() => to_trash(store, name),
        _ => Ok(store.remove_file(name).or_else(ignore_missing)?),
    }
}

/// Makes `trash/` a directory: whatever else is there (a file, a link, a
/// FIFO) holds nothing of the store's and is unlinked (a link, not what it
/// points at).
pub(crate) fn trash_dir(store: &Dir) -> Result<()> {
    if let Ok(md) = store.symlink_metadata(TRASH)
        && !md.is_dir()
    {
        store.remove_file(TRASH).with_context(|| {
            format!(
                "removing the {} at {TRASH}",
                crate::store::record_io::kind_of(md.file_type())
            )
        })?;
    }
    store.create_dir_all(TRASH)?;
    Ok(())
}

/// Moves `rel` of the store into `trash/` under a fresh name.
pub fn to_trash(store: &Dir, rel: &str) -> Result<()> {
    if !filesystem::exists(store, Path::new(rel)) {
        return Ok(());
    }
    trash_dir(store)?;
    let mut n = 0u32;
    let base = rel.replace('/', "_");
    let target = loop {
        let t = format!("{TRASH}/{base}.{n}");
        if !filesystem::exists(store, Path::new(&t)) {
            break t;
        }
        n += 1;
    };
    filesystem::rename(store, Path::new(rel), store, Path::new(&target))?;
    Ok(())
}

/// Moves the workspace to the trash and removes torn writes (and drops a
/// restore batch no journal points at). O(1): the trash is emptied off the
/// critical path by [`super::trash::finish`].
pub fn clean(store: &Dir) -> Result<()> {
    if !filesystem::exists(store, Path::new(JOURNAL)) {
        drop_file(store, JOURNAL_RESTORE)?;
        drop_file(store, JOURNAL_STAMPS)?;
    }
    // Torn atomic writes of a killed process (never read: the rename is
    // the commit point of each write).
    for name in [JOURNAL, JOURNAL_RESTORE, JOURNAL_STAMPS, RECORD, ACTIVE] {
        let tmp = format!("{name}.tmp");
        if filesystem::exists(store, Path::new(&tmp)) {
            filesystem::remove_any(store, Path::new(&tmp))
                .with_context(|| format!("removing the torn write {tmp} of the store"))?;
        }
    }
    // The workspace goes to the trash by one rename; the trash is emptied
    // after the command's output (see `trash`).
    to_trash(store, WORK).context("moving the workspace of the store to the trash")?;
    Ok(())
}

/// What recovery did, for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    Nothing,
    RolledBack(RolledBack),
    Committed,
}

/// What rolling a build back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// Moves undone (restored entries put back, preserved ones returned).
    pub moves: usize,
    /// What became of the build layer.
    pub cache: CacheAfter,
    /// What became of the base layer.
    pub base: BaseAfter,
}

impl RolledBack {
    /// What the rollback kept, in one sentence.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.base.describe() {
            parts.push(b);
        }
        match (&self.base, &self.cache) {
            // The build layer went with the base layer.
            (BaseAfter::KeptPrepared | BaseAfter::Dropped(_), CacheAfter::Kept) => {}
            (_, c) => parts.push(c.describe()),
        }
        if matches!(self.base, BaseAfter::Unchanged | BaseAfter::Previous)
            && self.cache == CacheAfter::Kept
        {
            parts.push("the layer record is unchanged".into());
        }
        parts.join("; ")
    }
}

/// The build layer after a rollback: the previous one, byte for byte, or
/// none. Never the failed build's half-work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheAfter {
    /// Every restored entry went back as it was moved out.
    Kept,
    /// The build changed a restored entry (this path of the source): the
    /// layer was dropped.
    DroppedChanged(String),
    /// The restore's stamps were unreadable, so the entries could not be
    /// shown intact: the layer was dropped.
    DroppedUnknown,
}

/// The base layer after a rollback: never with what failed buildCommands
/// wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseAfter {
    /// Reused by the build and left as it was.
    Unchanged,
    /// The build rebuilt it and failed before its prepareCommands were
    /// done: the previous one is back.
    Previous,
    /// The build's prepareCommands succeeded: the base layer they made is
    /// kept, with an empty build layer, and the record says so (the retry
    /// reuses it).
    KeptPrepared,
    /// buildCommands that wrote the base layer directly changed it (this
    /// path of the store's base layer): it was dropped with the record, so
    /// the next build rebuilds both layers.
    Dropped(String),
}

impl BaseAfter {
    /// The stable name in `build --format json` (`"kept"`).
    pub fn name(&self) -> &'static str {
        match self {
            BaseAfter::Unchanged => "unchanged",
            BaseAfter::Previous => "previous",
            BaseAfter::KeptPrepared => "prepared",
            BaseAfter::Dropped(_) => "dropped",
        }
    }

    /// One sentence for the user, if there is something to say.
    pub fn describe(&self) -> Option<String> {
        match self {
            BaseAfter::Unchanged => None,
            BaseAfter::Previous => Some("the previous base layer is back".into()),
            BaseAfter::KeptPrepared => Some(
                "the base layer its prepareCommands built is kept: the next build reuses it (prepareCommands skipped)"
                    .into(),
            ),
            BaseAfter::Dropped(p) => Some(format!(
                "the base layer was dropped: the failed buildCommands, which ran without a layer of their own, changed `{p}` in it; the next build rebuilds both layers"
            )),
        }
    }
}

impl CacheAfter {
    /// The stable name in `build --format json` (`"kept"`).
    pub fn name(&self) -> &'static str {
        match self {
            CacheAfter::Kept => "previous",
            CacheAfter::DroppedChanged(_) | CacheAfter::DroppedUnknown => "dropped",
        }
    }

    /// One sentence for the user.
    pub(crate) fn describe(&self) -> String {
        match self {
            CacheAfter::Kept => "the build layer is the previous one".into(),
            CacheAfter::DroppedChanged(p) => format!(
                "the build layer was dropped: the failed build changed the restored `{p}`, so no cache is kept (the next build runs without one)"
            ),
            CacheAfter::DroppedUnknown => "the build layer was dropped: the stamps of its restored entries were unreadable, so they cannot be shown intact (the next build runs without a cache)".into(),
        }
    }
}

/// Finishes the commit described by the journal (idempotent), then empties
/// the trash and the workspace.
pub(crate) fn commit(store: &Dir, j: &Journal) -> Result<()> {
    commit_layers(store, j)?;
    clean(store)
}

/// The commit without the cleanup: swaps the layers in, writes the record
/// and removes the journal. What is left to delete is in `trash/`.
pub fn commit_layers(store: &Dir, j: &Journal) -> Result<()> {
    if let Some(userxattr) = j.merge_base {
        zerops_cache_sandbox::sandbox::merge_upper::merge(
            store,
            Path::new(BUILD_UPPER),
            Path::new(BASE_UPPER),
            userxattr,
            Path::new(TRASH),
        )
        .context("merging what buildCommands wrote into the base layer")?;
    }
    if j.base_reset && filesystem::exists(store, Path::new(HOME_OLD)) {
        to_trash(store, HOME_OLD)?;
    }
    if filesystem::exists(store, Path::new(CACHE_NEW)) {
        if j.carry_non_utf8 && filesystem::exists(store, Path::new(CACHE)) {
            carry_non_utf8(store, Path::new(""))
                .context("keeping the cached entries whose names are not UTF-8")?;
        }
        to_trash(store, CACHE)?;
        filesystem::rename(store, Path::new(CACHE_NEW), store, Path::new(CACHE))?;
    }
    if let Some(r) = &j.record {
        write_atomic(store, RECORD, r.as_bytes())?;
    }
    Journal::remove(store)?;
    Ok(())
}

/// Moves the entries of `cache/rel` whose names are not UTF-8 to
/// `cache.new/rel` (where that directory exists and lacks them), and goes
/// down into the directories both layers have. Idempotent: a move done
/// before a crash is not done again.
fn carry_non_utf8(store: &Dir, rel: &Path) -> Result<()> {
    let (old, new) = (Path::new(CACHE).join(rel), Path::new(CACHE_NEW).join(rel));
    if !store.symlink_metadata(&new).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    for l in filesystem::list(store, &old)? {
        let (from, to) = (old.join(&l.name), new.join(&l.name));
        if !l.entry.utf8 {
            if !filesystem::exists(store, &to) {
                filesystem::rename(store, &from, store, &to)?;
            }
        } else if l.entry.kind == zerops_cache_component::component::plan::EntryKind::Dir {
            carry_non_utf8(store, &rel.join(&l.name))?;
        }
    }
    Ok(())
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// Rolls the whole build back: preserve moves, restore moves, the base
/// reset, the new version; then removes the journal (idempotent).
pub fn roll_back_build(store: &Dir, source: Option<&Dir>, j: &Journal) -> Result<RolledBack> {
    let roots = Roots { store, source };
    let mut n = roll_back(&roots, &j.preserve)?;
    // Whether the restored entries are as the cache held them is judged
    // where they are now (the preserve moves are back in the source).
    let stamps = super::restored::load(store);
    let intact = super::restored::check(store, source, &j.restore, &j.preserve, &stamps);
    n += roll_back(&roots, &j.restore)?;
    let cache = match intact {
        super::restored::Intact::Yes => CacheAfter::Kept,
        super::restored::Intact::Changed(p) => CacheAfter::DroppedChanged(p),
        super::restored::Intact::Unknown => CacheAfter::DroppedUnknown,
    };
    if cache != CacheAfter::Kept {
        // All of it goes, in one rename: no mix of old and half-written.
        to_trash(store, CACHE)?;
        store.create_dir_all(CACHE)?;
    }
    if filesystem::exists(store, Path::new(CACHE_NEW)) {
        to_trash(store, CACHE_NEW)?;
    }
    let base = roll_back_base(store, j)?;
    if let Some(v) = j.version_created {
        // Its metadata first (then it is not complete any more), its tree,
        // what it released of the version before (still named there), its
        // objects and its directory.
        let [meta, tree, dir] = super::layout::version_parts(v);
        for p in [
            meta,
            tree,
            format!("{RELEASED}/{v}"),
            format!("{OBJECTS}/{v}"),
            dir,
        ] {
            if filesystem::exists(store, Path::new(&p)) {
                to_trash(store, &p)?;
            }
        }
    }
    Journal::remove(store)?;
    clean(store)?;
    Ok(RolledBack {
        moves: n,
        cache,
        base,
    })
}

/// The base layer's part of a rollback (idempotent: each step is done
/// again by a recovery after a crash, with the same outcome).
fn roll_back_base(store: &Dir, j: &Journal) -> Result<BaseAfter> {
    // What buildCommands changed in a base layer they wrote directly.
    let changed = j.build_direct_since.and_then(|since| {
        super::restored::changed_since(store, Path::new(HOME), since)
            .map(|p| p.display().to_string())
    });
    match (j.base_reset, &j.prepared_record, changed) {
        (true, Some(record), None) => {
            // The record first: until HOME_OLD is gone, a recovery takes
            // this same way again.
            write_atomic(store, RECORD, record.as_bytes())?;
            to_trash(store, CACHE)?;
            store.create_dir_all(CACHE)?;
            to_trash(store, HOME_OLD)?;
            Ok(BaseAfter::KeptPrepared)
        }
        (true, _, _) => {
            if filesystem::exists(store, Path::new(HOME_OLD)) {
                to_trash(store, HOME)?;
                filesystem::rename(store, Path::new(HOME_OLD), store, Path::new(HOME))?;
            }
            Ok(BaseAfter::Previous)
        }
        (false, _, Some(path)) => {
            // The record first: without it the next build rebuilds both
            // layers, whatever is left of them.
            to_trash(store, RECORD)?;
            to_trash(store, HOME)?;
            store.create_dir_all(HOME)?;
            to_trash(store, CACHE)?;
            store.create_dir_all(CACHE)?;
            Ok(BaseAfter::Dropped(path))
        }
        (false, _, None) => Ok(BaseAfter::Unchanged),
    }
}

/// Recovers an interrupted build of the project at `project` (absolute,
/// canonical), if the journal says there was one. An in-place build's
/// source directory is the project itself: a journal naming any other
/// directory is refused, so recovery never reaches outside the store and
/// the project.
pub fn recover(
    store: &Dir,
    store_path: &Path,
    project: &Path,
    project_dir: &Dir,
) -> Result<Recovered> {
    let Some(j) = Journal::load(store, store_path)? else {
        // No build in flight: only leftovers of a finished one.
        clean(store)?;
        return Ok(Recovered::Nothing);
    };
    if j.phase == Phase::Committing {
        commit(store, &j)?;
        return Ok(Recovered::Committed);
    }
    let source =
        match &j.source_dir {
            Some(p) if p != project => {
                return Err(BadFile {
                    path: store_path.join(JOURNAL),
                    problem: format!(
                        "names the source directory {}, which is not this project ({}); \
                     recovery only touches the store and the current project",
                        p.display(),
                        project.display()
                    ),
                    way_out: REPAIR,
                }
                .into());
            }
            // The project, opened once by the command: no path is opened here.
            Some(p) => Some(project_dir.try_clone().with_context(|| {
                format!("opening the build's source directory {}", p.display())
            })?),
            None => {
                if filesystem::exists(store, Path::new(super::layout::SOURCE)) {
                    Some(store.open_dir(super::layout::SOURCE)?)
                } else {
                    None
                }
            }
        };
    Ok(Recovered::RolledBack(roll_back_build(
        store,
        source.as_ref(),
        &j,
    )?))
}
