//! File capabilities (`security.capability`) for an unprivileged user's
//! files. Outside a user namespace only a privileged process may set one;
//! in a user namespace where the user is root it may, and the kernel keeps
//! it as a namespaced capability (revision 3, its root id the user's), so
//! it holds in every container of this user (whose root is the user).
//! The image unpack asks for them here: a child process (the binary's
//! hidden subcommand, a fresh single-threaded process) makes that
//! namespace and sets each one.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What the child is asked: `{"filecaps": …}`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub(crate) filecaps: Vec<(PathBuf, Vec<u8>)>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// Sets each `(path, value)` in a user namespace where this user is root;
/// the paths it could not set, with why (an error: none was set).
pub fn set_in_namespace(caps: Vec<(PathBuf, Vec<u8>)>) -> Result<Vec<String>, String> {
    let req = Request {
        filecaps: caps,
        uid: super::namespaces::uid(),
        gid: super::namespaces::gid(),
    };
    let run = || -> anyhow::Result<std::process::Output> {
        let exe = std::env::current_exe()?;
        Ok(std::process::Command::new(exe)
            .arg(super::init::SUBCOMMAND)
            .arg(serde_json::to_string(&req)?)
            .env_clear()
            .stdin(std::process::Stdio::null())
            .output()?)
    };
    match run() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// The child's side: enters the namespace, sets each capability, prints
/// each one it could not set (a line each); the exit status.
pub(crate) fn run(req: &Request) -> i32 {
    // SAFETY: unshare has no memory preconditions; this process has one thread.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER) } == -1 {
        eprintln!(
            "creating a user namespace: {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    for (file, text) in [
        ("/proc/self/setgroups", "deny".to_string()),
        ("/proc/self/uid_map", format!("0 {} 1", req.uid)),
        ("/proc/self/gid_map", format!("0 {} 1", req.gid)),
    ] {
        if let Err(e) = std::fs::write(file, text) {
            eprintln!("writing {file}: {e}");
            return 1;
        }
    }
    for (path, value) in &req.filecaps {
        if let Err(e) = rustix::fs::lsetxattr(
            path,
            "security.capability",
            value,
            rustix::fs::XattrFlags::empty(),
        ) {
            println!("{}: {}", path.display(), std::io::Error::from(e));
        }
    }
    0
}
