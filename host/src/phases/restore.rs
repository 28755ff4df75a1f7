//! Restore: the build layer back into the source, no-clobber, by rename.
//! The walk lists a cache directory and the source directory at the same
//! path, asks the component, and goes down only where it says `descend`
//! (a directory on both sides): an untouched `node_modules` is one rename.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use super::{Skipped, join};
use crate::component::PolicyHost;
use crate::component::plan::RestoreAction;
use crate::filesystem;
use crate::store::journal::{Journal, Loc, Move};
use crate::store::layout::CACHE;
use crate::workspace::SourceLister;

/// What restore will do.
#[derive(Debug, Default, Clone)]
pub struct RestorePlan {
    /// Paths (relative to the cache and the source) to move whole.
    pub moves: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Directory pairs listed (one component call each).
    pub dirs: usize,
}

/// Plans restore of the store's build layer into `source`.
pub fn plan(host: &PolicyHost, store: &Dir, source: &dyn SourceLister) -> Result<RestorePlan> {
    let mut out = RestorePlan::default();
    if !filesystem::exists(store, Path::new(CACHE)) {
        return Ok(out);
    }
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        let cache_rel = Path::new(CACHE).join(&dir);
        let cache = filesystem::list(store, &cache_rel)
            .with_context(|| format!("listing the cache directory {}", cache_rel.display()))?;
        if cache.is_empty() {
            continue;
        }
        let src = source.list(&dir)?;
        let entries: Vec<_> = cache.iter().map(|l| l.entry.clone()).collect();
        let actions = host.restore_dir(&entries, &src)?;
        out.dirs += 1;
        let mut sub = Vec::new();
        for (l, a) in cache.iter().zip(actions) {
            let path = join(&dir, &l.entry.name);
            match a {
                RestoreAction::Move => out.moves.push(path),
                RestoreAction::Descend => sub.push(path),
                RestoreAction::SourceWins | RestoreAction::NotUtf8 => out.skipped.push(Skipped {
                    path,
                    reason: a.code(),
                }),
            }
        }
        stack.extend(sub.into_iter().rev());
    }
    Ok(out)
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
        })
        .collect();
    journal.save_restore(store)?;
    let pb = crate::progress::moves(progress, journal.restore.len(), "restore");
    for m in &journal.restore {
        filesystem::rename(
            store,
            Path::new(&m.from.path),
            source,
            Path::new(&m.to.path),
        )?;
        pb.inc(1);
        crate::interrupt::check()?;
    }
    pb.finish_and_clear();
    // No second journal write: recovery treats a finished and an
    // unfinished restore batch alike (each move's state is on disk).
    Ok(())
}
