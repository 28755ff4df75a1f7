//! Snapshots of the commands that look after a store and explain a
//! project, as a person and a program read them: `advise`, `match`,
//! `activate`, `invalidate` (with the `status` that follows), `repair
//! --check` on a sound and on a damaged store, `gc --dry-run`, and the
//! image table (filters and runner in snapshots_support.rs).

use crate::cli_snapshot;
use crate::common::bin;
use crate::snapshots_support::{host_cmd, node};

#[test]
fn advise_after_a_build() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("advise_text", &mut p.cmd("advise", &[]));
    cli_snapshot!("advise_json", &mut p.cmd("advise", &["--format", "json"]));
}

#[test]
fn match_explains_each_path() {
    let mut m = bin();
    m.args([
        "match",
        "--explain",
        "node_modules/*",
        "node_modules/x",
        "node_modules/x/y",
        "src/y",
    ]);
    cli_snapshot!("match_explain", &mut m);
    let mut bad = bin();
    bad.args(["match", "[", "x"]);
    cli_snapshot!("match_bad_pattern", &mut bad);
}

#[test]
fn activate_then_invalidate_then_status() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("activate", &mut p.cmd("activate", &["1"]));
    cli_snapshot!("activate_unknown", &mut p.cmd("activate", &["9"]));
    cli_snapshot!("invalidate", &mut p.cmd("invalidate", &[]));
    cli_snapshot!("status_after_invalidate", &mut host_cmd(&p, "status", &[]));
}

#[test]
fn repair_check_of_a_sound_and_a_damaged_store() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("repair_check_sound", &mut p.cmd("repair", &["--check"]));
    // Damage: the first version's tree cut in half.
    let tree = p.setup_store().join("versions/1.tree");
    let bytes = std::fs::read(&tree).unwrap();
    let mut perm = std::fs::metadata(&tree).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&tree, perm).unwrap();
    std::fs::write(&tree, &bytes[..bytes.len() / 2]).unwrap();
    cli_snapshot!("repair_check_damaged", &mut p.cmd("repair", &["--check"]));
    cli_snapshot!("repair_fixes_it", &mut p.cmd("repair", &[]));
    cli_snapshot!("repair_check_after", &mut p.cmd("repair", &["--check"]));
}

#[test]
fn gc_dry_run_names_what_it_would_remove() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!(
        "gc_dry_run",
        &mut p.cmd("gc", &["--dry-run", "--max-age", "1ms"])
    );
    cli_snapshot!(
        "gc_dry_run_json",
        &mut p.cmd("gc", &["--dry-run", "--max-age", "1ms", "--format", "json"])
    );
}

#[test]
fn the_image_table() {
    let mut t = bin();
    t.args(["images", "table"]);
    cli_snapshot!("images_table", &mut t);
}

/// What `plan` and `status` say about a build image named for one build:
/// where it was named, `--image` or `ZEROPS_CACHE_IMAGE` (which the tests'
/// `bin()` sets to `host`), never the flag when it was the environment.
/// Only the `image:` lines are kept: the rest of a container-mode plan
/// depends on the machine (namespaces, subordinate ids).
#[test]
fn the_image_line_names_where_the_image_was_chosen() {
    let p = node();
    let mut seen = String::new();
    for sub in ["plan", "status"] {
        let mut env = p.cmd(sub, &[]);
        let mut flag = p.cmd(sub, &["--image", "host"]);
        flag.env_remove("ZEROPS_CACHE_IMAGE");
        let mut both = p.cmd(sub, &["--image", "host"]);
        both.env("ZEROPS_CACHE_IMAGE", "host");
        for (how, cmd) in [
            ("ZEROPS_CACHE_IMAGE=host", &mut env),
            ("--image host", &mut flag),
            ("both (the flag wins)", &mut both),
        ] {
            let o = cmd.output().expect("running zerops-cache");
            let out = String::from_utf8_lossy(&o.stdout);
            let lines: Vec<&str> = out
                .lines()
                .filter(|l| l.trim_start().starts_with("image:"))
                .collect();
            seen.push_str(&format!(
                "{sub} with {how}: exit {}\n{}\n",
                o.status.code().unwrap_or(-1),
                lines.join("\n")
            ));
        }
    }
    let mut settings = insta::Settings::clone_current();
    for (re, to) in crate::snapshots_support::filters() {
        settings.add_filter(&re, to);
    }
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| insta::assert_snapshot!("image_origin", seen));
}
