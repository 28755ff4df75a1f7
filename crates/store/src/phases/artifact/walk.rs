//! The walk of a deployFiles directory: the policy's walk driver lists it
//! level by level; a thread lists the next level ahead and reader threads
//! read the metadata of what each directory holds. A directory that cannot
//! be read is granted owner read and search permission until the artifact
//! is done.

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use super::copier::{Copier, Listings};
use crate::phases::list_ahead::{Ahead, Listing as ListedDir, Readers, ToRead};
use zerops_cache_base::dir_handles::DirCache;
use zerops_cache_base::filesystem;
use zerops_cache_component::component::plan::EntryKind;
use zerops_cache_component::component::walk::{Listing, Step, Walked, Walker, drive};

/// The threads that read the walked entries' metadata.
const READERS: usize = 2;

/// What the walk's reader thread read of one directory: its own metadata
/// and, in listing order, that of each entry that is not a directory
/// (`None`: a directory, or not readable here; the recording reads it again
/// and reports the error where it belongs).
#[derive(Default)]
pub(super) struct Stats {
    pub(super) dir: Option<cap_std::fs::Metadata>,
    pub(super) entries: Vec<Option<cap_std::fs::Metadata>>,
}

/// Reads the metadata of the directories the walk sends, until it ends.
fn read_stats(
    source: &DirCache,
    rx: &std::sync::Mutex<Receiver<ToRead>>,
) -> HashMap<String, Stats> {
    let mut out = HashMap::new();
    loop {
        let next = rx.lock().map(|r| r.recv());
        let Ok(Ok(ToRead {
            dir,
            listing,
            handle,
            metadata,
        })) = next
        else {
            break;
        };
        let d = match &handle {
            Some(h) => Arc::clone(&h.dir),
            None => match source.open(&dir) {
                Ok(d) => d,
                Err(_) => continue,
            },
        };
        let st = Stats {
            dir: metadata,
            entries: listing
                .iter()
                .map(|l| {
                    (l.entry.kind != EntryKind::Dir)
                        .then(|| d.symlink_metadata(&l.name).ok())
                        .flatten()
                })
                .collect(),
        };
        out.insert(dir, st);
    }
    out
}

impl Copier<'_> {
    /// Gives the source directory `rel` owner read and search permission
    /// until the artifact is done (its mode goes back in [`Copier::ungrant`]).
    fn grant(&mut self, rel: &str) -> Result<()> {
        if rel.is_empty() {
            return Ok(());
        }
        let md = self.source.symlink_metadata(rel)?;
        self.grant_with(rel, md)
    }

    /// [`Copier::grant`] with the directory's metadata already read.
    fn grant_with(&mut self, rel: &str, md: cap_std::fs::Metadata) -> Result<()> {
        use cap_std::fs::PermissionsExt;
        if rel.is_empty() {
            return Ok(());
        }
        let mode = md.permissions().mode();
        if md.is_dir() && mode & 0o500 != 0o500 {
            self.source
                .set_permissions(rel, cap_std::fs::Permissions::from_mode(mode | 0o500))?;
            self.granted.push((rel.to_string(), md.permissions()));
        }
        Ok(())
    }

    pub(super) fn ungrant(&mut self) -> Result<()> {
        for (rel, p) in self.granted.drain(..).rev() {
            self.source.set_permissions(&rel, p)?;
        }
        Ok(())
    }

    /// Walks `src` with `walker`. While the walk waits for the component, a
    /// thread lists the next level ahead, and reader threads read the
    /// metadata of what each directory holds (the `statx` calls are most of
    /// the work, and need no decision: nearly everything is kept). Returns
    /// the walk, each directory's listing and what the readers read.
    pub(super) fn walk_reading_ahead(
        &mut self,
        walker: &Walker,
        src: &str,
        cache: &DirCache,
    ) -> Result<(Walked<Step>, Listings, HashMap<String, Stats>)> {
        let mut raw: Listings = HashMap::new();
        let (tx, rx) = std::sync::mpsc::channel::<ToRead>();
        let rx = std::sync::Mutex::new(rx);
        let to_read = Readers::new(tx);
        let ahead = Ahead::new(cache);
        let (walked, stats) = std::thread::scope(|scope| {
            let readers: Vec<_> = (0..READERS)
                .map(|_| scope.spawn(|| read_stats(cache, &rx)))
                .collect();
            let lister_readers = to_read.clone();
            let ahead = &ahead;
            let lister = scope.spawn(move || ahead.run(&lister_readers));
            let walked = walker.walk(src, |dir| {
                let listed = self.list_for_walk(dir, ahead, cache, &to_read)?;
                ahead.ask(
                    listed
                        .iter()
                        .filter(|l| l.entry.kind == EntryKind::Dir && l.entry.utf8)
                        .map(|l| drive::join(dir, &l.entry.name)),
                );
                let entries = listed.iter().map(|l| l.entry.clone()).collect();
                raw.insert(dir.to_string(), listed);
                Ok(Some(Listing {
                    dir: dir.to_string(),
                    entries,
                    against: Vec::new(),
                }))
            });
            ahead.close();
            let _ = lister.join();
            drop(to_read);
            let mut stats = HashMap::new();
            for r in readers {
                stats.extend(r.join().unwrap_or_default());
            }
            (walked, stats)
        });
        Ok((walked?, raw, stats))
    }

    /// The listing of `dir` the walk asks for: the one listed ahead, granted
    /// from the metadata read then (a directory that can be listed but not
    /// searched); or, granted first (a `chmod 000` directory), listed now
    /// and sent to the readers.
    fn list_for_walk(
        &mut self,
        dir: &str,
        ahead: &Ahead,
        cache: &DirCache,
        to_read: &Readers,
    ) -> Result<ListedDir> {
        if let Some((l, md)) = ahead.take(dir) {
            match md {
                Some(md) => self.grant_with(dir, md)?,
                None => self.grant(dir)?,
            }
            return Ok(l);
        }
        self.grant(dir)?;
        let (handle, l) =
            filesystem::list_cached(cache, dir).with_context(|| format!("listing {dir:?}"))?;
        let l = Arc::new(l);
        let md = handle.dir_metadata().ok();
        to_read.send(dir, &l, handle, md);
        Ok(l)
    }
}
