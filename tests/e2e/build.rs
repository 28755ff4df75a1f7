//! `zerops-cache build` on real temporary git repositories: the two-layer
//! cache end to end, and the `--format json` summary contract.

use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::build_support::{INSTALL, PREPARE, Proj, git, tree, yaml};

fn node_project(cache: &str) -> Proj {
    Proj::new(
        &yaml(&[PREPARE], &[INSTALL], cache, ""),
        &[
            ("package.json", "{}\n"),
            ("src/index.js", "console.log(1)\n"),
        ],
    )
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn summary_json_is_a_contract() {
    let p = node_project("[node_modules]");
    let s = p.build_ok(&[]);
    for layer in ["base", "build"] {
        let l = &s["layers"][layer];
        assert!(l["action"].is_string(), "{s}");
        assert_eq!(l["key"].as_str().unwrap().len(), 64, "{s}");
        assert!(l["reasons"].is_array());
    }
    assert!(s["prepare_ran"].is_boolean());
    assert!(s["restored"].is_u64());
    assert!(s["skipped"].is_array());
    assert!(s["preserved"].is_u64());
    assert!(s["duration_ms"].is_u64());
    for phase in [
        "workspace",
        "prepare",
        "build",
        "artifact",
        "preserve",
        "commit",
    ] {
        assert!(s["phases"][phase].is_u64(), "phase {phase} in {s}");
    }
    assert_eq!(s["ok"], true);
    // The warm build has a restore phase.
    let s = p.build_ok(&[]);
    assert!(s["phases"]["restore"].is_u64(), "{s}");
    assert!(s["phases"]["preserve"].is_u64(), "{s}");
}

#[test]
fn warm_build_restores_and_skips_prepare_commands() {
    let p = node_project("[node_modules]");
    let before = tree(p.path());
    let s1 = p.build_ok(&[]);
    assert_eq!(s1["layers"]["base"]["action"], "rebuild");
    assert_eq!(s1["layers"]["build"]["action"], "drop");
    assert_eq!(s1["prepare_ran"], true);
    assert_eq!(s1["restored"], 0);
    assert_eq!(s1["preserved"], 1);
    assert_eq!(strings(&s1["preserved_paths"]), ["node_modules"]);
    assert_eq!(
        p.cache_files()
            .get("node_modules/a/lib/index.js")
            .map(String::as_str),
        Some("a\n")
    );

    let s2 = p.build_ok(&[]);
    assert_eq!(s2["layers"]["base"]["action"], "reuse");
    assert_eq!(s2["layers"]["build"]["action"], "reuse");
    assert_eq!(s2["prepare_ran"], false);
    assert_eq!(s2["restored"], 1, "node_modules moves as one rename: {s2}");
    assert!(strings(&s2["skipped"]).is_empty());
    assert_eq!(s2["preserved"], 1);
    assert_eq!(
        p.home_files()["prepare.log"],
        "ran\n",
        "prepareCommands ran once"
    );
    // The restored tree made INSTALL a no-op, and the artifact has it.
    let v2 = p.setup_store().join("versions/2");
    assert!(v2.join("node_modules/a/lib/index.js").is_file());
    assert!(!v2.join("installed-now").exists());
    assert!(crate::versions::exported(&p, 1).contains_key("installed-now"));
    // The user's working tree is never touched.
    assert_eq!(tree(p.path()), before);
}

#[test]
fn tracked_file_in_a_cache_path_is_skipped_and_reported() {
    let p = Proj::new(
        &yaml(&[], &[INSTALL], "[node_modules, package-lock.json]", ""),
        &[
            ("node_modules/b/index.js", "tracked\n"),
            ("package-lock.json", "{\"lock\": 1}\n"),
        ],
    );
    p.build_ok(&[]);
    // INSTALL wrote node_modules/b/index.js over the tracked copy: the cache has "b".
    assert_eq!(p.cache_files()["node_modules/b/index.js"], "b\n");
    let r = p.build(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.json();
    let mut skipped = strings(&s["skipped"]);
    skipped.sort();
    assert_eq!(skipped, ["node_modules/b/index.js", "package-lock.json"]);
    assert!(
        s["skipped_detail"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["reason"] == "source-wins")
    );
    // node_modules/a was moved (a descend into node_modules, then one move).
    assert_eq!(s["restored"], 1);
    // Reported in the log, too: tracked paths as one count line, and one
    // by one with -v.
    assert!(
        r.stderr
            .contains("restore: skipped 2 paths tracked by git (source-wins; -v lists them)"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr
            .contains("restore: skipped node_modules/b/index.js")
    );
    assert_eq!(s["skipped_tracked"], 2);
    // The source won: the build saw the tracked content.
    let v2 = p.setup_store().join("versions/2");
    assert_eq!(
        std::fs::read_to_string(v2.join("node_modules/b/index.js")).unwrap(),
        "tracked\n"
    );
    assert_eq!(
        std::fs::read_to_string(v2.join("package-lock.json")).unwrap(),
        "{\"lock\": 1}\n"
    );
    let v = p.build(&["-v"]);
    assert!(
        v.stderr
            .contains("restore: skipped node_modules/b/index.js (source-wins)"),
        "{}",
        v.stderr
    );
}

#[test]
fn each_key_field_invalidates_and_build_commands_do_not() {
    let p = node_project("[node_modules]");
    p.build_ok(&[]);
    let changes: [(&str, String); 4] = [
        (
            "os",
            yaml(
                &[PREPARE],
                &[INSTALL],
                "[node_modules]",
                "      os: ubuntu\n",
            ),
        ),
        (
            "base",
            yaml(
                &[PREPARE],
                &[INSTALL],
                "[node_modules]",
                "      base: nodejs@20\n",
            )
            .replace("      base: nodejs@22\n", ""),
        ),
        (
            "prepareCommands",
            yaml(&[PREPARE, "true"], &[INSTALL], "[node_modules]", ""),
        ),
        (
            "cache",
            yaml(&[PREPARE], &[INSTALL], "[node_modules, dist]", ""),
        ),
    ];
    let mut runs = 1;
    for (field, text) in changes {
        p.write("zerops.yaml", &text);
        let s = p.build_ok(&[]);
        runs += 1;
        assert_eq!(s["layers"]["base"]["action"], "rebuild", "{field}: {s}");
        assert_eq!(s["layers"]["build"]["action"], "drop", "{field}: {s}");
        assert_eq!(s["prepare_ran"], true, "{field}");
        assert_eq!(s["restored"], 0, "{field}");
        let reasons = strings(&s["layers"]["base"]["reasons"]).join(" ");
        assert!(reasons.contains(field), "{field}: reasons {reasons}");
        // The next build with the same config reuses.
        let s = p.build_ok(&[]);
        runs += 1;
        assert_eq!(s["prepare_ran"], false, "{field}");
        assert_eq!(s["restored"], 1, "{field}");
    }
    // buildCommands do not invalidate.
    let text = std::fs::read_to_string(p.path().join("zerops.yaml"))
        .unwrap()
        .replace(
            "buildCommands:",
            "buildCommands:\n        - echo another step",
        );
    p.write("zerops.yaml", &text);
    let s = p.build_ok(&[]);
    assert_eq!(s["layers"]["base"]["action"], "reuse", "{s}");
    assert_eq!(s["layers"]["build"]["action"], "reuse");
    assert_eq!(s["prepare_ran"], false);
    assert_eq!(s["restored"], 1);
    assert!(runs > 8);
}

#[test]
fn cache_false_keeps_the_home_and_drops_workspace_paths() {
    // (`cache: null` is a `wrong-type` error of lint, so the build refuses
    // it before running anything: gate.rs.)
    let cache = "false";
    let p = Proj::new(
        &yaml(
            &[PREPARE],
            &[INSTALL, "echo built >> \"$HOME/build.log\""],
            cache,
            "",
        ),
        &[("package.json", "{}\n")],
    );
    p.build_ok(&[]);
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false, "cache {cache}: the home stays");
    assert_eq!(s["restored"], 0);
    assert_eq!(s["preserved"], 0);
    assert!(p.cache_files().is_empty(), "cache {cache}");
    let home = p.home_files();
    assert_eq!(home["build.log"], "built\nbuilt\n", "cache {cache}");
    assert_eq!(home["prepare.log"], "ran\n");
    // node_modules was rebuilt from scratch.
    assert!(p.setup_store().join("versions/2/installed-now").exists());
}

#[test]
fn cache_true_keeps_the_whole_source() {
    let p = node_project("true");
    p.build_ok(&[]);
    let s = p.build_ok(&[]);
    let mut skipped = strings(&s["skipped"]);
    skipped.sort();
    // Everything git-visible is in the source, so the source wins; the rest moves.
    assert_eq!(skipped, ["package.json", "src/index.js", "zerops.yaml"]);
    assert_eq!(s["restored"], 2, "node_modules and installed-now: {s}");
}

#[test]
fn a_failed_build_loses_nothing() {
    let p = node_project("[node_modules]");
    p.build_ok(&[]);
    let (cache, home, record, project) =
        (p.cache_files(), p.home_files(), p.record(), tree(p.path()));
    p.write(
        "zerops.yaml",
        &yaml(
            &[PREPARE],
            &[INSTALL, "echo boom; exit 3"],
            "[node_modules]",
            "",
        ),
    );
    let project2 = tree(p.path());
    let r = p.build(&[]);
    assert_eq!(r.code, 4, "a failed command: {}", r.stderr);
    let s = r.json();
    assert_eq!(s["ok"], false);
    let err = s["error"].as_str().unwrap();
    assert!(
        err.contains("echo boom; exit 3") && err.contains("exit code 3"),
        "{err}"
    );
    assert!(err.contains("boom"), "the last lines are shown: {err}");
    assert_eq!(s["restored"], 1);
    assert_eq!(
        p.cache_files(),
        cache,
        "what was restored is back in the cache"
    );
    assert_eq!(p.home_files(), home);
    assert_eq!(p.record(), record, "the layer record is as it was");
    assert_eq!(tree(p.path()), project2);
    assert!(!p.setup_store().join("journal.json").exists());
    assert!(!p.setup_store().join("work").exists());
    assert_eq!(project.len(), project2.len());

    // A failing prepareCommands after a config change keeps the old home.
    p.write(
        "zerops.yaml",
        &yaml(&[PREPARE, "exit 4"], &[INSTALL], "[node_modules]", ""),
    );
    let r = p.build(&[]);
    assert_eq!(r.code, 4);
    assert!(r.json()["error"].as_str().unwrap().contains("exit code 4"));
    assert_eq!(p.home_files(), home, "the old base layer is back");
    assert_eq!(p.cache_files(), cache);
    assert_eq!(p.record(), record);

    // --discard-cache-on-failure drops the build layer instead.
    p.write(
        "zerops.yaml",
        &yaml(&[PREPARE], &[INSTALL, "exit 5"], "[node_modules]", ""),
    );
    let r = p.build(&["--discard-cache-on-failure"]);
    assert_eq!(r.code, 4);
    assert!(p.cache_files().is_empty(), "{:?}", p.cache_files());
    assert_eq!(p.record(), record);
}

#[test]
fn in_place_builds_in_the_project_directory() {
    let p = node_project("[node_modules]");
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(s["in_place"], true);
    assert!(p.path().join("installed-now").exists(), "built in place");
    assert!(
        !p.path().join("node_modules").exists(),
        "preserved into the cache"
    );
    std::fs::remove_file(p.path().join("installed-now")).unwrap();
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(s["restored"], 1);
    assert!(
        !p.path().join("installed-now").exists(),
        "restored node_modules was used"
    );
    assert_eq!(p.cache_files()["node_modules/b/index.js"], "b\n");
}

const FIDELITY: &str = "[ -d node_modules ] || { mkdir -p node_modules/x node_modules/.bin && printf '#!/bin/sh\\necho hi\\n' > node_modules/x/run.sh && chmod 750 node_modules/x/run.sh && chmod 640 package.json && ln -s ../x/run.sh node_modules/.bin/x && ln -s /nonexistent/target node_modules/dangling && touch -h -d '2001-02-03 04:05:06' node_modules/x/run.sh node_modules/.bin/x && chmod 700 node_modules/x; }";

fn check_fidelity(root: &std::path::Path, what: &str) {
    let run = root.join("node_modules/x/run.sh");
    let md = std::fs::symlink_metadata(&run).unwrap();
    assert_eq!(md.permissions().mode() & 0o777, 0o750, "{what}: mode");
    assert_eq!(md.mtime(), 981173106, "{what}: mtime");
    let dir = std::fs::symlink_metadata(root.join("node_modules/x")).unwrap();
    assert_eq!(dir.permissions().mode() & 0o777, 0o700, "{what}: dir mode");
    let link = root.join("node_modules/.bin/x");
    let lmd = std::fs::symlink_metadata(&link).unwrap();
    assert!(lmd.file_type().is_symlink(), "{what}: link stays a link");
    assert_eq!(lmd.mtime(), 981173106, "{what}: link mtime");
    assert_eq!(
        std::fs::read_link(&link).unwrap().to_str(),
        Some("../x/run.sh")
    );
    let dangling = root.join("node_modules/dangling");
    assert_eq!(
        std::fs::read_link(&dangling).unwrap().to_str(),
        Some("/nonexistent/target"),
        "{what}: dangling link kept"
    );
}

#[test]
fn modes_mtimes_and_symlinks_survive_restore_and_preserve() {
    let p = Proj::new(
        &yaml(&[], &[FIDELITY], "[node_modules]", ""),
        &[("package.json", "{}\n")],
    );
    p.build_ok(&[]);
    check_fidelity(&p.setup_store().join("cache"), "after preserve");
    let s = p.build_ok(&[]);
    assert_eq!(s["restored"], 1);
    check_fidelity(&p.setup_store().join("cache"), "after restore and preserve");
    // The view's files are the read-only objects; an export has the modes.
    let out = tempfile::tempdir().unwrap();
    let r = p.run(
        "versions",
        &["export", "2", out.path().join("v").to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    check_fidelity(&out.path().join("v"), "in the exported artifact");
    let view = p.setup_store().join("versions/2/node_modules/x/run.sh");
    let mode = std::fs::symlink_metadata(view)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o550, "a view file is its object, read-only");
}

#[test]
fn a_cross_filesystem_store_falls_back_to_copy() {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        crate::common::skip("no /dev/shm (the cross-filesystem store needs a tmpfs)");
        return;
    }
    let p = Proj::new(
        &yaml(&[], &[FIDELITY], "[node_modules]", ""),
        &[("package.json", "{}\n")],
    );
    let store = tempfile::Builder::new()
        .prefix("zc-shm")
        .tempdir_in(shm)
        .unwrap();
    let build = || {
        let (code, stdout, stderr) = crate::common::run(
            crate::common::bin()
                .current_dir(p.path())
                .args(["build", "--in-place", "--format", "json", "--store"])
                .arg(store.path()),
        );
        assert_eq!(code, 0, "{stderr}");
        (stdout, stderr)
    };
    let (_, err1) = build();
    assert!(err1.contains("different filesystems"), "{err1}");
    let cache = std::fs::read_dir(store.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cache = std::fs::read_dir(cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    check_fidelity(&cache.join("cache"), "copied across filesystems");
    let (out, _) = build();
    let s: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(s["restored"], 1);
    check_fidelity(&cache.join("cache"), "copied back and forth");
    assert!(!p.path().join("node_modules").exists());
}

#[test]
fn artifact_strips_tilde_prefixes_and_honours_deployignore() {
    let text = "zerops:\n  - setup: app\n    build:\n      buildCommands:\n        - mkdir -p dist/sub && echo x > dist/a.js && echo m > dist/a.js.map && echo y > dist/sub/b.js\n      deployFiles: [dist/~, package.json]\n      cache: false\n";
    let p = Proj::new(
        text,
        &[("package.json", "{}\n"), (".deployignore", "*.map\n")],
    );
    let s = p.build_ok(&[]);
    assert_eq!(s["version"], 1);
    let v = tree(&p.setup_store().join("versions/1"));
    let names: Vec<&str> = v.keys().map(String::as_str).collect();
    assert_eq!(names, ["a.js", "package.json", "sub/b.js"]);
}

#[test]
fn versions_keep_the_last_ten_and_activation_invalidates() {
    let p = Proj::new(&yaml(&[PREPARE], &["echo x > out.txt"], "false", ""), &[]);
    for _ in 0..12 {
        p.build_ok(&[]);
    }
    let r = p.run("versions", &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let nums: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_u64().unwrap())
        .collect();
    assert_eq!(nums, (3..=12).collect::<Vec<u64>>());
    assert_eq!(
        v.as_array()
            .unwrap()
            .iter()
            .filter(|x| x["active"] == true)
            .count(),
        1
    );
    let r = p.run("activate", &["5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = p.build_ok(&[]);
    assert_eq!(s["layers"]["base"]["action"], "rebuild");
    assert!(
        strings(&s["layers"]["base"]["reasons"])
            .join(" ")
            .contains("version 5"),
        "{s}"
    );
    assert_eq!(s["prepare_ran"], true);
    assert_ne!(p.run("activate", &["99"]).code, 0);
}

#[test]
fn invalidate_makes_the_next_build_clean() {
    let p = node_project("[node_modules]");
    let r = p.run("invalidate", &[]);
    assert_eq!(r.code, 0, "no cache yet is fine: {}", r.stderr);
    p.build_ok(&[]);
    let r = p.run("invalidate", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = p.run("status", &["--format", "json"]);
    let st: Value = serde_json::from_str(st.stdout.trim()).unwrap();
    assert_eq!(st["layers"]["base"]["next_build"], "rebuild");
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], true);
    assert_eq!(s["restored"], 0);
    assert!(
        strings(&s["layers"]["build"]["reasons"])
            .join(" ")
            .contains("manual")
    );
    assert_eq!(p.home_files()["prepare.log"], "ran\n", "a fresh home");
}

#[test]
fn plan_and_status_touch_nothing() {
    let p = Proj::new(
        &yaml(
            &[PREPARE],
            &[INSTALL],
            "[node_modules, package-lock.json]",
            "",
        ),
        &[("package-lock.json", "{}\n")],
    );
    p.build_ok(&[]);
    // Something to preserve in the project directory as it stands.
    std::fs::create_dir_all(p.path().join("node_modules/z")).unwrap();
    let store_before = tree(p.store.path());
    let project_before = tree(p.path());
    let r = p.run("plan", &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(strings(&plan["restore"]), ["node_modules"]);
    assert_eq!(plan["skipped"][0]["path"], "package-lock.json");
    assert_eq!(plan["prepare_would_run"], false);
    let mut pres = strings(&plan["preserve"]);
    pres.sort();
    assert_eq!(pres, ["node_modules", "package-lock.json"]);
    let r = p.run("plan", &[]);
    assert!(r.stdout.contains("restore would skip"), "{}", r.stdout);
    let r = p.run("status", &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(st["layers"]["build"]["next_build"], "reuse");
    assert!(st["layers"]["build"]["entries"].as_u64().unwrap() >= 3);
    assert!(st["last_build"].is_string());
    assert!(p.run("status", &[]).stdout.contains("next build: reuse"));
    let unlocked = |mut t: std::collections::BTreeMap<String, String>| {
        t.retain(|k, _| !k.ends_with("/lock"));
        t
    };
    assert_eq!(unlocked(tree(p.store.path())), unlocked(store_before));
    assert_eq!(tree(p.path()), project_before);
}

#[test]
fn untracked_files_are_in_the_workspace_and_ignored_ones_are_not() {
    let p = Proj::new(
        &yaml(&[], &["ls > listing.txt"], "false", ""),
        &[(".gitignore", "secret.txt\n")],
    );
    p.write("untracked.txt", "u\n");
    p.write("secret.txt", "s\n");
    git(p.path(), &["status", "--short"]);
    p.build_ok(&[]);
    let listing = std::fs::read_to_string(p.setup_store().join("versions/1/listing.txt")).unwrap();
    assert!(listing.contains("untracked.txt"), "{listing}");
    assert!(!listing.contains("secret.txt"), "{listing}");
}

#[test]
fn commands_run_in_their_own_shells_with_env_home_and_cwd() {
    let text = "zerops:\n  - setup: api\n    build:\n      prepareCommands:\n        - pwd > \"$HOME/prepare-cwd\"\n        - cd /tmp && export LOST=1\n        - echo \"[$LOST]\" > \"$HOME/lost\"\n      buildCommands:\n        - echo \"$GREETING $N\" > out.txt && pwd > cwd.txt && echo \"$HOME\" > home.txt\n      deployFiles: ./\n      envVariables:\n        GREETING: hello\n        N: 3\n  - setup: web\n    extends: api\n";
    let p = Proj::new(text, &[]);
    // Two setups: --setup is required, and each has its own store.
    let r = p.build(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--setup"), "{}", r.stderr);
    let s = p.build_ok(&["--setup", "api"]);
    assert_eq!(s["setup"], "api");
    let store = std::path::PathBuf::from(s["store"].as_str().unwrap());
    assert_eq!(s["isolation"], "container");
    // In the container: the paths of Zerops.
    let home = store.join("base/upper/home/zerops");
    assert_eq!(
        std::fs::read_to_string(home.join("prepare-cwd")).unwrap(),
        "/home/zerops\n",
        "prepareCommands run in the home"
    );
    assert_eq!(std::fs::read_to_string(home.join("lost")).unwrap(), "[]\n");
    let v = store.join("versions/1");
    assert_eq!(
        std::fs::read_to_string(v.join("out.txt")).unwrap(),
        "hello 3\n"
    );
    assert_eq!(
        std::fs::read_to_string(v.join("cwd.txt")).unwrap(),
        "/build/source\n",
        "buildCommands run in the workspace"
    );
    assert_eq!(
        std::fs::read_to_string(v.join("home.txt")).unwrap(),
        "/home/zerops\n"
    );
    // On the host (--isolation none): the real paths in the store.
    let s2 = p.build_ok(&["--setup", "web", "--isolation", "none"]);
    assert_ne!(s2["store"], s["store"]);
    assert_eq!(s2["prepare_ran"], true, "a setup's cache is its own");
    assert_eq!(s2["isolation"], "none");
    let store = std::path::PathBuf::from(s2["store"].as_str().unwrap());
    let home = store.join("base/upper/home/zerops");
    assert_eq!(
        std::fs::read_to_string(home.join("prepare-cwd"))
            .unwrap()
            .trim(),
        home.to_str().unwrap()
    );
    let v = store.join("versions/1");
    assert_eq!(
        std::fs::read_to_string(v.join("cwd.txt")).unwrap().trim(),
        store.join("work/source").to_str().unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(v.join("home.txt")).unwrap().trim(),
        home.to_str().unwrap()
    );
    // Output is streamed with each command shown.
    let r = p.run("build", &["--setup", "api"]);
    assert!(r.stdout.contains("$ echo \"$GREETING $N\""), "{}", r.stdout);
}

#[test]
fn the_store_root_comes_from_the_environment() {
    let p = node_project("[node_modules]");
    let root = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = crate::common::run(
        crate::common::bin()
            .current_dir(p.path())
            .env("ZEROPS_CACHE_DIR", root.path())
            .args(["build", "--format", "json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(
        s["store"]
            .as_str()
            .unwrap()
            .starts_with(root.path().canonicalize().unwrap().to_str().unwrap()),
        "{s}"
    );
}

/// Issue 26: a name that is not UTF-8 inside a directory restore descends
/// into (the checkout has that directory too: a tracked file in it) is not
/// restored on its own; each build says so once, with the reason, and the
/// cache keeps it.
#[test]
fn a_non_utf8_name_restore_cannot_move_is_reported_once_per_build() {
    let make = "mkdir -p node_modules/pkg && echo x > \"node_modules/pkg/$(printf 'bad\\377name')\" && echo y > node_modules/pkg/ok.js";
    let p = Proj::new(
        &yaml(&[], &[make], "[node_modules]", ""),
        &[("node_modules/pkg/keep.txt", "tracked\n")],
    );
    p.build_ok(&["--isolation", "none"]);
    for build in 2..=3 {
        let r = p.run("build", &["--isolation", "none"]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        let lines: Vec<&str> = all.lines().filter(|l| l.contains("(not-utf8)")).collect();
        assert_eq!(lines.len(), 1, "build {build}: {all}");
        assert!(
            lines[0].starts_with("restore: skipped node_modules/pkg/bad"),
            "{}",
            lines[0]
        );
        let kept = std::fs::read_dir(p.setup_store().join("cache/node_modules/pkg"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_str().is_none())
            .count();
        assert_eq!(kept, 1, "build {build}: the cache keeps the name");
    }
}

#[test]
fn non_utf8_names_move_only_with_their_parent() {
    // node_modules holds a name that is not UTF-8: it moves with the
    // directory. A top-level one is never matched on its own (cache: true).
    let make = "[ -d node_modules ] || { mkdir -p node_modules && echo x > \"node_modules/$(printf 'bad\\377name')\" && echo y > \"$(printf 'top\\377level')\"; }";
    let p = Proj::new(&yaml(&[], &[make], "true", ""), &[]);
    let s = p.build_ok(&[]);
    let notes = s["preserve_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{s}");
    assert_eq!(notes[0]["reason"], "not-utf8");
    let cache = p.setup_store().join("cache/node_modules");
    let names: Vec<Vec<u8>> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| {
            use std::os::unix::ffi::OsStrExt;
            e.unwrap().file_name().as_bytes().to_vec()
        })
        .collect();
    assert_eq!(names, [b"bad\xffname".to_vec()]);
    let s = p.build_ok(&[]);
    assert_eq!(s["restored"], 1, "node_modules with its odd name: {s}");
    assert_eq!(
        p.cache_files()
            .keys()
            .filter(|k| k.starts_with("node_modules/"))
            .count(),
        1
    );
}

#[test]
fn nested_patterns_preserve_below_kept_parents() {
    let make = "[ -d frontend/node_modules ] || { mkdir -p frontend/node_modules/r api/node_modules/s && echo r > frontend/node_modules/r/i.js && echo s > api/node_modules/s/i.js && chmod 751 frontend; }";
    let p = Proj::new(
        &yaml(&[], &[make], "[\"*/node_modules\"]", ""),
        &[
            ("frontend/package.json", "{}\n"),
            ("api/package.json", "{}\n"),
        ],
    );
    let s = p.build_ok(&[]);
    let mut taken = strings(&s["preserved_paths"]);
    taken.sort();
    assert_eq!(taken, ["api/node_modules", "frontend/node_modules"]);
    let cache = p.setup_store().join("cache");
    assert!(
        !cache.join("frontend/package.json").exists(),
        "only the match moves"
    );
    let mode = std::fs::metadata(cache.join("frontend"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o751,
        "the parent is created with the source's mode"
    );
    let s = p.build_ok(&[]);
    // Both sides have frontend/ and api/: restore descends and moves each node_modules.
    assert_eq!(s["restored"], 2, "{s}");
    assert!(strings(&s["skipped"]).is_empty(), "{s}");
    assert_eq!(p.cache_files()["frontend/node_modules/r/i.js"], "r\n");
}
