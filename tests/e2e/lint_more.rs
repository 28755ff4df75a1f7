//! `zerops-cache lint` beyond one file: several files, `--deny-warnings`,
//! `--setup`, the tree lints (listing + `git ls-files`), the JSON report,
//! and refusing a huge file without reading it.

use crate::common::{bin, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn codes(file: &Value) -> Vec<(String, u64, u64)> {
    file["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

const WARN_ONLY: &str = "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cache: [\"**/node_modules\"]\n";
const ERROR: &str =
    "zerops:\n  - setup: app\n    build:\n      os: debian\n      deployFiles: ./\n";

#[test]
fn several_files_grouped_with_a_summary() {
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "a/zerops.yaml", WARN_ONLY);
    let b = write(d.path(), "b/zerops.yaml", ERROR);
    // Grouped in the order given, each with its snippet, caret and count,
    // then the summary: what a person reads, byte for byte.
    crate::cli_snapshot!(
        "several_files_text",
        bin().args(["lint", "--no-tree"]).arg(&a).arg(&b)
    );

    let (code, out, _) = run(bin()
        .args(["lint", "--no-tree", "--format", "json"])
        .arg(&a)
        .arg(&b));
    assert_eq!(code, 1);
    let v = json(&out);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], a.display().to_string());
    assert_eq!(codes(&files[0]), [("cache-double-star".into(), 5, 16)]);
    assert_eq!(codes(&files[1]), [("invalid-value".into(), 4, 11)]);
    assert_eq!(
        (files[0]["warnings"].as_u64(), files[1]["errors"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            v["errors"].as_u64(),
            v["warnings"].as_u64(),
            v["notes"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(v["deny_warnings"], false);
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "zerops.yaml", WARN_ONLY);
    let (code, out, _) = run(bin().args(["lint", "--no-tree"]).arg(&a));
    assert_eq!(code, 0, "warnings alone pass: {out}");
    crate::cli_snapshot!(
        "deny_warnings_text",
        bin().args(["lint", "--no-tree", "--deny-warnings"]).arg(&a)
    );
    let (code, out, _) = run(bin()
        .args(["lint", "--no-tree", "--deny-warnings", "--format", "json"])
        .arg(&a));
    assert_eq!(code, 1);
    assert_eq!(json(&out)["deny_warnings"], true);
    // Notes never fail a run.
    let n = write(
        d.path(),
        "n.yaml",
        "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cache: true\n",
    );
    let (code, out, _) = run(bin().args(["lint", "--no-tree", "--deny-warnings"]).arg(&n));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note[cache-true]"), "{out}");
}

#[test]
fn unknown_setup_lists_the_setups() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "zerops.yaml",
        "zerops:\n  - setup: api\n  - setup: web\n",
    );
    let (code, out, _) = run(bin()
        .args(["lint", "--setup", "nope", "--format", "json"])
        .arg(&f));
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    let d0 = &v["files"][0]["diagnostics"][0];
    assert_eq!(d0["code"], "setup-unknown");
    assert!(d0["message"].as_str().unwrap().contains("api, web"), "{d0}");
    let (code, _, _) = run(bin().args(["lint", "--setup", "web"]).arg(&f));
    assert_eq!(code, 0);
}

#[test]
fn tree_lints_read_the_directory_and_git() {
    use crate::build_support::git;
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let f = write(
        root,
        "zerops.yaml",
        "zerops:\n  - setup: api\n    build:\n      deployFiles: ./\n      cache:\n        - node_module\n        - composer.lock\n        - vendor\n        - web/dist\n  - setup: web\n    build:\n      deployFiles: ./\n      cache: [web/.cache]\n",
    );
    write(root, "composer.lock", "{}");
    write(root, "vendor/untracked.php", "");
    write(root, "node_modules/x/index.js", "");
    write(root, "web/src/main.ts", "");
    git(root, &["init", "-q"]);
    git(
        root,
        &["add", "zerops.yaml", "composer.lock", "web/src/main.ts"],
    );
    git(root, &["commit", "-q", "-m", "init"]);

    let (code, out, err) = run(bin().args(["lint", "--format", "json"]).arg(&f));
    assert_eq!(code, 0, "notes and warnings only: {out}{err}");
    let got = codes(&json(&out)["files"][0]);
    let want: Vec<(String, u64, u64)> = vec![
        ("cache-matches-nothing".into(), 6, 11), // node_module (typo)
        ("cache-lockfile".into(), 7, 11),
        ("cache-tracked-by-git".into(), 7, 11), // composer.lock is committed
        ("cache-matches-nothing".into(), 9, 11), // web/dist: listed two deep
        ("cache-matches-nothing".into(), 13, 15), // web/.cache
    ];
    assert_eq!(got, want, "{out}");
    let v = json(&out);
    let typo = &v["files"][0]["diagnostics"][0];
    assert!(
        typo["help"].as_str().unwrap().contains("`node_modules`"),
        "{typo}"
    );

    // --setup restricts the tree lints to one setup.
    let (_, out, _) = run(bin()
        .args(["lint", "--format", "json", "--setup", "web"])
        .arg(&f));
    let got = codes(&json(&out)["files"][0]);
    assert!(
        got.contains(&("cache-matches-nothing".into(), 13, 15)),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|c| c.1 == 6),
        "api's paths are not checked: {got:?}"
    );

    // --no-tree reads nothing.
    let (_, out, _) = run(bin()
        .args(["lint", "--format", "json", "--no-tree"])
        .arg(&f));
    let got = codes(&json(&out)["files"][0]);
    assert_eq!(got, [("cache-lockfile".to_string(), 7, 11)]);

    // Run from the directory with no file argument: the same root.
    let (_, out, _) = run(bin().args(["lint", "--format", "json"]).current_dir(root));
    assert_eq!(codes(&json(&out)["files"][0]).len(), 5, "{out}");
}

#[test]
fn outside_git_there_is_no_tracked_lint() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "zerops.yaml",
        "zerops:\n  - setup: a\n    build:\n      deployFiles: ./\n      cache: [x.lock2]\n",
    );
    write(d.path(), "x.lock2", "");
    let (code, out, _) = run(bin()
        .args(["lint", "--format", "json"])
        .arg(&f)
        .env("GIT_CEILING_DIRECTORIES", d.path().parent().unwrap()));
    assert_eq!(code, 0);
    assert!(codes(&json(&out)["files"][0]).is_empty(), "{out}");
}

#[test]
fn huge_file_is_refused_without_reading_it() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("zerops.yaml");
    // A sparse 50 MB file: cheap to make, and never read.
    std::fs::File::create(&f)
        .unwrap()
        .set_len(50 << 20)
        .unwrap();
    let t = std::time::Instant::now();
    let (code, out, _) = run(bin().args(["lint", "--format", "json"]).arg(&f));
    assert_eq!(code, 1);
    assert_eq!(
        codes(&json(&out)["files"][0]),
        [("input-too-large".into(), 1, 1)]
    );
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
}

#[test]
fn unreadable_file_among_others_exits_3_after_linting_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "zerops.yaml", ERROR);
    let (code, out, err) = run(bin()
        .args(["lint", "--no-tree"])
        .arg(&a)
        .arg(d.path().join("missing.yaml")));
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("error[invalid-value]"),
        "the readable file is linted: {out}"
    );
    assert!(err.contains("missing.yaml"), "{err}");
    let (_, out, _) = run(bin()
        .args(["lint", "--no-tree", "--format", "json"])
        .arg(&a)
        .arg(d.path().join("missing.yaml")));
    let v = json(&out);
    assert!(
        v["files"][1]["error"]
            .as_str()
            .unwrap()
            .contains("missing.yaml")
    );
}

#[test]
fn component_and_native_agree_with_tree_facts() {
    use zerops_cache_policy as policy;
    let facts = policy::lint::TreeFacts {
        entries: [
            "node_modules",
            "vendor",
            "composer.lock",
            "frontend",
            "frontend/node_modules",
        ]
        .map(String::from)
        .to_vec(),
        depth: 2,
        tracked: Some(
            ["composer.lock", "package-lock.json", "vendor/a.php"]
                .map(String::from)
                .to_vec(),
        ),
    };
    let mut checked = 0;
    for file in crate::common::corpus_files() {
        let bytes = std::fs::read(&file).unwrap();
        let src = String::from_utf8_lossy(&bytes);
        for setup in [None, Some("app"), Some("nope")] {
            let native = policy::lint::lint_bytes_with(
                &bytes,
                &policy::lint::Options {
                    setup,
                    tree: Some(&facts),
                    limits: None,
                },
            );
            let wasm = crate::common::host()
                .lint_with_tree(&bytes, setup, &facts)
                .unwrap();
            assert_eq!(native, wasm, "{} {setup:?}", file.display());
        }
        assert_eq!(
            crate::common::host().tree_depth(&bytes).unwrap(),
            policy::lint::tree_depth(&src)
        );
        checked += 1;
    }
    assert!(checked >= 60);
    for size in [0u64, 4 << 20, (4 << 20) + 1, 50 << 20, u64::MAX] {
        assert_eq!(
            crate::common::host().check_size(size).unwrap(),
            policy::lint::check_size(size.min(u64::from(u32::MAX))),
            "{size}"
        );
    }
}
