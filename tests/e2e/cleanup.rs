//! Old layers are deleted off the critical path: the build only renames
//! them into the store's trash, and a detached cleaner deletes them after
//! the build's output. A kill of the cleaner loses nothing.

use std::path::Path;

use crate::build_support::{Proj, yaml};

/// A project whose base layer holds `n` files.
fn project(n: usize) -> Proj {
    let prepare = format!("mkdir -p big && for i in $(seq {n}); do echo $i > big/f$i; done");
    Proj::new(
        &yaml(&[prepare.as_str()], &["true"], "[node_modules]", ""),
        &[],
    )
}

fn trash(p: &Proj) -> std::path::PathBuf {
    p.setup_store().join("trash")
}

#[test]
fn the_default_cleaner_runs_detached_after_the_build() {
    let p = project(2000);
    p.build_ok(&[]);
    assert_eq!(p.run("invalidate", &[]).code, 0);
    // The default mode: no ZEROPS_CACHE_CLEANUP.
    let mut c = p.cmd("build", &["--format", "json"]);
    c.env_remove("ZEROPS_CACHE_CLEANUP");
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(s["layers"]["base"]["action"], "rebuild", "{s}");
    // The old home (2000 files) went to the trash by rename and is deleted
    // by the detached cleaner, not by the build.
    crate::common::wait_until("the detached cleaner empties the trash", 60, || {
        !trash(&p).exists()
    });
    assert_eq!(
        p.home_files()
            .keys()
            .filter(|k| k.starts_with("big/"))
            .count(),
        2000
    );
}

#[test]
fn a_killed_cleaner_loses_nothing_and_the_next_command_finishes_its_work() {
    let p = project(3000);
    p.build_ok(&[]);
    let cache_before = p.cache_files();
    let home_before = p.home_files();
    // A trash as the build leaves it (here: a copy of the home), and a
    // cleaner killed mid-way.
    let store = p.setup_store();
    std::fs::create_dir_all(store.join("trash")).unwrap();
    copy_dir(&store.join("base"), &store.join("trash/base.0"));
    let mut cleaner = std::process::Command::new(env!("CARGO_BIN_EXE_zerops-cache"))
        .arg("__empty-trash")
        .arg(&store)
        .spawn()
        .unwrap();
    // Killed once it has deleted something (or finished: then the next
    // command finds nothing left, which the assertions below also accept).
    let whole = count_files(&store.join("trash"));
    crate::common::wait_until("the cleaner to start deleting", 60, || {
        count_files(&store.join("trash")) < whole || cleaner.try_wait().unwrap().is_some()
    });
    let _ = cleaner.kill();
    let _ = cleaner.wait();
    // The cache is untouched; the next command's cleaner takes the rest.
    assert_eq!(p.cache_files(), cache_before);
    assert_eq!(p.home_files(), home_before);
    assert_eq!(p.run("status", &[]).code, 0);
    assert!(!trash(&p).exists(), "the next command emptied the trash");
    assert_eq!(p.cache_files(), cache_before);
    assert_eq!(p.home_files(), home_before);
}

fn copy_dir(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Files and directories below `dir` (0 once it is gone).
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            1 + if is_dir { count_files(&e.path()) } else { 0 }
        })
        .sum()
}
