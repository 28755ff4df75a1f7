//! `zerops-cache __host-reaper PARENT -- CMD...` (hidden): what a build command
//! runs under with `--isolation none`, so that no process of the build
//! outlives zerops-cache, even when zerops-cache is killed with SIGKILL
//! (the container gets this from its PID namespace).
//!
//! The reaper is a child subreaper (`PR_SET_CHILD_SUBREAPER`): every
//! process of the command that is orphaned (a shell's background job, a
//! daemon that called `setsid`) becomes its child rather than init's. It
//! asks for `SIGUSR1` when its parent dies (`PR_SET_PDEATHSIG`). When the
//! command ends, or its parent dies, it kills every process left under it
//! and reaps them, then exits with the command's status.
//!
//! SIGTERM and SIGINT sent to the build's process group reach the command
//! directly; the reaper keeps them blocked (its child unblocks every
//! signal before exec, so the command is not affected). Sent to the reaper by
//! anyone else (a command's `kill -INT $PPID`), they are passed on to
//! zerops-cache, whose place the reaper takes as the command's parent.

use rustix::process::{self, Pid, Signal, WaitOptions};
use std::process::Command;

/// The hidden subcommand.
pub(crate) const SUBCOMMAND: &str = "__host-reaper";

/// `command` run under the reaper (the current executable).
pub(crate) fn wrap(command: &Command) -> std::io::Result<Command> {
    let mut c = Command::new(std::env::current_exe()?);
    c.arg(SUBCOMMAND)
        .arg(std::process::id().to_string())
        .arg("--")
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(d) = command.get_current_dir() {
        c.current_dir(d);
    }
    for (k, v) in command.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    Ok(c)
}

fn sigset(sigs: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in sigs {
            libc::sigaddset(&mut set, *s);
        }
        set
    }
}

/// The pids of this process's children (every thread's).
fn children() -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// Kills every process under the reaper: children first; what they leave
/// is reparented here and killed in the next round; then reaps them all.
fn kill_all() {
    loop {
        let kids = children();
        for k in kids.iter().filter_map(|k| Pid::from_raw(*k)) {
            let _ = process::kill_process(k, Signal::KILL);
        }
        let mut reaped = false;
        loop {
            match process::wait(WaitOptions::NOHANG) {
                Ok(Some(_)) => reaped = true,
                Ok(None) => break,
                Err(_) => return, // ECHILD: none left at all.
            }
        }
        if kids.is_empty() && !reaped {
            // Children that are dying but not yet reapable: wait for one.
            if process::wait(WaitOptions::empty()).is_err() {
                return;
            }
        }
    }
}

fn code_of(status: process::WaitStatus) -> i32 {
    if let Some(code) = status.exit_status() {
        code
    } else if let Some(sig) = status.terminating_signal() {
        128 + sig
    } else {
        1
    }
}

/// Runs `program args` under the reaper; returns the exit code to exit
/// with. `parent` is the pid of zerops-cache that started it.
pub fn run(parent: i32, program: &str, args: &[String]) -> i32 {
    let blocked = sigset(&[libc::SIGCHLD, libc::SIGUSR1, libc::SIGTERM, libc::SIGINT]);
    // SAFETY: prctl and sigprocmask with valid arguments, in this process.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &blocked, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGUSR1, 0, 0, 0);
        // The parent may have died before the request was made.
        if libc::getppid() != parent {
            return 137;
        }
    }
    let mut command = Command::new(program);
    command.args(args);
    // SAFETY: sigprocmask and prctl are async-signal-safe; they run in the
    // forked child before exec. The child would inherit the reaper's
    // blocked signals (a shell then never sees its children end): none
    // stay blocked. Should the reaper itself be killed, the command goes
    // with it (the request survives exec).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            let none = sigset(&[]);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zerops-cache: cannot start {program}: {e}");
            return 127;
        }
    };
    let main = child.id() as i32;
    let waitfor = sigset(&[libc::SIGCHLD, libc::SIGUSR1, libc::SIGTERM, libc::SIGINT]);
    loop {
        // SAFETY: waits for one of the blocked signals; `info` is written.
        let (sig, from) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let sig = libc::sigwaitinfo(&waitfor, &mut info);
            (sig, info.si_pid())
        };
        if (sig == libc::SIGTERM || sig == libc::SIGINT) && from != parent {
            // Meant for zerops-cache, whose place the reaper takes as the
            // command's parent (`kill -INT $PPID`): passed on. What
            // zerops-cache sends to the group reaches the command itself.
            if let (Some(p), Some(s)) = (Pid::from_raw(parent), Signal::from_named_raw(sig)) {
                let _ = process::kill_process(p, s);
            }
            continue;
        }
        if sig == libc::SIGUSR1 {
            // zerops-cache is gone: so is everything it started.
            kill_all();
            return 137;
        }
        while let Ok(Some((pid, st))) = process::wait(WaitOptions::NOHANG) {
            if pid.as_raw_nonzero().get() == main {
                // The command ended: what it left running ends with it.
                kill_all();
                return code_of(st);
            }
        }
    }
}
