//! Snapshots of `lint`: each output format on a clean file, a file with
//! findings, a syntax error and an unreadable file (filters and runner in
//! snapshots_support.rs).

use std::path::Path;
use std::process::Command;

use crate::cli_snapshot;
use crate::common::bin;

const CLEAN: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - npm ci\n      deployFiles: ./\n      cache: [node_modules]\n";
const FINDINGS: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - npm ci\n      deployFiles: ./\n      cache: [\"**/node_modules\", node_modules/../x]\n";
const SYNTAX: &str = "zerops:\n  - setup: app\n    build: a: b\n";

fn project(yaml: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("zerops.yaml"), yaml).unwrap();
    d
}

fn lint(dir: &Path, args: &[&str]) -> Command {
    let mut c = bin();
    c.current_dir(dir).arg("lint").args(args);
    c
}

#[test]
fn a_clean_file() {
    let d = project(CLEAN);
    cli_snapshot!("clean_text", &mut lint(d.path(), &[]));
    cli_snapshot!("clean_json", &mut lint(d.path(), &["--format", "json"]));
}

#[test]
fn a_file_with_findings() {
    let d = project(FINDINGS);
    cli_snapshot!("findings_text", &mut lint(d.path(), &[]));
    cli_snapshot!("findings_json", &mut lint(d.path(), &["--format", "json"]));
    cli_snapshot!(
        "findings_github",
        &mut lint(d.path(), &["--format", "github"])
    );
}

#[test]
fn a_syntax_error() {
    let d = project(SYNTAX);
    cli_snapshot!("syntax_text", &mut lint(d.path(), &[]));
    cli_snapshot!("syntax_json", &mut lint(d.path(), &["--format", "json"]));
}

#[test]
fn an_unknown_setup_and_an_unreadable_file() {
    let d = project(CLEAN);
    cli_snapshot!("unknown_setup", &mut lint(d.path(), &["--setup", "web"]));
    cli_snapshot!(
        "missing_file_json",
        &mut lint(
            d.path(),
            &["zerops.yaml", "missing.yaml", "--format", "json"]
        )
    );
}
