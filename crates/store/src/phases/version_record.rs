//! A version's record (`versions/N.json`): its metadata, the digest of its
//! tree file, and a checksum of the record itself (the SHA-256 of the
//! record as written with the checksum left out), so a damaged or
//! truncated record is an error that names it, never "there is no
//! version N".

use anyhow::Result;
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::object_check::{hex, of_bytes};
use crate::store::layout::VERSIONS;
use crate::store::record_io::{read_bytes, write_atomic};
use zerops_cache_base::exit::Exit;

/// The largest record read.
const MAX_BYTES: u64 = 1 << 20;

/// What is stored beside a version (`versions/N.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VersionMeta {
    pub version: u32,
    pub created_at: String,
    pub(crate) setup: String,
    pub files: u64,
    pub bytes: u64,
    /// Files shared with the previous version (its objects, not copied).
    #[serde(default)]
    pub linked: u64,
    /// The SHA-256 of the tree file `N.tree`.
    pub(crate) tree_sha256: String,
    /// The SHA-256 of this record as written without this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha256: Option<String>,
}

pub(crate) fn rel(v: u32) -> String {
    format!("{VERSIONS}/{v}.json")
}

fn sum(meta: &VersionMeta) -> Result<String> {
    let mut bare = meta.clone();
    bare.sha256 = None;
    Ok(hex(&of_bytes(&serde_json::to_vec_pretty(&bare)?)))
}

/// Writes version `v`'s record (fsynced, then renamed in) with its checksum.
pub(crate) fn write(versions: &Dir, meta: &VersionMeta) -> Result<()> {
    let mut m = meta.clone();
    m.sha256 = Some(sum(meta)?);
    write_atomic(
        versions,
        &format!("{}.json", meta.version),
        &serde_json::to_vec_pretty(&m)?,
    )
}

/// Version `v`'s record: `Ok(None)` when there is none, an error of class
/// 6 naming the file and the version when it is there but not a regular
/// file, not JSON, without its checksum (written before checksums) or not
/// matching it.
pub(crate) fn read(store: &Dir, v: u32) -> Result<Option<VersionMeta>> {
    let rel = rel(v);
    let broken = |what: String| {
        Exit::StoreBroken.error(format!(
            "version {v}: its record {rel} {what}; `zerops-cache repair` sets the version aside"
        ))
    };
    let bytes = match read_bytes(store, Path::new(&rel), MAX_BYTES) {
        Ok(None) => return Ok(None),
        Ok(Some(b)) => b,
        Err(p) => return Err(broken(p.to_string())),
    };
    let meta: VersionMeta = serde_json::from_slice(&bytes)
        .map_err(|e| broken(format!("is damaged (not a version record: {e})")))?;
    match &meta.sha256 {
        None => Err(broken(
            "was written by an older zerops-cache, without a checksum".into(),
        )),
        Some(s) if *s != sum(&meta)? => {
            Err(broken("is damaged (its checksum does not match)".into()))
        }
        Some(_) if meta.version != v => Err(broken(format!(
            "is damaged (it says it is version {})",
            meta.version
        ))),
        Some(_) => Ok(Some(meta)),
    }
}

/// Checks that the tree file of version `v` is the one its record names.
pub(crate) fn tree_matches(store: &Dir, meta: &VersionMeta) -> Result<()> {
    let v = meta.version;
    let tree = super::version_tree::path(v);
    let want = &meta.tree_sha256;
    let got = match read_bytes(store, Path::new(&tree), 1 << 30) {
        Ok(Some(b)) => hex(&of_bytes(&b)),
        Ok(None) => "(missing)".into(),
        Err(p) => p.to_string(),
    };
    if got != *want {
        return Err(Exit::StoreBroken.error(format!(
            "version {v}: its tree {tree} is not the one its record {} names; \
             `zerops-cache repair` sets the version aside",
            rel(v)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version record a real build of 0.4.0 wrote keeps its bytes and
    /// its checksum when read and written back (a field renamed in code
    /// keeps its wire name through `serde(rename)`).
    #[test]
    fn a_stored_record_keeps_its_bytes() {
        let bytes = include_bytes!("../../../../tests/corpus/stored-forms/version.json");
        let m: VersionMeta = serde_json::from_slice(bytes).unwrap();
        assert_eq!(serde_json::to_vec_pretty(&m).unwrap(), bytes);
        assert_eq!(m.sha256, Some(sum(&m).unwrap()));
    }

    #[test]
    fn records_round_trip_and_damage_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        store.create_dir(VERSIONS).unwrap();
        let versions = store.open_dir(VERSIONS).unwrap();
        let m = VersionMeta {
            version: 3,
            created_at: "2026-01-01T00:00:00Z".into(),
            setup: "app".into(),
            files: 2,
            bytes: 10,
            linked: 1,
            tree_sha256: hex(&of_bytes(b"t")),
            sha256: None,
        };
        write(&versions, &m).unwrap();
        let back = read(&store, 3).unwrap().unwrap();
        assert_eq!(back.files, 2);
        assert!(read(&store, 4).unwrap().is_none());
        let text = store.read_to_string("versions/3.json").unwrap();
        // Without the tree's digest (a record of a version before trees).
        let no_tree: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("tree_sha256"))
            .collect();
        for bad in [
            text.replace("\"files\": 2", "\"files\": 3"),
            no_tree.join("\n"),
            text[..text.len() / 2].to_string(),
            String::new(),
        ] {
            store.write("versions/3.json", bad).unwrap();
            let e = read(&store, 3).unwrap_err();
            assert_eq!(Exit::of(&e), Exit::StoreBroken);
            assert!(format!("{e}").contains("versions/3.json"), "{e}");
        }
        store.write("versions/3.json", b"\xff\xfe").unwrap();
        assert_eq!(Exit::of(&read(&store, 3).unwrap_err()), Exit::StoreBroken);
    }
}
