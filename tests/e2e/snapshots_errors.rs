//! Every exit code that can be caused on purpose, with what the user sees
//! (filters and runner in snapshots_support.rs). The codes are documented in
//! the README and in crates/base/src/exit.rs; 101 (a bug) has no test that causes
//! it, and 128+N is checked by build_signals.rs.

use std::process::Command;

use crate::build_support::Proj;
use crate::cli_snapshot;
use crate::common::bin;
use crate::snapshots_support::{host_cmd, node};

fn code(c: &mut Command) -> i32 {
    c.output().unwrap().status.code().unwrap_or(-1)
}

#[test]
fn usage_errors_exit_2() {
    let p = node();
    cli_snapshot!("usage_unknown_flag", &mut p.cmd("build", &["--bogus"]));
    let mut c = bin();
    c.current_dir(p.path()).args(["explain", "zerops.yaml"]);
    cli_snapshot!("usage_explain_one_file", &mut c);
    cli_snapshot!(
        "usage_bad_env_flag",
        &mut host_cmd(&p, "build", &["--env", "=x"])
    );
}

#[test]
fn config_errors_exit_3() {
    let empty = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.current_dir(empty.path()).arg("lint");
    assert_eq!(code(&mut c), 3);
    let p = node();
    cli_snapshot!(
        "config_unknown_setup",
        &mut host_cmd(&p, "build", &["--setup", "web"])
    );
    let q = Proj::new(
        "zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: a\n",
        &[],
    );
    cli_snapshot!(
        "config_extends_cycle",
        &mut host_cmd(&q, "build", &["--setup", "a"])
    );
    cli_snapshot!("config_ambiguous_setup", &mut host_cmd(&q, "build", &[]));
    let r = Proj::new("zerops:\n  - setup: app\n    build: [\n", &[]);
    cli_snapshot!("config_syntax_error", &mut host_cmd(&r, "status", &[]));
}

#[test]
fn a_failed_command_exits_4() {
    let p = Proj::new(
        &crate::build_support::yaml(&[], &["exit 9"], "false", ""),
        &[],
    );
    assert_eq!(code(&mut host_cmd(&p, "build", &[])), 4);
}

#[test]
fn a_busy_store_exits_5_with_no_wait() {
    let p = node();
    assert_eq!(code(&mut host_cmd(&p, "build", &[])), 0);
    // This test holds the store's lock, as a running build would.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(p.setup_store().join("lock"))
        .unwrap();
    lock.lock().unwrap();
    cli_snapshot!("store_locked", &mut host_cmd(&p, "build", &["--no-wait"]));
    assert_eq!(code(&mut host_cmd(&p, "status", &["--no-wait"])), 5);
    lock.unlock().unwrap();
    assert_eq!(code(&mut host_cmd(&p, "status", &["--no-wait"])), 0);
}

#[test]
fn a_broken_store_exits_6_and_repair_check_1() {
    let p = node();
    assert_eq!(code(&mut host_cmd(&p, "build", &[])), 0);
    std::fs::write(p.setup_store().join("journal.json"), "{nope").unwrap();
    cli_snapshot!("store_broken", &mut host_cmd(&p, "status", &[]));
    assert_eq!(code(&mut host_cmd(&p, "build", &[])), 6);
    assert_eq!(code(&mut p.cmd("repair", &["--check"])), 1);
    assert_eq!(code(&mut p.cmd("repair", &[])), 0);
    assert_eq!(code(&mut host_cmd(&p, "status", &[])), 0);
}

#[test]
fn a_missing_tool_exits_7() {
    let p = node();
    let no_tools = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.current_dir(p.path())
        .env("PATH", no_tools.path())
        .args(["explain", "--git", "HEAD"]);
    cli_snapshot!("unsupported_no_git", &mut c);
}

/// `--help` ends with every exit code (made from `Exit::ALL`, the table the
/// README's is checked against): what a CI author reads.
#[test]
fn help_lists_every_exit_code() {
    let mut c = bin();
    c.arg("--help");
    let out = crate::snapshots_support::output(&mut c);
    let exit_codes = out
        .lines()
        .find(|l| l.starts_with("Exit codes"))
        .unwrap_or_else(|| panic!("no exit codes in --help:\n{out}"));
    insta::assert_snapshot!("help_exit_codes", exit_codes);
}
