//! Rules of the remote cache tier (an S3-compatible object store shared by
//! many builders). Pure: the host lists, fetches and stores objects; these
//! functions name them, check them, say what to trust and what to remove.
//!
//! - [`identity`]: which project a checkout is, independent of its path;
//! - [`naming`]: object names under the remote prefix;
//! - [`manifest`]: the tree of a layer and its blob index, and its checks;
//! - [`signature`]: what is signed and when a manifest may be trusted;
//! - [`epoch`]: invalidation per project and setup;
//! - [`gc`]: what to remove by age and total size, and why;
//! - [`lock`]: restic's lock protocol between publishing and gc;
//! - [`index`]: what `remote ls` shows, kept by publishes.

pub mod epoch;
pub mod gc;
pub mod identity;
pub mod index;
pub mod lock;
pub mod manifest;
pub mod naming;
pub mod signature;

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

pub use zerops_cache_contract::remote::is_digest;
