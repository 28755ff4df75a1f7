//! The deploy artifact: `deployFiles` resolved by the component (`~`
//! strip-prefix), filtered directory by directory by `.deployignore`, and
//! copied into a new numbered version before preserve moves anything away.
//! Versions over the retention budget ([`Budget`]: 10 by default, as on
//! Zerops) are removed as the policy decides.

use anyhow::{Context, Result};
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::join;
use super::version_index::Index;
use crate::component::PolicyHost;
use crate::component::plan::{DeployItem, Entry, EntryKind};
use crate::component::walk::{Listing, Purpose, Step, Walker};
use crate::filesystem;
use crate::store::layout::{ACTIVE, VERSIONS};
use crate::store::record_io::{read_opt, read_text, write_atomic};

/// The largest `.deployignore` the build reads (the policy's lint limit).
pub const DEPLOYIGNORE_MAX: u64 = 1 << 20;

/// What is stored beside a version (`versions/N.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionMeta {
    pub version: u32,
    pub created_at: String,
    pub setup: String,
    pub files: u64,
    pub bytes: u64,
    /// Files hard-linked from the previous version (shared, not copied).
    #[serde(default)]
    pub linked: u64,
}

/// The versions in the store, oldest first.
pub fn list_versions(store: &Dir) -> Result<Vec<u32>> {
    let mut v: Vec<u32> = filesystem::list(store, Path::new(VERSIONS))
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.entry.kind == EntryKind::Dir)
        .filter_map(|l| l.entry.name.parse().ok())
        .collect();
    v.sort_unstable();
    Ok(v)
}

pub fn meta(store: &Dir, v: u32) -> Option<VersionMeta> {
    read_opt(store, format!("{VERSIONS}/{v}.json"))
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
}

pub fn active(store: &Dir) -> Option<u32> {
    read_opt(store, ACTIVE)
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
}

pub fn set_active(store: &Dir, v: u32) -> Result<()> {
    write_atomic(store, ACTIVE, format!("{v}\n").as_bytes())
}

/// The number the next version gets.
pub fn next_version(store: &Dir) -> Result<u32> {
    Ok(list_versions(store)?.last().copied().unwrap_or(0) + 1)
}

struct Copier<'a> {
    /// The previous complete version: a file identical to its file at the
    /// same path (same size, mode, modification time, and the same bytes)
    /// is hard-linked from it instead of copied. Versions are never written
    /// in place (every file is created new), so sharing an inode cannot
    /// change an earlier version.
    prev: Option<Dir>,
    /// What the previous version's files were made from.
    prev_index: Option<Index>,
    /// Counts, and what this version's files are made from.
    tally: Tally,
    left_out: &'a BTreeSet<PathBuf>,
    source: &'a Dir,
    out: &'a Dir,
    /// Source directories given owner read and search permission to be
    /// copied (a `chmod 000` directory), with their modes to put back.
    granted: Vec<(String, cap_std::fs::Permissions)>,
}

/// Maps a path under the walk's source root `from` to the artifact path
/// under `to`.
fn retarget(path: &str, from: &str, to: &str) -> String {
    let rest = if from.is_empty() {
        path
    } else {
        path.strip_prefix(from)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(path)
    };
    match (to.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => to.to_string(),
        (false, false) => format!("{to}/{rest}"),
    }
}

fn open_or_self(dir: &Dir, rel: &str) -> std::io::Result<Dir> {
    if rel.is_empty() {
        dir.try_clone()
    } else {
        dir.open_dir(rel)
    }
}

impl Copier<'_> {
    /// Whether `path` or a directory above it is the user's (in place).
    fn left_out(&self, path: &str) -> bool {
        !self.left_out.is_empty()
            && Path::new(path)
                .ancestors()
                .any(|a| self.left_out.contains(a))
    }

    /// Gives the source directory `rel` owner read and search permission
    /// until the artifact is done (its mode goes back in [`Copier::ungrant`]).
    fn grant(&mut self, rel: &str) -> Result<()> {
        use cap_std::fs::PermissionsExt;
        if rel.is_empty() {
            return Ok(());
        }
        let md = self.source.symlink_metadata(rel)?;
        let mode = md.permissions().mode();
        if md.is_dir() && mode & 0o500 != 0o500 {
            self.source
                .set_permissions(rel, cap_std::fs::Permissions::from_mode(mode | 0o500))?;
            self.granted.push((rel.to_string(), md.permissions()));
        }
        Ok(())
    }

    fn ungrant(&mut self) -> Result<()> {
        for (rel, p) in self.granted.drain(..).rev() {
            self.source.set_permissions(&rel, p)?;
        }
        Ok(())
    }

    /// Places the file, link or (not-UTF-8) subtree `name` of `src` as
    /// `name` in `out`: a regular file identical to the one at the same
    /// place in `prev` is hard-linked from it, anything else copied into a
    /// new file. An entry already there (an earlier deployFiles item) is
    /// removed first, never written through.
    #[allow(clippy::too_many_arguments)] // two (dir, name) pairs and the facts
    fn place(
        &mut self,
        src: &Dir,
        name: &Path,
        out: &Dir,
        as_name: &Path,
        at: &str,
        prev: Option<&Dir>,
        md: &cap_std::fs::Metadata,
    ) -> Result<()> {
        place(
            self.prev_index.as_ref(),
            &mut self.tally,
            (src, name),
            (out, as_name),
            at,
            prev,
            md,
        )
    }

    /// Places the kept entries of the project directory `dir` into the
    /// artifact directory `to` (which exists).
    fn place_dir(
        &self,
        t: &mut Tally,
        raw: &HashMap<String, Vec<filesystem::Listed>>,
        taken: &HashSet<&str>,
        prev: Option<&Dir>,
        dir: &str,
        to: &str,
    ) -> Result<()> {
        let (sd, od) = (open_or_self(self.source, dir)?, open_or_self(self.out, to)?);
        let pd = prev.and_then(|p| open_or_self(p, to).ok());
        for l in raw.get(dir).map(Vec::as_slice).unwrap_or_default() {
            let path = join(dir, &l.entry.name);
            // Taken, or a name that is not UTF-8 (copied whole, never
            // decided on its own); the user's own paths stay out.
            let take = taken.contains(path.as_str()) || !l.entry.utf8;
            if !take || self.left_out(&path) {
                continue;
            }
            let name = Path::new(&l.name);
            let md = sd.symlink_metadata(name)?;
            let at = if l.entry.utf8 {
                join(to, &l.entry.name)
            } else {
                String::new()
            };
            place(
                self.prev_index.as_ref(),
                t,
                (&sd, name),
                (&od, name),
                &at,
                pd.as_ref(),
                &md,
            )
            .with_context(|| format!("copying {path}"))?;
        }
        Ok(())
    }

    /// Copies the project directory `src` to the artifact directory `dst`:
    /// the policy's walk driver lists it level by level and the command's
    /// deploy walker decides each level in one call; then every directory
    /// is created and its kept entries placed, with the parents opened
    /// once per directory.
    fn copy_dir(&mut self, walker: &Walker, src: &str, dst: &str) -> Result<()> {
        let mut raw: HashMap<String, Vec<filesystem::Listed>> = HashMap::new();
        let walked = walker.walk(src, |dir| {
            self.grant(dir)?;
            let listed = filesystem::list(self.source, Path::new(dir))
                .with_context(|| format!("listing {dir:?}"))?;
            let entries = listed.iter().map(|l| l.entry.clone()).collect();
            raw.insert(dir.to_string(), listed);
            Ok(Some(Listing {
                dir: dir.to_string(),
                entries,
                against: Vec::new(),
            }))
        })?;
        let taken: HashSet<&str> = walked.taken.iter().map(|f| f.path.as_str()).collect();
        let prev = self.prev.as_ref().map(|p| p.try_clone()).transpose()?;
        // The directories first, parents before children; then their
        // entries, spread over a few threads (linking and creating files is
        // kernel work that runs in parallel across directories).
        let mut work: Vec<(&str, String)> = Vec::new();
        for dir in &walked.listed {
            if self.left_out(dir) {
                continue;
            }
            let to = retarget(dir, src, dst);
            if !to.is_empty() {
                self.out
                    .create_dir_all(&to)
                    .with_context(|| format!("creating {to} in the artifact"))?;
            }
            work.push((dir.as_str(), to));
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
            .min(work.len().max(1));
        let me = &*self;
        let tallies: Vec<Result<Tally>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (0..threads)
                .map(|k| {
                    let (work, raw, taken, prev) = (&work, &raw, &taken, prev.as_ref());
                    scope.spawn(move || -> Result<Tally> {
                        let mut t = Tally::new(me.tally.index.empty_like());
                        for (dir, to) in work.iter().skip(k).step_by(threads) {
                            me.place_dir(&mut t, raw, taken, prev, dir, to)?;
                        }
                        Ok(t)
                    })
                })
                .collect();
            spawned
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a copying thread panicked")))
                })
                .collect()
        });
        for t in tallies {
            self.tally.absorb(t?);
        }
        // The directories keep their modes and times, as their files do:
        // set deepest first, once everything is inside.
        for dir in walked.listed.iter().rev() {
            let to = retarget(dir, src, dst);
            if to.is_empty() || self.left_out(dir) {
                continue;
            }
            let md = self.source.symlink_metadata(dir)?;
            let perms = self
                .granted
                .iter()
                .find(|(r, _)| r == dir)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| md.permissions());
            self.out.set_permissions(&to, perms)?;
            if let Ok(t) = md.modified() {
                self.out
                    .set_times(&to, None, Some(SystemTimeSpec::Absolute(t)))?;
            }
        }
        Ok(())
    }
}

/// What placing files counted, and the index entries it made.
struct Tally {
    files: u64,
    bytes: u64,
    linked: u64,
    index: Index,
}

impl Tally {
    fn new(index: Index) -> Tally {
        Tally {
            files: 0,
            bytes: 0,
            linked: 0,
            index,
        }
    }

    fn absorb(&mut self, t: Tally) {
        self.files += t.files;
        self.bytes += t.bytes;
        self.linked += t.linked;
        self.index.absorb(t.index);
    }
}

/// Places the file, link or (not-UTF-8) subtree `name` of `src` as
/// `as_name` in `out` (`at`: its artifact path, for the index): a regular
/// file the same as the one at the same place in `prev` is hard-linked from
/// it, anything else copied into a new file. An entry already there (an
/// earlier deployFiles item) is removed first, never written through.
fn place(
    prev_index: Option<&Index>,
    t: &mut Tally,
    (src, name): (&Dir, &Path),
    (out, as_name): (&Dir, &Path),
    at: &str,
    prev: Option<&Dir>,
    md: &cap_std::fs::Metadata,
) -> Result<()> {
    // Nothing is there in a new directory; an earlier deployFiles item
    // may have put something: it is removed, never written through.
    let fresh = |op: &dyn Fn() -> std::io::Result<()>| -> std::io::Result<()> {
        match op() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                filesystem::remove_any(out, as_name)?;
                op()
            }
            r => r,
        }
    };
    if md.is_file() {
        let unchanged = prev_index.is_some_and(|i| i.unchanged(at, md));
        let linked = match prev {
            Some(p) if unchanged || identical(src, name, p, as_name, md) => {
                fresh(&|| p.hard_link(as_name, out, as_name)).is_ok()
            }
            _ => false,
        };
        if linked {
            t.linked += 1;
        } else {
            fresh(&|| filesystem::copy_file(src, name, out, as_name, md).map(drop))
                .with_context(|| format!("copying {}", name.display()))?;
        }
        if !at.is_empty() {
            t.index.record(at, md);
        }
    } else {
        fresh(&|| filesystem::copy_tree(src, name, out, as_name))?;
    }
    t.files += 1;
    t.bytes += md.len();
    Ok(())
}

/// Whether the previous version's `name` is the same file as `name` of
/// `src`: size, mode and modification time first (cheap), then the bytes
/// (a package upgrade can keep all three: npm sets every mtime to 1985).
fn identical(
    src: &Dir,
    name: &Path,
    prev: &Dir,
    prev_name: &Path,
    md: &cap_std::fs::Metadata,
) -> bool {
    use cap_std::fs::PermissionsExt;
    let Ok(old) = prev.symlink_metadata(prev_name) else {
        return false;
    };
    old.is_file()
        && old.len() == md.len()
        && old.permissions().mode() == md.permissions().mode()
        && matches!((old.modified(), md.modified()), (Ok(a), Ok(b)) if a == b)
        && filesystem::same_bytes(src, name, prev, prev_name).unwrap_or(false)
}

/// Copies the artifact of `deploy_files` from `source` into `versions/N`.
/// Returns the version's metadata.
#[allow(clippy::too_many_arguments)] // one call site; the build's facts
pub fn create(
    host: &PolicyHost,
    store: &Dir,
    source: &Dir,
    deploy_files: &[String],
    version: u32,
    setup: &str,
    now: &str,
    left_out: &BTreeSet<PathBuf>,
) -> Result<VersionMeta> {
    let items = match host.deploy_items(deploy_files)? {
        Ok(i) => i,
        Err(d) => return Err(crate::diagnostic::DiagnosticError::new(d).into()),
    };
    let ignore =
        read_text(source, Path::new(".deployignore"), DEPLOYIGNORE_MAX, true).map_err(|p| {
            crate::exit::Exit::Config
                .error(format!(".deployignore {p}; `zerops-cache lint` checks it"))
        })?;
    // One walker for the whole artifact: `.deployignore` parsed once.
    let walker = host.walker(&Purpose::Deploy(ignore))?;
    let rel = format!("{VERSIONS}/{version}");
    store.create_dir_all(&rel)?;
    let out = store.open_dir(&rel)?;
    let prev_number = list_versions(store)?
        .into_iter()
        .rfind(|p| *p < version && meta(store, *p).is_some());
    let prev = prev_number.and_then(|p| store.open_dir(format!("{VERSIONS}/{p}")).ok());
    // An index left by an unfinished build of this number is not this one's.
    Index::remove(store, version);
    let mut c = Copier {
        prev_index: prev_number.and_then(|p| Index::load(store, p)),
        tally: Tally::new(Index::new(cap_std::fs::MetadataExt::dev(
            &source.dir_metadata()?,
        ))),
        prev,
        left_out,
        source,
        out: &out,
        granted: Vec::new(),
    };
    let copied = copy_items(&mut c, &walker, &items);
    let ungranted = c.ungrant();
    copied?;
    ungranted.context("restoring the modes of directories copied into the artifact")?;
    // Only a cache: without it the next artifact reads more. Only the
    // newest version's index is ever read (the next version links from the
    // newest), so the previous one goes.
    if c.tally.index.save(store, version).is_ok()
        && let Some(p) = prev_number
    {
        Index::remove(store, p);
    }
    // One durability barrier for the whole version, before it is recorded.
    filesystem::sync_fs(store).context("syncing the new version")?;
    let meta = VersionMeta {
        version,
        created_at: now.to_string(),
        setup: setup.to_string(),
        files: c.tally.files,
        bytes: c.tally.bytes,
        linked: c.tally.linked,
    };
    write_atomic(
        store,
        &format!("{VERSIONS}/{version}.json"),
        &serde_json::to_vec_pretty(&meta)?,
    )?;
    Ok(meta)
}

fn copy_items(c: &mut Copier, walker: &Walker, items: &[DeployItem]) -> Result<()> {
    for item in items {
        let md = if item.source.is_empty() {
            c.source.dir_metadata()?
        } else {
            let Ok(md) = c.source.symlink_metadata(&item.source) else {
                return Err(crate::exit::Exit::BuildFailed.error(format!(
                    "deployFiles: `{}` does not exist after the build (looked for {})",
                    item.written, item.source
                )));
            };
            let (parent, name) = item
                .source
                .rsplit_once('/')
                .unwrap_or(("", item.source.as_str()));
            let kind = if md.file_type().is_symlink() {
                EntryKind::Symlink
            } else if md.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            let steps = walker.decide(&[Listing {
                dir: parent.to_string(),
                entries: vec![Entry::new(name, kind)],
                against: Vec::new(),
            }])?;
            if matches!(steps[0][0], Step::Skip(_)) || c.left_out(&item.source) {
                continue;
            }
            md
        };
        let r = if md.is_dir() {
            c.copy_dir(walker, &item.source, &item.target)
        } else if item.target.is_empty() {
            // What the build left is not what deployFiles names.
            return Err(crate::exit::Exit::BuildFailed.error(format!(
                "deployFiles: `{}` is {}, not a directory, so it cannot become the \
                 artifact root (a `~` strips directories only)",
                item.source,
                crate::store::record_io::kind_of(md.file_type())
            )));
        } else {
            let split = |p: &'_ str| -> (String, String) {
                match p.rsplit_once('/') {
                    Some((a, b)) => (a.to_string(), b.to_string()),
                    None => (String::new(), p.to_string()),
                }
            };
            let ((sp, sn), (tp, tn)) = (split(&item.source), split(&item.target));
            if !tp.is_empty() {
                c.out
                    .create_dir_all(&tp)
                    .with_context(|| format!("creating {tp} in the artifact"))?;
            }
            let sd = open_or_self(c.source, &sp)?;
            let od = open_or_self(c.out, &tp)?;
            let pd = c.prev.as_ref().and_then(|p| open_or_self(p, &tp).ok());
            c.place(
                &sd,
                Path::new(&sn),
                &od,
                Path::new(&tn),
                &item.target,
                pd.as_ref(),
                &md,
            )
        };
        r.with_context(|| format!("copying deployFiles `{}`", item.written))?;
    }
    Ok(())
}

/// How many versions to keep, and how much disk they may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub keep: u32,
    pub max_bytes: Option<u64>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            keep: zerops_cache_contract::retention::KEEP_VERSIONS,
            max_bytes: None,
        }
    }
}

/// What the versions take: per version the bytes only it holds, and all of
/// them together (shared files once).
fn version_facts(
    store: &Dir,
) -> Result<(Vec<zerops_cache_contract::retention::VersionFacts>, u64)> {
    let act = active(store);
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    let mut facts = Vec::new();
    for v in list_versions(store)? {
        let mut own = 0;
        filesystem::files_with_links(
            store,
            Path::new(&format!("{VERSIONS}/{v}")),
            &mut |id, links, len| {
                if links == 1 {
                    own += len;
                }
                if seen.insert(id) {
                    total += len;
                }
            },
        )
        .with_context(|| format!("measuring version {v}"))?;
        facts.push(zerops_cache_contract::retention::VersionFacts {
            number: v,
            bytes: own,
            active: Some(v) == act,
        });
    }
    Ok((facts, total))
}

/// Removes the versions the policy says are over `budget` (never the active
/// or the newest one): each goes to the trash by one rename.
pub fn prune(
    host: &PolicyHost,
    store: &Dir,
    budget: &Budget,
) -> Result<Vec<zerops_cache_contract::retention::VersionRemoval>> {
    // Sizes matter only for a size budget; counting needs no walk.
    let (facts, total) = if budget.max_bytes.is_some() {
        version_facts(store)?
    } else {
        let act = active(store);
        let facts = list_versions(store)?
            .into_iter()
            .map(|v| zerops_cache_contract::retention::VersionFacts {
                number: v,
                bytes: 0,
                active: Some(v) == act,
            })
            .collect();
        (facts, 0)
    };
    let removals = host.versions_to_remove(&facts, total, budget.keep, budget.max_bytes)?;
    for r in &removals {
        let v = r.number;
        // Metadata first: a version without it is not complete any more.
        let _ = store.remove_file(format!("{VERSIONS}/{v}.json"));
        Index::remove(store, v);
        crate::store::journal::to_trash(store, &format!("{VERSIONS}/{v}"))
            .with_context(|| format!("removing the old version {v}"))?;
    }
    Ok(removals)
}
