//! Whether the entries a build restored are still as the cache held them.
//!
//! Restore moves cached entries into the source by rename, so a build
//! works on the cache's own files. After a failure the build layer must be
//! the previous one byte for byte, or none: never the failed build's
//! half-work. Right after its moves, restore stamps each moved entry with
//! its inode and change time (`journal.restored`, beside the journal).
//! A rollback first checks the stamps: a moved entry whose inode or change
//! time differs, or anything below it changed since the restore began,
//! means the build touched the cache's files, and the whole layer is
//! dropped instead of put back. Change times cannot be set from user
//! space, and every write, truncation, chmod, link, rename or removal
//! moves the change time of the inode or of its directory.

use anyhow::Result;
use cap_std::fs::{Dir, MetadataExt};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::journal::{Move, Root};
use super::layout::JOURNAL_STAMPS;

/// Seconds and nanoseconds since the epoch.
type Time = (i64, i64);

/// The stamps of one restore: when it began, and each move's entry right
/// after it moved (in the order of the restore batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamps {
    pub(crate) started: Time,
    /// Each move's destination; `None` when it could not be read.
    pub(crate) moved: Vec<Option<Id>>,
}

/// What identifies an entry: its inode and change time, and (for an entry
/// that preserve renamed, which moves its change time) its modification
/// time and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Id {
    pub(crate) ino: u64,
    pub(crate) ctime: Time,
    pub(crate) mtime: Time,
    pub(crate) size: u64,
}

/// The current time as the kernel stamps change times: its coarse
/// real-time clock (the time of the last tick). A change made after this
/// reading gets a change time at or after it; one made before it can only
/// reach it when made in the same tick, and then counts as after (a layer
/// dropped for nothing, never a change missed).
pub fn now() -> Time {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    (t.tv_sec, t.tv_nsec)
}

fn id_of(dir: &Dir, rel: &Path) -> Option<Id> {
    let md = dir.symlink_metadata(rel).ok()?;
    Some(Id {
        ino: md.ino(),
        ctime: (md.ctime(), md.ctime_nsec()),
        mtime: (md.mtime(), md.mtime_nsec()),
        size: if md.is_dir() { 0 } else { md.size() },
    })
}

/// Stamps the moves of a finished restore batch (`started` is when the
/// batch began). Written without a sync: a stamp that is lost or torn
/// only means the layer cannot be shown intact, and is dropped.
pub(crate) fn stamp(store: &Dir, source: &Dir, moves: &[Move], started: Time) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let stamps = Stamps {
        started,
        moved: moves
            .iter()
            .map(|m| id_of(source, Path::new(&m.to.path)))
            .collect(),
    };
    let tmp = format!("{JOURNAL_STAMPS}.tmp");
    store.write(&tmp, serde_json::to_vec(&stamps)?)?;
    store.rename(&tmp, store, JOURNAL_STAMPS)?;
    Ok(())
}

/// The stamps of the last restore: `Ok(None)` when there are none (the
/// restore never finished its moves, so no command ran on them), an error
/// when they cannot be read.
pub(crate) fn load(store: &Dir) -> Result<Option<Stamps>, String> {
    let bytes = match store.read(JOURNAL_STAMPS) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// What a rollback finds of the restored entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Intact {
    /// Every restored entry is as it was moved: putting them back gives
    /// the previous layer, byte for byte.
    Yes,
    /// The build changed this restored path (relative to the source), or
    /// something below it.
    Changed(String),
    /// The restore's stamps are unreadable (torn by a crash of the
    /// machine): nothing shows the entries intact.
    Unknown,
}

/// Checks the restored entries (`moves`, as journaled) in `source`
/// against the stamps (as [`load`] read them). Call it before the restore
/// moves are rolled back.
///
/// No stamps means the restore was stopped before it wrote them, and they
/// are written before any buildCommand starts: nothing ran on the entries.
/// (After a crash of the machine, a journaling filesystem commits the
/// stamps' creation before any later change to the entries' metadata, so
/// stamps that are missing still mean no later change reached the disk;
/// stamps whose bytes were lost are unreadable, and the layer is dropped.)
///
/// `preserved` are the preserve moves that were rolled back first: the
/// entries they renamed, and the directories they renamed out of and back
/// into, have new change times from those renames alone. For them the
/// inode, the modification time and the size must be as stamped (a
/// directory's own times are not judged; what is below it still is).
pub(crate) fn check(
    store: &Dir,
    source: Option<&Dir>,
    moves: &[Move],
    preserved: &[Move],
    stamps: &Result<Option<Stamps>, String>,
) -> Intact {
    let exists = |d: &Dir, p: &str| zerops_cache_base::filesystem::exists(d, Path::new(p));
    let stamps = match stamps {
        // The restore never finished its moves: no command ran.
        Ok(None) => return Intact::Yes,
        Ok(Some(s)) if s.moved.len() == moves.len() => s,
        _ => return Intact::Unknown,
    };
    let since = at(stamps.started);
    let renamed = Renamed::of(preserved);
    let none = Renamed::default();
    for (i, m) in moves.iter().enumerate() {
        // A copy whose original is still in the cache: the copy goes.
        if m.copy && exists(store, &m.from.path) {
            continue;
        }
        // Where the entry is now: in the source, or back in the cache (a
        // rollback that was itself interrupted), renamed there.
        let (dir, rel, touched) = match source {
            Some(src) if exists(src, &m.to.path) => {
                let rel = Path::new(&m.to.path);
                (src, rel, &renamed)
            }
            _ if exists(store, &m.from.path) => (store, Path::new(&m.from.path), &none),
            _ => return Intact::Changed(m.to.path.clone()),
        };
        let was_renamed = touched.touched(rel) || std::ptr::eq(dir, store);
        let same = match (id_of(dir, rel), stamps.moved[i]) {
            (Some(now), Some(then)) if now == then => true,
            (Some(now), Some(then)) if was_renamed => {
                let is_dir = dir.symlink_metadata(rel).is_ok_and(|m| m.is_dir());
                now.ino == then.ino && (is_dir || now.mtime == then.mtime && now.size == then.size)
            }
            _ => false,
        };
        if !same {
            return Intact::Changed(m.to.path.clone());
        }
        if let Some(p) = changed_below(dir, rel, since, touched) {
            let shown = p
                .strip_prefix(&m.from.path)
                .map(|r| Path::new(&m.to.path).join(r))
                .unwrap_or(p);
            return Intact::Changed(shown.display().to_string());
        }
    }
    Intact::Yes
}

/// The source paths that preserve renamed, and the directories it renamed
/// entries out of.
#[derive(Default)]
struct Renamed {
    paths: std::collections::BTreeSet<PathBuf>,
}

impl Renamed {
    fn of(preserved: &[Move]) -> Renamed {
        let mut paths = std::collections::BTreeSet::new();
        for m in preserved.iter().filter(|m| m.from.root == Root::Source) {
            let p = PathBuf::from(&m.from.path);
            if let Some(parent) = p.parent() {
                paths.insert(parent.to_path_buf());
            }
            paths.insert(p);
        }
        Renamed { paths }
    }

    fn touched(&self, p: &Path) -> bool {
        self.paths.contains(p)
    }
}

fn at(t: Time) -> i64 {
    t.0.saturating_mul(1_000_000_000).saturating_add(t.1)
}

/// The first path at or below `rel` of `dir` whose change time is at or
/// after `since` (a reading of [`now`]), if any.
pub(crate) fn changed_since(dir: &Dir, rel: &Path, since: Time) -> Option<PathBuf> {
    let since = at(since);
    let md = dir.symlink_metadata(rel).ok()?;
    if at((md.ctime(), md.ctime_nsec())) >= since {
        return Some(rel.to_path_buf());
    }
    changed_below(dir, rel, since, &Renamed::default())
}

/// The first path below `rel` (a directory, else nothing to do) whose
/// change time is at or after `since`, or that cannot be read (which
/// cannot be shown unchanged).
fn changed_below(source: &Dir, rel: &Path, since: i64, renamed: &Renamed) -> Option<PathBuf> {
    let md = source.symlink_metadata(rel).ok()?;
    if !md.is_dir() {
        return None;
    }
    let mut stack = vec![rel.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = source.read_dir(&dir) else {
            return Some(dir);
        };
        for e in entries {
            let Ok(e) = e else { return Some(dir) };
            let path = dir.join(e.file_name());
            let Ok(md) = source.symlink_metadata(&path) else {
                return Some(path);
            };
            if at((md.ctime(), md.ctime_nsec())) >= since && !renamed.touched(&path) {
                return Some(path);
            }
            if md.is_dir() {
                stack.push(path);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::journal::Loc;

    /// Stamps written by 0.3.0 keep their bytes when read and written back
    /// (the other stored forms: tests/e2e/stored_forms.rs).
    #[test]
    fn stored_stamps_keep_their_bytes() {
        let bytes = include_bytes!("../../../../tests/corpus/stored-forms/journal.restored");
        let s: Stamps = serde_json::from_slice(bytes).unwrap();
        assert_eq!(serde_json::to_vec(&s).unwrap(), bytes);
    }

    fn setup() -> (tempfile::TempDir, Dir, Dir, Vec<Move>) {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("store/cache")).unwrap();
        std::fs::create_dir_all(t.path().join("src/nm/pkg")).unwrap();
        std::fs::write(t.path().join("src/nm/pkg/index.js"), "1").unwrap();
        std::fs::write(t.path().join("src/top.txt"), "t").unwrap();
        let store =
            Dir::open_ambient_dir(t.path().join("store"), cap_std::ambient_authority()).unwrap();
        let source =
            Dir::open_ambient_dir(t.path().join("src"), cap_std::ambient_authority()).unwrap();
        let moves = ["nm", "top.txt"]
            .map(|p| Move {
                from: Loc::store(format!("cache/{p}")),
                to: Loc::source(p),
                copy: false,
            })
            .to_vec();
        (t, store, source, moves)
    }

    /// Stamps taken now, as if the restore began `ago_ns` earlier (the
    /// files of the fixture were written just now: the cache's entries are
    /// older than the restore in real builds).
    fn stamped(store: &Dir, source: &Dir, moves: &[Move]) -> Stamps {
        let n = now();
        let later = (n.0 + 1, n.1);
        stamp(store, source, moves, later).unwrap();
        load(store).unwrap().unwrap()
    }

    #[test]
    fn untouched_entries_are_intact() {
        let (_t, store, source, moves) = setup();
        let s = stamped(&store, &source, &moves);
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &Ok(Some(s.clone()))),
            Intact::Yes
        );
    }

    #[test]
    fn a_write_below_a_moved_directory_is_a_change() {
        let (t, store, source, moves) = setup();
        let mut s = stamped(&store, &source, &moves);
        s.started = now();
        std::fs::write(t.path().join("src/nm/pkg/index.js"), "2").unwrap();
        // The first changed path found: the file, or its directory when
        // the fixture made it within the margin.
        match check(&store, Some(&source), &moves, &[], &Ok(Some(s.clone()))) {
            Intact::Changed(p) => assert!(p.starts_with("nm/pkg"), "{p}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_rewritten_or_replaced_top_entry_is_a_change() {
        let (t, store, source, moves) = setup();
        let s = stamped(&store, &source, &moves);
        std::fs::write(t.path().join("src/top.txt"), "T").unwrap();
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &Ok(Some(s.clone()))),
            Intact::Changed("top.txt".into())
        );
        let (t, store, source, moves) = setup();
        let s = stamped(&store, &source, &moves);
        std::fs::remove_file(t.path().join("src/top.txt")).unwrap();
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &Ok(Some(s.clone()))),
            Intact::Changed("top.txt".into())
        );
    }

    #[test]
    fn renames_by_preserve_and_its_rollback_are_not_changes() {
        let (t, store, source, moves) = setup();
        let s = stamped(&store, &source, &moves);
        // Preserve took `top.txt` and `nm/pkg`; the rollback put them back.
        std::fs::create_dir_all(t.path().join("store/cache.new/nm")).unwrap();
        for p in ["top.txt", "nm/pkg"] {
            std::fs::rename(
                t.path().join("src").join(p),
                t.path().join("store/cache.new").join(p),
            )
            .unwrap();
            std::fs::rename(
                t.path().join("store/cache.new").join(p),
                t.path().join("src").join(p),
            )
            .unwrap();
        }
        let preserved: Vec<Move> = ["top.txt", "nm/pkg"]
            .map(|p| Move {
                from: Loc::source(p),
                to: Loc::store(format!("cache.new/{p}")),
                copy: false,
            })
            .to_vec();
        let stamps = Ok(Some(s));
        assert_eq!(
            check(&store, Some(&source), &moves, &preserved, &stamps),
            Intact::Yes
        );
        assert!(matches!(
            check(&store, Some(&source), &moves, &[], &stamps),
            Intact::Changed(_)
        ));
        // A file the build rewrote is still a change, renamed or not.
        std::fs::write(t.path().join("src/top.txt"), "other").unwrap();
        assert_eq!(
            check(&store, Some(&source), &moves, &preserved, &stamps),
            Intact::Changed("top.txt".into())
        );
    }

    #[test]
    fn missing_stamps_mean_no_command_ran_torn_ones_prove_nothing() {
        let (t, store, source, moves) = setup();
        assert_eq!(load(&store), Ok(None));
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &load(&store)),
            Intact::Yes
        );
        std::fs::write(t.path().join(format!("store/{JOURNAL_STAMPS}")), "{").unwrap();
        let torn = load(&store);
        assert!(torn.is_err());
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &torn),
            Intact::Unknown
        );
    }

    #[test]
    fn entries_a_cut_rollback_put_back_are_judged_in_the_cache() {
        let (t, store, source, moves) = setup();
        let stamps = Ok(Some(stamped(&store, &source, &moves)));
        // The rollback moved `top.txt` back, then stopped.
        std::fs::rename(
            t.path().join("src/top.txt"),
            t.path().join("store/cache/top.txt"),
        )
        .unwrap();
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &stamps),
            Intact::Yes
        );
        std::fs::rename(t.path().join("src/nm"), t.path().join("store/cache/nm")).unwrap();
        assert_eq!(
            check(&store, Some(&source), &moves, &[], &stamps),
            Intact::Yes
        );
        // What the build changed is seen there too.
        std::fs::write(t.path().join("store/cache/nm/new.js"), "half").unwrap();
        let mut s = stamps.clone().unwrap().unwrap();
        s.started = now();
        assert!(matches!(
            check(&store, Some(&source), &moves, &[], &Ok(Some(s))),
            Intact::Changed(p) if p.starts_with("nm")
        ));
    }
}
