//! The remote interface carries records, and the host writes their bytes:
//! the bodies the component answers (invalidation, lock, index) serialize
//! to exactly the bytes 0.3.0 wrote when the component returned JSON text
//! (tests/corpus/stored-forms), and manifests cross the boundary whole, in
//! both directions, agreeing with the policy run natively.

use std::path::PathBuf;

use zerops_cache_contract::layer::Layer;
use zerops_cache_contract::remote::epoch::Invalidation;
use zerops_cache_contract::remote::index::{Index, IndexEntry};
use zerops_cache_contract::remote::lock::{Lock, LockFacts, LockKind};
use zerops_cache_contract::remote::naming::Expect;
use zerops_cache_contract::remote::{Entry, Kind, Manifest};
use zerops_cache_policy::remote::manifest as policy;

use crate::common::host;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus/stored-forms")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn manifest(name: &str) -> Manifest {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn same_bytes(what: &str, ours: Vec<u8>) {
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&fixture(what)),
        "{what}: the host writes other bytes than 0.3.0"
    );
}

#[test]
fn the_bodies_the_component_answers_keep_their_bytes() {
    let h = host();
    let (project, setup) = ("git-5034b0a34a81", "app");
    let o = h
        .epoch_object(project, setup, 3, r#"activate 2: "v2" \ über"#)
        .unwrap();
    same_bytes("invalidation.json", serde_json::to_vec(&o).unwrap());
    let back: Invalidation = serde_json::from_slice(&fixture("invalidation.json")).unwrap();
    assert_eq!(
        h.check_epoch_object(back, project, setup, 3).unwrap(),
        Ok(())
    );

    let l = h
        .lock_body(LockKind::Shared, "publish git-5034b0a34a81/app")
        .unwrap();
    same_bytes("lock.json", serde_json::to_vec(&l).unwrap());

    let entry = |layer: &str, key: &str, files, bytes, stored_bytes| IndexEntry {
        name: format!("v1/manifests/{project}/{setup}/e3/{layer}/{key}"),
        files,
        bytes,
        stored_bytes,
    };
    let i = h
        .index_add(None, project, setup, &entry("build", "bbbb", 5, 5, 14))
        .unwrap();
    let i = h
        .index_add(Some(i), project, setup, &entry("base", "aaaa", 2, 10, 7))
        .unwrap();
    same_bytes("index.json", serde_json::to_vec(&i).unwrap());
    let stored: Index = serde_json::from_slice(&fixture("index.json")).unwrap();
    assert_eq!(
        h.index_read(stored.clone(), project, setup).unwrap(),
        Ok(i.entries)
    );
    let e = h.index_read(stored, project, "other").unwrap().unwrap_err();
    assert!(e.contains("stored as"), "{e}");
}

#[test]
fn locks_cross_as_records_and_an_unparsed_one_blocks() {
    let h = host();
    let lock = |kind| Lock {
        format: "zerops-cache-remote-lock/1".into(),
        kind,
        holder: "someone".into(),
    };
    let other = |body| LockFacts {
        name: "v1/locks/x".into(),
        body,
        modified_ms: 1_000,
    };
    let shared = [other(Some(lock(LockKind::Shared)))];
    assert_eq!(
        h.lock_verdict(LockKind::Shared, 2_000, &shared).unwrap(),
        Ok(())
    );
    let e = h
        .lock_verdict(LockKind::Exclusive, 2_000, &shared)
        .unwrap()
        .unwrap_err();
    assert!(e.contains("locked by someone"), "{e}");
    let e = h
        .lock_verdict(LockKind::Shared, 2_000, &[other(None)])
        .unwrap()
        .unwrap_err();
    assert!(e.contains("an unreadable lock"), "{e}");
    let old = 1_000 + 30 * 60 * 1000;
    assert_eq!(
        h.stale_locks(old, &[other(None)]).unwrap(),
        vec!["v1/locks/x".to_string()]
    );
}

/// A full manifest (every entry kind) and a delta on it (patches with and
/// without each field) go through the component and back: the answers are
/// the policy's own, computed natively.
#[test]
fn manifests_cross_whole_and_agree_with_the_policy() {
    let h = host();
    let (parent, delta) = (manifest("manifest.json"), manifest("manifest-delta.json"));
    let native = policy::apply(&parent, &delta).unwrap();
    let applied = h
        .apply_delta(parent.clone(), delta.clone())
        .unwrap()
        .unwrap();
    assert_eq!(applied, native);
    // The diff back from the applied tree is the delta's.
    let (changed, removed) = h
        .diff_tree(parent.entries.clone(), applied.entries.clone())
        .unwrap();
    let d = delta.delta.as_ref().unwrap();
    assert_eq!(
        (changed.clone(), removed.clone()),
        policy::diff(&parent.entries, &applied.entries)
    );
    assert_eq!(removed, d.removed);
    let mut want = d.changed.clone();
    want.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(changed, want);

    // check-manifest gives the manifest back unchanged, or the policy's
    // first problem (this fixture has an empty path).
    let expect = |m: &Manifest| Expect {
        project: m.project.clone(),
        setup: m.setup.clone(),
        layer: m.layer,
        entry: m.entry.clone(),
        epoch: m.epoch,
    };
    let e = h
        .check_manifest(parent.clone(), &expect(&parent))
        .unwrap()
        .unwrap_err();
    assert_eq!(Err(e), policy::check(&parent, &expect(&parent)));
    let mut good = parent.clone();
    good.entry = "e".repeat(64);
    good.entries.retain(|e| !e.path.is_empty());
    good.entries.push(Entry {
        path: "t".into(),
        kind: Kind::Dir { opaque: false },
        mode: 0o755,
        mtime_ns: -1,
    });
    assert_eq!(
        h.check_manifest(good.clone(), &expect(&good)).unwrap(),
        Ok(good.clone())
    );
    // Stored as the other layer: a replay.
    let mut elsewhere = expect(&good);
    elsewhere.layer = Layer::Base;
    let e = h.check_manifest(good, &elsewhere).unwrap().unwrap_err();
    assert!(
        e.contains(r#"layer "build" but is stored as "base""#),
        "{e}"
    );
}

#[test]
fn layers_cross_as_an_enum_in_names() {
    let h = host();
    let key = h.entry_key(Layer::Build, "img", "k1", "c1").unwrap();
    // The key of 0.3.0, when the layer crossed as its name.
    assert_eq!(
        key,
        "0c604d4dd90866df5247965a781c3559d71976efe8a9049aa0bd36947120d728"
    );
    for layer in Layer::ALL {
        let name = h.manifest_name("app-0123", "api", 3, layer, &key).unwrap();
        assert!(name.contains(&format!("/e3/{layer}/")), "{name}");
        let parts = h.parse_manifest_name(&name).unwrap().unwrap();
        assert_eq!((parts.layer, parts.epoch), (layer, 3));
        assert_eq!(parts.entry, key);
    }
    let other = format!("v1/manifests/app-0123/api/e3/cache/{key}");
    assert_eq!(h.parse_manifest_name(&other).unwrap(), None);
}
