//! Property tests of the store's readers (issue 11): the journal reader and
//! recovery over arbitrary bytes and arbitrary journals never panic and
//! never touch a path outside the store and the project; the component's
//! decision over any record text never traps.

use proptest::prelude::*;
use std::path::Path;
use zerops_cache::store::journal::{self, Journal};

use crate::build_support::tree;
use crate::common::host;

/// A store, a project beside it, and a directory neither may touch.
struct World {
    _root: tempfile::TempDir,
    store: std::path::PathBuf,
    project: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn world() -> World {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store");
    let project = root.path().join("project");
    let outside = root.path().join("outside");
    for d in [&store, &project, &outside] {
        std::fs::create_dir_all(d).unwrap();
    }
    for (d, f) in [
        (&store, "cache/x"),
        (&store, "cache/a.txt"),
        (&project, "a.txt"),
        (&outside, "a.txt"),
        (&outside, "x"),
    ] {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "data\n").unwrap();
    }
    World {
        store: store.canonicalize().unwrap(),
        project: project.canonicalize().unwrap(),
        outside,
        _root: root,
    }
}

/// Writes the two journal files, loads and recovers; checks the outside.
fn exercise(w: &World, journal_bytes: &[u8], restore_bytes: Option<&[u8]>) {
    std::fs::write(w.store.join("journal.json"), journal_bytes).unwrap();
    if let Some(r) = restore_bytes {
        std::fs::write(w.store.join("journal.restore.json"), r).unwrap();
    }
    let before = tree(&w.outside);
    let dir = cap_std::fs::Dir::open_ambient_dir(&w.store, cap_std::ambient_authority()).unwrap();
    if let Ok(Some(j)) = Journal::load(&dir, &w.store) {
        for m in j.restore.iter().chain(&j.preserve) {
            for l in [&m.from, &m.to] {
                assert!(journal::check_loc(l).is_ok(), "{l:?} passed validation");
                assert!(
                    !Path::new(&l.path).is_absolute() && !l.path.contains(".."),
                    "{l:?}"
                );
            }
        }
    }
    let project =
        cap_std::fs::Dir::open_ambient_dir(&w.project, cap_std::ambient_authority()).unwrap();
    let _ = journal::recover(&dir, &w.store, &w.project, &project);
    assert_eq!(tree(&w.outside), before, "recovery touched a path outside");
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z./]{0,12}",
        Just("../outside/a.txt".to_string()),
        Just("/tmp".to_string()),
        Just("cache/x".to_string()),
        Just("cache/../../outside/x".to_string()),
        Just("work/x".to_string()),
        any::<String>(),
    ]
}

fn loc() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(vec!["store", "source", "other"]),
        path(),
    )
        .prop_map(|(root, path)| serde_json::json!({"root": root, "path": path}))
}

fn moves() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::vec((loc(), loc()), 0..4).prop_map(|v| {
        serde_json::Value::Array(
            v.into_iter()
                .map(|(f, t)| serde_json::json!({"from": f, "to": t}))
                .collect(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_journal_reader_takes_any_bytes(
        j in prop::collection::vec(any::<u8>(), 0..200),
        r in prop::option::of(prop::collection::vec(any::<u8>(), 0..200)),
    ) {
        exercise(&world(), &j, r.as_deref());
    }

    #[test]
    fn recovery_of_any_journal_stays_inside(
        phase in prop::sample::select(vec!["started", "preserving", "committing"]),
        source_outside in any::<bool>(),
        base_reset in any::<bool>(),
        version in prop::option::of(0u32..3),
        restore in moves(),
        preserve in moves(),
    ) {
        let w = world();
        let source = if source_outside { w.outside.clone() } else { w.project.clone() };
        let j = serde_json::json!({
            "version": 1, "phase": phase, "pid": 1,
            "source_dir": source, "base_reset": base_reset,
            "version_created": version, "restore_saved": true,
            "preserve": preserve, "record": null,
        });
        exercise(&w, j.to_string().as_bytes(), Some(restore.to_string().as_bytes()));
    }

    /// The component reads any record text without trapping.
    #[test]
    fn the_component_decides_on_any_record(text in any::<String>(), key in any::<String>()) {
        let src = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cache: [node_modules]\n";
        let h = host();
        prop_assert!(h.decide(src, None, Some(&text)).is_ok());
        let rec = zerops_cache_policy::record::after_build_json(src, None, None, "2026-11-25T10:00:00Z").unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&rec).unwrap();
        v["keys"]["base"] = key.into();
        prop_assert!(h.decide(src, None, Some(&v.to_string())).is_ok());
    }
}
