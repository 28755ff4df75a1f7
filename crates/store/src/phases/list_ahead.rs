//! Listing ahead of a walk. The walk asks the component about one level of
//! directories at a time, and only then lists the next level; while it
//! waits for the component, a thread lists the subdirectories of what was
//! just listed, so the next level's listings are ready when asked for.
//!
//! Nothing here decides anything: a listing the walk never asks for (a
//! directory the component skips) is dropped, and a directory this thread
//! could not list is listed by the walk itself, with its permission grants
//! and its errors.

use cap_std::fs::Dir;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_base::filesystem;

/// A listing made ahead, with the metadata of the directory itself (read
/// from its open handle: no path lookup).
pub(crate) type Listed = (Listing, Option<cap_std::fs::Metadata>);

/// A directory's listing, shared by the walk and whoever reads its entries.
pub(crate) type Listing = Arc<Vec<filesystem::Listed>>;

/// At most this many listed directories stay open for the readers of
/// their entries (each is a file descriptor); past it, a reader opens the
/// directory again.
pub(crate) const OPEN_FOR_READERS: usize = 256;

/// A listed directory for the readers of its entries' metadata: its path,
/// its listing and, while few are open, its open handle.
pub(crate) struct ToRead {
    pub(crate) dir: String,
    pub(crate) listing: Listing,
    pub(crate) handle: Option<Handle>,
    /// The directory's own metadata, read by the lister from its handle.
    pub(crate) metadata: Option<cap_std::fs::Metadata>,
}

/// An open directory handed to a reader, counted while it is open.
pub(crate) struct Handle {
    pub(crate) dir: Arc<Dir>,
    open: Arc<AtomicUsize>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The readers' queue: listings go in with their handles while fewer than
/// [`OPEN_FOR_READERS`] are open.
#[derive(Clone)]
pub(crate) struct Readers {
    tx: Sender<ToRead>,
    open: Arc<AtomicUsize>,
}

impl Readers {
    pub(crate) fn new(tx: Sender<ToRead>) -> Readers {
        Readers {
            tx,
            open: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `dir`'s listing and metadata (and `handle`, unless too many
    /// are open).
    pub(crate) fn send(
        &self,
        dir: &str,
        listing: &Listing,
        handle: Arc<Dir>,
        metadata: Option<cap_std::fs::Metadata>,
    ) {
        let handle = if self.open.fetch_add(1, Ordering::Relaxed) < OPEN_FOR_READERS {
            Some(Handle {
                dir: handle,
                open: Arc::clone(&self.open),
            })
        } else {
            self.open.fetch_sub(1, Ordering::Relaxed);
            None
        };
        let _ = self.tx.send(ToRead {
            dir: dir.to_string(),
            listing: Arc::clone(listing),
            handle,
            metadata,
        });
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<String>,
    /// Asked for and not listed yet (queued or being listed).
    pending: HashSet<String>,
    /// Listed, with the directory's own metadata: `None` when listing
    /// failed here.
    done: HashMap<String, Option<Listed>>,
    closed: bool,
}

pub(crate) struct Ahead<'a> {
    source: &'a DirCache<'a>,
    state: Mutex<State>,
    changed: Condvar,
}

impl<'a> Ahead<'a> {
    pub(crate) fn new(source: &'a DirCache<'a>) -> Ahead<'a> {
        Ahead {
            source,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lists what is asked for until [`Ahead::close`]; each listing also
    /// goes to `readers` (of its entries' metadata).
    pub(crate) fn run(&self, readers: &Readers) {
        // However this ends (a panic included), nobody waits for it.
        struct Closer<'b, 'c>(&'b Ahead<'c>);
        impl Drop for Closer<'_, '_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _closer = Closer(self);
        loop {
            let dir = {
                let mut s = self.lock();
                loop {
                    if s.closed {
                        return;
                    }
                    if let Some(d) = s.queue.pop_front() {
                        break d;
                    }
                    s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            };
            // From the parent's handle, kept when it was listed.
            let got = filesystem::list_cached(self.source, &dir)
                .ok()
                .map(|(handle, l)| {
                    let l = Arc::new(l);
                    let md = handle.dir_metadata().ok();
                    readers.send(&dir, &l, handle, md.clone());
                    (l, md)
                });
            let mut s = self.lock();
            s.pending.remove(&dir);
            s.done.insert(dir, got);
            self.changed.notify_all();
        }
    }

    /// Asks for these directories to be listed ahead.
    pub(crate) fn ask(&self, dirs: impl IntoIterator<Item = String>) {
        let mut s = self.lock();
        for d in dirs {
            if s.pending.insert(d.clone()) {
                s.queue.push_back(d);
            }
        }
        self.changed.notify_all();
    }

    /// The listing of `dir`, waiting while it is being made; `None` when it
    /// was not asked for, or could not be made here.
    pub(crate) fn take(&self, dir: &str) -> Option<Listed> {
        let mut s = self.lock();
        loop {
            if let Some(r) = s.done.remove(dir) {
                return r;
            }
            if s.closed || !s.pending.contains(dir) {
                return None;
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Stops the listing thread (what is still queued is not needed).
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.queue.clear();
        self.changed.notify_all();
    }
}
