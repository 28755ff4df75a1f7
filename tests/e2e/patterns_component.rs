//! The component's `patterns` interface equals the native policy: on the
//! differential corpus, on per-directory selections, and driving a walk of a
//! real directory.

use crate::common::host;
use std::collections::BTreeMap;
use zerops_cache::component::PolicyHost;
use zerops_cache::component::bindings::exports::zerops::build_cache::patterns as wit;
use zerops_cache_policy::pattern::{self, corpus};
use zerops_cache_policy::select::{self, Entry, EntryKind, PatternSet, walk};
use zerops_cache_policy::select::{Selection, Selector};

#[test]
fn component_matches_like_native_on_the_differential_corpus() {
    // the hand-picked cross product plus random cases
    let cases = corpus::cases(0xC0_4D, 3000);
    assert!(cases.len() > 5000);
    let answers = host().is_match_many(&cases).unwrap();
    assert_eq!(answers.len(), cases.len());
    for ((p, n), a) in cases.iter().zip(&answers) {
        let native = pattern::is_match(p, n);
        let component = a.as_ref().map(|m| *m).map_err(|e| e.error);
        assert_eq!(component, native, "is_match({p:?}, {n:?})");
        if let Err(e) = a {
            let native = native.unwrap_err();
            assert_eq!(e.column as usize, native.column(p));
            assert_eq!(e.message, native.kind.describe());
        }
    }
    // whole-pattern checks, normalization and explanations, per pattern
    for p in corpus::ADVERSARIAL_PATTERNS {
        let c = host().validate_pattern(p).unwrap().map_err(|e| e.error);
        assert_eq!(c, pattern::validate(p), "validate({p:?})");
        assert_eq!(host().normalize_pattern(p).unwrap(), pattern::normalize(p));
        for n in corpus::ADVERSARIAL_PATHS.iter().take(12) {
            assert_eq!(
                host().explain_mismatch(p, n).unwrap(),
                pattern::explain_mismatch(p, n),
                "explain_mismatch({p:?}, {n:?})"
            );
        }
    }
}

#[test]
fn component_selects_like_native() {
    let mut rng = corpus::Rng::new(42);
    let names = [
        "node_modules",
        ".next",
        "cache",
        "a",
        "b.txt",
        "é",
        "vendor",
        "x y",
        "[a]",
    ];
    let kinds = [
        EntryKind::Dir,
        EntryKind::File,
        EntryKind::Symlink,
        EntryKind::Other,
    ];
    let pattern_sets: Vec<Vec<String>> = vec![
        vec![
            "node_modules".into(),
            ".next/cache".into(),
            "*/b.txt".into(),
        ],
        vec![
            "./vendor/".into(),
            "a/*/cache".into(),
            "/abs".into(),
            "../up".into(),
            "bad[".into(),
        ],
        vec!["[^x]".into(), "a[/]b.txt".into(), "?".into()],
        vec![],
    ];
    for patterns in &pattern_sets {
        let native = PatternSet::new(patterns);
        assert_eq!(max_depth(host(), patterns).unwrap(), native.max_depth());
        for dir in ["", "a", "a/b", "node_modules", ".next", "é/x"] {
            for _ in 0..20 {
                let entries: Vec<Entry> = (0..rng.below(12))
                    .map(|_| Entry {
                        name: rng.pick(&names).to_string(),
                        kind: *rng.pick(&kinds),
                        utf8: !rng.chance(10),
                    })
                    .collect();
                let c = select_entries(host(), patterns, dir, &entries).unwrap();
                assert_eq!(
                    c,
                    native.select(dir, &entries),
                    "{patterns:?} in {dir:?}: {entries:?}"
                );
            }
        }
    }
}

/// Lists a real directory the way a host does: never following symlinks,
/// reporting names that are not UTF-8.
fn list_real(root: &std::path::Path, dir: &str) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join(dir))? {
        let e = e?;
        let ft = e.file_type()?; // does not follow symlinks
        let kind = if ft.is_symlink() {
            EntryKind::Symlink
        } else if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        let raw = e.file_name();
        out.push(Entry {
            name: raw.to_string_lossy().into_owned(),
            kind,
            utf8: raw.to_str().is_some(),
        });
    }
    Ok(out)
}

#[test]
fn component_drives_a_walk_of_a_real_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for f in [
        "node_modules/react/index.js",
        ".next/cache/webpack/a.pack",
        ".next/server/app.js",
        "frontend/node_modules/vue/index.js",
        "frontend/src/main.ts",
        "src/deep/er/file.ts",
        "subdir/file1.txt",
        "subdir/nested/file3.txt",
        "package.json",
    ] {
        let p = root.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"x").unwrap();
    }
    std::os::unix::fs::symlink("../src", root.join("frontend/linked")).unwrap();
    // a name that is not UTF-8, where a pattern could otherwise reach
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"sub\xffdir");
    std::fs::create_dir(root.join(bad)).unwrap();

    let patterns: Vec<String> = [
        "node_modules",
        ".next/cache",
        "subdir/*.txt",
        "package*",
        "frontend/node_modules",
        "frontend/linked/x",
        "*/*.txt",
    ]
    .map(String::from)
    .to_vec();

    let mut native_listings = BTreeMap::new();
    let mut native = PatternSet::new(&patterns);
    let native_result = walk(&mut native, &mut |dir: &str| {
        *native_listings.entry(dir.to_string()).or_insert(0) += 1;
        list_real(root, dir)
    })
    .unwrap();

    let mut listings = BTreeMap::new();
    let mut selector = ComponentSelector::new(host(), patterns.clone()).unwrap();
    let result = walk(&mut selector, &mut |dir: &str| {
        *listings.entry(dir.to_string()).or_insert(0) += 1;
        list_real(root, dir)
    })
    .unwrap();
    assert!(selector.error.is_none(), "{:?}", selector.error);

    assert_eq!(result, native_result);
    assert_eq!(listings, native_listings);
    let taken: Vec<&str> = result.taken.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(
        taken,
        [
            "node_modules",
            "package.json",
            ".next/cache",
            "frontend/node_modules",
            "subdir/file1.txt",
        ]
    );
    // every directory listed once; none deeper than the patterns reach, and
    // none that no pattern prefix matches (src, .next/server, node_modules)
    assert_eq!(
        listings.keys().map(String::as_str).collect::<Vec<_>>(),
        ["", ".next", "frontend", "src", "subdir"],
    );
    assert!(listings.values().all(|&n| n == 1));
    // `*/*.txt` opens every top-level directory (src included) but nothing
    // deeper; the symlink and the non-UTF-8 name are reported, not followed
    let noted: Vec<(&str, &str)> = result
        .noted
        .iter()
        .map(|n| (n.path.as_str(), n.reason.code()))
        .collect();
    assert_eq!(
        noted,
        [
            ("sub\u{FFFD}dir", "not-utf8"),
            ("frontend/linked", "symlink-not-followed")
        ]
    );
    let _ = select::SkipReason::NoMatch; // (the walk's one skip reason, re-exported for hosts)
}

/// The component as a [`Selector`] for the native walk driver (the host
/// itself cannot use it: it does not link the policy): one component call
/// per listed directory, never one per file.
struct ComponentSelector<'h> {
    host: &'h PolicyHost,
    patterns: Vec<String>,
    max_depth: usize,
    /// The first component error, if any; the walk then sees "skip all".
    error: Option<anyhow::Error>,
}

impl<'h> ComponentSelector<'h> {
    fn new(host: &'h PolicyHost, patterns: Vec<String>) -> anyhow::Result<ComponentSelector<'h>> {
        let max_depth = max_depth(host, &patterns)?;
        Ok(ComponentSelector {
            host,
            patterns,
            max_depth,
            error: None,
        })
    }
}

impl Selector for ComponentSelector<'_> {
    fn max_depth(&self) -> usize {
        self.max_depth
    }

    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        if self.error.is_none() {
            match select_entries(self.host, &self.patterns, dir, entries) {
                Ok(d) if d.len() == entries.len() => return d,
                Ok(d) => {
                    self.error = Some(anyhow::anyhow!(
                        "internal error: the policy decided {} of {} entries in {dir:?}",
                        d.len(),
                        entries.len()
                    ))
                }
                Err(e) => self.error = Some(e),
            }
        }
        entries.iter().map(|_| Selection::NoMatch).collect()
    }
}

/// The component's `describe-set` max depth (the binary walks with the
/// `walk` interface; the web page selects with `select-entries`).
fn max_depth(host: &PolicyHost, patterns: &[String]) -> anyhow::Result<usize> {
    let set = host.call("reading cache patterns", |p, s| {
        p.zerops_build_cache_patterns()
            .call_describe_set(s, patterns)
    })?;
    Ok(set.max_depth as usize)
}

/// The component's `select-entries` on one listing.
fn select_entries(
    host: &PolicyHost,
    patterns: &[String],
    dir: &str,
    entries: &[Entry],
) -> anyhow::Result<Vec<Selection>> {
    let entries: Vec<wit::Entry> = entries
        .iter()
        .map(|e| wit::Entry {
            name: e.name.clone(),
            kind: match e.kind {
                EntryKind::Dir => wit::EntryKind::Dir,
                EntryKind::File => wit::EntryKind::File,
                EntryKind::Symlink => wit::EntryKind::Symlink,
                EntryKind::Other => wit::EntryKind::Other,
            },
            utf8: e.utf8,
        })
        .collect();
    let out = host.call("selecting cache entries", |p, s| {
        p.zerops_build_cache_patterns()
            .call_select_entries(s, patterns, dir, &entries)
    })?;
    // By hand, as a foreign host would (the table in wit_map.rs is the
    // crates' own): a difference would show as a differing walk.
    let decision = |d: wit::Decision| match d {
        wit::Decision::Take(p) => Selection::Take {
            pattern: p as usize,
        },
        wit::Decision::Descend(p) => Selection::Descend {
            pattern: p as usize,
        },
        wit::Decision::Skip(wit::SkipReason::NoMatch) => Selection::NoMatch,
        wit::Decision::Skip(wit::SkipReason::NotUtf8) => Selection::NotUtf8,
        wit::Decision::Skip(wit::SkipReason::SymlinkNotFollowed(p)) => {
            Selection::SymlinkNotFollowed {
                pattern: p as usize,
            }
        }
        wit::Decision::Skip(wit::SkipReason::NotADirectory(p)) => Selection::NotADirectory {
            pattern: p as usize,
        },
    };
    Ok(out.into_iter().map(decision).collect())
}
