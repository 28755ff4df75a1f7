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
use std::path::Path;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use crate::filesystem::{self, Listed};

/// A directory's listing, shared by the walk and whoever reads its entries.
pub type Listing = Arc<Vec<Listed>>;

#[derive(Default)]
struct State {
    queue: VecDeque<String>,
    /// Asked for and not listed yet (queued or being listed).
    pending: HashSet<String>,
    /// Listed: `None` when listing failed here.
    done: HashMap<String, Option<Listing>>,
    closed: bool,
}

pub struct Ahead<'a> {
    source: &'a Dir,
    state: Mutex<State>,
    changed: Condvar,
}

impl<'a> Ahead<'a> {
    pub fn new(source: &'a Dir) -> Ahead<'a> {
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
    /// goes to `listed` (the readers of its entries' metadata).
    pub fn run(&self, listed: &Sender<(String, Listing)>) {
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
            let got = filesystem::list(self.source, Path::new(&dir))
                .ok()
                .map(Arc::new);
            if let Some(l) = &got {
                let _ = listed.send((dir.clone(), Arc::clone(l)));
            }
            let mut s = self.lock();
            s.pending.remove(&dir);
            s.done.insert(dir, got);
            self.changed.notify_all();
        }
    }

    /// Asks for these directories to be listed ahead.
    pub fn ask(&self, dirs: impl IntoIterator<Item = String>) {
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
    pub fn take(&self, dir: &str) -> Option<Listing> {
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
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.queue.clear();
        self.changed.notify_all();
    }
}
