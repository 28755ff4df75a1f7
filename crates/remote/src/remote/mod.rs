//! The remote tier: layers shared through an S3-compatible object store.
//!
//! Every rule (names, checks, trust, epochs, gc) is asked of the component
//! (`component::remote`); this module moves bytes:
//! - [`config`]: `--remote`, the AWS_* variables, the signing secret, limits;
//! - [`sign`]: HMAC-SHA256 or ed25519 over what the component says to sign;
//! - [`layer_dir`]: a layer directory to manifest entries and back;
//! - [`tree_walk`]: the walk of a layer directory, on every core;
//! - [`pack`]: a push's one pass over the files (read, hash, compress);
//! - [`push`]: missing packs, then the manifest (create-if-absent);
//! - [`pull`]: the manifest, verified blobs into a staging directory, then
//!   renamed into the store;
//! - [`tier`]: what `build`, `invalidate` and `activate` do with it (a
//!   failing remote never fails a build);
//! - [`admin`]: `zerops-cache remote ls|pull|push|gc|verify`;
//! - [`epochs`]: the current epoch (signed, monotonic) and raising it;
//! - [`epoch_memory`]: what a store remembers of epochs (seen, per layer);
//! - [`locks`]: shared locks for publishing, exclusive for gc;
//! - [`quarantine`]: what a reader refused, noted so a publish heals it;
//! - [`index`]: what `remote ls` shows, kept by publishes (O(1) listing).

pub mod admin;
pub mod config;
pub(crate) mod epoch_memory;
pub(crate) mod epochs;
pub(crate) mod index;
pub(crate) mod layer_dir;
pub(crate) mod locks;
/// Public for its framing constants (the floor benchmark packs as a push does).
pub mod pack;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod quarantine;
pub mod sign;
pub mod tier;
pub(crate) mod tree_walk;

#[cfg(test)]
mod tests;

// The one place the host takes data types of the remote tier from the
// policy crate: the manifest, as it is stored (JSON).
pub(crate) use zerops_cache_contract::remote::{
    Blob, Delta, Entry, FORMAT, Kind, MAX_DEPTH, Manifest,
};
pub(crate) use zerops_cache_contract::remote::{
    Header, join as join_object, split as split_object,
};

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// What moved, for the summary.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    pub(crate) bytes_up: AtomicU64,
    pub(crate) objects_up: AtomicU64,
    pub(crate) bytes_down: AtomicU64,
    pub(crate) objects_down: AtomicU64,
}

impl Traffic {
    pub(crate) fn up(&self, bytes: u64) {
        self.bytes_up.fetch_add(bytes, Ordering::Relaxed);
        self.objects_up.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn down(&self, bytes: u64) {
        self.bytes_down.fetch_add(bytes, Ordering::Relaxed);
        self.objects_down.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn summary(&self) -> TrafficSummary {
        TrafficSummary {
            bytes_up: self.bytes_up.load(Ordering::Relaxed),
            objects_up: self.objects_up.load(Ordering::Relaxed),
            bytes_down: self.bytes_down.load(Ordering::Relaxed),
            objects_down: self.objects_down.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub(crate) struct TrafficSummary {
    pub(crate) bytes_up: u64,
    pub(crate) objects_up: u64,
    pub(crate) bytes_down: u64,
    pub(crate) objects_down: u64,
}

/// Hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}
