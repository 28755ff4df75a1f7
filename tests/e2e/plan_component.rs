//! The plan interface: the component decides exactly as the native policy
//! (restore, preserve, deploy), on many generated listings.

use crate::common::host;
use zerops_cache_policy::api::build_setup;
use zerops_cache_policy::plan::deploy::{deploy_filter, deploy_items};
use zerops_cache_policy::plan::gitignore::Ignore;
use zerops_cache_policy::plan::preserve::{CacheSpec, Preserve, PreserveAction};
use zerops_cache_policy::plan::restore::restore_dir;
use zerops_cache_policy::plan::{Entry, EntryKind};

/// A small deterministic generator (no randomness in tests' outcomes).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
    fn listing(&mut self, names: &[&str]) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for _ in 0..(self.next() % 8) {
            let name = self.pick(names);
            if out.iter().any(|e| e.name == name) {
                continue;
            }
            let kind = match self.next() % 4 {
                0 => EntryKind::Dir,
                1 => EntryKind::File,
                2 => EntryKind::Symlink,
                _ => EntryKind::Dir,
            };
            let mut e = Entry::new(name, kind);
            e.utf8 = !self.next().is_multiple_of(13);
            out.push(e);
        }
        out
    }
}

const NAMES: &[&str] = &[
    "node_modules",
    "vendor",
    "package.json",
    "package-lock.json",
    ".next",
    "dist",
    "a",
    "b.js",
    "frontend",
    "x.cache",
    ".git",
    "src",
    "README.md",
];

#[test]
fn restore_component_equals_native() {
    let h = host();
    let mut g = Gen(0x9e3779b97f4a7c15);
    for _ in 0..300 {
        let cache = g.listing(NAMES);
        let source = g.listing(NAMES);
        assert_eq!(
            h.restore_dir(&cache, &source).unwrap(),
            restore_dir(&cache, &source),
            "{cache:?} vs {source:?}"
        );
    }
}

#[test]
fn preserve_component_equals_native() {
    let h = host();
    let specs = [
        CacheSpec::All(true),
        CacheSpec::All(false),
        CacheSpec::Patterns(vec!["node_modules".into(), "*/node_modules".into()]),
        CacheSpec::Patterns(vec![
            "./vendor/".into(),
            "package*".into(),
            "*.cache".into(),
        ]),
        CacheSpec::Patterns(vec!["frontend/.next/cache".into(), "[a-c]*".into()]),
        CacheSpec::Patterns(vec!["../x".into(), "/abs".into(), "bad[".into()]),
    ];
    let mut g = Gen(42);
    for spec in &specs {
        let native = Preserve::new(spec);
        assert_eq!(h.preserve_depth(spec).unwrap() as usize, native.max_depth());
        for dir in ["", "frontend", "frontend/.next", "a/b"] {
            for _ in 0..40 {
                let l = g.listing(NAMES);
                let want: Vec<PreserveAction> = native
                    .select(dir, &l)
                    .into_iter()
                    .map(PreserveAction::from_decision)
                    .collect();
                assert_eq!(
                    h.preserve_dir(spec, dir, &l).unwrap(),
                    want,
                    "{spec:?} {dir} {l:?}"
                );
            }
        }
    }
}

#[test]
fn deploy_component_equals_native() {
    let h = host();
    for files in [
        vec!["./".to_string()],
        vec!["dist/~".into(), "package.json".into()],
        vec!["path/~/to/file.txt".into(), "src/assets/~fonts".into()],
        vec!["a/~/b/~/c".into()],
        vec!["../up".into()],
        vec![],
    ] {
        let native = deploy_items(&files);
        let comp = h.deploy_items(&files).unwrap();
        assert_eq!(comp.is_ok(), native.is_ok(), "{files:?}");
        if let (Ok(c), Ok(n)) = (comp, native) {
            assert_eq!(c, n);
        }
    }
    let mut g = Gen(7);
    for text in [
        "",
        "*.map\n/secret\n!keep.map\n",
        "node_modules/\n**/cache\n# c\n",
    ] {
        let ig = Ignore::parse(text);
        for dir in ["", "src", "a/b"] {
            for _ in 0..30 {
                let l = g.listing(NAMES);
                assert_eq!(
                    h.deploy_filter(Some(text), dir, &l).unwrap(),
                    deploy_filter(&ig, dir, &l),
                    "{text:?} {dir} {l:?}"
                );
            }
        }
    }
}

#[test]
fn build_setup_component_equals_native_on_the_corpus() {
    let h = host();
    for f in crate::common::corpus_files() {
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        let native = build_setup(&src, None);
        let comp = h.build_setup(&src, None).unwrap();
        match (comp, native) {
            (Ok(c), Ok(n)) => assert_eq!(c, n, "{}", f.display()),
            (Err(c), Err(n)) => assert_eq!(c.code, n.code, "{}", f.display()),
            (c, n) => panic!("{}: component {c:?} vs native {n:?}", f.display()),
        }
    }
}
