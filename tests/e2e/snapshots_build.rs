//! Snapshots of `build`: the human and JSON summaries of a cold and a warm
//! build, and of a build whose command fails (filters and runner in
//! snapshots_support.rs).

use crate::build_support::{INSTALL, PREPARE, yaml};
use crate::cli_snapshot;
use crate::snapshots_support::{host_cmd, node};

#[test]
fn cold_then_warm_build_text() {
    let p = node();
    cli_snapshot!("cold_text", &mut host_cmd(&p, "build", &[]));
    cli_snapshot!("warm_text", &mut host_cmd(&p, "build", &[]));
}

#[test]
fn cold_then_warm_build_json() {
    let p = node();
    cli_snapshot!(
        "cold_json",
        &mut host_cmd(&p, "build", &["--format", "json"])
    );
    cli_snapshot!(
        "warm_json",
        &mut host_cmd(&p, "build", &["--format", "json"])
    );
}

#[test]
fn a_config_change_rebuilds_the_base_layer() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    p.write(
        "zerops.yaml",
        &yaml(&[PREPARE, "echo two"], &[INSTALL], "[node_modules]", ""),
    );
    cli_snapshot!("base_rebuilt_text", &mut host_cmd(&p, "build", &[]));
}

#[test]
fn a_failing_command_rolls_back() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    p.write(
        "zerops.yaml",
        &yaml(
            &[PREPARE],
            &[INSTALL, "echo boom; exit 3"],
            "[node_modules]",
            "",
        ),
    );
    cli_snapshot!("failed_text", &mut host_cmd(&p, "build", &[]));
    cli_snapshot!(
        "failed_json",
        &mut host_cmd(&p, "build", &["--format", "json"])
    );
}

/// `cache: true` keeps the whole workspace, so every git-visible file of the
/// checkout wins over its cached copy on every build: the tracked ones are
/// one count line (listed with -v), an untracked one is listed.
#[test]
fn cache_true_counts_tracked_skips() {
    let p = crate::build_support::Proj::new(
        &yaml(&[PREPARE], &[INSTALL], "true", ""),
        &[
            ("package.json", "{}\n"),
            ("src/index.js", "console.log(1)\n"),
            ("src/lib/a.js", "1\n"),
            ("src/lib/b.js", "2\n"),
        ],
    );
    p.write("notes.txt", "untracked, not ignored\n");
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("cache_true_tracked_text", &mut host_cmd(&p, "build", &[]));
    cli_snapshot!(
        "cache_true_tracked_verbose",
        &mut host_cmd(&p, "build", &["-v"])
    );
    let j = p.build_ok(&["--isolation", "none"]);
    // The whole list stays in JSON, with the count of tracked paths.
    assert_eq!(j["skipped"].as_array().unwrap().len(), 6, "{j}");
    assert_eq!(j["skipped_tracked"], 5, "{j}");
}
