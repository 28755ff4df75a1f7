//! The stored forms keep their bytes: each file in tests/corpus/stored-forms
//! was written by the code of 0.3.0 (a real build's layer record and
//! version record; a journal, its restore batch and stamps, and a remote
//! manifest and delta serialized with every field set), or of 0.4.0 before
//! its stored forms got readable field names in code (a format-2 remote
//! manifest; a real build's version tree). Read with today's types and
//! written back, each must come out byte for byte the same: a field renamed
//! in code keeps its wire name through `serde(rename)`, or this fails. (The
//! version record's, the version tree's and the restore stamps' checks are
//! in crates/store, `version_record`, `version_tree` and `restored`, whose
//! types are the crate's own.)

use std::path::PathBuf;

use serde::{Serialize, de::DeserializeOwned};
use zerops_cache::store::journal::{Journal, Move};
use zerops_cache_contract::remote::Manifest;
use zerops_cache_policy::record::LayerRecord;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus/stored-forms")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Read as `T`, written back compact (as the store writes these).
fn compact_round_trip<T: Serialize + DeserializeOwned>(name: &str) {
    let bytes = fixture(name);
    let value: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_vec(&value).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&back),
        String::from_utf8_lossy(&bytes),
        "{name} changed its bytes"
    );
}

#[test]
fn the_journal_and_its_restore_batch_keep_their_bytes() {
    compact_round_trip::<Journal>("journal.json");
    compact_round_trip::<Vec<Move>>("journal.restore.json");
}

#[test]
fn a_layer_record_keeps_its_bytes() {
    let text = String::from_utf8(fixture("record.json")).unwrap();
    let r = LayerRecord::from_json(&text).unwrap();
    assert_eq!(r.to_json(), text);
}

#[test]
fn remote_manifests_keep_their_bytes() {
    compact_round_trip::<Manifest>("manifest.json");
    compact_round_trip::<Manifest>("manifest-delta.json");
    // Format 2: small blobs sharing a frame (`at`, `fs`), a blob alone, an
    // opaque directory, a negative mtime and a setuid mode.
    compact_round_trip::<Manifest>("manifest-v2.json");
}
