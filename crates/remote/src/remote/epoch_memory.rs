//! What a builder remembers of each remote, in its store
//! (`remote.epochs.json`): the highest epoch it saw (so a deleted or
//! rolled-back epoch is an error, never a reset), and the epoch each local
//! layer was built or pulled in (so a layer older than the current epoch
//! is rebuilt, never reused nor published). Written atomically (a
//! temporary file renamed over it).

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use zerops_cache_contract::layer::Layer;
use zerops_cache_store::store::Store;

pub(crate) const FILE: &str = "remote.epochs.json";
const FORMAT: &str = "zerops-cache-remote-memory/1";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Memory {
    pub(crate) format: String,
    /// By remote URL (`s3://bucket/prefix`).
    pub(crate) remotes: BTreeMap<String, Known>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Known {
    /// The highest epoch seen on this remote.
    pub(crate) seen: Option<u64>,
    /// `base` / `build` → the layer key and the epoch it was built or pulled in.
    pub(crate) layers: BTreeMap<String, LayerEpoch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct LayerEpoch {
    pub(crate) key: String,
    pub(crate) epoch: u64,
}

impl Known {
    /// The epoch the local `layer` of `key` was built or pulled in, if known.
    pub(crate) fn layer(&self, layer: Layer, key: &str) -> Option<u64> {
        self.layers
            .get(layer.name())
            .filter(|l| l.key == key)
            .map(|l| l.epoch)
    }
}

/// The memory of `store`; an unreadable one is reported and counts as
/// empty (its layers then count as of epoch 0: rebuilt under any raised
/// epoch).
pub(crate) fn read(store: &Store) -> (Memory, Option<String>) {
    let path = store.abs(FILE);
    match std::fs::read(&path) {
        Ok(b) => match serde_json::from_slice::<Memory>(&b) {
            Ok(m) if m.format == FORMAT => (m, None),
            Ok(m) => (
                Memory::default(),
                Some(format!("{}: unknown format {:?}", path.display(), m.format)),
            ),
            Err(e) => (
                Memory::default(),
                Some(format!("{} is unreadable: {e}", path.display())),
            ),
        },
        Err(_) => (Memory::default(), None),
    }
}

/// What this store knows of the remote at `url`.
pub(crate) fn known(store: &Store, url: &str) -> Known {
    read(store).0.remotes.remove(url).unwrap_or_default()
}

/// Changes what is known of `url` and writes it back.
pub(crate) fn update(store: &Store, url: &str, f: impl FnOnce(&mut Known)) -> Result<()> {
    let (mut m, _) = read(store);
    m.format = FORMAT.into();
    f(m.remotes.entry(url.to_string()).or_default());
    let tmp = store.abs(&format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&m)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, store.abs(FILE))
        .with_context(|| format!("writing {}", store.abs(FILE).display()))?;
    Ok(())
}

/// Raises the highest epoch seen (never lowers it).
pub(crate) fn saw(store: &Store, url: &str, epoch: u64) -> Result<()> {
    update(store, url, |k| {
        k.seen = Some(k.seen.unwrap_or(0).max(epoch))
    })
}
