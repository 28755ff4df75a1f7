//! `zerops-cache lint`: exit codes, JSON shape, file discovery.

use crate::common::{bin, corpus_files, run};
use serde_json::Value;

fn write(dir: &std::path::Path, name: &str, text: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn syntax_error_exits_1_with_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "zerops.yaml",
        b"zerops:\n  - setup: app\n    build: a: b\n",
    );
    let (code, out, _) = run(bin().arg("lint").arg(&f));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[yaml-syntax]"), "{out}");
    assert!(out.contains(":3:13"), "{out}");
    assert!(
        out.contains("build: a: b"),
        "the snippet shows the line: {out}"
    );
    assert!(out.contains('^'), "a caret marks the column: {out}");
}

#[test]
fn clean_file_exits_0() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "zerops.yaml",
        b"zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n",
    );
    let (code, out, err) = run(bin().arg("lint").arg(&f));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn json_shape_is_the_contract() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "z.yaml", b"- not\n- a map\n");
    let (code, out, _) = run(bin().args(["lint", "--format", "json"]).arg(&f));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], f.display().to_string());
    let d0 = &files[0]["diagnostics"][0];
    for key in [
        "severity",
        "code",
        "message",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    ] {
        assert!(d0.get(key).is_some(), "diagnostic lacks `{key}`: {d0}");
    }
    assert_eq!(d0["severity"], "error");
    assert_eq!(d0["code"], "root-not-map");
    assert_eq!(d0["line"], 1);
    assert_eq!(d0["column"], 1);
    assert!(v["errors"].as_u64().unwrap() >= 1);
}

#[test]
fn finds_zerops_yaml_before_zerops_yml() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "zerops.yml", b"- broken root\n");
    let (code, out, _) = run(bin().arg("lint").current_dir(d.path()));
    assert_eq!(
        code, 1,
        "zerops.yml is used when zerops.yaml is absent: {out}"
    );
    assert!(out.contains("zerops.yml"));
    write(d.path(), "zerops.yaml", b"zerops:\n  - setup: app\n");
    let (code, out, _) = run(bin().arg("lint").current_dir(d.path()));
    assert_eq!(code, 0, "zerops.yaml wins: {out}");
    assert!(out.contains("zerops.yaml"));
}

#[test]
fn a_missing_file_exits_3_and_bad_usage_2() {
    let d = tempfile::tempdir().unwrap();
    let (code, _, err) = run(bin().arg("lint").current_dir(d.path()));
    assert_eq!(code, 3);
    assert!(err.contains("no zerops.yaml or zerops.yml"), "{err}");
    let (code, _, err) = run(bin().args(["lint", "/nonexistent/zerops.yaml"]));
    assert_eq!(code, 3);
    assert!(err.contains("/nonexistent/zerops.yaml"), "{err}");
    let (code, _, _) = run(bin().args(["lint", "--format", "xml"]));
    assert_eq!(code, 2);
    let (code, _, _) = run(bin().arg("no-such-command"));
    assert_eq!(code, 2);
}

#[test]
fn invalid_utf8_is_reported_with_position() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "zerops.yaml", b"zerops:\n  - setup: ap\xffp\n");
    let (code, out, _) = run(bin().args(["lint", "--format", "json"]).arg(&f));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let d0 = &v["files"][0]["diagnostics"][0];
    assert_eq!(d0["code"], "invalid-utf8");
    assert_eq!(
        (d0["line"].as_u64(), d0["column"].as_u64()),
        (Some(2), Some(14))
    );
}

#[test]
fn version_names_the_wit_package() {
    let (code, out, _) = run(bin().arg("--version"));
    assert_eq!(code, 0);
    assert!(out.contains("zerops:build-cache@0.4.0"), "{out}");
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

#[test]
fn component_export_writes_the_embedded_bytes() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("c.wasm");
    let (code, _, err) = run(bin().args(["component", "export"]).arg(&out));
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), zerops_cache::component::BYTES);
}

#[test]
fn every_corpus_file_lints_without_internal_error() {
    for f in corpus_files() {
        let (code, out, err) = run(bin().args(["lint", "--format", "json"]).arg(&f));
        assert!(
            code == 0 || code == 1,
            "{}: exit {code}: {err}",
            f.display()
        );
        let _: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}
