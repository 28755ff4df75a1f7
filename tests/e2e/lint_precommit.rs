//! The `.pre-commit-hooks.yaml` at the repository root, run by the real
//! `pre-commit` (PyPI) on a temporary repository, configured the way a
//! user adds the hook: `repo:` + `rev:` and the hook id.
//!
//! Needs `pre-commit` on PATH (scripts/setup.sh installs it). Set
//! `ZEROPS_SKIP_PRECOMMIT=1` to skip where it cannot be installed.

use crate::build_support::git;
use crate::common::{artifact_dir, repo_root};
use std::path::Path;
use std::process::Command;

const BAD: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n      cahce: [node_modules]\n";
const GOOD: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n      cache: [node_modules]\n";

fn have_pre_commit() -> bool {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    crate::common::prerequisite(
        found,
        "`pre-commit` on PATH",
        "ZEROPS_SKIP_PRECOMMIT",
        "run scripts/setup.sh or `pip install pre-commit`",
    )
}

/// `pre-commit run --all-files` in `proj`, with the binary under test
/// first on PATH and pre-commit's cache inside `home`.
fn pre_commit(proj: &Path, home: &Path) -> (i32, String) {
    let exe = Path::new(env!("CARGO_BIN_EXE_zerops-cache"));
    let path = std::env::join_paths(std::iter::once(exe.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new("pre-commit")
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(proj)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("ZEROPS_CACHE_ARTIFACTS", artifact_dir())
        .env("NO_COLOR", "1")
        .output()
        .expect("running pre-commit");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn hook_fails_on_a_bad_zerops_yaml_and_passes_a_good_one() {
    if !have_pre_commit() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    // The hook repository: this repository's hooks file, committed.
    let hooks = t.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        repo_root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q", "."]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-qm", "hooks"]);
    let rev = String::from_utf8(
        Command::new("git")
            .arg("-C")
            .arg(&hooks)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    // The user's repository: the two lines of config, a bad zerops.yaml in
    // a subdirectory, and a bad file the `files` pattern must not pick up.
    let proj = t.path().join("proj");
    std::fs::create_dir_all(proj.join("api")).unwrap();
    std::fs::create_dir_all(proj.join("other")).unwrap();
    std::fs::write(
        proj.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: zerops-cache-lint\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    std::fs::write(proj.join("api/zerops.yaml"), BAD).unwrap();
    std::fs::write(proj.join("other/myzerops.yaml"), "- not a zerops file\n").unwrap();
    git(&proj, &["init", "-q", "."]);
    git(&proj, &["add", "."]);

    let home = t.path().join("pre-commit-home");
    let (code, out) = pre_commit(&proj, &home);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("zerops-cache lint"), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("error[unknown-key]"), "{out}");
    assert!(out.contains("api/zerops.yaml:6:7"), "{out}");
    assert!(
        !out.contains("myzerops"),
        "only files named zerops.yaml/zerops.yml: {out}"
    );

    std::fs::write(proj.join("api/zerops.yaml"), GOOD).unwrap();
    git(&proj, &["add", "."]);
    let (code, out) = pre_commit(&proj, &home);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Passed"), "{out}");
}
