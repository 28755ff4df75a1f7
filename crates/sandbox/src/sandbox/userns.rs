//! A user namespace with the user's subordinate ids mapped
//! ([`super::subids`]). A process cannot write such maps for itself: the
//! setuid helpers `newuidmap`/`newgidmap` must, from outside the namespace,
//! for its pid (as podman and rootlesskit do). So before `unshare`, two
//! helper processes are forked, blocked on a pipe; once the namespace
//! exists they exec the helpers with this process's pid, and this process
//! waits for both.
//!
//! A build makes that namespace once, in its pod ([`super::holder`]), which
//! each command's container joins with `setns` (as podman's pause
//! process), so the helpers run once per build, not per command.
//!
//! The same namespace serves [`Task`]s: work on trees whose files belong to
//! subordinate ids, which the user itself cannot do outside (unpacking a
//! `--rootfs` tar with its owners, removing such a tree).

use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::init::wait_for;
use super::subids::{self, IdMap};
use std::os::fd::AsRawFd;

fn cstr(s: &[u8]) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte"))
}

fn argv(helper: &Path, pid: u32, map: &[subids::Extent]) -> io::Result<Vec<CString>> {
    let mut v = vec![
        cstr(helper.as_os_str().as_bytes())?,
        cstr(pid.to_string().as_bytes())?,
    ];
    for a in subids::helper_args(map) {
        v.push(cstr(a.as_bytes())?);
    }
    Ok(v)
}

/// Forks a helper that waits for a `1` on `go` and then execs `argv`.
fn fork_helper(argv: &[CString], go: [libc::c_int; 2]) -> io::Result<libc::pid_t> {
    let mut p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    p.push(std::ptr::null());
    // SAFETY: the child only calls async-signal-safe functions (close,
    // read, execv, _exit) on memory made before the fork.
    unsafe {
        let pid = libc::fork();
        if pid == -1 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            libc::close(go[1]);
            let mut b = 0u8;
            if libc::read(go[0], (&mut b as *mut u8).cast(), 1) == 1 && b == b'1' {
                libc::execv(p[0], p.as_ptr());
            }
            libc::_exit(127);
        }
        Ok(pid)
    }
}

/// Moves this process into a new user namespace where container id 0 is
/// the user and 1..N its subordinate ids, and clears its supplementary
/// groups (the host's, which the map does not name). The process must have
/// one thread.
pub(crate) fn enter(map: &IdMap) -> io::Result<()> {
    let pid = std::process::id();
    let uid_argv = argv(&map.newuidmap, pid, &map.uids)?;
    let gid_argv = argv(&map.newgidmap, pid, &map.gids)?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let go = [read.as_raw_fd(), write.as_raw_fd()];
    let first = fork_helper(&uid_argv, go)?;
    let second = match fork_helper(&gid_argv, go) {
        Ok(pid) => pid,
        Err(e) => {
            drop((read, write)); // the first helper reads EOF and exits
            let _ = wait_for(first);
            return Err(e);
        }
    };
    let helpers = [first, second];
    drop(read);
    // SAFETY: unshare has no memory preconditions; this process has one
    // thread, so no other thread sees its credentials change.
    let unshared = if unsafe { libc::unshare(libc::CLONE_NEWUSER) } == 0 {
        let _ = rustix::io::write(&write, b"11");
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    };
    drop(write);
    let mut failed = Vec::new();
    for (pid, argv) in helpers.into_iter().zip([&uid_argv, &gid_argv]) {
        let status = wait_for(pid)?;
        if unshared.is_ok() && status.exit_status() != Some(0) {
            let cmd: Vec<_> = argv.iter().map(|a| a.to_string_lossy()).collect();
            let how = match status.exit_status() {
                Some(code) => format!("exit status {code}"),
                None => format!("signal {}", status.terminating_signal().unwrap_or(0)),
            };
            failed.push(format!("`{}` failed ({how})", cmd.join(" ")));
        }
    }
    unshared.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("creating a user namespace (unshare CLONE_NEWUSER): {e}"),
        )
    })?;
    if !failed.is_empty() {
        return Err(io::Error::other(format!(
            "mapping the subordinate ids of /etc/subuid and /etc/subgid: {} \
             (newuidmap and newgidmap must be setuid root or have CAP_SETUID/CAP_SETGID, \
             and /etc/subuid and /etc/subgid must grant the range)",
            failed.join("; ")
        )));
    }
    clear_groups()
}

/// Drops the host's supplementary groups, which the map does not name.
pub(crate) fn clear_groups() -> io::Result<()> {
    // SAFETY: an empty list; CAP_SETGID is ours in the namespace.
    if unsafe { libc::setgroups(0, std::ptr::null()) } == -1 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("clearing supplementary groups: {e}"),
        ));
    }
    Ok(())
}

/// Work done in the mapped namespace by a child process
/// (`__sandbox-init` with `{"task": …}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Task {
    /// Unpack a `--rootfs` tar into `dir` with its owners mapped into the
    /// range; prints what was left out as JSON on stdout.
    Unpack { tar: PathBuf, dir: PathBuf },
    /// Remove a tree (whose files may belong to subordinate ids).
    Remove { path: PathBuf },
    /// Merge a build's upper directory into the base layer (store-relative
    /// paths; see [`super::merge_upper`]); prints how many entries moved.
    Merge {
        store: PathBuf,
        from: PathBuf,
        to: PathBuf,
        userxattr: bool,
        trash: PathBuf,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TaskRequest {
    pub(crate) task: Task,
    pub(crate) ids: IdMap,
}

/// Runs `task` in the child (after [`enter`]); the exit status.
pub(crate) fn run_task(req: &TaskRequest) -> i32 {
    // The task ends with zerops-cache (a holder would otherwise outlive it).
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let result = enter(&req.ids)
        .map_err(anyhow::Error::from)
        .and_then(|()| match &req.task {
            Task::Unpack { tar, dir } => {
                let owners = super::unpack::Owners::Mapped {
                    uids: subids::size(&req.ids.uids),
                    gids: subids::size(&req.ids.gids),
                };
                let s = super::unpack::unpack(tar, dir, owners)?;
                println!("{}", serde_json::to_string(&s)?);
                Ok(())
            }
            Task::Remove { path } => super::clear_scratch(path),
            Task::Merge {
                store,
                from,
                to,
                userxattr,
                trash,
            } => {
                let dir = cap_std::fs::Dir::open_ambient_dir(store, cap_std::ambient_authority())
                    .map_err(|e| anyhow::anyhow!("opening {}: {e}", store.display()))?;
                let n = super::merge_upper::merge_here(&dir, from, to, *userxattr, trash)?;
                println!("{n}");
                Ok(())
            }
        });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// Runs `task` in a child process in the mapped namespace; its stdout.
pub(crate) fn spawn_task(ids: &IdMap, task: Task) -> anyhow::Result<String> {
    use anyhow::Context;
    let req = TaskRequest {
        task,
        ids: ids.clone(),
    };
    let exe = std::env::current_exe().context("finding the zerops-cache executable")?;
    let out = std::process::Command::new(exe)
        .arg(super::init::SUBCOMMAND)
        .arg(serde_json::to_string(&req)?)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .context("starting zerops-cache in a user namespace")?;
    if !out.status.success() {
        anyhow::bail!(
            "{} (in a user namespace with your subordinate ids)",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Removes the tree `path` in the user namespace of the user's subordinate
/// ids, where their files can be removed (the store's fallback when the
/// user cannot); `None` when the user has no such ids.
pub fn remove_in_namespace(path: &Path) -> Option<io::Result<()>> {
    let ids = subids::mapped()?;
    let task = Task::Remove {
        path: path.to_path_buf(),
    };
    Some(spawn_task(ids, task).map(drop).map_err(|e| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("removing {}: {e:#}", path.display()),
        )
    }))
}

/// Merges as [`Task::Merge`] in the user namespace of the user's
/// subordinate ids; `None` when the user has no such ids.
pub(crate) fn merge_in_namespace(
    store: &Path,
    from: &Path,
    to: &Path,
    userxattr: bool,
    trash: &Path,
) -> Option<anyhow::Result<usize>> {
    let ids = subids::mapped()?;
    let task = Task::Merge {
        store: store.to_path_buf(),
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        userxattr,
        trash: trash.to_path_buf(),
    };
    Some(spawn_task(ids, task).and_then(|out| {
        out.trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("merging in the user namespace: {out}"))
    }))
}
