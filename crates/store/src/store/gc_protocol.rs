//! How `gc` shares the stores with the commands and the detached cleaner
//! ([`super::trash`]).
//!
//! - `gc` takes a store's lock before it measures or removes it, and
//!   writes itself into the lock as its holder (a command waiting for the
//!   store says it waits for gc); the lock's modification time, which says
//!   when the store was last used, is put back.
//! - The detached cleaner deletes the trash without the lock (a build must
//!   never wait for it), so entries of `trash/` may vanish while gc walks
//!   or removes the store: gc's walk and removal take a vanished entry as
//!   gone, never as an error.
//! - A store is removed by renaming it to `<root>/.gc-<pid>-<name>` first
//!   (one rename: no command can open it after that), then deleting it. A
//!   gc killed before it finished leaves that name; the next gc deletes
//!   every `.gc-*` whose process is gone.
//! - A command that waited for the lock while gc removed the store finds
//!   its lock is no longer the store's (`lock::is_at`) and makes the store
//!   again (or, for a command that needs an existing store, finds none).

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::io;
use std::path::Path;

use zerops_cache_base::filesystem;

/// The prefix of a store being removed, in the store root.
pub const SCRATCH: &str = ".gc-";

fn vanished(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// [`filesystem::files_with_links`] over a store whose trash the cleaner
/// may be emptying: walked again (from zero) when an entry vanished under
/// the walk; after a few tries the last count stands.
pub fn measure(dir: &Dir, f: &mut dyn FnMut((u64, u64), u64, u64)) -> Result<()> {
    for attempt in 0..5 {
        let mut seen = Vec::new();
        match filesystem::files_with_links(dir, Path::new(""), &mut |id, links, len| {
            seen.push((id, links, len))
        }) {
            Ok(()) => {
                for (id, links, len) in seen {
                    f(id, links, len);
                }
                return Ok(());
            }
            Err(e) if vanished(&e) && attempt < 4 => continue,
            Err(e) if vanished(&e) => {
                for (id, links, len) in seen {
                    f(id, links, len);
                }
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Deletes `rel` of `root` (a moved-aside store) however the cleaner
/// deletes inside it meanwhile.
pub fn delete(root: &Dir, rel: &Path) -> Result<()> {
    for _ in 0..10 {
        match filesystem::remove_any(root, rel) {
            Ok(()) => return Ok(()),
            Err(e) if vanished(&e) => {
                if root.symlink_metadata(rel).is_err() {
                    return Ok(());
                }
            }
            Err(e) => return Err(e).with_context(|| format!("deleting {}", rel.display())),
        }
    }
    filesystem::remove_any(root, rel).with_context(|| format!("deleting {}", rel.display()))
}

/// Whether process `pid` is alive (signal 0: it exists, ours or not).
/// Pid 0 is this process's group, alive as `kill(0, 0)` says; a negative
/// number names no process.
fn alive(pid: i32) -> bool {
    use rustix::process::{Pid, test_kill_process};
    if pid < 0 {
        return false;
    }
    let Some(pid) = Pid::from_raw(pid) else {
        return true;
    };
    matches!(
        test_kill_process(pid),
        Ok(()) | Err(rustix::io::Errno::PERM)
    )
}

/// Deletes what a killed gc left in the store root (`.gc-<pid>-*` whose
/// process is gone); returns how many.
pub fn collect_scratch(root: &Path) -> Result<usize> {
    let Ok(dir) = Dir::open_ambient_dir(root, cap_std::ambient_authority()) else {
        return Ok(0);
    };
    let mut n = 0;
    for e in filesystem::list(&dir, Path::new("")).unwrap_or_default() {
        let Some(rest) = e.name.to_str().and_then(|s| s.strip_prefix(SCRATCH)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        if pid.is_some_and(alive) {
            continue;
        }
        delete(&dir, Path::new(&e.name))?;
        n += 1;
    }
    Ok(n)
}
