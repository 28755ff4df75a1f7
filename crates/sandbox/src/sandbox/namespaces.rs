//! The container's namespaces: the build's pod (a user namespace that maps
//! the invoking user to root when not run as root, and its subordinate ids
//! to 1..N, see [`super::userns`]; UTS with the container's hostname; IPC;
//! cgroup; a network namespace with only loopback for `--network none`),
//! made once per build by a holder ([`super::holder`]) and joined by each
//! command, which adds its own mount and PID namespaces.

use std::io;

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

pub fn uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

pub(crate) fn gid() -> u32 {
    rustix::process::getegid().as_raw()
}

fn check(r: libc::c_int, what: &str) -> io::Result<()> {
    if r == -1 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

/// Makes the build's pod ([`super::holder`]): the user namespace when
/// `spec.user_ns` (with the subordinate ids mapped by the setuid helpers,
/// [`super::userns`], or one whose maps are the user's own ids, written
/// here), then the UTS namespace named after the setup, IPC, cgroup and,
/// for `--network none`, a network namespace with loopback up. Must be
/// called while the process has one thread.
pub(crate) fn make_pod(spec: &super::Spec) -> io::Result<()> {
    if let (true, Some(ids)) = (spec.user_ns, &spec.ids) {
        super::userns::enter(ids)?;
    } else if spec.user_ns {
        unshare(
            libc::CLONE_NEWUSER,
            "a user namespace (are unprivileged user namespaces enabled? see kernel.unprivileged_userns_clone / user.max_user_namespaces)",
        )?;
        write("/proc/self/setgroups", "deny")?;
        write("/proc/self/uid_map", &format!("0 {} 1", spec.uid))?;
        write("/proc/self/gid_map", &format!("0 {} 1", spec.gid))?;
    }
    let mut flags = libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWCGROUP;
    if spec.private_net {
        flags |= libc::CLONE_NEWNET;
    }
    unshare(flags, "UTS, IPC and cgroup namespaces")?;
    rustix::system::sethostname(spec.hostname.as_bytes())
        .map_err(super::failed("setting the container's hostname"))?;
    if spec.private_net {
        loopback_up()?;
    }
    // The pod only waits: it needs no capability, and without any, pasta
    // (which keeps only a few for itself) may open its namespaces.
    super::privileges::drop_all()
}

/// `unshare(flags)`, the error naming `what`.
pub(crate) fn unshare(flags: libc::c_int, what: &str) -> io::Result<()> {
    // SAFETY: unshare has no memory preconditions.
    let r = unsafe { libc::unshare(flags) };
    check(r, &format!("creating {what} (unshare)"))
}

/// Joins the namespace `ns` (`user`, `uts`, ...) of process `pid`.
fn join(pid: u32, ns: &str, flag: libc::c_int) -> io::Result<()> {
    let path = format!("/proc/{pid}/ns/{ns}");
    let f = std::fs::File::open(&path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("opening the build's {ns} namespace {path}: {e}"),
        )
    })?;
    use rustix::thread::{ThreadNameSpaceType, move_into_thread_name_spaces};
    use std::os::fd::AsFd;
    let kind = ThreadNameSpaceType::from_bits_retain(flag as u32);
    move_into_thread_name_spaces(f.as_fd(), kind).map_err(super::failed(format!(
        "joining the build's {ns} namespace (setns)"
    )))
}

fn pod_pid(spec: &super::Spec) -> io::Result<u32> {
    spec.pod
        .ok_or_else(|| io::Error::other("no pod process for the build container"))
}

/// Joins the pod's namespaces (after it was made by [`make_pod`] in the
/// process `spec.pod`): the user namespace first, whose root may then join
/// the others. Must be called while the process has one thread.
pub(crate) fn join_pod(spec: &super::Spec) -> io::Result<()> {
    let pod = pod_pid(spec)?;
    if spec.user_ns {
        join(pod, "user", libc::CLONE_NEWUSER)?;
        if spec.ids.is_some() {
            super::userns::clear_groups()?;
        }
    }
    join(pod, "uts", libc::CLONE_NEWUTS)?;
    join(pod, "ipc", libc::CLONE_NEWIPC)?;
    join(pod, "cgroup", libc::CLONE_NEWCGROUP)?;
    if spec.private_net {
        join(pod, "net", libc::CLONE_NEWNET)?;
    }
    Ok(())
}

/// A command's namespaces: the pod's, a copy of the root holder's mount
/// namespace (the container's filesystem, assembled once; the copy gets
/// the command's own /proc and `pivot_root`), and a new PID namespace. The
/// calling process stays in the old PID namespace; its next child is PID 1
/// of the new one.
pub(crate) fn enter_command(spec: &super::Spec) -> io::Result<()> {
    join_pod(spec)?;
    let root = spec
        .root_holder
        .ok_or_else(|| io::Error::other("no root process for the build container"))?;
    join(root, "mnt", libc::CLONE_NEWNS)?;
    unshare(
        libc::CLONE_NEWNS | libc::CLONE_NEWPID,
        "the command's mount and PID namespaces",
    )
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
