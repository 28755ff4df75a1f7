//! Undoing a failed build: what the layers keep (README "What a failed
//! build keeps").

use anyhow::Result;
use cap_std::fs::Dir;

use super::summary::Kept;
use zerops_cache_store::store::Store;
use zerops_cache_store::store::journal::{self, Journal};
use zerops_cache_store::store::layout::CACHE;

/// Undoes a failed build: everything restored goes back into the cache
/// (or, with `discard`, the build layer is dropped), the old home comes
/// back if it was reset. The layer record is not touched.
pub(super) fn roll_back(
    store: &Store,
    source: Option<&Dir>,
    j: &Journal,
    discard: bool,
) -> Result<Kept> {
    if discard {
        return discard_build_layer(store, source, j);
    }
    let r = journal::roll_back_build(&store.dir, source, j)?;
    let moved = match r.moves {
        0 => "nothing was moved".to_string(),
        1 => "1 moved entry put back".to_string(),
        n => format!("{n} moved entries put back"),
    };
    // A base layer that went (or was replaced) took the build layer along.
    let build = match r.base {
        journal::BaseAfter::KeptPrepared | journal::BaseAfter::Dropped(_) => "dropped",
        _ => r.cache.name(),
    };
    Ok(Kept {
        base: r.base.name(),
        build,
        message: format!("build failed: {moved}; {}", r.describe()),
    })
}

/// `--discard-cache-on-failure`: the build layer is dropped instead of
/// getting back what was restored from it.
fn discard_build_layer(store: &Store, source: Option<&Dir>, j: &Journal) -> Result<Kept> {
    // The layer goes first: a crash after it leaves no half cache.
    journal::to_trash(&store.dir, CACHE)?;
    store.dir.create_dir_all(CACHE)?;
    let mut j2 = j.clone();
    j2.restore.clear();
    let r = journal::roll_back_build(&store.dir, source, &j2)?;
    journal::clean(&store.dir)?;
    let base = r
        .base
        .describe()
        .unwrap_or_else(|| "the layer record is unchanged".into());
    Ok(Kept {
        base: r.base.name(),
        build: "dropped",
        message: format!(
            "build failed: the build layer was dropped (--discard-cache-on-failure); {base}"
        ),
    })
}
