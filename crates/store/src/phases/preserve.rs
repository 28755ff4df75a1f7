//! Preserve: the entries the `cache` field selects move from the source
//! into a new build layer (`cache.new`), by rename. The walk lists a source
//! directory only when the component says a pattern could match below it,
//! and never deeper than the patterns reach.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use super::Skipped;
use crate::store::journal::{Journal, Loc, Move, Phase};
use crate::store::layout::CACHE_NEW;
use crate::workspace::SourceLister;
use zerops_cache_base::filesystem;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::plan::CacheSpec;
use zerops_cache_component::component::walk::{Listing, Purpose};

/// What preserve will take.
#[derive(Debug, Default, Clone)]
pub struct PreservePlan {
    /// Paths relative to the source, taken whole.
    pub take: Vec<String>,
    /// Entries a pattern could not apply to (not UTF-8, symlink in the way,
    /// not a directory).
    pub noted: Vec<Skipped>,
}

/// Plans preserve: the policy's walk driver lists the source level by
/// level, one walker in the component (its patterns compiled once)
/// decides each level in one call.
pub fn plan(
    host: &PolicyHost,
    cache: &CacheSpec,
    source: &dyn SourceLister,
) -> Result<PreservePlan> {
    let walker = host.walker(&Purpose::Preserve(cache.clone()))?;
    let walked = walker.walk("", |dir| {
        let entries = source.list(dir)?;
        Ok((!entries.is_empty()).then(|| Listing {
            dir: dir.to_string(),
            entries,
            against: Vec::new(),
        }))
    })?;
    Ok(PreservePlan {
        take: walked.taken.into_iter().map(|f| f.path).collect(),
        noted: super::noted_skips(walked.noted),
    })
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
            copy: false,
            from: Loc::source(p.clone()),
            to: Loc::store(format!("{CACHE_NEW}/{p}")),
        })
        .collect();
    journal.phase = Phase::Preserving;
    journal.save(store)?;
    let pb = zerops_cache_base::progress::moves(progress, plan.take.len(), "preserve");
    for p in &plan.take {
        if let Some(parent) = Path::new(p).parent() {
            filesystem::create_dirs_like(&new, parent, source, parent)
                .with_context(|| format!("creating {} in the build layer", parent.display()))?;
        }
        filesystem::rename(source, Path::new(p), &new, Path::new(p))?;
        pb.inc(1);
        zerops_cache_base::interrupt::check()?;
    }
    pb.finish_and_clear();
    Ok(())
}
