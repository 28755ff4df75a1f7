//! The store's journal reader and recovery over arbitrary bytes: no panic,
//! and nothing outside the store and the project is touched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerops_cache::store::journal::{self, Journal};

fuzz_target!(|data: &[u8]| {
    let root = tempfile::tempdir().unwrap();
    let (store, project, outside) = (
        root.path().join("store"),
        root.path().join("project"),
        root.path().join("outside"),
    );
    for d in [&store, &project, &outside] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(outside.join("a.txt"), "x").unwrap();
    // Split: journal bytes, then (after a NUL) the restore batch bytes.
    let (j, r) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    std::fs::write(store.join("journal.json"), j).unwrap();
    if let Some(r) = r {
        std::fs::write(store.join("journal.restore.json"), r).unwrap();
    }
    let dir = cap_std::fs::Dir::open_ambient_dir(&store, cap_std::ambient_authority()).unwrap();
    if let Ok(Some(j)) = Journal::load(&dir, &store) {
        for m in j.restore.iter().chain(&j.preserve) {
            assert!(journal::check_loc(&m.from).is_ok() && journal::check_loc(&m.to).is_ok());
        }
    }
    let _ = journal::recover(&dir, &store, &project.canonicalize().unwrap());
    assert_eq!(std::fs::read_to_string(outside.join("a.txt")).unwrap(), "x");
});
