//! Restore: the build layer back into the source, no-clobber, by rename.
//! The walk lists a cache directory and the source directory at the same
//! path, asks the component, and goes down only where it says `descend`
//! (a directory on both sides): an untouched `node_modules` is one rename.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::{Path, PathBuf};

use super::{Left, Skipped};
use crate::store::journal::{Journal, Loc, Move};
use crate::store::layout::CACHE;
use crate::workspace::SourceLister;
use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_base::filesystem;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::walk::{Listing, Purpose, SkipReason};

/// Directories handed to the listing at a time, and below how many per
/// thread a second thread does not pay.
const LIST_MANY: usize = 1024;
const LIST_ALONE: usize = 16;

/// What restore will do.
#[derive(Debug, Default, Clone)]
pub struct RestorePlan {
    /// Paths (relative to the cache and the source) to move whole.
    pub moves: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Directory pairs listed (decided level by level, one component call
    /// per level).
    pub(crate) dirs: usize,
}

/// Plans restore of the store's build layer into `source`: the policy's
/// walk driver lists the cache and the source side by side, level by
/// level, and one walker in the component decides each level in one call.
pub fn plan(host: &PolicyHost, store: &Dir, source: &dyn SourceLister) -> Result<RestorePlan> {
    let mut out = RestorePlan::default();
    if !filesystem::exists(store, Path::new(CACHE)) {
        return Ok(out);
    }
    let walker = host.walker(&Purpose::Restore)?;
    // Each cache directory listed from its parent's handle.
    let cache_dir = cap_fs_ext::DirExt::open_dir_nofollow(store, CACHE)
        .with_context(|| format!("opening {CACHE}"))?;
    let cache_dirs = DirCache::new(&cache_dir);
    // A level's directories are listed (both sides) by two threads: a
    // tracked file in each of 1,000 packages means 2,000 listings.
    let list = |dir: &str| -> Result<Option<Listing>> {
        let cache_rel = Path::new(CACHE).join(dir);
        let cache = match filesystem::list_cached(&cache_dirs, dir) {
            Ok((_, l)) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("listing the cache directory {}", cache_rel.display())
                });
            }
        };
        if cache.is_empty() {
            return Ok(None);
        }
        Ok(Some(Listing {
            dir: dir.to_string(),
            entries: cache.into_iter().map(|l| l.entry).collect(),
            against: source.list(dir)?,
        }))
    };
    let walked = walker.walk_listing_many("", LIST_MANY, |dirs| {
        if dirs.len() < 2 * LIST_ALONE {
            return dirs.iter().map(|d| list(d)).collect();
        }
        let (mut mine, theirs) = on_two_threads(dirs, dirs.len() / 2, |half| {
            half.iter().map(|d| list(d)).collect::<Result<Vec<_>>>()
        })?;
        mine.extend(theirs);
        Ok(mine)
    })?;
    out.dirs = walked.listed.len();
    out.moves = walked.taken.into_iter().map(|f| f.path).collect();
    out.skipped = super::noted_skips(walked.noted);
    Ok(out)
}

/// The lines a build prints about what restore skipped. A path that git
/// tracks (the checkout's committed file wins, e.g. every tracked file with
/// `cache: true`, on every build) is expected: those are one count line,
/// or listed with `verbose`. Anything else (an untracked file, a name that
/// is not UTF-8) is surprising, so it is always listed.
pub fn skipped_lines(
    skipped: &[Skipped],
    tracked: &dyn Fn(&str) -> bool,
    verbose: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut quiet = 0usize;
    for k in skipped {
        if !verbose && k.reason == SOURCE_WINS && tracked(&k.path) {
            quiet += 1;
        } else {
            lines.push(format!("restore: skipped {} ({})", k.path, k.reason));
        }
    }
    if quiet > 0 {
        lines.push(format!(
            "restore: skipped {quiet} path{} tracked by git ({SOURCE_WINS}; -v lists them)",
            if quiet == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// The reason of a skip where the source's own entry stays.
pub const SOURCE_WINS: Left = Left::Walk(SkipReason::SourceWins);

/// Whether `path` is a tracked file of `tracked` (sorted) or a directory
/// holding one.
pub fn is_tracked(tracked: &std::collections::BTreeSet<String>, path: &str) -> bool {
    tracked.contains(path)
        || tracked
            .range(format!("{path}/")..)
            .next()
            .is_some_and(|t| t.starts_with(path) && t[path.len()..].starts_with('/'))
}

/// Journals and performs the moves of `plan` from the cache into `source`.
pub fn apply(
    store: &Dir,
    source: &Dir,
    plan: &RestorePlan,
    journal: &mut Journal,
    progress: bool,
) -> Result<()> {
    journal.restore = plan
        .moves
        .iter()
        .map(|p| Move {
            from: Loc::store(format!("{CACHE}/{p}")),
            to: Loc::source(p.clone()),
            copy: false,
        })
        .collect();
    let across = filesystem::across(store, source);
    if across {
        // Another filesystem: copies that leave the cache's own entries in
        // place until the commit, so no durability barrier is needed (a
        // crash loses nothing) and the build is never slower than a cold
        // one for the wait.
        for m in &mut journal.restore {
            m.copy = true;
        }
    }
    journal.save_restore(store)?;
    if across {
        let started = crate::store::restored::now();
        let moves: Vec<_> = journal
            .restore
            .iter()
            .map(|m| (PathBuf::from(&m.from.path), PathBuf::from(&m.to.path)))
            .collect();
        let copied = filesystem::copy_all_across(store, source, &moves);
        crate::store::restored::stamp(store, source, &journal.restore, started)?;
        return copied;
    }
    let started = crate::store::restored::now();
    let pb = zerops_cache_base::progress::moves(progress, journal.restore.len(), "restore");
    // Moves come grouped by parent directory (the walk's order). The groups
    // are split between two threads (renames in different directories run
    // in parallel; the journal holds every move, and recovery looks at each
    // move's own state, so the order does not matter).
    let moves: Vec<(&Move, &String)> = journal.restore.iter().zip(&plan.moves).collect();
    let moved = on_two_threads(&moves, split_at_group(&moves, moves.len() / 2), |run| {
        move_group_run(store, source, run, &pb)
    });
    pb.finish_and_clear();
    // No second journal write: recovery treats a finished and an
    // unfinished restore batch alike (each move's state is on disk). The
    // stamps let a rollback tell whether the build changed what it got;
    // an interrupted batch is stamped too (nothing ran on it yet).
    crate::store::restored::stamp(store, source, &journal.restore, started)?;
    moved.map(drop)
}

/// `work` on `items[..at]` here and on `items[at..]` on a second thread;
/// both answers, or the first error.
fn on_two_threads<T: Sync, R: Send>(
    items: &[T],
    at: usize,
    work: impl Fn(&[T]) -> Result<R> + Sync,
) -> Result<(R, R)> {
    let (first, second) = items.split_at(at);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| work(second));
        let mine = work(first);
        let theirs = other
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a restoring thread panicked")));
        Ok((mine?, theirs?))
    })
}

/// The index nearest `at` (not before it) where a new parent directory
/// starts, so that no group is split between threads.
fn split_at_group(moves: &[(&Move, &String)], at: usize) -> usize {
    let parent = |i: usize| moves[i].1.rsplit_once('/').map_or("", |(p, _)| p);
    let mut i = at.max(1);
    while i < moves.len() && parent(i) == parent(i - 1) {
        i += 1;
    }
    i.min(moves.len())
}

/// Renames a run of moves, opening each group's two parents once and
/// renaming bare names inside them.
fn move_group_run(
    store: &Dir,
    source: &Dir,
    moves: &[(&Move, &String)],
    pb: &indicatif::ProgressBar,
) -> Result<()> {
    let mut parents: Option<(String, Dir, Dir)> = None;
    for (m, rel) in moves {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
        if parents.as_ref().is_none_or(|(p, _, _)| p != parent) {
            let from = store.open_dir(Path::new(CACHE).join(parent));
            let to = if parent.is_empty() {
                source.try_clone()
            } else {
                source.open_dir(parent)
            };
            parents = match (from, to) {
                (Ok(f), Ok(t)) => Some((parent.to_string(), f, t)),
                _ => None,
            };
        }
        match &parents {
            Some((_, f, t)) if f.rename(name, t, name).is_ok() => filesystem::count_rename(),
            // Read-only parents, another filesystem, or anything unusual:
            // the full move, with its grants, copies and messages.
            _ => {
                filesystem::rename(
                    store,
                    Path::new(&m.from.path),
                    source,
                    Path::new(&m.to.path),
                )?;
            }
        }
        pb.inc(1);
        zerops_cache_base::interrupt::check()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(path: &str, reason: SkipReason) -> Skipped {
        Skipped {
            path: path.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn tracked_skips_are_one_line_unless_verbose() {
        let tracked: std::collections::BTreeSet<String> = ["a.txt", "src/x.js", "src/y.js", "srcs"]
            .map(String::from)
            .into();
        let is = |p: &str| is_tracked(&tracked, p);
        let skipped = [
            skip("a.txt", SkipReason::SourceWins),
            skip("src", SkipReason::SourceWins),
            skip("untracked.log", SkipReason::SourceWins),
            skip("sr", SkipReason::SourceWins),
            skip("bad\u{fffd}", SkipReason::NotUtf8),
        ];
        assert_eq!(
            skipped_lines(&skipped, &is, false),
            [
                "restore: skipped untracked.log (source-wins)",
                "restore: skipped sr (source-wins)",
                "restore: skipped bad\u{fffd} (not-utf8)",
                "restore: skipped 2 paths tracked by git (source-wins; -v lists them)",
            ]
        );
        assert_eq!(skipped_lines(&skipped, &is, true).len(), 5);
        assert!(skipped_lines(&[], &is, false).is_empty());
    }
}
