//! Matching throughput on realistic cache patterns and source-tree paths:
//! our compiled matcher, our uncompiled port of Go's algorithm, and globset
//! configured as close to Go as it gets (`literal_separator(true)`,
//! `backslash_escape(true)`), in the same run.
//!
//! Run: `cargo bench -p zerops-cache-policy --bench pattern`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use zerops_cache_policy::pattern::{self, Pattern, corpus};

const PATTERNS: &[&str] = &[
    "node_modules",
    ".next/cache",
    "subdir/*.txt",
    "package*",
    "vendor",
    "frontend/node_modules",
    "[a-z]*.lock",
];

/// Paths as a preserve walk sees them in a Node/PHP monorepo.
fn paths() -> Vec<String> {
    let mut v: Vec<String> = [
        "node_modules",
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "composer.lock",
        "Cargo.lock",
        ".next",
        ".next/cache",
        ".next/server",
        ".next/static",
        ".turbo",
        "vendor",
        "frontend",
        "frontend/node_modules",
        "frontend/src",
        "frontend/package.json",
        "backend",
        "backend/node_modules",
        "subdir",
        "subdir/file1.txt",
        "subdir/file2.txt",
        "subdir/notes.md",
        "subdir/nested",
        "src",
        "src/index.ts",
        "README.md",
        "zerops.yaml",
        ".gitignore",
        "tsconfig.json",
        "public",
        "dist",
        "Dockerfile",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..40 {
        v.push(format!("src/components/Component{i}.tsx"));
        v.push(format!("public/assets/image-{i}.png"));
    }
    v
}

fn globset_glob(p: &str) -> Glob {
    GlobBuilder::new(p)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .expect("realistic patterns are valid globs")
}

/// How often globset and Go disagree on the differential corpus (printed
/// once, for the notes: it is why globset is a benchmark, not a backend).
fn report_globset_disagreements() {
    let cases = corpus::cases(7, 20_000);
    let (mut compared, mut differ, mut build_err) = (0, 0, 0);
    let mut examples = Vec::new();
    for (p, n) in &cases {
        let Ok(ours) = Pattern::new(p) else { continue };
        let Ok(g) = GlobBuilder::new(p)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
        else {
            build_err += 1;
            continue;
        };
        compared += 1;
        if ours.matches(n) != g.compile_matcher().is_match(n) {
            differ += 1;
            if examples.len() < 10
                && !examples
                    .iter()
                    .any(|e: &String| e.starts_with(&format!("{p:?} ")))
            {
                examples.push(format!("{p:?} vs {n:?}: Go {}", ours.matches(n)));
            }
        }
    }
    eprintln!(
        "globset vs Go on {} corpus cases with Go-valid patterns: {compared} compared, \
         {differ} disagree, {build_err} rejected by globset; e.g. {examples:?}",
        cases.len()
    );
}

fn bench(c: &mut Criterion) {
    report_globset_disagreements();
    let paths = paths();
    let ours: Vec<Pattern> = PATTERNS.iter().map(|p| Pattern::new(p).unwrap()).collect();
    let theirs: Vec<GlobMatcher> = PATTERNS
        .iter()
        .map(|p| globset_glob(p).compile_matcher())
        .collect();
    let mut set = GlobSetBuilder::new();
    for p in PATTERNS {
        set.add(globset_glob(p));
    }
    let set: GlobSet = set.build().unwrap();

    // Same answers on the realistic corpus, or the comparison is moot.
    for path in &paths {
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(
                o.matches(path),
                t.is_match(path),
                "{} vs {path}",
                o.as_str()
            );
        }
    }
    let pairs = (paths.len() * PATTERNS.len()) as u64;

    let mut g = c.benchmark_group("match pattern x path");
    g.throughput(Throughput::Elements(pairs));
    g.bench_function("ours: Pattern::matches (compiled)", |b| {
        b.iter(|| {
            let mut n = 0;
            for path in &paths {
                for p in &ours {
                    n += p.matches(black_box(path)) as usize;
                }
            }
            n
        })
    });
    g.bench_function("ours: is_match (Go port, parses per call)", |b| {
        b.iter(|| {
            let mut n = 0;
            for path in &paths {
                for p in PATTERNS {
                    n += (pattern::is_match(black_box(p), black_box(path)) == Ok(true)) as usize;
                }
            }
            n
        })
    });
    g.bench_function("globset: GlobMatcher::is_match", |b| {
        b.iter(|| {
            let mut n = 0;
            for path in &paths {
                for m in &theirs {
                    n += m.is_match(black_box(path)) as usize;
                }
            }
            n
        })
    });
    g.finish();

    // Any-of-the-set per path, as the preserve walk asks it.
    let mut g = c.benchmark_group("match any of 7 patterns per path");
    g.throughput(Throughput::Elements(paths.len() as u64));
    g.bench_function("ours: first matching Pattern", |b| {
        b.iter(|| {
            paths
                .iter()
                .filter(|p| ours.iter().any(|o| o.matches(black_box(p))))
                .count()
        })
    });
    g.bench_function("globset: GlobSet::is_match", |b| {
        b.iter(|| paths.iter().filter(|p| set.is_match(black_box(p))).count())
    });
    g.finish();

    let mut g = c.benchmark_group("compile 7 patterns");
    g.bench_function("ours: Pattern::new", |b| {
        b.iter(|| {
            PATTERNS
                .iter()
                .map(|p| Pattern::new(black_box(p)).unwrap())
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("globset: GlobSetBuilder::build", |b| {
        b.iter(|| {
            let mut s = GlobSetBuilder::new();
            for p in PATTERNS {
                s.add(globset_glob(black_box(p)));
            }
            s.build().unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
