//! The host's top-level modules form layers: a module imports (by a
//! `crate::x` path in its non-test code) only modules of its own layer or
//! below, and the graph has no cycle, but for the two back edges listed in
//! `KNOWN_BACK_EDGES` (each names who removes it). The policy crate has the
//! same test (crates/policy/tests/module_graph.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    // Errors and files: diagnostics, exit classes, commands, copying.
    &["diagnostic", "runner", "filesystem", "dir_handles", "exit"],
    // The project: git, its tree, the workspace, the build container.
    &["git", "tree", "workspace", "identity", "sandbox"],
    // The store and its remote tier; the config file (read with the store's limits).
    &["store", "remote", "config_file"],
    // A build's phases and the language server.
    // The build image (the image store and pulls) beside them.
    &["phases", "lsp", "image"],
    // The commands.
    &["cmd"],
];

/// Edges that go up or close a cycle, to be removed: `exit` downcasts the
/// store's `Locked` and `BadFile` (the store owns them; moving them below
/// `exit` is the store's change, issue 26), and `store` names
/// `remote::tier::STAGING` (issue 28).
const KNOWN_BACK_EDGES: &[(&str, &str)] = &[("exit", "store"), ("store", "remote")];

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

/// Every top-level module named by a `crate::x` path, also in groups.
fn references(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
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

fn walk(dir: &Path, root: &Path, graph: &mut BTreeMap<String, BTreeSet<String>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, root, graph);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let Some(module) = module_of(rel) else {
                continue;
            };
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

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    walk(&root, &root, &mut graph);
    graph
}

fn layer(m: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&m))
        .unwrap_or_else(|| panic!("module `{m}` has no layer in LAYERS: place it"))
}

#[test]
fn no_module_imports_a_higher_layer() {
    let g = graph();
    assert!(g.contains_key("cmd") && g.contains_key("store"), "{g:?}");
    let mut up = Vec::new();
    for (m, refs) in &g {
        for r in refs {
            let known = KNOWN_BACK_EDGES.contains(&(m.as_str(), r.as_str()));
            if layer(r) > layer(m) && !known {
                up.push(format!("{m} -> {r}"));
            }
        }
    }
    assert!(up.is_empty(), "imports of a higher layer: {up:?}");
    // A listed edge that no longer exists must leave the list.
    for (a, b) in KNOWN_BACK_EDGES {
        assert!(
            g[*a].contains(*b),
            "{a} -> {b} is gone: remove it from KNOWN_BACK_EDGES"
        );
    }
}

#[test]
fn no_cycle_but_the_known_back_edges() {
    let mut g = graph();
    for (a, b) in KNOWN_BACK_EDGES {
        g.get_mut(*a).unwrap().remove(*b);
    }
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
