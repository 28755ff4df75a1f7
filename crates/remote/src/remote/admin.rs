//! `zerops-cache remote ls|gc|verify`: what the remote holds, keeping it
//! within budget (the component chooses what to remove and why), and
//! checking that every manifest verifies and every pack it references is
//! there (`--deep`: every blob's digest too).

use anyhow::{Result, anyhow};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStoreExt};
use std::collections::BTreeMap;

use super::config::Remote;
use super::pull::{LayerId, open_manifest};
use super::tier::network;
use super::{Manifest, sha256_hex};
use super::{epochs, locks};
use zerops_cache_base::render::count;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::remote::wit;
use zerops_cache_contract::remote::lock::LockKind;
use zerops_cache_contract::remote::naming::ManifestName;

/// One manifest on the remote, read and checked (or why not).
pub(crate) struct Listed {
    pub(crate) name: String,
    pub(crate) meta: ObjectMeta,
    pub(crate) parts: ManifestName,
    pub(crate) manifest: Result<Manifest, String>,
    /// Of the current epoch of its project and setup.
    pub(crate) live: bool,
}

pub(crate) struct Scan {
    pub(crate) manifests: Vec<Listed>,
    /// digest -> its object.
    pub(crate) packs: BTreeMap<String, ObjectMeta>,
    /// Objects under the prefix that are neither (left alone).
    pub(crate) other: usize,
}

async fn list(remote: &Remote, dir: &str) -> Result<Vec<ObjectMeta>> {
    remote
        .store
        .list(Some(&remote.path(dir)))
        .try_collect()
        .await
        .map_err(|e| anyhow!("listing {dir} on the remote: {e}"))
}

/// A listed manifest: its object, name, name parts and bytes (or why not).
type Fetched = (
    ObjectMeta,
    String,
    Option<ManifestName>,
    Result<Vec<u8>, String>,
);

/// Lists and reads every manifest (and lists every pack) on the remote.
pub(crate) async fn scan(host: &PolicyHost, remote: &Remote) -> Result<Scan> {
    let mut out = Scan {
        manifests: Vec::new(),
        packs: BTreeMap::new(),
        other: 0,
    };
    for meta in list(remote, "v1/packs").await? {
        match host.parse_pack_name(&remote.relative(&meta.location))? {
            Some(d) => {
                out.packs.insert(d, meta);
            }
            None => out.other += 1,
        }
    }
    let metas = list(remote, "v1/manifests").await?;
    let mut epochs_of: BTreeMap<(String, String), Result<u64, String>> = BTreeMap::new();
    let read: Vec<Fetched> = futures::stream::iter(metas)
        .map(|meta| async move {
            let name = remote.relative(&meta.location);
            let parts = host.parse_manifest_name(&name).ok().flatten();
            let bytes = match remote.store.get(&meta.location).await {
                Ok(g) => g
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            (meta, name, parts, bytes)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (meta, name, parts, bytes) in read {
        let Some(parts) = parts else {
            out.other += 1;
            continue;
        };
        // The setup's real name is inside the manifest; the name has its safe form.
        let setup = bytes
            .as_ref()
            .ok()
            .and_then(|b| peek_setup(host, remote, &name, b))
            .unwrap_or_default();
        let id = LayerId {
            project: parts.project.clone(),
            setup: setup.clone(),
            layer: parts.layer,
            entry: parts.entry.clone(),
            epoch: parts.epoch,
            image: String::new(),
            base_key: String::new(),
            build_key: String::new(),
        };
        let manifest = bytes.and_then(|b| {
            open_manifest(host, remote, &id, &name, &b).map_err(|e| format!("{e:#}"))
        });
        let key = (parts.project.clone(), setup.clone());
        if !epochs_of.contains_key(&key) {
            let e = epochs::current(host, remote, &key.0, &key.1, None)
                .await
                .map_err(|e| format!("{e:#}"));
            epochs_of.insert(key.clone(), e);
        }
        // An epoch in doubt (rolled back) invalidates nothing here.
        let live = match epochs_of.get(&key) {
            Some(Ok(n)) => *n <= parts.epoch,
            _ => true,
        };
        out.manifests.push(Listed {
            name,
            meta,
            parts,
            manifest,
            live,
        });
    }
    out.manifests.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The setup a manifest says it is for, read without trusting it yet (only
/// to find its epoch; the manifest is verified right after).
fn peek_setup(host: &PolicyHost, remote: &Remote, name: &str, object: &[u8]) -> Option<String> {
    let body = super::sign::open(host, remote, name, object).ok()?;
    let json = zstd::bulk::decompress(body, 1 << 30).ok()?;
    #[derive(serde::Deserialize)]
    struct S {
        setup: String,
    }
    serde_json::from_slice::<S>(&json).ok().map(|s| s.setup)
}

fn age(now_ms: i64, t: i64) -> String {
    let s = (now_ms - t).max(0) / 1000;
    match s {
        0..120 => format!("{s}s"),
        120..7200 => format!("{}m", s / 60),
        7200..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `remote ls`: one line per entry (project, setup, epoch, layer, entry,
/// files, size, age, live or not); JSON with `--format json`.
pub fn ls(host: &PolicyHost, remote: &Remote, json: bool) -> Result<zerops_cache_base::exit::Exit> {
    let rt = super::tier::runtime()?;
    let (listed, packs) = network(&rt, async {
        let rows = super::index::rows(host, remote).await?;
        let packs = list(remote, "v1/packs").await?;
        Ok::<_, anyhow::Error>((rows, packs))
    })?;
    let now = now_ms();
    let mut rows = Vec::new();
    for l in &listed {
        let ((files, raw, stored), err) = match &l.shown {
            Ok(s) => (*s, None),
            Err(e) => ((0, 0, 0), Some(e.clone())),
        };
        rows.push(serde_json::json!({
            "name": l.name, "project": l.parts.project, "setup": l.parts.setup_part,
            "epoch": l.parts.epoch, "layer": l.parts.layer, "entry": l.parts.entry,
            "entries": files, "bytes": raw, "stored_bytes": stored,
            "manifest_bytes": l.size,
            "age_ms": (now - l.modified_ms).max(0),
            "live": l.live, "error": err,
        }));
        if !json {
            println!(
                "{}/{} e{} {:5} {}  {} entries, {} ({} stored), {} old{}{}",
                l.parts.project,
                l.parts.setup_part,
                l.parts.epoch,
                l.parts.layer,
                &l.parts.entry[..12],
                files,
                bytesize::ByteSize(raw),
                bytesize::ByteSize(stored),
                age(now, l.modified_ms),
                if l.live { "" } else { ", invalidated" },
                err.map(|e| format!(", UNREADABLE: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    let pack_count = packs
        .iter()
        .filter(|m| {
            host.parse_pack_name(&remote.relative(&m.location))
                .ok()
                .flatten()
                .is_some()
        })
        .count();
    let pack_bytes: u64 = packs.iter().map(|m| m.size).sum();
    if json {
        println!(
            "{}",
            serde_json::json!({"entries": rows, "packs": pack_count, "pack_bytes": pack_bytes})
        );
    } else {
        println!(
            "{}, {}, {}",
            count(listed.len() as u64, "entry", "entries"),
            count(pack_count as u64, "pack", "packs"),
            bytesize::ByteSize(pack_bytes)
        );
    }
    Ok(zerops_cache_base::exit::Exit::Ok)
}

#[derive(Debug, Clone, clap::Args)]
pub struct GcArgs {
    /// Remove entries published longer ago than this (e.g. 30d).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) max_age: Option<std::time::Duration>,
    /// Then remove the oldest entries until the remote holds at most this (e.g. 20G).
    #[arg(long)]
    pub(crate) max_size: Option<bytesize::ByteSize>,
    /// Objects younger than this are never removed (publishes in flight).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub(crate) grace: std::time::Duration,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// `remote gc`: under an exclusive lock (no publish runs meanwhile; one
/// under way makes gc stop, exit 5, having removed nothing).
pub fn gc(
    host: &PolicyHost,
    remote: &Remote,
    args: &GcArgs,
) -> Result<zerops_cache_base::exit::Exit> {
    let rt = super::tier::runtime()?;
    if args.dry_run {
        return sweep(host, remote, args, &rt, None);
    }
    let held = match network(
        &rt,
        locks::try_take(host, remote, LockKind::Exclusive, "gc"),
    ) {
        Ok(h) => h,
        Err(e) if e.downcast_ref::<locks::Blocked>().is_some() => {
            return Err(zerops_cache_base::exit::Exit::StoreLocked.error(format!(
                "{e}: a publish is under way, so nothing was removed; run gc again"
            )));
        }
        Err(e) => return Err(e),
    };
    let r = sweep(host, remote, args, &rt, Some(&held));
    let released = network(&rt, locks::release(remote, &held));
    let r = r?;
    released?;
    Ok(r)
}

/// What the component's gc plan is made from: each manifest (size, age,
/// epoch, the packs it references or why it is unreadable, its parent) and
/// each pack.
fn gc_facts(
    host: &PolicyHost,
    remote: &Remote,
    scan: &Scan,
) -> (Vec<wit::ManifestFacts>, Vec<wit::PackFacts>) {
    let manifests = scan
        .manifests
        .iter()
        .map(|l| wit::ManifestFacts {
            name: l.name.clone(),
            bytes: l.meta.size,
            modified_ms: l.meta.last_modified.timestamp_millis().max(0) as u64,
            live: l.live,
            packs: l.manifest.as_ref().map(packs_of).map_err(Clone::clone),
            parent: l.manifest.as_ref().ok().and_then(|m| {
                let d = m.delta.as_ref()?;
                host.manifest_name(
                    &l.parts.project,
                    &m.setup,
                    l.parts.epoch,
                    l.parts.layer,
                    &d.parent,
                )
                .ok()
            }),
        })
        .collect();
    let packs = scan
        .packs
        .iter()
        .map(|(d, m)| wit::PackFacts {
            digest: d.clone(),
            name: remote.relative(&m.location),
            bytes: m.size,
            modified_ms: m.last_modified.timestamp_millis().max(0) as u64,
        })
        .collect();
    (manifests, packs)
}

fn sweep(
    host: &PolicyHost,
    remote: &Remote,
    args: &GcArgs,
    rt: &tokio::runtime::Runtime,
    held: Option<&locks::Held>,
) -> Result<zerops_cache_base::exit::Exit> {
    if let Some(h) = held {
        for name in host.stale_locks(h.mine_ms, &h.others)? {
            println!("removing the stale lock {name} (its holder is gone)");
            network(rt, remote.store.delete(&remote.path(&name)))
                .map_err(|e| anyhow!("removing {name}: {e}"))?;
        }
    }
    let scan = network(rt, scan(host, remote))?;
    let (manifests, packs) = gc_facts(host, remote, &scan);
    let plan = host.remote_gc(
        &manifests,
        &packs,
        wit::GcBudget {
            now_ms: now_ms() as u64,
            max_age_ms: args.max_age.map(|d| d.as_millis() as u64),
            max_bytes: args.max_size.map(|b| b.as_u64()),
            grace_ms: args.grace.as_millis() as u64,
        },
    )?;
    for n in &plan.notes {
        println!("note: {n}");
    }
    let mut freed = 0;
    for r in &plan.remove {
        println!(
            "{} {} ({}): {}",
            if args.dry_run {
                "would remove"
            } else {
                "removing"
            },
            r.name,
            bytesize::ByteSize(r.bytes),
            r.reason
        );
        if !args.dry_run {
            network(rt, remote.store.delete(&remote.path(&r.name)))
                .map_err(|e| anyhow!("removing {}: {e}", r.name))?;
        }
        freed += r.bytes;
    }
    println!(
        "{} {}, {}",
        if args.dry_run {
            "would remove"
        } else {
            "removed"
        },
        count(plan.remove.len() as u64, "object", "objects"),
        bytesize::ByteSize(freed)
    );
    Ok(zerops_cache_base::exit::Exit::Ok)
}

fn packs_of(m: &Manifest) -> Vec<String> {
    let mut p: Vec<String> = m.blobs.iter().map(|b| b.pack.clone()).collect();
    p.sort();
    p.dedup();
    p
}

/// A frame of a pack: offset, length, decompressed size.
type Frame = (u64, u64, u64);
/// A blob in a frame: start, digest, size.
type Place = (u64, String, u64);
/// A pack's frames, each with its blobs and the manifests that index them.
type Frames = BTreeMap<Frame, BTreeMap<Place, Vec<String>>>;

/// One fetched pack of `verify --deep`: its name, then each frame (it
/// decompresses to exactly its size) and each blob in it (its digest). The
/// blobs that verified (counted per manifest indexing them), and the
/// problems.
fn check_pack(pack: &str, bytes: &[u8], frames: Frames) -> (u64, Vec<String>) {
    let mut ok = 0u64;
    let mut problems = Vec::new();
    if sha256_hex(bytes) != pack {
        problems.push(format!("pack {pack}: its bytes do not match its name"));
    }
    let mut dec = zstd::bulk::Decompressor::new().ok();
    let mut raw = Vec::new();
    for ((off, len, size), blobs) in frames {
        raw.clear();
        raw.reserve(size as usize);
        let got = usize::try_from(off)
            .ok()
            .and_then(|off| bytes.get(off..)?.get(..usize::try_from(len).ok()?))
            .ok_or_else(|| "outside the pack".to_string())
            .and_then(|f| {
                dec.as_mut()
                    .ok_or_else(|| "no zstd context".to_string())?
                    .decompress_to_buffer(f, &mut raw)
                    .map_err(|e| e.to_string())
            })
            .and_then(|n| {
                (n as u64 == size)
                    .then_some(())
                    .ok_or_else(|| format!("its frame decompresses to {n} bytes, not {size}"))
            });
        for ((at, d, s), names) in blobs {
            let name = names.join(", ");
            let slice = usize::try_from(at)
                .ok()
                .and_then(|at| raw.get(at..)?.get(..usize::try_from(s).ok()?));
            match (&got, slice) {
                (Ok(()), Some(b)) if sha256_hex(b) == d => ok += names.len() as u64,
                (Ok(()), _) => problems.push(format!("{name}: blob {d} does not match its digest")),
                (Err(e), _) => problems.push(format!("{name}: blob {d}: {e}")),
            }
        }
    }
    (ok, problems)
}

/// `verify --deep`: every pack any manifest references, fetched whole (8
/// at once, as a pull does), hashed against its name, and every blob of it
/// a manifest indexes decompressed and checked against its digest. The
/// blobs that verified, and the problems.
fn deep_check(
    remote: &Remote,
    scan: &Scan,
    rt: &tokio::runtime::Runtime,
) -> Result<(u64, Vec<String>)> {
    // pack -> each frame (offset, length, decompressed size) -> each blob
    // in it (start, digest, size; once, however many manifests index it)
    // -> the manifests that index it.
    let mut by_pack: BTreeMap<String, Frames> = BTreeMap::new();
    for l in &scan.manifests {
        if let Ok(m) = &l.manifest {
            for b in &m.blobs {
                if scan.packs.contains_key(&b.pack) {
                    by_pack
                        .entry(b.pack.clone())
                        .or_default()
                        .entry((b.offset, b.len, b.frame_raw()))
                        .or_default()
                        .entry((b.at, b.digest.clone(), b.size))
                        .or_default()
                        .push(l.name.clone());
                }
            }
        }
    }
    let results: Vec<(u64, Vec<String>)> = network(rt, async {
        futures::stream::iter(by_pack)
            .map(|(pack, frames)| async move {
                let location = scan.packs[&pack].location.clone();
                let bytes = match remote.store.get(&location).await {
                    Ok(g) => g.bytes().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let bytes = match bytes {
                    Ok(b) => b,
                    Err(e) => return Ok((0, vec![format!("pack {pack}: {e}")])),
                };
                tokio::task::spawn_blocking(move || check_pack(&pack, &bytes, frames))
                    .await
                    .map_err(|e| anyhow!("a verifying thread failed: {e}"))
            })
            .buffer_unordered(8)
            .try_collect()
            .await
    })?;
    let mut n = 0;
    let mut problems = Vec::new();
    for (ok, p) in results {
        n += ok;
        problems.extend(p);
    }
    Ok((n, problems))
}

/// `remote verify`: every manifest verifies, every pack it references is
/// there and long enough; with `deep`, every blob matches its digest.
/// Exit 1 when something is wrong.
pub fn verify(
    host: &PolicyHost,
    remote: &Remote,
    deep: bool,
) -> Result<zerops_cache_base::exit::Exit> {
    let rt = super::tier::runtime()?;
    let scan = network(&rt, scan(host, remote))?;
    let mut problems = Vec::new();
    let mut checked_blobs = 0u64;
    for l in &scan.manifests {
        let m = match &l.manifest {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("{}: {e}", l.name));
                continue;
            }
        };
        for b in &m.blobs {
            match scan.packs.get(&b.pack) {
                None => problems.push(format!("{}: pack {} is missing", l.name, b.pack)),
                Some(p) if p.size < b.offset + b.len => {
                    problems.push(format!("{}: pack {} is too short", l.name, b.pack))
                }
                Some(_) => {}
            }
        }
    }
    if deep {
        let (n, found) = deep_check(remote, &scan, &rt)?;
        checked_blobs = n;
        problems.extend(found);
    }
    for p in &problems {
        println!("problem: {p}");
    }
    println!(
        "verified {}, {}{}: {}",
        count(scan.manifests.len() as u64, "manifest", "manifests"),
        count(scan.packs.len() as u64, "pack", "packs"),
        if deep {
            format!(", {}", count(checked_blobs, "blob", "blobs"))
        } else {
            String::new()
        },
        count(problems.len() as u64, "problem", "problems")
    );
    Ok(if problems.is_empty() {
        zerops_cache_base::exit::Exit::Ok
    } else {
        zerops_cache_base::exit::Exit::Findings
    })
}
