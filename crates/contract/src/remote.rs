//! The remote tier's stored forms: a layer's manifest (its tree and blob
//! index, as JSON) and the object framing (a one-line JSON header with the
//! signature, then the body). Types and their wire form only: which
//! manifest to trust, and every check, are the policy's
//! (`zerops_cache_policy::remote`). The bodies of the other objects are
//! in [`epoch`], [`lock`] and [`index`]; what names say, in [`naming`].

pub mod epoch;
pub mod index;
pub mod lock;
pub mod naming;

use crate::layer::Layer;
use serde::{Deserialize, Serialize};

/// What a publish writes: version 2 lets several small blobs share one zstd
/// frame ([`Blob::at`], [`Blob::frame_size`]).
pub const FORMAT: &str = "zerops-cache-remote-manifest/2";
/// Still read: one frame per blob (neither `at` nor `fs` is ever set).
pub const FORMAT_V1: &str = "zerops-cache-remote-manifest/1";
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub project: String,
    pub setup: String,
    pub layer: Layer,
    /// The entry key (see `naming::entry_key`).
    pub entry: String,
    pub epoch: u64,
    pub image: String,
    pub base_key: String,
    pub build_key: String,
    /// When it was published (Unix ms; informational).
    pub created_ms: u64,
    /// Parents before children (the host walks the tree in that order).
    pub entries: Vec<Entry>,
    pub blobs: Vec<Blob>,
    /// A delta on an earlier manifest of the same layer (then `entries` is
    /// empty and `blobs` indexes only the blobs the delta adds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
}

/// The longest chain of deltas a manifest may stand on.
pub const MAX_DEPTH: u32 = 8;

/// How a manifest differs from its parent: most pushes after an install
/// change every mtime but few contents, so a changed entry lists only the
/// fields that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The parent's entry key (same project, setup, epoch and layer).
    pub parent: String,
    /// SHA-256 of the parent's stored object: exactly that parent.
    pub parent_object: String,
    /// 1 for a delta on a full manifest.
    pub depth: u32,
    /// New or changed entries, in tree order.
    pub changed: Vec<Patch>,
    /// Paths of the parent that are gone (descendants listed too).
    pub removed: Vec<String>,
}

/// A changed or new entry of a [`Delta`]: its path, and only the fields
/// that differ from the parent's entry (all of them for a new entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    #[serde(rename = "p")]
    pub path: String,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the layer's directory, `/`-separated.
    #[serde(rename = "p")]
    pub path: String,
    /// Its type, on the wire as the tag `k` with the type's own fields.
    #[serde(flatten)]
    pub kind: Kind,
    /// Permission bits (`0o7777` at most).
    #[serde(rename = "m")]
    pub mode: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    #[serde(rename = "t")]
    pub mtime_ns: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "lowercase")]
pub enum Kind {
    File {
        /// SHA-256 of the contents.
        #[serde(rename = "d")]
        digest: String,
        /// Length in bytes.
        #[serde(rename = "s")]
        size: u64,
    },
    Dir {
        /// An overlay opaque directory.
        #[serde(rename = "o", default, skip_serializing_if = "std::ops::Not::not")]
        opaque: bool,
    },
    Link {
        /// The symlink's target, as stored.
        to: String,
    },
    /// An overlay whiteout (a character device 0:0).
    Whiteout,
}

/// Where a blob lives: a zstd frame of a pack (`offset`, `len`), and where in
/// that frame once decompressed. A frame is either the blob's alone
/// (`frame_size` absent, `at` 0) or shared by several small blobs laid end
/// to end (format 2), each checked against its own digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// SHA-256 of the blob's contents (a [`Kind::File`]'s `digest`).
    #[serde(rename = "d")]
    pub digest: String,
    /// The pack's digest.
    pub pack: String,
    /// Offset and length of the zstd frame in the pack.
    #[serde(rename = "off")]
    pub offset: u64,
    pub len: u64,
    /// Uncompressed size.
    #[serde(rename = "s")]
    pub size: u64,
    /// Where the blob starts in its decompressed frame.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub at: u64,
    /// The decompressed size of a shared frame (absent: the frame is this
    /// blob alone, `size` bytes).
    #[serde(rename = "fs", default, skip_serializing_if = "Option::is_none")]
    pub frame_size: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Blob {
    /// The decompressed size of its frame.
    pub fn frame_raw(&self) -> u64 {
        self.frame_size.unwrap_or(self.size)
    }

    /// The frame it lives in: pack, offset, length, decompressed size.
    pub fn frame(&self) -> (&str, u64, u64, u64) {
        (&self.pack, self.offset, self.len, self.frame_raw())
    }
}

/// Whether a variable of the host's environment is a credential of the
/// remote tier (the S3 credentials and configuration, the signing secret or
/// key): build commands never receive one unless `--env NAME` passes it.
pub fn is_remote_secret(name: &str) -> bool {
    name.starts_with("AWS_")
        || name == "ZEROPS_CACHE_REMOTE_SECRET"
        || name == "ZEROPS_CACHE_REMOTE_SIGNING_KEY"
}

pub const HMAC: &str = "hmac-sha256";
pub const NONE: &str = "none";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    /// Hex HMAC (empty when unsigned).
    pub sig: String,
    /// Hex SHA-256 of the body.
    pub body: String,
}

/// Splits an object into its header and body.
pub fn split(object: &[u8]) -> Result<(Header, &[u8]), String> {
    let nl = object
        .iter()
        .take(4096)
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let h: Header =
        serde_json::from_slice(&object[..nl]).map_err(|e| format!("bad header: {e}"))?;
    if !is_digest(&h.body) {
        return Err("bad body digest in the header".into());
    }
    Ok((h, &object[nl + 1..]))
}

/// Joins a header and a body into an object.
pub fn join(h: &Header, body: &[u8]) -> Vec<u8> {
    let mut out = serde_json::to_vec(h).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// Whether `s` is a SHA-256 digest in lowercase hex.
pub fn is_digest(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
