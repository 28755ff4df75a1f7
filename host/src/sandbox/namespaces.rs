//! Entering the container's namespaces: mount and PID, plus a user
//! namespace that maps the invoking user to root when not run as root.

use std::io;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn uid() -> u32 {
    // SAFETY: as above.
    unsafe { libc::geteuid() }
}

pub fn gid() -> u32 {
    // SAFETY: as above.
    unsafe { libc::getegid() }
}

fn check(r: libc::c_int, what: &str) -> io::Result<()> {
    if r == -1 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

/// Unshares the mount and PID namespaces (and the user namespace, with the
/// maps written, when `user`). Must be called while the process has one
/// thread (a user namespace demands it). The calling process stays in the
/// old PID namespace; its next child is PID 1 of the new one.
pub fn enter(user: bool, uid: u32, gid: u32) -> io::Result<()> {
    if user {
        // SAFETY: unshare has no memory preconditions.
        check(
            unsafe { libc::unshare(libc::CLONE_NEWUSER) },
            "creating a user namespace (unshare CLONE_NEWUSER; are unprivileged user namespaces enabled? see kernel.unprivileged_userns_clone / user.max_user_namespaces)",
        )?;
        write("/proc/self/setgroups", "deny")?;
        write("/proc/self/uid_map", &format!("0 {uid} 1"))?;
        write("/proc/self/gid_map", &format!("0 {gid} 1"))?;
    }
    // SAFETY: as above.
    check(
        unsafe { libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWPID) },
        "creating mount and PID namespaces (unshare CLONE_NEWNS|CLONE_NEWPID)",
    )
}

fn write(path: &str, text: &str) -> io::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| io::Error::new(e.kind(), format!("writing {path} ({text}): {e}")))
}
