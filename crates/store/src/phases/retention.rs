//! Retention: versions over the budget ([`Budget`]: 10 by default, as on
//! Zerops) are removed as the policy decides, then the objects no kept
//! version names.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::{HashMap, HashSet};

use super::objects;
use super::version_tree::{ObjectId, Tree};
use super::versions::{active, list_versions};
use crate::store::journal::to_trash;
use zerops_cache_component::component::PolicyHost;

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
/// (a version without a tree, damaged, holds none).
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
    let total: u64 = users.values().map(|(_, len)| len).sum();
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
            None => 0,
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
