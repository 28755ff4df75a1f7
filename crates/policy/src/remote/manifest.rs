//! The manifest of one layer on the remote: its tree (every entry with its
//! type, mode and mtime; file contents by digest) and its blob index (where
//! each digest lives: pack, offset, length of its zstd frame).
//!
//! A manifest is trusted only after [`check`]: it must name exactly the
//! entry it is stored as (no replay under another key), and every path must
//! be relative, free of `.`, `..` and empty parts, declared once, and below
//! a directory of the manifest, so extracting it never writes outside the
//! staging directory or through a symlink.

use std::collections::{BTreeMap, BTreeSet};
pub use zerops_cache_contract::remote::naming::Expect;
pub use zerops_cache_contract::remote::{
    Blob, Delta, Entry, FORMAT, FORMAT_V1, Kind, MAX_DEPTH, Manifest, Patch,
};

/// Limits of what a manifest may hold (a bigger one is refused).
pub const MAX_ENTRIES: usize = 5_000_000;
pub const MAX_PATH: usize = 4096;
/// The largest shared frame (decompressed) a reader accepts: a reader holds
/// one per thread. Writers fill them to 128 KiB.
pub const MAX_SHARED_FRAME: u64 = 16 << 20;

/// The delta from `parent` (a full manifest's entries) to the tree
/// `entries`: changed and new entries with only the fields that differ (a
/// new entry has all of them), and removed paths.
pub fn diff(parent: &[Entry], entries: &[Entry]) -> (Vec<Patch>, Vec<String>) {
    let old: BTreeMap<&str, &Entry> = parent.iter().map(|e| (e.path.as_str(), e)).collect();
    let new: BTreeSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut changed = Vec::new();
    for e in entries {
        match old.get(e.path.as_str()) {
            Some(o) if *o == e => {}
            Some(o) => changed.push(Patch {
                path: e.path.clone(),
                kind: (o.kind != e.kind).then(|| e.kind.clone()),
                mode: (o.mode != e.mode).then_some(e.mode),
                mtime_ns: (o.mtime_ns != e.mtime_ns).then_some(e.mtime_ns),
            }),
            None => changed.push(Patch {
                path: e.path.clone(),
                kind: Some(e.kind.clone()),
                mode: Some(e.mode),
                mtime_ns: Some(e.mtime_ns),
            }),
        }
    }
    let removed = parent
        .iter()
        .filter(|e| !new.contains(e.path.as_str()))
        .map(|e| e.path.clone())
        .collect();
    (changed, removed)
}

/// The full manifest a delta manifest stands for, on its (full, checked)
/// parent: entries in path order (parents first), blobs restricted to
/// those referenced. [`check`] the result before trusting it.
pub fn apply(parent: &Manifest, m: &Manifest) -> Result<Manifest, String> {
    let d = m.delta.as_ref().ok_or("not a delta manifest")?;
    if parent.delta.is_some() {
        return Err("the parent must be resolved first".into());
    }
    let mut tree: BTreeMap<String, Entry> = parent
        .entries
        .iter()
        .map(|e| (e.path.clone(), e.clone()))
        .collect();
    for r in &d.removed {
        if tree.remove(r).is_none() {
            return Err(format!("the delta removes {r:?}, which its parent lacks"));
        }
    }
    for c in &d.changed {
        let e = match tree.remove(&c.path) {
            Some(mut e) => {
                if let Some(k) = &c.kind {
                    e.kind = k.clone();
                }
                if let Some(x) = c.mode {
                    e.mode = x;
                }
                if let Some(x) = c.mtime_ns {
                    e.mtime_ns = x;
                }
                e
            }
            None => Entry {
                path: c.path.clone(),
                kind: c
                    .kind
                    .clone()
                    .ok_or_else(|| format!("{}: a new entry without a kind", c.path))?,
                mode: c
                    .mode
                    .ok_or_else(|| format!("{}: a new entry without a mode", c.path))?,
                mtime_ns: c
                    .mtime_ns
                    .ok_or_else(|| format!("{}: a new entry without an mtime", c.path))?,
            },
        };
        tree.insert(c.path.clone(), e);
    }
    let mut index: BTreeMap<&str, &Blob> = parent
        .blobs
        .iter()
        .map(|b| (b.digest.as_str(), b))
        .collect();
    for b in &m.blobs {
        index.insert(b.digest.as_str(), b);
    }
    let used: BTreeSet<&str> = tree
        .values()
        .filter_map(|e| match &e.kind {
            Kind::File { digest, .. } => Some(digest.as_str()),
            _ => None,
        })
        .collect();
    let blobs = used
        .iter()
        .filter_map(|d| index.get(d).map(|b| (*b).clone()))
        .collect();
    Ok(Manifest {
        entries: tree.into_values().collect(),
        blobs,
        delta: None,
        ..m.clone()
    })
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
    if m.format != FORMAT && m.format != FORMAT_V1 {
        return Err(format!(
            "unknown manifest format {:?} (this zerops-cache reads {FORMAT_V1:?} and {FORMAT:?}; a newer one wrote it?)",
            m.format
        ));
    }
    let same = [
        ("project", m.project.as_str(), want.project.as_str()),
        ("setup", &m.setup, &want.setup),
        ("layer", m.layer.name(), want.layer.name()),
        ("entry", &m.entry, &want.entry),
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
    if let Some(d) = &m.delta {
        // The tree's own rules are checked on the applied result.
        if !super::is_digest(&d.parent) || !super::is_digest(&d.parent_object) {
            return Err("the delta names a bad parent".into());
        }
        if d.parent == m.entry {
            return Err("the delta is its own parent".into());
        }
        if d.depth == 0 || d.depth > MAX_DEPTH {
            return Err(format!(
                "a delta of depth {} (at most {MAX_DEPTH})",
                d.depth
            ));
        }
        if !m.entries.is_empty() {
            return Err("a delta manifest lists entries".into());
        }
        for p in d.changed.iter().map(|c| &c.path).chain(&d.removed) {
            check_path(p)?;
        }
        if d.changed.len() + d.removed.len() > MAX_ENTRIES {
            return Err("the delta is over the limit".into());
        }
        return Ok(());
    }
    if m.entries.len() > MAX_ENTRIES {
        return Err(format!("{} entries is over the limit", m.entries.len()));
    }
    check_blobs(m)?;
    let blobs: BTreeMap<&str, &Blob> = m.blobs.iter().map(|b| (b.digest.as_str(), b)).collect();
    // Directories seen so far: an entry's parent must be one of them.
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in &m.entries {
        check_path(&e.path)?;
        if e.mode > 0o7777 {
            return Err(format!(
                "{}: mode {:o} has more than permission bits",
                e.path, e.mode
            ));
        }
        if !seen.insert(&e.path) {
            return Err(format!("{}: listed twice", e.path));
        }
        if let Some((parent, _)) = e.path.rsplit_once('/')
            && !dirs.contains(parent)
        {
            return Err(format!(
                "{}: its parent is not a directory listed before it",
                e.path
            ));
        }
        match &e.kind {
            Kind::Dir { .. } => {
                dirs.insert(&e.path);
            }
            Kind::File { digest, size } => match blobs.get(digest.as_str()) {
                Some(b) if b.size == *size => {}
                Some(_) => return Err(format!("{}: its size differs from blob {digest}", e.path)),
                None => return Err(format!("{}: blob {digest} is not in the index", e.path)),
            },
            Kind::Link { to } => {
                if to.is_empty() || to.contains('\0') || to.len() > MAX_PATH {
                    return Err(format!("{}: a bad symlink target", e.path));
                }
            }
            Kind::Whiteout => {}
        }
    }
    Ok(())
}

/// The blob index's own rules: digests, ranges, each blob once, and frames
/// that agree: the blobs of one frame (pack and offset) name the same
/// length and decompressed size, and each lies inside it.
fn check_blobs(m: &Manifest) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    let mut frames: BTreeMap<(&str, u64), (u64, u64)> = BTreeMap::new();
    for b in &m.blobs {
        if !super::is_digest(&b.digest) || !super::is_digest(&b.pack) {
            return Err(format!("the blob index has a bad digest {:?}", b.digest));
        }
        if b.len == 0 || b.offset.checked_add(b.len).is_none() {
            return Err(format!("blob {} has a bad range", b.digest));
        }
        if !seen.insert(b.digest.as_str()) {
            return Err(format!("blob {} is indexed twice", b.digest));
        }
        match b.frame_size {
            None if b.at != 0 => {
                return Err(format!(
                    "blob {} starts inside a frame of its own",
                    b.digest
                ));
            }
            None => {}
            Some(_) if m.format == FORMAT_V1 => {
                return Err(format!(
                    "blob {} shares a frame in a version-1 manifest",
                    b.digest
                ));
            }
            Some(f) => {
                if f > MAX_SHARED_FRAME {
                    return Err(format!(
                        "blob {}: a shared frame of {f} bytes (at most {MAX_SHARED_FRAME})",
                        b.digest
                    ));
                }
                if b.at.checked_add(b.size).is_none_or(|end| end > f) {
                    return Err(format!("blob {} lies outside its frame", b.digest));
                }
            }
        }
        let frame = (b.len, b.frame_raw());
        if *frames.entry((b.pack.as_str(), b.offset)).or_insert(frame) != frame {
            return Err(format!(
                "blob {}: its frame in pack {} at {} is described two ways",
                b.digest, b.pack, b.offset
            ));
        }
    }
    Ok(())
}

/// The frames a manifest's blobs live in, each once: (pack, offset) to
/// (length, decompressed size).
pub fn frames(m: &Manifest) -> BTreeMap<(&str, u64), (u64, u64)> {
    m.blobs
        .iter()
        .map(|b| ((b.pack.as_str(), b.offset), (b.len, b.frame_raw())))
        .collect()
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
            Kind::File { size, .. } => size,
            _ => 0,
        })
        .sum();
    (raw, frames(m).values().map(|(len, _)| len).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerops_cache_contract::layer::Layer;

    fn d(c: char) -> String {
        c.to_string().repeat(64)
    }

    pub fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            project: "app-1".into(),
            setup: "api".into(),
            layer: Layer::Build,
            entry: d('e'),
            epoch: 2,
            image: "host".into(),
            base_key: "b".into(),
            build_key: "c".into(),
            created_ms: 0,
            entries: vec![
                Entry {
                    path: "node_modules".into(),
                    kind: Kind::Dir { opaque: false },
                    mode: 0o755,
                    mtime_ns: 1,
                },
                Entry {
                    path: "node_modules/a.js".into(),
                    kind: Kind::File {
                        digest: d('a'),
                        size: 3,
                    },
                    mode: 0o644,
                    mtime_ns: 1,
                },
                Entry {
                    path: "node_modules/.bin".into(),
                    kind: Kind::Link { to: "../x".into() },
                    mode: 0o777,
                    mtime_ns: 1,
                },
                Entry {
                    path: "gone".into(),
                    kind: Kind::Whiteout,
                    mode: 0,
                    mtime_ns: 1,
                },
            ],
            blobs: vec![Blob {
                digest: d('a'),
                pack: d('f'),
                offset: 0,
                len: 12,
                size: 3,
                at: 0,
                frame_size: None,
            }],
            delta: None,
        }
    }

    /// `sample` with a second file whose blob shares the first one's frame.
    fn shared() -> Manifest {
        let mut m = sample();
        m.entries.insert(
            2,
            Entry {
                path: "node_modules/b.js".into(),
                kind: Kind::File {
                    digest: d('b'),
                    size: 5,
                },
                mode: 0o644,
                mtime_ns: 1,
            },
        );
        m.blobs[0].frame_size = Some(8);
        m.blobs.push(Blob {
            at: 3,
            size: 5,
            digest: d('b'),
            ..m.blobs[0].clone()
        });
        m
    }

    #[test]
    fn blobs_may_share_a_frame_that_holds_them() {
        let m = shared();
        check(&m, &want(&m)).unwrap();
        // The frame is counted once.
        assert_eq!(sizes(&m), (8, 12));
        assert_eq!(frames(&m).len(), 1);
        let j = serde_json::to_string(&m).unwrap();
        assert!(j.contains(r#""at":3"#) && j.contains(r#""fs":8"#), "{j}");
        assert_eq!(serde_json::from_str::<Manifest>(&j).unwrap(), m);
        // A version-1 manifest (no `at`, no `fs`) is still read, as one
        // frame per blob.
        let mut v1 = sample();
        v1.format = FORMAT_V1.into();
        let j = serde_json::to_string(&v1).unwrap();
        assert!(!j.contains(r#""at""#) && !j.contains(r#""fs""#), "{j}");
        let back: Manifest = serde_json::from_str(&j).unwrap();
        check(&back, &want(&v1)).unwrap();
        assert_eq!(back.blobs[0].frame_raw(), 3);
        assert_eq!(back.blobs[0].at, 0);
    }

    #[test]
    fn frames_that_do_not_hold_their_blobs_are_refused() {
        type Change = fn(&mut Manifest);
        let cases: [(&str, Change); 7] = [
            ("outside its frame", |m| m.blobs[1].at = 4),
            ("outside its frame", |m| m.blobs[1].at = u64::MAX),
            ("described two ways", |m| m.blobs[1].len = 13),
            ("described two ways", |m| m.blobs[1].frame_size = Some(9)),
            ("inside a frame of its own", |m| {
                m.blobs[1].frame_size = None;
            }),
            ("a shared frame of", |m| {
                for b in &mut m.blobs {
                    b.frame_size = Some(MAX_SHARED_FRAME + 1);
                }
            }),
            ("version-1", |m| m.format = FORMAT_V1.into()),
        ];
        for (why, change) in cases {
            let mut m = shared();
            change(&mut m);
            let e = check(&m, &want(&shared())).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
        let mut m = sample();
        m.format = "zerops-cache-remote-manifest/3".into();
        let e = check(&m, &want(&sample())).unwrap_err();
        assert!(e.contains("unknown manifest format"), "{e}");
    }

    fn want(m: &Manifest) -> Expect {
        Expect {
            project: m.project.clone(),
            setup: m.setup.clone(),
            layer: m.layer,
            entry: m.entry.clone(),
            epoch: m.epoch,
        }
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
        w.entry = d('0');
        assert!(check(&m, &w).unwrap_err().contains("replayed"));
        let mut w = want(&m);
        w.layer = Layer::Base;
        let e = check(&m, &w).unwrap_err();
        assert!(
            e.contains(r#"layer "build" but is stored as "base""#),
            "{e}"
        );
        let mut w = want(&m);
        w.epoch = 3;
        assert!(check(&m, &w).unwrap_err().contains("epoch"));
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x",
            "node_modules/../../x",
            "a//b",
            "./a",
            "",
        ] {
            let mut m = sample();
            m.entries[1].path = bad.into();
            assert!(check(&m, &want(&sample())).is_err(), "{bad}");
        }
        // Writing through a symlink: a child of a link.
        let mut m = sample();
        m.entries.push(Entry {
            path: "node_modules/.bin/evil".into(),
            kind: Kind::Whiteout,
            mode: 0,
            mtime_ns: 0,
        });
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
    fn deltas_apply_to_the_same_tree() {
        let parent = sample();
        let mut next = parent.entries.clone();
        next[1].mtime_ns = 99; // only the mtime
        next[2].kind = Kind::Link { to: "../y".into() };
        next.retain(|e| e.path != "gone");
        next.push(Entry {
            path: "node_modules/b.js".into(),
            kind: Kind::File {
                digest: d('b'),
                size: 1,
            },
            mode: 0o600,
            mtime_ns: 5,
        });
        let (changed, removed) = diff(&parent.entries, &next);
        assert_eq!(removed, vec!["gone".to_string()]);
        assert_eq!(changed.len(), 3);
        assert_eq!(
            changed[0],
            Patch {
                path: "node_modules/a.js".into(),
                kind: None,
                mode: None,
                mtime_ns: Some(99)
            }
        );
        let mut m = sample();
        m.entry = d('9');
        m.entries.clear();
        m.blobs = vec![Blob {
            digest: d('b'),
            pack: d('c'),
            offset: 0,
            len: 9,
            size: 1,
            at: 0,
            frame_size: None,
        }];
        m.delta = Some(Delta {
            parent: parent.entry.clone(),
            parent_object: d('7'),
            depth: 1,
            changed,
            removed,
        });
        let w = want(&m);
        check(&m, &w).unwrap();
        let full = apply(&parent, &m).unwrap();
        check(&full, &w).unwrap();
        let mut want = next.clone();
        want.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(full.entries, want);
        assert_eq!(full.blobs.len(), 2);
        assert!(full.delta.is_none());
        // Hostile deltas.
        let mut bad = m.clone();
        bad.delta.as_mut().unwrap().removed.push("nope".into());
        assert!(apply(&parent, &bad).is_err());
        let mut bad = m.clone();
        bad.delta.as_mut().unwrap().changed[0].path = "../x".into();
        assert!(check(&bad, &w).is_err());
        let mut bad = m.clone();
        bad.delta.as_mut().unwrap().depth = MAX_DEPTH + 1;
        assert!(check(&bad, &w).is_err());
        // A new entry under a symlink is caught on the applied tree.
        let mut bad = m.clone();
        bad.delta.as_mut().unwrap().changed.push(Patch {
            path: "node_modules/.bin/x".into(),
            kind: Some(Kind::Whiteout),
            mode: Some(0),
            mtime_ns: Some(0),
        });
        assert!(check(&apply(&parent, &bad).unwrap(), &w).is_err());
    }

    #[test]
    fn blobs_must_be_indexed_and_consistent() {
        let mut m = sample();
        m.blobs.clear();
        assert!(
            check(&m, &want(&sample()))
                .unwrap_err()
                .contains("not in the index")
        );
        let mut m = sample();
        m.blobs[0].size = 4;
        assert!(check(&m, &want(&sample())).unwrap_err().contains("size"));
        let mut m = sample();
        m.blobs[0].pack = "zz".into();
        assert!(check(&m, &want(&sample())).is_err());
        let mut m = sample();
        m.entries[1].mode = 0o100644;
        assert!(check(&m, &want(&sample())).is_err());
    }
}
