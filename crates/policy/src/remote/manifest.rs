//! The manifest of one layer on the remote: its tree (every entry with its
//! type, mode and mtime; file contents by digest) and its blob index (where
//! each digest lives: pack, offset, length of its zstd frame).
//!
//! A manifest is trusted only after [`check`]: it must name exactly the
//! entry it is stored as (no replay under another key), and every path must
//! be relative, free of `.`, `..` and empty parts, declared once, and below
//! a directory of the manifest, so extracting it never writes outside the
//! staging directory or through a symlink.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const FORMAT: &str = "zerops-cache-remote-manifest/1";
/// Limits of what a manifest may hold (a bigger one is refused).
pub const MAX_ENTRIES: usize = 5_000_000;
pub const MAX_PATH: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub project: String,
    pub setup: String,
    /// `base` or `build`.
    pub layer: String,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the layer's directory, `/`-separated.
    pub p: String,
    #[serde(flatten)]
    pub kind: Kind,
    /// Permission bits (`0o7777` at most).
    pub m: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    pub t: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "lowercase")]
pub enum Kind {
    File {
        /// SHA-256 of the contents.
        d: String,
        s: u64,
    },
    Dir {
        /// An overlay opaque directory.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        o: bool,
    },
    Link {
        to: String,
    },
    /// An overlay whiteout (a character device 0:0).
    Whiteout,
}

/// Where a blob lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub d: String,
    /// The pack's digest.
    pub pack: String,
    /// Offset and length of the zstd frame in the pack.
    pub off: u64,
    pub len: u64,
    /// Uncompressed size.
    pub s: u64,
}

/// What the reader expects the manifest to be.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub project: &'a str,
    pub setup: &'a str,
    pub layer: &'a str,
    pub entry: &'a str,
    pub epoch: u64,
}

fn check_path(p: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > MAX_PATH {
        return Err(format!("the path {p:?} is empty or too long"));
    }
    if p.starts_with('/') || p.contains('\0') {
        return Err(format!("the path {p:?} is not relative"));
    }
    if p.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(format!("the path {p:?} has an empty, `.` or `..` part"));
    }
    Ok(())
}

/// Checks a manifest against what it is stored as; the first problem.
pub fn check(m: &Manifest, want: &Expect) -> Result<(), String> {
    if m.format != FORMAT {
        return Err(format!("unknown manifest format {:?}", m.format));
    }
    let same = [
        ("project", m.project.as_str(), want.project),
        ("setup", &m.setup, want.setup),
        ("layer", &m.layer, want.layer),
        ("entry", &m.entry, want.entry),
    ];
    for (field, have, w) in same {
        if have != w {
            return Err(format!(
                "the manifest says {field} {have:?} but is stored as {w:?} (replayed under another name?)"
            ));
        }
    }
    if m.epoch != want.epoch {
        return Err(format!(
            "the manifest says epoch {} but is stored under epoch {}",
            m.epoch, want.epoch
        ));
    }
    if m.entries.len() > MAX_ENTRIES {
        return Err(format!("{} entries is over the limit", m.entries.len()));
    }
    let mut blobs = BTreeMap::new();
    for b in &m.blobs {
        if !super::is_digest(&b.d) || !super::is_digest(&b.pack) {
            return Err(format!("the blob index has a bad digest {:?}", b.d));
        }
        if b.len == 0 || b.off.checked_add(b.len).is_none() {
            return Err(format!("blob {} has a bad range", b.d));
        }
        if blobs.insert(b.d.as_str(), b).is_some() {
            return Err(format!("blob {} is indexed twice", b.d));
        }
    }
    // Directories seen so far: an entry's parent must be one of them.
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in &m.entries {
        check_path(&e.p)?;
        if e.m > 0o7777 {
            return Err(format!("{}: mode {:o} has more than permission bits", e.p, e.m));
        }
        if !seen.insert(&e.p) {
            return Err(format!("{}: listed twice", e.p));
        }
        if let Some((parent, _)) = e.p.rsplit_once('/')
            && !dirs.contains(parent)
        {
            return Err(format!(
                "{}: its parent is not a directory listed before it",
                e.p
            ));
        }
        match &e.kind {
            Kind::Dir { .. } => {
                dirs.insert(&e.p);
            }
            Kind::File { d, s } => match blobs.get(d.as_str()) {
                Some(b) if b.s == *s => {}
                Some(_) => return Err(format!("{}: its size differs from blob {d}", e.p)),
                None => return Err(format!("{}: blob {d} is not in the index", e.p)),
            },
            Kind::Link { to } => {
                if to.is_empty() || to.contains('\0') || to.len() > MAX_PATH {
                    return Err(format!("{}: a bad symlink target", e.p));
                }
            }
            Kind::Whiteout => {}
        }
    }
    Ok(())
}

/// The packs a manifest references (each once, sorted).
pub fn packs(m: &Manifest) -> Vec<String> {
    let s: BTreeSet<&str> = m.blobs.iter().map(|b| b.pack.as_str()).collect();
    s.into_iter().map(str::to_string).collect()
}

/// Bytes of file contents (uncompressed) and of frames (as stored).
pub fn sizes(m: &Manifest) -> (u64, u64) {
    let raw = m
        .entries
        .iter()
        .map(|e| match e.kind {
            Kind::File { s, .. } => s,
            _ => 0,
        })
        .sum();
    (raw, m.blobs.iter().map(|b| b.len).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        c.to_string().repeat(64)
    }

    pub fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            project: "app-1".into(),
            setup: "api".into(),
            layer: "build".into(),
            entry: d('e'),
            epoch: 2,
            image: "host".into(),
            base_key: "b".into(),
            build_key: "c".into(),
            created_ms: 0,
            entries: vec![
                Entry { p: "node_modules".into(), kind: Kind::Dir { o: false }, m: 0o755, t: 1 },
                Entry { p: "node_modules/a.js".into(), kind: Kind::File { d: d('a'), s: 3 }, m: 0o644, t: 1 },
                Entry { p: "node_modules/.bin".into(), kind: Kind::Link { to: "../x".into() }, m: 0o777, t: 1 },
                Entry { p: "gone".into(), kind: Kind::Whiteout, m: 0, t: 1 },
            ],
            blobs: vec![Blob { d: d('a'), pack: d('f'), off: 0, len: 12, s: 3 }],
        }
    }

    fn want(m: &Manifest) -> Expect<'_> {
        Expect { project: &m.project, setup: &m.setup, layer: &m.layer, entry: &m.entry, epoch: m.epoch }
    }

    #[test]
    fn a_good_manifest_passes_and_round_trips() {
        let m = sample();
        check(&m, &want(&m)).unwrap();
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&j).unwrap(), m);
        assert_eq!(packs(&m), vec![d('f')]);
        assert_eq!(sizes(&m), (3, 12));
    }

    #[test]
    fn replays_under_another_name_are_refused() {
        let m = sample();
        let mut w = want(&m);
        let other = d('0');
        w.entry = &other;
        assert!(check(&m, &w).unwrap_err().contains("replayed"));
        let mut w = want(&m);
        w.epoch = 3;
        assert!(check(&m, &w).unwrap_err().contains("epoch"));
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in ["/etc/passwd", "../x", "node_modules/../../x", "a//b", "./a", ""] {
            let mut m = sample();
            m.entries[1].p = bad.into();
            assert!(check(&m, &want(&sample())).is_err(), "{bad}");
        }
        // Writing through a symlink: a child of a link.
        let mut m = sample();
        m.entries.push(Entry { p: "node_modules/.bin/evil".into(), kind: Kind::Whiteout, m: 0, t: 0 });
        assert!(check(&m, &want(&sample())).unwrap_err().contains("parent"));
        // A child before its parent.
        let mut m = sample();
        m.entries.swap(0, 1);
        assert!(check(&m, &want(&sample())).is_err());
        let mut m = sample();
        m.entries.push(m.entries[1].clone());
        assert!(check(&m, &want(&sample())).unwrap_err().contains("twice"));
    }

    #[test]
    fn blobs_must_be_indexed_and_consistent() {
        let mut m = sample();
        m.blobs.clear();
        assert!(check(&m, &want(&sample())).unwrap_err().contains("not in the index"));
        let mut m = sample();
        m.blobs[0].s = 4;
        assert!(check(&m, &want(&sample())).unwrap_err().contains("size"));
        let mut m = sample();
        m.blobs[0].pack = "zz".into();
        assert!(check(&m, &want(&sample())).is_err());
        let mut m = sample();
        m.entries[1].m = 0o100644;
        assert!(check(&m, &want(&sample())).is_err());
    }
}

/// [`check`] over a manifest's JSON.
pub fn check_json(json: &str, want: &Expect) -> Result<Manifest, String> {
    let m: Manifest =
        serde_json::from_str(json).map_err(|e| format!("the manifest is not readable: {e}"))?;
    check(&m, want)?;
    Ok(m)
}
