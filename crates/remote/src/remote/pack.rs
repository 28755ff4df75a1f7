//! The one pass over the files of a layer that a push makes: each file is
//! read once, hashed, and, when the remote lacks its contents, compressed
//! into a pack: a file of [`SHARED_FILE`] bytes or more as a zstd frame of
//! its own (a range GET fetches it alone), smaller ones laid end to end in a
//! shared frame of about [`SHARED_FRAME`] bytes (one frame's set-up and
//! entropy tables for many files: most files of a package tree are a few
//! hundred bytes). A pack is handed to the uploader as soon as it is full,
//! so reading, hashing, compressing and uploading overlap, on every core.

use anyhow::{Context, Result, anyhow};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{Blob, Kind, layer_dir, sha256_hex};

/// A pack is closed once its frames reach this size: small enough that
/// many are in flight at once (a pull decompresses and writes one per
/// thread), large enough that requests stay few (a 400 MB tree is about a
/// dozen).
pub(crate) const PACK_BYTES: usize = 8 << 20;
/// zstd's level 1: on the small frames of a package tree it compresses
/// within a few percent of level 3, at about twice the speed.
pub const LEVEL: i32 = 1;
/// Files smaller than this share frames.
pub const SHARED_FILE: usize = 32 << 10;
/// A shared frame is closed once its files reach this size (zstd's largest
/// block: one set of entropy tables).
pub const SHARED_FRAME: usize = 128 << 10;
/// Files a worker takes at a time.
const BATCH: usize = 32;

/// A closed pack: its bytes, the SHA-256 that names it, and its blobs.
pub(crate) struct Pack {
    pub(crate) bytes: Vec<u8>,
    pub(crate) digest: String,
    pub(crate) blobs: Vec<Blob>,
}

#[derive(Default)]
struct Open {
    bytes: Vec<u8>,
    blobs: Vec<Blob>,
    /// The shared frame being filled: its files' bytes, and each file's
    /// digest and place in it.
    shared: Vec<u8>,
    members: Vec<(String, u64, u64)>,
}

impl Open {
    /// Appends `raw` compressed as one frame holding the blobs `members`
    /// (digest, start, size) to the pack.
    fn add_frame(
        &mut self,
        enc: &mut zstd::bulk::Compressor<'static>,
        frame: &mut Vec<u8>,
        raw: &[u8],
        members: impl ExactSizeIterator<Item = (String, u64, u64)>,
    ) -> Result<()> {
        frame.clear();
        frame.reserve(zstd::zstd_safe::compress_bound(raw.len()));
        enc.compress_to_buffer(raw, frame)?;
        let (offset, len) = (self.bytes.len() as u64, frame.len() as u64);
        let alone = members.len() == 1;
        for (digest, at, size) in members {
            self.blobs.push(Blob {
                digest,
                pack: String::new(),
                offset,
                len,
                size,
                at,
                frame_size: (!alone || at != 0).then_some(raw.len() as u64),
            });
        }
        self.bytes.extend_from_slice(frame);
        Ok(())
    }

    /// Closes the shared frame (when it holds anything).
    fn flush_shared(
        &mut self,
        enc: &mut zstd::bulk::Compressor<'static>,
        frame: &mut Vec<u8>,
    ) -> Result<()> {
        if self.members.is_empty() {
            return Ok(());
        }
        let raw = std::mem::take(&mut self.shared);
        let members = std::mem::take(&mut self.members);
        self.add_frame(enc, frame, &raw, members.into_iter())?;
        self.shared = raw;
        self.shared.clear();
        Ok(())
    }

    /// The pack so far (the shared frame being filled stays, for the next).
    fn close(&mut self) -> Pack {
        let bytes = std::mem::take(&mut self.bytes);
        let mut blobs = std::mem::take(&mut self.blobs);
        let digest = sha256_hex(&bytes);
        for b in &mut blobs {
            b.pack = digest.clone();
        }
        Pack {
            bytes,
            digest,
            blobs,
        }
    }
}

/// Reads the whole file into `buf` (cleared first): open, read until the
/// end, close; `hint` is the size the walk saw.
fn read_into(path: &Path, buf: &mut Vec<u8>, hint: u64) -> std::io::Result<()> {
    let mut f = std::fs::File::open(path)?;
    buf.clear();
    buf.resize(hint as usize + 1, 0);
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len * 2 + 4096, 0);
        }
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(())
}

/// Reads and hashes every file of `walked` (setting each entry's digest
/// and size) and packs the contents the remote lacks: not in `have`, and
/// each digest once. Every closed pack goes to `send`; when `send` fails
/// (the upload stopped) or a file cannot be read, the pass stops.
pub(crate) fn pack_all(
    walked: &mut [layer_dir::Walked],
    have: &BTreeMap<String, Blob>,
    send: &(dyn Fn(Pack) -> Result<()> + Sync),
) -> Result<()> {
    let files: Vec<usize> = walked
        .iter()
        .enumerate()
        .filter(|(_, w)| w.abs.is_some() && matches!(w.entry.kind, Kind::File { .. }))
        .map(|(i, _)| i)
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let view: &[layer_dir::Walked] = walked;
    let results: Vec<Result<Vec<(usize, String, u64)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let r = worker(view, &files, &next, &stop, &seen, have, send);
                    if r.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    r
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a packing thread panicked")))
            })
            .collect()
    });
    let mut first_err = None;
    for r in results {
        match r {
            Ok(done) => {
                for (i, found, length) in done {
                    if let Kind::File { digest, size } = &mut walked[i].entry.kind {
                        *digest = found;
                        *size = length;
                    }
                }
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn worker(
    walked: &[layer_dir::Walked],
    files: &[usize],
    next: &AtomicUsize,
    stop: &AtomicBool,
    seen: &Mutex<HashSet<String>>,
    have: &BTreeMap<String, Blob>,
    send: &(dyn Fn(Pack) -> Result<()> + Sync),
) -> Result<Vec<(usize, String, u64)>> {
    let mut enc = zstd::bulk::Compressor::new(LEVEL)?;
    let (mut buf, mut frame) = (Vec::new(), Vec::new());
    let mut open = Open::default();
    let mut done = Vec::new();
    loop {
        let start = next.fetch_add(BATCH, Ordering::Relaxed);
        if start >= files.len() || stop.load(Ordering::Relaxed) {
            break;
        }
        for &i in &files[start..(start + BATCH).min(files.len())] {
            let w = &walked[i];
            let (Some(abs), Kind::File { size: hint, .. }) = (&w.abs, &w.entry.kind) else {
                continue;
            };
            read_into(abs, &mut buf, *hint)
                .with_context(|| format!("reading {}", abs.display()))?;
            let d = sha256_hex(&buf);
            done.push((i, d.clone(), buf.len() as u64));
            if have.contains_key(&d) {
                continue;
            }
            if !seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(d.clone())
            {
                continue;
            }
            let s = buf.len() as u64;
            if buf.len() < SHARED_FILE {
                open.members.push((d, open.shared.len() as u64, s));
                open.shared.extend_from_slice(&buf);
                if open.shared.len() < SHARED_FRAME {
                    continue;
                }
                open.flush_shared(&mut enc, &mut frame)?;
            } else {
                open.add_frame(&mut enc, &mut frame, &buf, std::iter::once((d, 0, s)))?;
            }
            if open.bytes.len() >= PACK_BYTES {
                send(open.close())?;
            }
        }
    }
    open.flush_shared(&mut enc, &mut frame)?;
    if !open.blobs.is_empty() && !stop.load(Ordering::Relaxed) {
        send(open.close())?;
    }
    Ok(done)
}
