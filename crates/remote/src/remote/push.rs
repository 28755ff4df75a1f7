//! Publishing a layer: the blobs the remote lacks, packed as runs of
//! independent zstd frames (one per blob, so a range GET fetches one), then
//! the manifest, create-if-absent and signed. A manifest that is already
//! there (another builder won the race) counts as success: only one
//! manifest per entry ever exists, and packs are content-addressed, so a
//! racing publisher never corrupts one.

use anyhow::{Result, anyhow};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::config::Remote;
use super::pack::{Pack, pack_all};
use super::pull::{LayerId, fetch_one, resolve};
use super::{Blob, Delta, Entry, FORMAT, Kind, MAX_DEPTH, Manifest, Traffic, layer_dir, sign};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::remote::index::IndexEntry;

/// Packs uploaded at once (and HEADs in flight: twice as many).
const IN_FLIGHT: usize = 4;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub(crate) struct Pushed {
    /// The manifest was written by this push (false: it was already there).
    pub(crate) published: bool,
    pub(crate) already_there: bool,
    pub(crate) files: usize,
    pub(crate) new_blobs: usize,
    pub(crate) reused_blobs: usize,
    pub(crate) left_out: Vec<String>,
    /// Why the index was not updated (then `remote ls` reads the manifest whole).
    pub(crate) index_note: Option<String>,
}

/// The newest readable manifest of the same project, setup, epoch and
/// layer (resolved): what the remote already holds, and the parent of an
/// incremental push.
pub(crate) struct Previous {
    pub(crate) full: Manifest,
    pub(crate) entry: String,
    pub(crate) object: String,
    pub(crate) depth: u32,
}

async fn previous(host: &PolicyHost, remote: &Remote, id: &LayerId) -> Option<Previous> {
    // The directory of this entry's manifest (the policy names it): the
    // same project, setup, epoch and layer.
    let name = id.manifest_name(host).ok()?;
    let dir = &name[..=name.rfind('/')?];
    let mut metas = remote
        .store
        .list(Some(&remote.path(dir)))
        .try_collect::<Vec<_>>()
        .await
        .ok()?;
    metas.sort_by_key(|m| std::cmp::Reverse(m.last_modified));
    let quiet = Traffic::default();
    for meta in metas.into_iter().take(3) {
        let name = remote.relative(&meta.location);
        let Ok(Some(parts)) = host.parse_manifest_name(&name) else {
            continue;
        };
        // Not the entry being (re)published: never a delta on itself.
        if parts.entry == id.entry {
            continue;
        }
        let other = LayerId {
            entry: parts.entry,
            ..id.clone()
        };
        let Ok(Some((m, object))) = fetch_one(host, remote, &other, &quiet).await else {
            continue;
        };
        let depth = m.delta.as_ref().map_or(0, |d| d.depth);
        if let Ok(full) = resolve(host, remote, &other, m, &quiet).await {
            return Some(Previous {
                full,
                entry: other.entry,
                object,
                depth,
            });
        }
    }
    None
}

/// Pushes the layer at `dir` as `id`, unless the remote has it already
/// (and no reader refused it: then it is published again over it).
pub(crate) async fn push_layer(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    dir: &Path,
    id: &LayerId,
    created_ms: u64,
    bar: &indicatif::ProgressBar,
) -> Result<Pushed> {
    let name = id.manifest_name(host)?;
    let note = host.quarantine_name(&name)?;
    let mut replace = false;
    if remote.store.head(&remote.path(&name)).await.is_ok() {
        if remote.store.head(&remote.path(&note)).await.is_err() {
            return Ok(Pushed {
                already_there: true,
                ..Pushed::default()
            });
        }
        replace = true;
    }
    // The walk (local) while the shared lock is taken: from the first look
    // at what the remote holds to the manifest, gc does not sweep.
    let dir = dir.to_path_buf();
    let holder = format!("publish {}/{}", id.project, id.setup);
    let (walk, held) = tokio::join!(
        tokio::task::spawn_blocking(move || layer_dir::walk(&dir)),
        super::locks::take_shared(host, remote, &holder)
    );
    let held = held?;
    let walk = match walk.map_err(anyhow::Error::from).and_then(|w| w) {
        Ok(w) => w,
        Err(e) => {
            let _ = super::locks::release(remote, &held).await;
            return Err(e);
        }
    };
    let to = Target {
        id,
        name: &name,
        created_ms,
        replace,
    };
    let r = publish(host, remote, traffic, walk, &to, bar).await;
    let released = super::locks::release(remote, &held).await;
    let out = r?;
    released?;
    if replace {
        let _ = remote.store.delete(&remote.path(&note)).await;
    }
    Ok(out)
}

/// The blobs of `have` whose pack this run saw exist and long enough for
/// every blob `have` places in it (a HEAD each, in parallel): only those
/// are reused; the others are packed and uploaded again.
async fn reusable(
    host: &PolicyHost,
    remote: &Remote,
    have: BTreeMap<String, Blob>,
) -> Result<BTreeMap<String, Blob>> {
    let mut need: BTreeMap<String, u64> = BTreeMap::new();
    for b in have.values() {
        let end = need.entry(b.pack.clone()).or_default();
        *end = (*end).max(b.offset + b.len);
    }
    let ok: BTreeSet<String> = futures::stream::iter(need)
        .map(|(pack, end)| async move {
            let path = remote.path(&host.pack_name(&pack)?);
            match remote.store.head(&path).await {
                Ok(m) if m.size >= end => Ok(Some(pack)),
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(anyhow!("checking pack {pack}: {e}")),
            }
        })
        .buffer_unordered(IN_FLIGHT * 4)
        .try_filter_map(|p| async move { Ok(p) })
        .try_collect()
        .await?;
    Ok(have
        .into_iter()
        .filter(|(_, b)| ok.contains(&b.pack))
        .collect())
}

/// Uploads one pack, create-if-absent. Content-addressed: an existing
/// pack of the same size has these very bytes; one of another size is
/// bogus and is replaced. Its digest once it is there.
async fn upload(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    pack: Pack,
) -> Result<String> {
    let Pack { bytes, digest, .. } = pack;
    let path = remote.path(&host.pack_name(&digest)?);
    let len = bytes.len() as u64;
    let payload = PutPayload::from(bytes);
    match remote
        .store
        .put_opts(&path, payload.clone(), PutOptions::from(PutMode::Create))
        .await
    {
        Ok(_) => traffic.up(len),
        Err(
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. },
        ) => match remote.store.head(&path).await {
            Ok(m) if m.size == len => {}
            _ => {
                remote
                    .store
                    .put(&path, payload)
                    .await
                    .map_err(|e| anyhow!("uploading pack {digest}: {e}"))?;
                traffic.up(len);
            }
        },
        Err(e) => return Err(anyhow!("uploading pack {digest}: {e}")),
    }
    Ok(digest)
}

/// Uploads the packs `rx` brings ([`IN_FLIGHT`] at once) until it closes;
/// the digests of those uploaded. On the first failure `rx` is dropped:
/// the packer stops at its next pack.
async fn upload_all(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    rx: tokio::sync::mpsc::Receiver<Pack>,
    bar: &indicatif::ProgressBar,
) -> Result<BTreeSet<String>> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) })
        .map(|p| {
            bar.inc_length(1);
            async move {
                let digest = upload(host, remote, traffic, p).await?;
                bar.inc(1);
                Ok::<_, anyhow::Error>(digest)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await
}

/// Reads, hashes and packs the walk's files on blocking threads; each
/// closed pack goes to `tx` (its blobs stay here). The walk with every
/// digest set, and the blobs of every pack sent.
async fn pack(
    mut walk: layer_dir::Walk,
    have: Arc<BTreeMap<String, Blob>>,
    tx: tokio::sync::mpsc::Sender<Pack>,
) -> Result<(layer_dir::Walk, Vec<Blob>)> {
    tokio::task::spawn_blocking(move || {
        let sent = std::sync::Mutex::new(Vec::new());
        let send = |mut p: Pack| {
            sent.lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut p.blobs);
            tx.blocking_send(p)
                .map_err(|_| anyhow!("the upload stopped"))
        };
        let r = pack_all(&mut walk.entries, &have, &send);
        r?;
        Ok((walk, sent.into_inner().unwrap_or_else(|e| e.into_inner())))
    })
    .await?
}

/// What a publish writes: the entry, its manifest's name, when, and
/// whether it replaces a refused (quarantined) manifest.
struct Target<'a> {
    id: &'a LayerId,
    name: &'a str,
    created_ms: u64,
    replace: bool,
}

/// A manifest ready to be written: the signed object, what `remote ls`
/// shows of it, what the push did, and the packs it references.
struct Sealed {
    object: Vec<u8>,
    shown: IndexEntry,
    out: Pushed,
    packs: BTreeSet<String>,
}

/// Packs and uploads what the remote lacks, then publishes the manifest.
/// The manifest is made and signed while the last packs upload, and
/// written once every pack it references is there.
async fn publish(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    walk: layer_dir::Walk,
    to: &Target<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<Pushed> {
    let prev = previous(host, remote, to.id).await;
    let have: BTreeMap<String, Blob> = prev
        .as_ref()
        .map(|p| {
            p.full
                .blobs
                .iter()
                .map(|b| (b.digest.clone(), b.clone()))
                .collect()
        })
        .unwrap_or_default();
    let have = Arc::new(reusable(host, remote, have).await?);
    // Two closed packs wait at most: memory stays bounded by the packs
    // being filled, waiting and uploading.
    let (tx, rx) = tokio::sync::mpsc::channel::<Pack>(2);
    let sealing = async {
        let (walk, packed) = pack(walk, Arc::clone(&have), tx).await?;
        // The uploads go on (their connections are tasks of their own)
        // while this thread makes the manifest.
        seal(host, remote, to, prev, &have, walk, packed)
    };
    let (uploaded, sealed) = tokio::join!(upload_all(host, remote, traffic, rx, bar), sealing);
    // The packer's error (a file it could not read) comes first.
    let sealed = sealed?;
    let uploaded = uploaded?;
    if let Some(p) = sealed.packs.difference(&uploaded).next() {
        return Err(anyhow!("pack {p} was made but not uploaded"));
    }
    put_manifest(host, remote, traffic, to, sealed).await
}

/// The manifest of the walked tree (a delta on `prev` when there is one
/// and the chain is short), signed.
fn seal(
    host: &PolicyHost,
    remote: &Remote,
    to: &Target<'_>,
    prev: Option<Previous>,
    have: &BTreeMap<String, Blob>,
    walk: layer_dir::Walk,
    packed: Vec<Blob>,
) -> Result<Sealed> {
    let id = to.id;
    let packs: BTreeSet<String> = packed.iter().map(|b| b.pack.clone()).collect();
    let entries: Vec<Entry> = walk.entries.into_iter().map(|w| w.entry).collect();
    let mut out = Pushed {
        files: entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::File { .. }))
            .count(),
        left_out: walk.left_out,
        ..Pushed::default()
    };
    let index = blob_index(packed, have, &entries, &mut out)?;
    let shown = shown(to.name, &entries, &index);
    // A delta on the previous manifest when there is one (and the chain is
    // short): an install rewrites every mtime but changes few contents.
    let (delta, entries, blobs) = match prev {
        Some(p) if p.depth < MAX_DEPTH => {
            let d = delta_on(host, p, entries)?;
            let blobs = blobs_of_delta(&d, &index);
            (Some(d), Vec::new(), blobs)
        }
        _ => (None, entries, index.into_values().collect()),
    };
    let m = Manifest {
        delta,
        format: FORMAT.to_string(),
        project: id.project.clone(),
        setup: id.setup.clone(),
        layer: id.layer,
        entry: id.entry.clone(),
        epoch: id.epoch,
        image: id.image.clone(),
        base_key: id.base_key.clone(),
        build_key: id.build_key.clone(),
        created_ms: to.created_ms,
        entries,
        blobs,
    };
    let json = serde_json::to_vec(&m)?;
    let body = zstd::bulk::compress(&json, 3)?;
    let object = sign::seal(host, remote, to.name, &body)?;
    Ok(Sealed {
        object,
        shown,
        out,
        packs,
    })
}

/// The blob index of the new tree: the blobs this push uploaded, then, for
/// every other file, the blob `have` (the previous manifest, checked
/// present) holds. Counts both in `out`.
fn blob_index(
    uploaded: Vec<Blob>,
    have: &BTreeMap<String, Blob>,
    entries: &[Entry],
    out: &mut Pushed,
) -> Result<BTreeMap<String, Blob>> {
    let mut index: BTreeMap<String, Blob> = BTreeMap::new();
    for b in uploaded {
        index.insert(b.digest.clone(), b);
    }
    out.new_blobs = index.len();
    for e in entries {
        if let Kind::File { digest, .. } = &e.kind
            && !index.contains_key(digest)
        {
            let b = have
                .get(digest)
                .ok_or_else(|| anyhow!("blob {digest} of {} is in no pack", e.path))?;
            index.insert(digest.clone(), b.clone());
            out.reused_blobs += 1;
        }
    }
    Ok(index)
}

/// What `remote ls` shows of the entry (kept in the index).
fn shown(name: &str, entries: &[Entry], index: &BTreeMap<String, Blob>) -> IndexEntry {
    IndexEntry {
        name: name.to_string(),
        files: entries.len() as u64,
        bytes: entries
            .iter()
            .map(|e| match e.kind {
                Kind::File { size, .. } => size,
                _ => 0,
            })
            .sum(),
        // Each frame once (small blobs share one).
        stored_bytes: index
            .values()
            .map(|b| ((b.pack.as_str(), b.offset), b.len))
            .collect::<BTreeMap<_, _>>()
            .values()
            .sum(),
    }
}

/// The delta from the previous manifest to `entries` (the component's
/// diff; both trees are moved into it, not copied).
fn delta_on(host: &PolicyHost, p: Previous, entries: Vec<Entry>) -> Result<Delta> {
    let (changed, removed) = host.diff_tree(p.full.entries, entries)?;
    Ok(Delta {
        parent: p.entry,
        parent_object: p.object,
        depth: p.depth + 1,
        changed,
        removed,
    })
}

/// The blobs a delta manifest indexes: those of its changed files.
fn blobs_of_delta(d: &Delta, index: &BTreeMap<String, Blob>) -> Vec<Blob> {
    let used: BTreeSet<&str> = d
        .changed
        .iter()
        .filter_map(|c| match &c.kind {
            Some(Kind::File { digest, .. }) => Some(digest.as_str()),
            _ => None,
        })
        .collect();
    index
        .values()
        .filter(|b| used.contains(b.digest.as_str()))
        .cloned()
        .collect()
}

/// Writes the sealed manifest: over a refused one (quarantined), else
/// create-if-absent (a manifest already there is another builder's win),
/// then adds it to the index `remote ls` reads.
async fn put_manifest(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    to: &Target<'_>,
    sealed: Sealed,
) -> Result<Pushed> {
    let name = to.name;
    let Sealed {
        object,
        shown,
        mut out,
        ..
    } = sealed;
    let len = object.len() as u64;
    let mode = if to.replace {
        PutMode::Overwrite
    } else {
        PutMode::Create
    };
    match remote
        .store
        .put_opts(
            &remote.path(name),
            PutPayload::from(object),
            PutOptions::from(mode),
        )
        .await
    {
        Ok(_) => {
            traffic.up(len);
            out.published = true;
            if let Err(e) = super::index::add(host, remote, to.id, &shown).await {
                out.index_note = Some(format!("{e:#}"));
            }
        }
        // Another builder published this entry first: one manifest stays.
        Err(
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. },
        ) => out.already_there = true,
        Err(e) => return Err(anyhow!("publishing the manifest {name}: {e}")),
    }
    Ok(out)
}
