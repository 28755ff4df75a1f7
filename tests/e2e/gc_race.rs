//! `gc` and the detached cleaner share one protocol (issue 26): a build
//! whose cleaner empties the trash in the background, then at once a `gc`
//! that removes the store, fifty times over: no command panics (101),
//! nothing gc moved aside is left behind.

use crate::build_support::Proj;
use crate::store_damage::project;

fn leftovers(p: &Proj) -> Vec<String> {
    std::fs::read_dir(p.store.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".gc-"))
        .collect()
}

#[test]
fn build_then_gc_fifty_times_never_fails() {
    let p = project();
    let root = p.store.path().to_str().unwrap().to_string();
    for round in 0..50 {
        // The default cleanup: a detached cleaner, racing the gc below.
        let mut b = p.cmd("build", &["--isolation", "none"]);
        b.env_remove("ZEROPS_CACHE_CLEANUP");
        let (code, out, err) = crate::common::run(&mut b);
        assert_eq!(code, 0, "round {round}: build: {out}\n{err}");
        let mut g = crate::common::bin();
        g.args(["gc", "--max-age", "1ms", "--store", &root])
            .env_remove("ZEROPS_CACHE_CLEANUP");
        let (code, out, err) = crate::common::run(&mut g);
        assert_eq!(code, 0, "round {round}: gc: {out}\n{err}");
    }
    // A gc after all: whatever a gc moved aside is gone.
    let mut g = crate::common::bin();
    g.args(["gc", "--max-age", "1ms", "--store", &root]);
    assert_eq!(crate::common::run(&mut g).0, 0);
    assert_eq!(leftovers(&p), Vec::<String>::new());
}
