//! `zerops-cache gc`: keeps the stores of all projects and setups within an
//! age and a size budget. The host measures each store (size with shared
//! files once, last use = when a command last took its lock, busy = its
//! lock is held); the component decides what goes and says why. A removed
//! store is locked, renamed out of the way, then deleted.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use zerops_cache_contract::retention::{StoreUsage, human_bytes};

use super::Format;
use super::project::parse_size;
use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_store::store::layout::{self, LOCK};
use zerops_cache_store::store::{gc_protocol, lock};

fn parse_age(s: &str) -> Result<u64, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_millis() as u64)
        .map_err(|e| format!("`{s}` is not a duration (e.g. 30d, 12h): {e}"))
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  zerops-cache gc --max-age 30d            # stores unused for a month
  zerops-cache gc --max-size 20G --dry-run # what would go to fit in 20 GiB")]
pub struct GcArgs {
    /// Root directory of the stores (default: $ZEROPS_CACHE_DIR, else the
    /// user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// Remove stores no command used for longer than this (e.g. 30d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub(crate) max_age: Option<u64>,
    /// Then remove the least recently used until all fit in SIZE (e.g. 20G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_size: Option<u64>,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Serialize)]
struct Removed {
    path: String,
    bytes: u64,
    reason: String,
}

#[derive(Serialize)]
struct GcOut {
    dry_run: bool,
    removed: Vec<Removed>,
    kept: usize,
    kept_bytes: u64,
    busy: Vec<String>,
}

/// The setup stores under `root`: `<project>-<hash>/<setup>/` holding a lock.
fn stores(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for s in std::fs::read_dir(p.path()).into_iter().flatten().flatten() {
            if s.path().join(LOCK).is_file() {
                out.push(s.path());
            }
        }
    }
    out.sort();
    out
}

/// The store's usage and, when it is free, its lock; `None` when another
/// gc removed it meanwhile.
fn measure(path: &Path) -> Result<Option<(StoreUsage, Option<lock::Lock>)>> {
    let dir = match Dir::open_ambient_dir(path, cap_std::ambient_authority()) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("opening the store {}", path.display()));
        }
    };
    let held = lock::try_hold_as(&dir, "gc")
        .with_context(|| format!("locking the store {}", path.display()))?;
    if held.as_ref().is_some_and(|l| !lock::is_at(l, path)) {
        return Ok(None);
    }
    let last_used_ms = std::fs::metadata(path.join(LOCK))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64);
    let mut seen = std::collections::BTreeSet::new();
    let mut bytes = 0;
    gc_protocol::measure(&dir, &mut |id, _, len| {
        if seen.insert(id) {
            bytes += len;
        }
    })
    .with_context(|| format!("measuring the store {}", path.display()))?;
    Ok(Some((
        StoreUsage {
            path: path.display().to_string(),
            last_used_ms,
            bytes,
            busy: held.is_none(),
        },
        held,
    )))
}

/// Deletes a store whose lock this process holds: renamed aside first, so a
/// half-deleted store is never mistaken for one.
fn remove(path: &Path) -> Result<()> {
    let parent = path.parent().context("a store has a parent")?;
    let root = parent.parent().context("a store is two levels down")?;
    let aside = root.join(format!(
        "{}{}-{}",
        gc_protocol::SCRATCH,
        std::process::id(),
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::rename(path, &aside).with_context(|| format!("moving {} aside", path.display()))?;
    let rootdir = Dir::open_ambient_dir(root, cap_std::ambient_authority())?;
    gc_protocol::delete(&rootdir, aside.strip_prefix(root)?)?;
    let _ = std::fs::remove_dir(parent); // the project's directory, once empty
    Ok(())
}

pub fn run(args: GcArgs) -> Result<Exit> {
    let root = layout::root(args.store.as_deref())?;
    let host = PolicyHost::load()?;
    if !args.dry_run {
        let n = gc_protocol::collect_scratch(&root)?;
        if n > 0 {
            eprintln!(
                "gc: deleted {} an interrupted gc had moved aside",
                zerops_cache_base::render::count(n as u64, "store", "stores")
            );
        }
    }
    let mut facts = Vec::new();
    let mut locks = Vec::new();
    for s in stores(&root) {
        let Some((u, l)) = measure(&s)? else {
            continue;
        };
        facts.push(u);
        locks.push(l);
    }
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let removals = host.stores_to_remove(&facts, now, args.max_age, args.max_size)?;
    let mut removed = Vec::new();
    for r in &removals {
        let bytes = facts
            .iter()
            .find(|f| f.path == r.path)
            .map_or(0, |f| f.bytes);
        if !args.dry_run {
            remove(Path::new(&r.path))?;
        }
        removed.push(Removed {
            path: r.path.clone(),
            bytes,
            reason: r.reason.clone(),
        });
    }
    drop(locks);
    let kept: Vec<&StoreUsage> = facts
        .iter()
        .filter(|f| !removals.iter().any(|r| r.path == f.path))
        .collect();
    let out = GcOut {
        dry_run: args.dry_run,
        kept: kept.len(),
        kept_bytes: kept.iter().map(|f| f.bytes).sum(),
        busy: facts
            .iter()
            .filter(|f| f.busy)
            .map(|f| f.path.clone())
            .collect(),
        removed,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&out)?),
        Format::Human => print_human(&out),
    }
    Ok(Exit::Ok)
}

/// What gc removed (or would), what it kept busy, and the totals.
fn print_human(out: &GcOut) {
    let verb = if out.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for r in &out.removed {
        println!("{verb} {} ({}): {}", r.path, human_bytes(r.bytes), r.reason);
    }
    for b in &out.busy {
        println!("kept {b}: in use by a running command");
    }
    let n = out.removed.len();
    let summary = match (n, out.dry_run) {
        (1, true) => "1 store would be removed".to_string(),
        (1, false) => "1 store removed".to_string(),
        (n, true) => format!("{n} stores would be removed"),
        (n, false) => format!("{n} stores removed"),
    };
    println!(
        "{summary}, {} {}; {} kept ({})",
        if out.dry_run { "would free" } else { "freed" },
        human_bytes(out.removed.iter().map(|r| r.bytes).sum()),
        out.kept,
        human_bytes(out.kept_bytes)
    );
}
