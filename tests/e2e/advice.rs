//! The package-manager advice is true, not just asserted: a real `npm ci`
//! deletes a restored node_modules and a real `npm install` keeps it, and the
//! lint says so for the first only. Needs npm (scripts/setup.sh installs it).

use crate::build_support::{Proj, git};
use crate::common::{bin, repo_root, run};
use std::process::Command;

/// A project whose only dependency is a local `file:` package (no network),
/// with a committed lockfile. Each build records whether a file planted in
/// node_modules by the previous build survived the install.
fn npm_project(install: &str) -> Proj {
    npm_project_with(install, "[node_modules]", "")
}

/// [`npm_project`] with this `cache` and extra build YAML (indented for
/// the build section). The build records in tool-cache.txt whether npm's
/// cache directory was there before the install.
fn npm_project_with(install: &str, cache: &str, extra: &str) -> Proj {
    let npm = Command::new("npm").arg("--version").output();
    assert!(
        npm.is_ok_and(|o| o.status.success()),
        "these tests need npm on PATH (scripts/setup.sh installs it)"
    );
    let yaml = format!(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - if [ -d .npm-cache ]; then echo kept > tool-cache.txt; else echo gone > tool-cache.txt; fi
        - {install} --offline --no-audit --no-fund
        - if [ -e node_modules/.stamp ]; then echo kept > result.txt; else echo gone > result.txt; fi
        - echo planted > node_modules/.stamp
      deployFiles: ./
      cache: {cache}
{extra}"
    );
    let p = Proj::new(
        &yaml,
        &[
            (
                "dep/package.json",
                r#"{"name":"dep","version":"1.0.0","main":"index.js"}"#,
            ),
            ("dep/index.js", "module.exports = 1;\n"),
            (
                "package.json",
                r#"{"name":"app","version":"1.0.0","dependencies":{"dep":"file:./dep"}}"#,
            ),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new("npm")
        .args([
            "install",
            "--package-lock-only",
            "--offline",
            "--no-audit",
            "--no-fund",
        ])
        .current_dir(p.path())
        .env("npm_config_cache", cache.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "lockfile"]);
    p
}

fn result_of_version(p: &Proj, n: u32) -> String {
    file_of_version(p, n, "result.txt")
}

fn file_of_version(p: &Proj, n: u32, name: &str) -> String {
    let path = p.setup_store().join(format!("versions/{n}/{name}"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; {:?}",
                path.display(),
                crate::build_support::tree(&p.setup_store())
            )
        })
        .trim()
        .to_string()
}

fn lint_codes(p: &Proj) -> Vec<String> {
    let (_, stdout, stderr) = run(bin()
        .current_dir(p.path())
        .args(["lint", "--format", "json"]));
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    v["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn npm_ci_deletes_the_restored_node_modules_and_the_lint_says_so() {
    let p = npm_project("npm ci");
    p.build_ok(&[]);
    let s = p.build_ok(&[]);
    assert_eq!(s["layers"]["build"]["action"], "reuse", "{s}");
    assert_eq!(s["restored"], 1, "node_modules was restored: {s}");
    assert_eq!(
        result_of_version(&p, 2),
        "gone",
        "npm ci deleted the restored tree"
    );
    assert!(lint_codes(&p).contains(&"cache-deleted-by-build".to_string()));
}

#[test]
fn npm_install_keeps_the_restored_node_modules_and_the_lint_is_quiet() {
    let p = npm_project("npm install");
    p.build_ok(&[]);
    p.build_ok(&[]);
    assert_eq!(
        result_of_version(&p, 2),
        "kept",
        "npm install reused the restored tree"
    );
    let codes = lint_codes(&p);
    assert!(
        !codes.contains(&"cache-deleted-by-build".to_string()),
        "{codes:?}"
    );
    // node_modules is not in the fresh checkout, but npm install creates it.
    assert!(
        !codes.contains(&"cache-matches-nothing".to_string()),
        "{codes:?}"
    );
}

#[test]
fn advise_reports_layers_and_store_sizes() {
    let p = npm_project("npm ci");
    let before = p.run("advise", &["--format", "json"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    let v: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
    assert_eq!(v["store"], serde_json::Value::Null);
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["bytes"].is_null())
    );
    p.build_ok(&[]);
    let after = p.run("advise", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    let item = |path: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == path)
            .unwrap_or_else(|| panic!("no item {path}: {v}"))
            .clone()
    };
    let nm = item("node_modules");
    assert_eq!(nm["layer"], "build");
    let on_disk: u64 = walk_bytes(&p.setup_store().join("cache/node_modules"));
    assert_eq!(nm["bytes"].as_u64(), Some(on_disk), "{nm}");
    assert!(
        nm["saves"].as_str().unwrap().starts_with("nothing: "),
        "{nm}"
    );
    let npm = item("~/.npm");
    assert_eq!(npm["layer"], "base");
    assert!(npm["bytes"].is_u64(), "{npm}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "cache-deleted-by-build")
    );
    // Human output names the layers; advise never creates or changes a store.
    let human = p.run("advise", &[]);
    assert!(human.stdout.contains("base layer"), "{}", human.stdout);
    assert!(
        human.stdout.contains("warning[cache-deleted-by-build]"),
        "{}",
        human.stdout
    );
}

fn walk_bytes(p: &std::path::Path) -> u64 {
    let md = std::fs::symlink_metadata(p).unwrap();
    if !md.is_dir() {
        return md.len();
    }
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| walk_bytes(&e.unwrap().path()))
        .sum()
}

#[test]
fn advise_without_a_store_creates_none() {
    let p = npm_project("npm install");
    let r = p.run("advise", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no store yet"), "{}", r.stdout);
    assert_eq!(std::fs::read_dir(p.store.path()).unwrap().count(), 0);
}

#[test]
fn laravel_showcase_has_no_matches_nothing_for_what_its_build_creates() {
    let src = std::fs::read_to_string(
        repo_root()
            .join("tests/corpus/zerops-yml/zerops-recipe-apps__laravel-showcase-app__zerops.yaml"),
    )
    .unwrap();
    let p = Proj::new(&src, &[("composer.json", "{}\n"), ("package.json", "{}\n")]);
    let (code, stdout, stderr) = run(bin()
        .current_dir(p.path())
        .args(["lint", "--format", "json"]));
    assert!(code == 0 || code == 1, "{stderr}");
    assert!(!stdout.contains("cache-matches-nothing"), "{stdout}");
    // The same file with a path nothing creates still gets the note.
    let renamed = src.replacen(
        "      cache:\n        - vendor\n",
        "      cache:\n        - vendorx\n",
        1,
    );
    assert_ne!(renamed, src);
    let p = Proj::new(&renamed, &[]);
    let (_, stdout, _) = run(bin()
        .current_dir(p.path())
        .args(["lint", "--format", "json"]));
    assert!(stdout.contains("cache-matches-nothing"), "{stdout}");
}

#[test]
fn explain_shows_the_same_advice_as_lint() {
    let p = npm_project("npm ci");
    let old = std::fs::read_to_string(p.path().join("zerops.yaml"))
        .unwrap()
        .replace("npm ci", "npm install");
    p.write("old.yaml", &old);
    let (code, stdout, stderr) = run(bin().current_dir(p.path()).args([
        "explain",
        "old.yaml",
        "zerops.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let codes: Vec<&str> = v["advice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["cache-deleted-by-build"], "{v}");
    let (_, human, _) =
        run(bin()
            .current_dir(p.path())
            .args(["explain", "zerops.yaml", "old.yaml"]));
    assert!(!human.contains("cache-deleted-by-build"), "{human}");
}

#[test]
fn a_tool_cache_moved_into_the_source_is_lost_unless_cached() {
    let env = "      envVariables:\n        npm_config_cache: ./.npm-cache\n";
    let p = npm_project_with("npm install", "[node_modules]", env);
    p.build_ok(&[]);
    p.build_ok(&[]);
    assert_eq!(file_of_version(&p, 2, "tool-cache.txt"), "gone");
    assert!(lint_codes(&p).contains(&"tool-cache-uncached".to_string()));
    // Following the help (add it to `cache`) keeps it, and the lint is quiet.
    let p = npm_project_with("npm install", "[node_modules, .npm-cache]", env);
    p.build_ok(&[]);
    p.build_ok(&[]);
    assert_eq!(file_of_version(&p, 2, "tool-cache.txt"), "kept");
    let codes = lint_codes(&p);
    assert!(
        !codes.contains(&"tool-cache-uncached".to_string()),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"cache-matches-nothing".to_string()),
        "{codes:?}"
    );
}

#[test]
fn a_tool_cache_outside_the_source_stays_in_the_base_layer_with_cache_false() {
    let p = npm_project_with("npm install", "false", "");
    p.build_ok(&[]);
    assert!(
        p.home_files().keys().any(|k| k.starts_with(".npm/")),
        "{:?}",
        p.home_files().keys()
    );
    p.build_ok(&[]);
    assert!(p.home_files().keys().any(|k| k.starts_with(".npm/")));
    let r = p.run("advise", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let npm = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "~/.npm")
        .unwrap();
    assert_eq!(npm["layer"], "base", "{v}");
    assert!(npm["bytes"].as_u64().unwrap() > 0, "{npm}");
}
