//! Retention that users control: `--keep-versions`, `--keep-size`,
//! `versions --prune`, and `gc` over the stores of all projects.

use crate::build_support::Proj;
use crate::common::{bin, run};

fn project() -> Proj {
    Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - head -c 20000 /dev/urandom > out.bin
      deployFiles: ./
      cache: false
",
        &[("src/a.js", "1\n")],
    )
}

fn versions(p: &Proj) -> Vec<u64> {
    let r = p.run("versions", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_u64().unwrap())
        .collect()
}

#[test]
fn keep_versions_and_a_size_budget() {
    let p = project();
    for _ in 0..4 {
        p.build_ok(&["--keep-versions", "2"]);
    }
    assert_eq!(versions(&p), [3, 4]);
    // The environment variable works as the flag does.
    let mut c = p.cmd("build", &["--format", "json"]);
    c.env("ZEROPS_CACHE_KEEP_VERSIONS", "1");
    assert!(c.status().unwrap().success());
    assert_eq!(versions(&p), [5]);
    for _ in 0..4 {
        p.build_ok(&[]);
    }
    assert_eq!(versions(&p), [5, 6, 7, 8, 9]);
    // Each version holds a new 20 kB file: a 50 kB budget keeps two.
    let r = p.run("versions", &["--prune", "--keep-size", "50kB"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("removed version 5: the versions take"),
        "{}",
        r.stderr
    );
    assert_eq!(versions(&p), [8, 9]);
    assert!(
        r.stdout.contains("KiB"),
        "sizes in human units: {}",
        r.stdout
    );
    let r = p.run("versions", &["--prune", "--keep-size", "lots"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`lots` is not a size"), "{}", r.stderr);
}

#[test]
fn gc_removes_old_and_over_budget_stores_and_explains() {
    let a = project();
    a.build_ok(&[]);
    let a_store = a.setup_store();
    let b = Proj::new(
        "zerops:\n  - setup: app\n    build:\n      buildCommands: [\"true\"]\n      deployFiles: ./\n",
        &[],
    );
    // Both projects share one store root.
    let root = a.store.path();
    let (code, _, stderr) = run(bin()
        .current_dir(b.path())
        .args(["build", "--store"])
        .arg(root));
    assert_eq!(code, 0, "{stderr}");
    // Age the first project's store by a week.
    let week_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(a_store.join("lock"))
        .unwrap()
        .set_modified(week_ago)
        .unwrap();
    let gc = |args: &[&str]| {
        let (code, stdout, stderr) = run(bin().args(["gc", "--store"]).arg(root).args(args));
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    let dry = gc(&["--max-age", "3d", "--dry-run"]);
    assert!(
        dry.contains("would remove") && dry.contains("unused for 7 days, longer than 3 days"),
        "{dry}"
    );
    assert!(a_store.exists(), "a dry run removes nothing");
    let out = gc(&["--max-age", "3d", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["removed"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["kept"], 1);
    assert!(!a_store.exists());
    assert!(
        !a_store.parent().unwrap().exists(),
        "the empty project directory goes too"
    );
    // A size budget of zero removes the rest, least recently used first.
    let out = gc(&["--max-size", "0"]);
    assert!(out.contains("over the budget of 0 B"), "{out}");
    assert_eq!(std::fs::read_dir(root).unwrap().count(), 0, "{out}");
}
