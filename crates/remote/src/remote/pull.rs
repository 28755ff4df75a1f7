//! Pulling a layer: the manifest (verified: signature, digest, and every
//! rule of the component's check), then the packs' frames it needs (range
//! GETs), each blob checked against its digest as it is written into a
//! staging directory on the store's filesystem. Nothing is renamed into
//! the store before every blob of every pulled layer verified
//! ([`super::tier`] does the renames).

use anyhow::{Context, Result, anyhow};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::config::Remote;
use super::{Entry, Kind, MAX_DEPTH, Manifest, Traffic, layer_dir, sha256_hex, sign};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::layer::Layer;
use zerops_cache_contract::remote::naming::Expect;

/// Packs fetched at once.
const IN_FLIGHT: usize = 8;
/// Requests made for one pack before its pull fails.
const FETCH_ATTEMPTS: u32 = 4;
/// The largest manifest body accepted (uncompressed JSON).
const MAX_MANIFEST: u64 = 1 << 30;
/// Test hook: abort the process after this many packs were written into
/// the staging directory (the kill tests; never set it otherwise).
pub(crate) const ENV_ABORT_AFTER_PACKS: &str = "ZEROPS_CACHE_REMOTE_ABORT_AFTER_PACKS";

/// The blocking writers of a pull: a pull that fails or runs out of time
/// drops its futures, not the blocking threads they started; those stop at
/// their next blob once cancelled, and [`Writers::cancel_and_wait`] returns
/// when none is left (then the staging directory can go).
pub(crate) struct Writers {
    state: std::sync::Mutex<(usize, bool)>,
    idle: std::sync::Condvar,
}

pub(crate) static WRITERS: Writers = Writers {
    state: std::sync::Mutex::new((0, false)),
    idle: std::sync::Condvar::new(),
};

/// One writer at work (see [`Writers`]).
pub(crate) struct Writing;

impl Drop for Writing {
    fn drop(&mut self) {
        let mut s = WRITERS.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 -= 1;
        WRITERS.idle.notify_all();
    }
}

impl Writers {
    fn enter(&'static self) -> Result<Writing> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.1 {
            return Err(anyhow!("the pull was stopped"));
        }
        s.0 += 1;
        Ok(Writing)
    }

    fn cancelled(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    pub(crate) fn cancel_and_wait(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.1 = true;
        while s.0 > 0 {
            s = self.idle.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(crate) fn reset(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = false;
    }
}

/// Which entry of the remote a layer is.
#[derive(Debug, Clone)]
pub(crate) struct LayerId {
    pub(crate) project: String,
    pub(crate) setup: String,
    pub(crate) layer: Layer,
    pub(crate) entry: String,
    pub(crate) epoch: u64,
    pub(crate) image: String,
    pub(crate) base_key: String,
    pub(crate) build_key: String,
}

/// A layer of a build as [`LayerId::new`] names it: the project and setup
/// it belongs to, the epoch it is published under, and what it was built
/// from (its entry key is computed from the last four).
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec<'a> {
    pub project: &'a str,
    pub setup: &'a str,
    pub epoch: u64,
    pub layer: Layer,
    pub image: &'a str,
    pub base_key: &'a str,
    pub build_key: &'a str,
}

impl LayerId {
    /// The entry of `spec` (the component computes its key).
    pub(crate) fn new(host: &PolicyHost, spec: LayerSpec<'_>) -> Result<LayerId> {
        Ok(LayerId {
            project: spec.project.into(),
            setup: spec.setup.into(),
            layer: spec.layer,
            entry: host.entry_key(spec.layer, spec.image, spec.base_key, spec.build_key)?,
            epoch: spec.epoch,
            image: spec.image.into(),
            base_key: spec.base_key.into(),
            build_key: spec.build_key.into(),
        })
    }

    pub(crate) fn manifest_name(&self, host: &PolicyHost) -> Result<String> {
        host.manifest_name(
            &self.project,
            &self.setup,
            self.epoch,
            self.layer,
            &self.entry,
        )
    }
}

/// Decodes and checks a fetched manifest object stored at `name`.
pub(crate) fn open_manifest(
    host: &PolicyHost,
    remote: &Remote,
    id: &LayerId,
    name: &str,
    object: &[u8],
) -> Result<Manifest> {
    let body = sign::open(host, remote, name, object)?;
    let mut json = Vec::new();
    zstd::stream::read::Decoder::new(body)
        .context("the manifest body is not zstd")?
        .take(MAX_MANIFEST)
        .read_to_end(&mut json)
        .map_err(|e| anyhow!("{name}: the manifest body does not decompress: {e}"))?;
    let json = String::from_utf8(json).map_err(|_| anyhow!("{name}: the manifest is not UTF-8"))?;
    let m: Manifest = serde_json::from_str(&json)
        .map_err(|e| anyhow!("{name}: the manifest is not readable: {e}"))?;
    host.check_manifest(m, &expect(id))?
        .map_err(|e| anyhow!("{name}: {e}"))
}

/// The manifest object of `id`, verified and checked as it is (a delta is
/// not resolved), with the SHA-256 of the object; `None` when absent.
pub(crate) async fn fetch_one(
    host: &PolicyHost,
    remote: &Remote,
    id: &LayerId,
    traffic: &Traffic,
) -> Result<Option<(Manifest, String)>> {
    let name = id.manifest_name(host)?;
    let object = match remote.store.get(&remote.path(&name)).await {
        Ok(r) => r
            .bytes()
            .await
            .map_err(|e| anyhow!("reading {name}: {e}"))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(anyhow!("fetching {name}: {e}")),
    };
    traffic.down(object.len() as u64);
    let m = open_manifest(host, remote, id, &name, &object)
        .map_err(|e| super::quarantine::bad_manifest(&name, format!("{e:#}")))?;
    Ok(Some((m, sha256_hex(&object))))
}

fn expect(id: &LayerId) -> Expect {
    Expect {
        project: id.project.clone(),
        setup: id.setup.clone(),
        layer: id.layer,
        entry: id.entry.clone(),
        epoch: id.epoch,
    }
}

/// A full manifest: `m` itself, or `m` applied on its chain of parents
/// (each fetched, verified, pinned by its object digest), checked whole.
pub(crate) async fn resolve(
    host: &PolicyHost,
    remote: &Remote,
    id: &LayerId,
    m: Manifest,
    traffic: &Traffic,
) -> Result<Manifest> {
    let mut chain = vec![(id.clone(), m)];
    loop {
        let (cid, last) = chain.last().expect("not empty");
        let Some(d) = &last.delta else { break };
        if chain.len() > MAX_DEPTH as usize {
            return Err(anyhow!(
                "{}: a chain of deltas longer than {MAX_DEPTH}",
                cid.entry
            ));
        }
        let pid = LayerId {
            entry: d.parent.clone(),
            ..cid.clone()
        };
        let (pm, digest) = fetch_one(host, remote, &pid, traffic)
            .await?
            .ok_or_else(|| {
                anyhow!(
                    "the parent {} of delta manifest {} is missing",
                    pid.entry,
                    cid.entry
                )
            })?;
        if digest != d.parent_object {
            return Err(anyhow!(
                "the parent {} of delta manifest {} is not the one it was made on: refused",
                pid.entry,
                cid.entry
            ));
        }
        if d.depth != pm.delta.as_ref().map_or(0, |p| p.depth) + 1 {
            return Err(anyhow!("delta manifest {}: a wrong depth", cid.entry));
        }
        chain.push((pid, pm));
    }
    let (_, mut full) = chain.pop().expect("not empty");
    while let Some((cid, delta)) = chain.pop() {
        let applied = host
            .apply_delta(full, delta)?
            .map_err(|e| anyhow!("delta manifest {}: {e}", cid.entry))?;
        full = host
            .check_manifest(applied, &expect(&cid))?
            .map_err(|e| anyhow!("delta manifest {} applied: {e}", cid.entry))?;
    }
    Ok(full)
}

/// The full manifest of `id`, verified; `None` when the remote has none.
pub(crate) async fn fetch_manifest(
    host: &PolicyHost,
    remote: &Remote,
    id: &LayerId,
    traffic: &Traffic,
) -> Result<Option<Manifest>> {
    match fetch_one(host, remote, id, traffic).await? {
        Some((m, _)) => resolve(host, remote, id, m, traffic).await.map(Some),
        None => Ok(None),
    }
}

/// What one pack fetch writes: each frame it needs (its range and
/// decompressed size), and in it each blob with the entries that hold it.
struct PackWork<'a> {
    pack: String,
    frames: Vec<FrameWork<'a>>,
}

struct FrameWork<'a> {
    off: u64,
    len: u64,
    raw: u64,
    blobs: Vec<(&'a super::Blob, Vec<&'a Entry>)>,
}

fn plan<'a>(m: &'a Manifest) -> Vec<PackWork<'a>> {
    let index: BTreeMap<&str, &super::Blob> =
        m.blobs.iter().map(|b| (b.digest.as_str(), b)).collect();
    let mut by_blob: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &m.entries {
        if let Kind::File { digest, .. } = &e.kind {
            by_blob.entry(digest.as_str()).or_default().push(e);
        }
    }
    // pack -> frame offset -> the frame (the component checked that the
    // blobs of one frame agree on its length and size).
    let mut by_pack: BTreeMap<&str, BTreeMap<u64, FrameWork<'a>>> = BTreeMap::new();
    for (d, es) in by_blob {
        let b = index[d];
        by_pack
            .entry(b.pack.as_str())
            .or_default()
            .entry(b.offset)
            .or_insert_with(|| FrameWork {
                off: b.offset,
                len: b.len,
                raw: b.frame_raw(),
                blobs: Vec::new(),
            })
            .blobs
            .push((b, es));
    }
    by_pack
        .into_iter()
        .map(|(p, frames)| PackWork {
            pack: p.to_string(),
            frames: frames.into_values().collect(),
        })
        .collect()
}

/// One frame's work, owned for a blocking thread.
struct FrameJob {
    pack: String,
    len: u64,
    raw: u64,
    blobs: Vec<(super::Blob, Vec<Entry>)>,
    bytes: bytes::Bytes,
}

/// Decompresses frames, verifies their blobs and writes them, reusing its
/// zstd context and buffer (one per blocking thread).
struct BlobWriter {
    dec: zstd::bulk::Decompressor<'static>,
    buf: Vec<u8>,
    umask: u32,
}

impl BlobWriter {
    fn new(umask: u32) -> Result<BlobWriter> {
        Ok(BlobWriter {
            dec: zstd::bulk::Decompressor::new()?,
            buf: Vec::new(),
            umask,
        })
    }

    /// Decompresses one frame (exactly its declared size), verifies each of
    /// its blobs against its digest, then writes every entry holding it.
    /// Nothing of a blob is written before its digest matched.
    fn write(&mut self, root: &Path, job: &FrameJob) -> Result<()> {
        let pack = &job.pack;
        if job.bytes.len() as u64 != job.len {
            return Err(super::quarantine::bad_pack(
                pack,
                format!("pack {pack}: a short read of a frame"),
            ));
        }
        self.buf.clear();
        self.buf.reserve(job.raw as usize);
        let first = job.blobs.first().map_or("", |(b, _)| b.digest.as_str());
        self.dec
            .decompress_to_buffer(&job.bytes, &mut self.buf)
            .map_err(|e| {
                super::quarantine::bad_pack(
                    pack,
                    format!("blob {first} in pack {pack} does not decompress: {e}"),
                )
            })?;
        if self.buf.len() as u64 != job.raw {
            return Err(super::quarantine::bad_pack(
                pack,
                format!("blob {first} in pack {pack}: its frame has another size: refused"),
            ));
        }
        for (b, entries) in &job.blobs {
            let bytes = usize::try_from(b.at)
                .ok()
                .and_then(|at| self.buf.get(at..)?.get(..usize::try_from(b.size).ok()?));
            let Some(bytes) = bytes.filter(|bytes| sha256_hex(bytes) == b.digest) else {
                return Err(super::quarantine::bad_pack(
                    pack,
                    format!(
                        "blob {} in pack {pack} does not match its digest: refused",
                        b.digest
                    ),
                ));
            };
            for e in entries {
                layer_dir::write_file(root, e, bytes, self.umask)?;
            }
        }
        Ok(())
    }
}

/// The ranges of one pack. A request that fails for another reason than
/// the pack being absent is made again (after 0.2 s, then 0.4 s...): the
/// gateway routes it to another replica of what it could not read. The
/// client below retries single requests too; this covers what it gives up
/// on (a body cut short too often, a stalled connection), within the
/// command's --remote-timeout.
async fn fetch_ranges(
    remote: &Remote,
    pack: &str,
    path: &object_store::path::Path,
    ranges: &[Range<u64>],
) -> Result<Vec<bytes::Bytes>> {
    let mut wait = std::time::Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match remote.store.get_ranges(path, ranges).await {
            Ok(got) => return Ok(got),
            Err(object_store::Error::NotFound { .. }) => {
                return Err(super::quarantine::bad_pack(
                    pack,
                    format!("pack {pack} is missing from the remote"),
                ));
            }
            Err(e) if attempt >= FETCH_ATTEMPTS => {
                return Err(anyhow!("fetching pack {pack} ({attempt} attempts): {e}"));
            }
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
        }
    }
}

/// Pulls the layer of manifest `m` into the fresh directory `root`.
pub(crate) async fn pull_layer(
    host: &PolicyHost,
    remote: &Remote,
    traffic: &Traffic,
    m: &Manifest,
    root: &Path,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let umask = layer_dir::umask();
    layer_dir::prepare(root, &m.entries, umask)?;
    let work = plan(m);
    bar.set_length(work.len() as u64);
    let abort_after: Option<u64> = std::env::var(ENV_ABORT_AFTER_PACKS)
        .ok()
        .and_then(|v| v.parse().ok());
    let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
    futures::stream::iter(work)
        .map(|w| {
            let done = Arc::clone(&done);
            async move {
                let path = remote.path(&host.pack_name(&w.pack)?);
                let ranges: Vec<Range<u64>> =
                    w.frames.iter().map(|f| f.off..f.off + f.len).collect();
                let got = fetch_ranges(remote, &w.pack, &path, &ranges).await?;
                traffic.down(got.iter().map(|b| b.len() as u64).sum());
                let root = root.to_path_buf();
                // Blocking: decompress, verify, write (owned copies for the thread).
                let jobs: Vec<FrameJob> = w
                    .frames
                    .iter()
                    .zip(got)
                    .map(|(f, bytes)| FrameJob {
                        pack: w.pack.clone(),
                        len: f.len,
                        raw: f.raw,
                        blobs: f
                            .blobs
                            .iter()
                            .map(|(b, es)| {
                                ((*b).clone(), es.iter().map(|e| (*e).clone()).collect())
                            })
                            .collect(),
                        bytes,
                    })
                    .collect();
                let writing = WRITERS.enter()?;
                tokio::task::spawn_blocking(move || -> Result<()> {
                    let _writing = writing;
                    let mut out = BlobWriter::new(umask)?;
                    for job in &jobs {
                        if WRITERS.cancelled() {
                            return Err(anyhow!("the pull was stopped"));
                        }
                        out.write(&root, job)?;
                    }
                    Ok(())
                })
                .await??;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if abort_after.is_some_and(|a| n >= a) {
                    eprintln!("{ENV_ABORT_AFTER_PACKS}: aborting after {n} pack(s)");
                    std::process::abort();
                }
                bar.inc(1);
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    layer_dir::finish(root, &m.entries)
}
