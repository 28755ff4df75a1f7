//! What a 50,000-entry manifest (a large node_modules) costs at the
//! component boundary, where every pull and push sends it: `check-manifest`
//! (each manifest fetched), `apply-delta` then `check-manifest` (each delta
//! of a chain, in a pull) and `diff-tree` (each incremental push). Each is
//! measured from what the host holds at that point to the checked value it
//! uses next: the JSON text after decompression for a fetched manifest, the
//! parsed manifests and the walked tree otherwise.
//!
//! Run: `cargo bench -p zerops-cache-component --bench remote_manifest`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::layer::Layer;
use zerops_cache_contract::remote::naming::Expect;
use zerops_cache_contract::remote::{Blob, Delta, Entry, FORMAT, Kind, Manifest};

/// Packages of ten entries each (a directory, `lib/`, eight files), under
/// one `node_modules`: 50,001 entries, 35,001 blobs.
const PACKAGES: u64 = 5_000;

fn digest(n: u64, salt: u64) -> String {
    let a = u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
    let b = u128::from(salt).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ a.rotate_left(17);
    format!("{a:032x}{b:032x}")
}

fn file(p: String, d: String, s: u64, t: i64) -> Entry {
    Entry {
        path: p,
        kind: Kind::File { digest: d, size: s },
        mode: 0o644,
        mtime_ns: t,
    }
}

/// The tree of an install: every package has its own files, and all share
/// one LICENSE (deduplicated, one blob); small files share zstd frames.
fn tree(t: i64, changed_every: u64) -> (Vec<Entry>, Vec<Blob>) {
    let license = digest(0, 1);
    let mut entries = vec![Entry {
        path: "node_modules".into(),
        kind: Kind::Dir { opaque: false },
        mode: 0o755,
        mtime_ns: t,
    }];
    let mut blobs = vec![Blob {
        digest: license.clone(),
        pack: digest(1, 2),
        offset: 0,
        len: 400,
        size: 1_075,
        at: 0,
        frame_size: None,
    }];
    for p in 0..PACKAGES {
        let dir = format!("node_modules/package-{p:05}");
        for d in [dir.clone(), format!("{dir}/lib")] {
            entries.push(Entry {
                path: d,
                kind: Kind::Dir { opaque: false },
                mode: 0o755,
                mtime_ns: t,
            });
        }
        let names = [
            "package.json",
            "index.js",
            "README.md",
            "lib/index.js",
            "lib/util.js",
            "lib/types.d.ts",
            "CHANGELOG.md",
        ];
        let pack = digest(p / 200, 3);
        let mut at = 0;
        for (i, name) in names.iter().enumerate() {
            let n = p * 16 + i as u64;
            let version = u64::from(changed_every > 0 && n.is_multiple_of(changed_every));
            let d = digest(n, 4 + version);
            let s = 200 + (n * 7919) % 3_000;
            entries.push(file(format!("{dir}/{name}"), d.clone(), s, t));
            blobs.push(Blob {
                digest: d,
                pack: pack.clone(),
                offset: (p % 200) * 4_000,
                len: 3_900,
                size: s,
                at,
                frame_size: Some(0),
            });
            at += s;
        }
        entries.push(file(format!("{dir}/LICENSE"), license.clone(), 1_075, t));
    }
    // Blobs of one frame agree on its size: the largest end.
    let mut ends = std::collections::BTreeMap::new();
    for b in &blobs {
        if b.frame_size.is_some() {
            let e = ends.entry((b.pack.clone(), b.offset)).or_insert(0);
            *e = (*e).max(b.at + b.size);
        }
    }
    for b in &mut blobs {
        if b.frame_size.is_some() {
            b.frame_size = Some(ends[&(b.pack.clone(), b.offset)]);
        }
    }
    (entries, blobs)
}

fn manifest(entry: String, entries: Vec<Entry>, blobs: Vec<Blob>) -> Manifest {
    Manifest {
        format: FORMAT.into(),
        project: "git-5034b0a34a81".into(),
        setup: "app".into(),
        layer: Layer::Build,
        entry,
        epoch: 3,
        image: "docker.io/library/node:22-alpine".into(),
        base_key: digest(7, 7),
        build_key: digest(8, 8),
        created_ms: 1_765_112_429_377,
        entries,
        blobs,
        delta: None,
    }
}

fn expect(m: &Manifest) -> Expect {
    Expect {
        project: m.project.clone(),
        setup: m.setup.clone(),
        layer: m.layer,
        entry: m.entry.clone(),
        epoch: m.epoch,
    }
}

fn bench(c: &mut Criterion) {
    let host = PolicyHost::load().expect("the component loads");
    // The parent: an install. The next tree: every mtime changed (a fresh
    // install), one file in 97 changed.
    let (entries, blobs) = tree(1_765_000_000_000_000_000, 0);
    let full = manifest(digest(9, 9), entries, blobs);
    let (next, next_blobs) = tree(1_765_100_000_000_000_000, 97);
    assert_eq!(full.entries.len(), 50_001);
    let json = serde_json::to_string(&full).unwrap();
    let (changed, removed) = host.diff_tree(full.entries.clone(), next.clone()).unwrap();
    let delta = Manifest {
        delta: Some(Delta {
            parent: full.entry.clone(),
            parent_object: digest(10, 10),
            depth: 1,
            changed,
            removed,
        }),
        blobs: {
            let old: std::collections::HashSet<&str> =
                full.blobs.iter().map(|b| b.digest.as_str()).collect();
            next_blobs
                .into_iter()
                .filter(|b| !old.contains(b.digest.as_str()))
                .collect()
        },
        ..manifest(digest(11, 11), Vec::new(), Vec::new())
    };
    eprintln!(
        "manifest: {} entries, {} blobs, {} bytes of JSON; delta: {} changed",
        full.entries.len(),
        full.blobs.len(),
        json.len(),
        delta.delta.as_ref().map_or(0, |d| d.changed.len())
    );
    let mut g = c.benchmark_group("remote 50k entries");
    g.sample_size(10);
    g.bench_function("check-manifest (JSON text -> checked manifest)", |b| {
        b.iter(|| {
            let m: Manifest = serde_json::from_str(black_box(&json)).unwrap();
            let want = expect(&m);
            host.check_manifest(m, &want).unwrap().unwrap()
        })
    });
    g.bench_function("check-manifest (the call alone)", |b| {
        let want = expect(&full);
        b.iter_batched(
            || full.clone(),
            |m| host.check_manifest(m, &want).unwrap().unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("apply-delta + check-manifest", |b| {
        let want = expect(&delta);
        b.iter_batched(
            || (full.clone(), delta.clone()),
            |(p, d)| {
                let m = host.apply_delta(p, d).unwrap().unwrap();
                host.check_manifest(m, &want).unwrap().unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("diff-tree", |b| {
        b.iter_batched(
            || (full.entries.clone(), next.clone()),
            |(p, n)| host.diff_tree(p, n).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
