//! Preserve: the entries the `cache` field selects move from the source
//! into a new build layer (`cache.new`), by rename. The walk lists a source
//! directory only when the component says a pattern could match below it,
//! and never deeper than the patterns reach.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use super::{Skipped, join};
use crate::component::PolicyHost;
use crate::component::plan::{CacheSpec, PreserveAction};
use crate::filesystem;
use crate::store::journal::{Journal, Loc, Move, Phase};
use crate::store::layout::CACHE_NEW;
use crate::workspace::SourceLister;

/// What preserve will take.
#[derive(Debug, Default, Clone)]
pub struct PreservePlan {
    /// Paths relative to the source, taken whole.
    pub take: Vec<String>,
    /// Entries a pattern could not apply to (not UTF-8, symlink in the way,
    /// not a directory).
    pub noted: Vec<Skipped>,
    pub dirs: usize,
}

pub fn plan(
    host: &PolicyHost,
    cache: &CacheSpec,
    source: &dyn SourceLister,
) -> Result<PreservePlan> {
    let mut out = PreservePlan::default();
    let depth = host.preserve_depth(cache)? as usize;
    if depth == 0 {
        return Ok(out);
    }
    // (directory, its number of components)
    let mut stack = vec![(String::new(), 0usize)];
    while let Some((dir, d)) = stack.pop() {
        let entries = source.list(&dir)?;
        if entries.is_empty() {
            continue;
        }
        let actions = host.preserve_dir(cache, &dir, &entries)?;
        out.dirs += 1;
        let mut sub = Vec::new();
        for (e, a) in entries.iter().zip(actions) {
            let path = join(&dir, &e.name);
            match a {
                PreserveAction::Take => out.take.push(path),
                PreserveAction::Descend if d + 2 <= depth => sub.push((path, d + 1)),
                PreserveAction::Descend | PreserveAction::Skip => {}
                PreserveAction::NotUtf8
                | PreserveAction::SymlinkNotFollowed
                | PreserveAction::NotADirectory => out.noted.push(Skipped {
                    path,
                    reason: a.code(),
                }),
            }
        }
        stack.extend(sub.into_iter().rev());
    }
    Ok(out)
}

/// Journals and performs the moves of `plan` from `source` into
/// `cache.new` (created here; parents get the source's modes).
pub fn apply(
    store: &Dir,
    source: &Dir,
    plan: &PreservePlan,
    journal: &mut Journal,
    progress: bool,
) -> Result<()> {
    store.create_dir_all(CACHE_NEW)?;
    let new = store.open_dir(CACHE_NEW)?;
    journal.preserve = plan
        .take
        .iter()
        .map(|p| Move {
            from: Loc::source(p.clone()),
            to: Loc::store(format!("{CACHE_NEW}/{p}")),
        })
        .collect();
    journal.phase = Phase::Preserving;
    journal.save(store)?;
    let pb = crate::progress::moves(progress, plan.take.len(), "preserve");
    for p in &plan.take {
        if let Some(parent) = Path::new(p).parent() {
            filesystem::create_dirs_like(&new, parent, source, parent)
                .with_context(|| format!("creating {} in the build layer", parent.display()))?;
        }
        filesystem::rename(source, Path::new(p), &new, Path::new(p))?;
        pb.inc(1);
        crate::interrupt::check()?;
    }
    pb.finish_and_clear();
    Ok(())
}
