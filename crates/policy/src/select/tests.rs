use super::*;
use crate::pattern::is_match;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// An in-memory tree: directory path -> entries.
#[derive(Debug, Clone, Default)]
struct Tree {
    dirs: BTreeMap<String, Vec<Entry>>,
}

impl Tree {
    /// Builds a tree from paths; every proper prefix becomes a directory,
    /// the last component gets `kind`.
    fn from_paths(paths: &[(&str, EntryKind)]) -> Tree {
        let mut t = Tree::default();
        t.dirs.insert(String::new(), Vec::new());
        for (p, kind) in paths {
            t.add(p, *kind);
        }
        t
    }

    fn add(&mut self, path: &str, kind: EntryKind) {
        let comps: Vec<&str> = path.split('/').collect();
        let mut dir = String::new();
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let k = if last { kind } else { EntryKind::Dir };
            let entries = self.dirs.entry(dir.clone()).or_default();
            match entries.iter().find(|e| e.name == *c) {
                Some(e) if e.kind != EntryKind::Dir => return, // a leaf is in the way
                Some(_) => {}
                None => entries.push(Entry::new(*c, k)),
            }
            dir = if dir.is_empty() {
                c.to_string()
            } else {
                format!("{dir}/{c}")
            };
            if k == EntryKind::Dir {
                self.dirs.entry(dir.clone()).or_default();
            } else {
                return;
            }
        }
    }

    /// Every path in the tree with its kind.
    fn all_paths(&self) -> Vec<(String, EntryKind)> {
        let mut out = Vec::new();
        for (dir, entries) in &self.dirs {
            for e in entries {
                let p = if dir.is_empty() {
                    e.name.clone()
                } else {
                    format!("{dir}/{}", e.name)
                };
                out.push((p, e.kind));
            }
        }
        out
    }

    /// Walks with a lister that records every listing request.
    fn walk(&self, set: &mut PatternSet) -> (WalkResult, Vec<String>) {
        let mut requested = Vec::new();
        let mut lister = |dir: &str| -> Result<Vec<Entry>, String> {
            requested.push(dir.to_string());
            self.dirs
                .get(dir)
                .cloned()
                .ok_or_else(|| format!("no such dir {dir:?}"))
        };
        let r = walk(set, &mut lister).expect("walk");
        (r, requested)
    }
}

fn components(p: &str) -> usize {
    if p.is_empty() {
        0
    } else {
        p.split('/').count()
    }
}

#[test]
fn root_listing_decisions() {
    let set = PatternSet::new(&[
        "./node_modules/",
        ".next/cache",
        "subdir/*.txt",
        "package*",
        "frontend/node_modules",
    ]);
    let entries = [
        Entry::dir("node_modules"),
        Entry::dir(".next"),
        Entry::dir("subdir"),
        Entry::file("package.json"),
        Entry::file("package-lock.json"),
        Entry::dir("frontend"),
        Entry::dir("src"),
        Entry::file("README.md"),
        Entry::symlink("linked"),
    ];
    let d = set.select("", &entries);
    assert_eq!(
        d,
        [
            Selection::Take { pattern: 0 },
            Selection::Descend { pattern: 1 },
            Selection::Descend { pattern: 2 },
            Selection::Take { pattern: 3 },
            Selection::Take { pattern: 3 },
            Selection::Descend { pattern: 4 },
            Selection::NoMatch,
            Selection::NoMatch,
            Selection::NoMatch,
        ]
    );
    let d = set.select(
        "subdir",
        &[
            Entry::file("file1.txt"),
            Entry::file("a.js"),
            Entry::dir("deeper"),
        ],
    );
    assert_eq!(
        d,
        [
            Selection::Take { pattern: 2 },
            Selection::NoMatch,
            Selection::NoMatch,
        ]
    );
}

#[test]
fn symlinks_files_and_non_utf8_are_explained() {
    let set = PatternSet::new(&["node_modules/.cache", "*"]);
    let mut bad = Entry::dir("caf\u{FFFD}");
    bad.utf8 = false;
    // "*" takes every top-level UTF-8 name, so use a subdirectory listing.
    let d = set.select("", &[bad.clone()]);
    assert_eq!(d, [Selection::NotUtf8]);

    let set = PatternSet::new(&["node_modules/.cache", "vendor/bin"]);
    let d = set.select(
        "",
        &[
            Entry::symlink("node_modules"),
            Entry::file("vendor"),
            Entry::new("x", EntryKind::Other),
        ],
    );
    assert_eq!(
        d,
        [
            Selection::SymlinkNotFollowed { pattern: 0 },
            Selection::NotADirectory { pattern: 1 },
            Selection::NoMatch,
        ]
    );
    // a matched symlink is taken (as a link)
    let set = PatternSet::new(&["node_modules"]);
    assert_eq!(
        set.select("", &[Entry::symlink("node_modules")]),
        [Selection::Take { pattern: 0 }]
    );
}

#[test]
fn statuses_of_patterns_that_cannot_apply() {
    let set = PatternSet::new(&["/root/go/pkg/mod", "../x", "a[", ".", "vendor"]);
    assert_eq!(
        set.statuses(),
        [
            PatternStatus::Absolute,
            PatternStatus::ParentComponent,
            PatternStatus::Invalid(crate::pattern::validate("a[").unwrap_err()),
            PatternStatus::Empty,
            PatternStatus::Applied,
        ]
    );
    assert_eq!(set.max_depth(), 1);
    assert_eq!(set.normalized()[3], "");
    assert_eq!(
        set.select("", &[Entry::dir("vendor")]),
        [Selection::Take { pattern: 4 }]
    );
}

/// A realistic project: the walk opens exactly the directories a pattern
/// prefix matches, and nothing deeper than the patterns reach.
#[test]
fn walk_lists_only_what_patterns_reach() {
    let tree = Tree::from_paths(&[
        ("node_modules/react/index.js", EntryKind::File),
        ("node_modules/.cache/x/y", EntryKind::File),
        (".next/cache/webpack/a.pack", EntryKind::File),
        (".next/server/app.js", EntryKind::File),
        ("frontend/node_modules/vue/index.js", EntryKind::File),
        ("frontend/src/main.ts", EntryKind::File),
        ("backend/node_modules/x/index.js", EntryKind::File),
        ("src/deep/er/still/file.ts", EntryKind::File),
        ("subdir/file1.txt", EntryKind::File),
        ("subdir/file2.txt", EntryKind::File),
        ("subdir/nested/file3.txt", EntryKind::File),
        ("package.json", EntryKind::File),
        ("package-lock.json", EntryKind::File),
    ]);
    let mut set = PatternSet::new(&[
        "node_modules",
        ".next/cache",
        "subdir/*.txt",
        "package*",
        "frontend/node_modules",
    ]);
    let (r, requested) = tree.walk(&mut set);
    assert_eq!(requested, ["", ".next", "frontend", "subdir"]);
    assert_eq!(r.listed, requested);
    let taken: Vec<&str> = r.taken.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(
        taken,
        [
            "node_modules",
            "package-lock.json",
            "package.json",
            ".next/cache",
            "frontend/node_modules",
            "subdir/file1.txt",
            "subdir/file2.txt",
        ]
    );
    // the deepest listing has max_depth - 1 components
    assert_eq!(set.max_depth(), 2);
    assert!(requested.iter().all(|d| components(d) < set.max_depth()));
}

#[test]
fn walk_with_wildcard_components() {
    let tree = Tree::from_paths(&[
        ("apps/web/node_modules/a", EntryKind::File),
        ("apps/api/node_modules/b", EntryKind::File),
        ("apps/api/src/node_modules/c", EntryKind::File),
        ("libs/x/node_modules/d", EntryKind::File),
        ("apps/readme", EntryKind::File),
    ]);
    let mut set = PatternSet::new(&["apps/*/node_modules"]);
    let (r, requested) = tree.walk(&mut set);
    assert_eq!(requested, ["", "apps", "apps/api", "apps/web"]);
    let taken: Vec<&str> = r.taken.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(taken, ["apps/api/node_modules", "apps/web/node_modules"]);
    assert_eq!(r.noted, []);
}

#[test]
fn no_patterns_no_listing() {
    let tree = Tree::from_paths(&[("a/b", EntryKind::File)]);
    let mut set = PatternSet::new::<&str>(&[]);
    let (r, requested) = tree.walk(&mut set);
    assert!(requested.is_empty());
    assert_eq!(r, WalkResult::default());
    // only patterns that cannot apply: still nothing to list
    let mut set = PatternSet::new(&["/abs", "../up", "bad["]);
    assert!(tree.walk(&mut set).1.is_empty());
}

#[test]
fn class_matching_slash_is_found_without_over_walking() {
    // `a[/]b` matches the path `a/b`: one pattern component spans two path
    // components. The walk must find it, and must not open `c`.
    let tree = Tree::from_paths(&[
        ("a/b", EntryKind::File),
        ("a/c", EntryKind::File),
        ("c/b", EntryKind::File),
    ]);
    let mut set = PatternSet::new(&["a[/]b"]);
    assert_eq!(set.max_depth(), 2);
    let (r, requested) = tree.walk(&mut set);
    assert_eq!(requested, ["", "a"]);
    assert_eq!(
        r.taken.iter().map(|t| t.path.as_str()).collect::<Vec<_>>(),
        ["a/b"]
    );

    let mut set = PatternSet::new(&["?[^x]?"]);
    let tree = Tree::from_paths(&[("a/b", EntryKind::File), ("ab/c", EntryKind::File)]);
    let (r, requested) = tree.walk(&mut set);
    assert_eq!(
        r.taken.iter().map(|t| t.path.as_str()).collect::<Vec<_>>(),
        ["a/b"]
    );
    assert_eq!(requested, ["", "a"]);
}

#[test]
fn walk_never_exceeds_max_depth_even_if_selector_asks() {
    /// A selector that wants to descend everywhere.
    struct Greedy;
    impl Selector for Greedy {
        fn max_depth(&self) -> usize {
            2
        }
        fn select(&mut self, _: &str, entries: &[Entry]) -> Vec<Selection> {
            entries
                .iter()
                .map(|_| Selection::Descend { pattern: 0 })
                .collect()
        }
    }
    let tree = Tree::from_paths(&[("a/b/c/d", EntryKind::File)]);
    let mut requested = Vec::new();
    let mut lister = |dir: &str| -> Result<Vec<Entry>, ()> {
        requested.push(dir.to_string());
        Ok(tree.dirs.get(dir).cloned().unwrap_or_default())
    };
    walk(&mut Greedy, &mut lister).unwrap();
    assert_eq!(requested, ["", "a"]);
}

// --- properties -------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "ab", "ba", "é", ".x", "a*", "[a]"]).prop_map(String::from)
}

fn tree() -> impl Strategy<Value = Tree> {
    prop::collection::vec(
        (
            prop::collection::vec(name(), 1..5),
            prop::sample::select(vec![EntryKind::File, EntryKind::Dir, EntryKind::Symlink]),
        ),
        0..12,
    )
    .prop_map(|paths| {
        let owned: Vec<(String, EntryKind)> =
            paths.into_iter().map(|(c, k)| (c.join("/"), k)).collect();
        let refs: Vec<(&str, EntryKind)> = owned.iter().map(|(p, k)| (p.as_str(), *k)).collect();
        Tree::from_paths(&refs)
    })
}

fn pattern_text() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "a", "b", "*", "?", "/", "/", "é", ".x", "[ab]", "[^a]", "[/]", "\\*", "\\/", "**",
    ]);
    prop::collection::vec(atom, 0..6).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, .. ProptestConfig::default() })]

    /// The walk takes exactly the paths Go's matcher matches whose ancestors
    /// are not taken already, and lists only directories that a pattern
    /// prefix can match, never deeper than the patterns reach.
    #[test]
    fn walk_is_exact_and_economical(t in tree(), pats in prop::collection::vec(pattern_text(), 1..4)) {
        let mut set = PatternSet::new(&pats);
        let (r, requested) = t.walk(&mut set);
        let applied: Vec<String> = set
            .normalized()
            .iter()
            .zip(set.statuses())
            .filter(|(_, s)| **s == PatternStatus::Applied)
            .map(|(n, _)| n.clone())
            .collect();
        let matches = |p: &str| applied.iter().any(|a| is_match(a, p) == Ok(true));

        // exact: the oracle is the full list of paths and the matcher
        let all = t.all_paths();
        let mut expected = BTreeSet::new();
        for (p, _) in &all {
            let comps: Vec<&str> = p.split('/').collect();
            let ancestor_taken = (1..comps.len()).any(|i| matches(&comps[..i].join("/")));
            if matches(p) && !ancestor_taken {
                expected.insert(p.clone());
            }
        }
        let got: BTreeSet<String> = r.taken.iter().map(|t| t.path.clone()).collect();
        prop_assert_eq!(&got, &expected, "patterns {:?}", applied);

        // economical: depth bound, and each listed directory (but the root)
        // is a prefix under which some pattern's automaton can still match.
        for d in &requested {
            prop_assert!(components(d) < set.max_depth(), "listed {:?} with max depth {}", d, set.max_depth());
            if !d.is_empty() {
                let s = format!("{d}/");
                prop_assert!(
                    set.applied.iter().any(|a| nfa_viable(a.pattern.compiled(), &a.nfa, s.as_bytes())),
                    "listed {:?} though no pattern prefix matches it", d
                );
            }
        }
        // and for ordinary patterns, the component-wise test is what is used
        for d in &requested {
            if d.is_empty() { continue; }
            let comps: Vec<&str> = d.split('/').collect();
            let simple_reason = set.applied.iter().filter(|a| a.segments.is_some()).any(|a| {
                let segs = a.segments.as_ref().unwrap();
                segs.len() > comps.len() && segs.iter().zip(&comps).all(|(s, c)| s.matches(c))
            });
            let class_reason = set.applied.iter().any(|a| a.segments.is_none());
            prop_assert!(simple_reason || class_reason, "listed {:?} without a reason", d);
        }
    }

    /// For ordinary patterns the component-wise reading equals Go's matcher
    /// on the whole path (the premise of the depth argument).
    #[test]
    fn componentwise_equals_go_for_ordinary_patterns(p in pattern_text(), path in prop::collection::vec(name(), 1..5)) {
        let path = path.join("/");
        if let Ok(pat) = Pattern::new(&p)
            && !pat.class_matches_slash()
        {
            let segs = crate::pattern::segments(&p);
            let comps: Vec<&str> = path.split('/').collect();
            let cw = segs.len() == comps.len()
                && segs.iter().zip(&comps).all(|(s, c)| is_match(s.text, c) == Ok(true));
            prop_assert_eq!(cw, pat.matches(&path), "pattern {:?} path {:?}", p, path);
        }
    }
}
