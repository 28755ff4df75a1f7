//! The host's crates and their top-level modules form layers.
//!
//! - A module imports (by a `crate::x` path, or a lower crate's
//!   `zerops_cache_<crate>::x`, in its non-test code) only modules of its
//!   own layer or below, and the module graph has no cycle. Module names are
//!   unique across the crates, so the graph is one graph over every crate's
//!   modules.
//! - Each crate depends (in its Cargo.toml) only on crates below it in
//!   [`CRATES`], and on no crate holding a module in a layer above its own
//!   highest: the crates follow the layers.
//! - A module that imports another crate's module names that crate as a
//!   direct dependency.
//!
//! The policy crate has its own test (crates/policy/tests/module_graph.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A new top-level module must be placed here.
const LAYERS: &[&[&str]] = &[
    // Primitives: signals, progress, overlay marks, the component, renderers.
    &[
        "interrupt",
        "clock",
        "host_reaper",
        "progress",
        "overlay_meta",
        "component",
        "render",
        "ci",
    ],
    // Errors and files: diagnostics, exit classes (and the store's errors
    // that carry one), commands, copying.
    &[
        "diagnostic",
        "runner",
        "filesystem",
        "dir_handles",
        "store_error",
        "exit",
    ],
    // The project: git, its tree, the workspace, the build container.
    &["git", "tree_facts", "workspace", "identity", "sandbox"],
    // The store; the config file (read with the store's limits).
    &["store", "config_file"],
    // A build's phases, the remote tier, the language server, the build
    // image (the image store and pulls).
    &["phases", "remote", "lsp", "image"],
    // The commands.
    &["cmd"],
];

/// The host's crates, bottom to top: package name, directory (from the
/// workspace root) and its top-level modules.
const CRATES: &[(&str, &str, &[&str])] = &[
    ("zerops-cache-component", "crates/component", &["component"]),
    (
        "zerops-cache-base",
        "crates/base",
        &[
            "interrupt",
            "clock",
            "host_reaper",
            "progress",
            "overlay_meta",
            "render",
            "diagnostic",
            "runner",
            "filesystem",
            "dir_handles",
            "store_error",
            "exit",
        ],
    ),
    ("zerops-cache-sandbox", "crates/sandbox", &["sandbox"]),
    (
        "zerops-cache-store",
        "crates/store",
        &[
            "git",
            "tree_facts",
            "workspace",
            "identity",
            "store",
            "config_file",
            "phases",
        ],
    ),
    ("zerops-cache-remote", "crates/remote", &["remote"]),
    ("zerops-cache-image", "crates/image", &["image"]),
    ("zerops-cache", "host", &["ci", "lsp", "cmd"]),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(m) => Some(m.to_string()),
        None => Some(first),
    }
}

/// The code before the first `#[cfg(test)]`, without comments.
fn non_test(text: &str) -> String {
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a module's code names a host module: through its own crate, or
/// through a lower crate by its real path.
const PATH_ROOTS: &[&str] = &[
    "crate::",
    "zerops_cache_component::",
    "zerops_cache_base::",
    "zerops_cache_sandbox::",
    "zerops_cache_store::",
    "zerops_cache_remote::",
    "zerops_cache_image::",
];

/// Every top-level module named by a `crate::x` or a
/// `zerops_cache_<crate>::x` path, also in groups.
fn references(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let starts = PATH_ROOTS.iter().flat_map(|root| {
        text.match_indices(root)
            .filter(|(i, _)| {
                // `crate::` on its own, not the end of `zerops_cache_crate::`.
                !text[..*i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
            .map(|(i, _)| i + root.len())
    });
    for i in starts {
        let rest = &text[i..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(group[..end].split(',').map(|s| ident(s.trim())));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// Adds the modules under `dir` (a crate's src/) to `graph`, and each
/// module's crate to `owner`.
fn walk(
    dir: &Path,
    root: &Path,
    krate: &str,
    graph: &mut BTreeMap<String, BTreeSet<String>>,
    owner: &mut BTreeMap<String, String>,
) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, root, krate, graph, owner);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let Some(module) = module_of(rel) else {
                continue;
            };
            let first = owner.entry(module.clone()).or_insert(krate.to_string());
            assert_eq!(
                first, krate,
                "module `{module}` is in two crates: names must stay unique"
            );
            if rel.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let refs = graph.entry(module.clone()).or_default();
            refs.extend(
                references(&non_test(&text))
                    .into_iter()
                    .filter(|r| *r != module),
            );
        }
    }
}

/// The module graph over every crate, and each module's crate.
fn graph() -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, String>) {
    let mut graph = BTreeMap::new();
    let mut owner = BTreeMap::new();
    for (krate, dir, _) in CRATES {
        let root = workspace().join(dir).join("src");
        walk(&root, &root, krate, &mut graph, &mut owner);
    }
    (graph, owner)
}

fn layer(m: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&m))
        .unwrap_or_else(|| panic!("module `{m}` has no layer in LAYERS: place it"))
}

/// The `zerops-cache-*` packages a crate's Cargo.toml names in
/// `[dependencies]` (not dev- or build-dependencies).
fn dependencies(dir: &str) -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(workspace().join(dir).join("Cargo.toml")).unwrap();
    let mut section = "";
    let mut out = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section == "[dependencies]" && line.starts_with("zerops-cache") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            out.insert(name);
        }
    }
    out
}

fn crate_index(name: &str) -> Option<usize> {
    CRATES.iter().position(|(n, _, _)| *n == name)
}

#[test]
fn no_module_imports_a_higher_layer() {
    let (g, _) = graph();
    assert!(g.contains_key("cmd") && g.contains_key("store"), "{g:?}");
    let mut up = Vec::new();
    for (m, refs) in &g {
        for r in refs {
            if layer(r) > layer(m) {
                up.push(format!("{m} -> {r}"));
            }
        }
    }
    assert!(up.is_empty(), "imports of a higher layer: {up:?}");
}

#[test]
fn no_module_cycle() {
    let (g, _) = graph();
    // Kahn: repeatedly remove modules nothing left imports.
    let mut left: BTreeSet<String> = g.keys().cloned().collect();
    loop {
        let leaf = left
            .iter()
            .find(|m| g[*m].iter().all(|r| !left.contains(r)))
            .cloned();
        match leaf {
            Some(m) => {
                left.remove(&m);
            }
            None => break,
        }
    }
    assert!(left.is_empty(), "modules on a cycle: {left:?}");
}

#[test]
fn every_module_is_in_the_crate_the_table_says() {
    let (_, owner) = graph();
    let mut want = BTreeMap::new();
    for (krate, _, modules) in CRATES {
        for m in *modules {
            want.insert(m.to_string(), krate.to_string());
        }
    }
    assert_eq!(owner, want, "CRATES differs from the crates' src/ trees");
}

#[test]
fn crates_depend_only_on_lower_crates_and_layers() {
    let layers_of = |i: usize| -> Vec<usize> { CRATES[i].2.iter().map(|m| layer(m)).collect() };
    for (i, (krate, dir, _)) in CRATES.iter().enumerate() {
        for dep in dependencies(dir) {
            let Some(j) = crate_index(&dep) else {
                // The contract (data types) is below every host crate.
                assert_eq!(dep, "zerops-cache-contract", "{krate} depends on {dep}");
                continue;
            };
            assert!(j < i, "{krate} depends on {dep}, which is not below it");
            // The dependency holds no module above this crate's highest.
            let (mine, theirs) = (layers_of(i), layers_of(j));
            assert!(
                theirs.iter().max() <= mine.iter().max(),
                "{krate} (layers {mine:?}) depends on {dep} (layers {theirs:?})"
            );
        }
    }
}

#[test]
fn a_module_of_another_crate_comes_from_a_direct_dependency() {
    let (g, owner) = graph();
    let mut missing = Vec::new();
    for (m, refs) in &g {
        let krate = &owner[m];
        let dir = CRATES[crate_index(krate).unwrap()].1;
        let deps = dependencies(dir);
        for r in refs {
            let theirs = &owner[r];
            if theirs != krate && !deps.contains(theirs) {
                missing.push(format!("{m} ({krate}) -> {r} ({theirs})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "imports of a crate not depended on: {missing:?}"
    );
}
