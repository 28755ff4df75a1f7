//! One version for everything shipped (issue 31): the workspace version
//! (Cargo.toml) is the binary's, the library crates', the npm package's,
//! the PyPI package's and the WIT package's. Bumping one without the others
//! fails here, before a release could ship two versions of one thing.

use crate::common::{bin, repo_root, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The value of `key = "..."` in one `[section]` of a TOML file.
fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == format!("[{section}]");
        } else if inside
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

#[test]
fn every_wit_file_declares_the_workspace_version() {
    let want = format!("package zerops:build-cache@{VERSION};");
    let mut n = 0;
    for e in std::fs::read_dir(repo_root().join("wit")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "wit") {
            let text = std::fs::read_to_string(&path).unwrap();
            let first = text
                .lines()
                .find(|l| l.starts_with("package "))
                .unwrap_or("");
            assert_eq!(first, want, "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} WIT files");
    assert_eq!(
        zerops_cache_policy::WIT_PACKAGE,
        format!("zerops:build-cache@{VERSION}")
    );
    assert_eq!(zerops_cache_policy::VERSION, VERSION);
}

#[test]
fn the_npm_package_has_the_workspace_version() {
    let pkg: serde_json::Value = serde_json::from_str(&read("packages/js/package.json")).unwrap();
    assert_eq!(pkg["name"], "zerops-cache-policy");
    assert_eq!(pkg["version"], VERSION);
    let lock: serde_json::Value =
        serde_json::from_str(&read("packages/js/package-lock.json")).unwrap();
    assert_eq!(
        lock["version"], VERSION,
        "package-lock.json: run npm install"
    );
    assert_eq!(lock["packages"][""]["version"], VERSION);
}

#[test]
fn the_python_package_has_the_workspace_version() {
    let pyproject = read("packages/python/pyproject.toml");
    assert_eq!(
        toml_value(&pyproject, "project", "name").as_deref(),
        Some("zerops-cache-policy")
    );
    assert_eq!(
        toml_value(&pyproject, "project", "version").as_deref(),
        Some(VERSION)
    );
    let init = read("packages/python/src/zerops_cache_policy/__init__.py");
    assert!(
        init.lines()
            .any(|l| l == format!("__version__ = \"{VERSION}\"")),
        "__init__.py: __version__ is not {VERSION}"
    );
}

#[test]
fn the_library_crates_pin_each_other_at_the_workspace_version() {
    let cargo = read("Cargo.toml");
    assert_eq!(
        toml_value(&cargo, "workspace.package", "version").as_deref(),
        Some(VERSION)
    );
    for dep in ["zerops-cache-contract", "zerops-cache-policy"] {
        let line = cargo
            .lines()
            .find(|l| l.starts_with(&format!("{dep} = ")))
            .unwrap_or_else(|| panic!("{dep} is not a workspace dependency"));
        assert!(
            line.contains(&format!("version = \"={VERSION}\"")),
            "{line}"
        );
    }
}

#[test]
fn the_binary_reports_the_workspace_version() {
    let (code, out, _) = run(bin().arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!("zerops-cache {VERSION} (zerops:build-cache@{VERSION})")
    );
    let (code, out, _) = run(bin().args(["component", "info"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("policy version: {VERSION}")), "{out}");
}
