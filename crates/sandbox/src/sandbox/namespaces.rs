//! Entering the container's namespaces: mount, PID, UTS (the container's
//! hostname), IPC and cgroup, a network namespace with only loopback for
//! `--network none`, plus a user namespace that maps the invoking user to
//! root when not run as root (and its subordinate ids to 1..N, see
//! [`super::userns`]).

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

/// Enters the user namespace when `spec.user_ns`: the build's, with the
/// subordinate ids mapped ([`super::userns`]), or one whose maps are the
/// user's own ids, written here. Must be called while the process has one
/// thread.
pub fn enter_user(spec: &super::Spec) -> io::Result<()> {
    if let (true, Some(path)) = (spec.user_ns, &spec.userns_path) {
        super::userns::join(path)?;
    } else if let (true, Some(ids)) = (spec.user_ns, &spec.ids) {
        super::userns::enter(ids)?;
    } else if spec.user_ns {
        // SAFETY: unshare has no memory preconditions.
        let r = unsafe { libc::unshare(libc::CLONE_NEWUSER) };
        check(
            r,
            "creating a user namespace (unshare CLONE_NEWUSER; are unprivileged user namespaces enabled? see kernel.unprivileged_userns_clone / user.max_user_namespaces)",
        )?;
        write("/proc/self/setgroups", "deny")?;
        write("/proc/self/uid_map", &format!("0 {} 1", spec.uid))?;
        write("/proc/self/gid_map", &format!("0 {} 1", spec.gid))?;
    }
    Ok(())
}

/// Unshares the container's other namespaces (after [`enter_user`]), names
/// the host and brings up loopback in a private network namespace. The
/// calling process stays in the old PID namespace; its next child is PID 1
/// of the new one.
pub fn enter(spec: &super::Spec) -> io::Result<()> {
    let mut flags = libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWCGROUP;
    if spec.private_net {
        flags |= libc::CLONE_NEWNET;
    }
    // SAFETY: unshare has no memory preconditions.
    let r = unsafe { libc::unshare(flags) };
    check(
        r,
        "creating mount, PID, UTS, IPC and cgroup namespaces (unshare)",
    )?;
    let name = spec.hostname.as_bytes();
    // SAFETY: a valid buffer of `name.len()` bytes.
    let r = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    check(r, "setting the container's hostname")?;
    if spec.private_net {
        loopback_up()?;
    }
    Ok(())
}

/// Brings up `lo` in a new network namespace (the only interface it has).
fn loopback_up() -> io::Result<()> {
    // SAFETY: a plain socket; closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    check(fd, "opening a socket to bring up loopback")?;
    // SAFETY: ifreq is plain data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(b"lo") {
        *d = *s as libc::c_char;
    }
    // SAFETY: a valid ifreq for SIOCGIFFLAGS/SIOCSIFFLAGS on our socket.
    let r = unsafe {
        let mut r = libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut req);
        if r == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            r = libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &req);
        }
        libc::close(fd);
        r
    };
    check(
        r,
        "bringing up loopback in the container's network namespace",
    )
}

fn write(path: &str, text: &str) -> io::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| io::Error::new(e.kind(), format!("writing {path} ({text}): {e}")))
}
