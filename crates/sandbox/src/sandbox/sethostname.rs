//! `hostname x` in a build command: it changes the container's hostname,
//! and only it, while the command keeps Docker's capabilities (no
//! `CAP_SYS_ADMIN`, which `sethostname` needs).
//!
//! The command's process installs a seccomp filter that turns
//! `sethostname` and `setdomainname` into user notifications
//! (`SECCOMP_RET_USER_NOTIF`, Linux 5.0) and hands the filter's listener to
//! its init ([`super::init`]). The init is in the build's UTS namespace
//! with every capability of the build's user namespace (it never drops
//! them), so it performs the call there for the command, as sysbox and
//! LXD's seccomp supervisors do:
//!
//! 1. receive the notification; the call's `len` is the kernel's `int`:
//!    negative or more than 64 bytes is `EINVAL`, as the kernel answers;
//! 2. read the name from the caller's memory (`process_vm_readv`; a bad
//!    pointer is `EFAULT`);
//! 3. check that the notification is still valid (`SECCOMP_IOCTL_NOTIF_ID_VALID`):
//!    the caller has not died and its pid was not reused, so the bytes read
//!    are its own;
//! 4. check that the caller is in the init's UTS namespace (it cannot leave:
//!    `unshare` and `setns` are refused), else `EPERM`;
//! 5. make the call and answer with its result.
//!
//! `seccompiler` (the crate of the other filters) has no user-notification
//! action, and the `libseccomp` crate links the C libseccomp, which the
//! static musl binary cannot carry; the filter here is seven BPF
//! instructions and the protocol the three ioctls of `libc`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use super::bpf::{self, Program, jeq, stmt};

/// The kernel's limit of a host or domain name (`__NEW_UTS_LEN`).
pub(crate) const MAX_LEN: i32 = 64;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;
/// The bit of x32 system call numbers (x86_64 only).
#[cfg(target_arch = "x86_64")]
const X32: u32 = 0x4000_0000;
#[cfg(target_arch = "aarch64")]
const X32: u32 = 0;

/// The filter: on this architecture, `sethostname` and `setdomainname`
/// (also their x32 numbers) notify; everything else is allowed (the other
/// filters decide it).
pub(crate) fn program() -> Program {
    let ld = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let ret = libc::BPF_RET | libc::BPF_K;
    // Offsets in struct seccomp_data: nr at 0, arch at 4.
    vec![
        stmt(ld, 4),
        jeq(AUDIT_ARCH, 0, 4),
        stmt(ld, 0),
        stmt(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K, !X32),
        jeq(libc::SYS_sethostname as u32, 2, 0),
        jeq(libc::SYS_setdomainname as u32, 1, 0),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
        stmt(ret, libc::SECCOMP_RET_USER_NOTIF),
    ]
}

/// Installs [`program`] on the calling thread (which must hold
/// `CAP_SYS_ADMIN`: no `no_new_privs`) and returns the listener.
pub(crate) fn install() -> io::Result<OwnedFd> {
    bpf::install_listening(
        &program(),
        "the hostname filter (seccomp user notification, Linux 5.0)",
    )
}

/// What the supervisor answers: 0 or a negative errno.
fn answer(listener: &OwnedFd, id: u64, error: i32) {
    let mut resp = libc::seccomp_notif_resp {
        id,
        val: 0,
        error,
        flags: 0,
    };
    // SAFETY: a valid response for our listener. ENOENT (the caller died
    // meanwhile) needs nothing.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND as _,
            &mut resp,
        );
    }
}

fn still_valid(listener: &OwnedFd, id: u64) -> bool {
    let mut id = id;
    // SAFETY: the ioctl reads one u64.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID as _,
            &mut id,
        ) == 0
    }
}

/// Reads `len` bytes at `addr` of process `pid`.
fn read_name(pid: u32, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    if len == 0 {
        return Some(buf);
    }
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: `local` is our own buffer of `len` bytes; the remote one is
    // only read by the kernel, which checks it.
    let n = unsafe { libc::process_vm_readv(pid as libc::pid_t, &local, 1, &remote, 1, 0) };
    (n == len as isize).then_some(buf)
}

/// The init's side: the listener, and the host's /proc opened before the
/// command pivoted into the container (a `pivot_root` moves the init's root
/// too, and the container's /proc is another PID namespace's).
pub(crate) struct Supervisor {
    proc: std::fs::File,
    uts: (u64, u64),
}

fn ns_id(dir: &std::fs::File, path: &str) -> Option<(u64, u64)> {
    let st = rustix::fs::statat(dir, path, rustix::fs::AtFlags::empty()).ok()?;
    Some((st.st_dev as u64, st.st_ino as u64))
}

impl Supervisor {
    /// Opens /proc and notes this process's UTS namespace; call before the
    /// command's process pivots.
    pub(crate) fn new() -> io::Result<Supervisor> {
        let proc = std::fs::File::open("/proc")
            .map_err(|e| io::Error::new(e.kind(), format!("opening /proc: {e}")))?;
        let uts = ns_id(&proc, "self/ns/uts")
            .ok_or_else(|| io::Error::other("reading /proc/self/ns/uts"))?;
        Ok(Supervisor { proc, uts })
    }

    /// Whether process `pid` is in this process's UTS namespace.
    fn same_uts(&self, pid: u32) -> bool {
        ns_id(&self.proc, &format!("{pid}/ns/uts")) == Some(self.uts)
    }

    /// Handles one notification from `listener` (call when it is readable).
    /// Returns false when the listener has no more notifications to give
    /// (no process uses the filter any more).
    pub(crate) fn serve_one(&self, listener: &OwnedFd) -> bool {
        // SAFETY: seccomp_notif is plain data; the kernel wants it zeroed.
        let mut req: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: a valid, zeroed seccomp_notif for our listener.
        let r = unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV as _,
                &mut req,
            )
        };
        if r == -1 {
            let e = io::Error::last_os_error();
            // ENOENT: the caller went away before we read it; EINTR: a signal.
            return matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EINTR));
        }
        let error = self.handle(listener, &req);
        answer(listener, req.id, error);
        true
    }

    fn handle(&self, listener: &OwnedFd, req: &libc::seccomp_notif) -> i32 {
        let nr = (req.data.nr as u32 & !X32) as libc::c_long;
        let len = req.data.args[1] as u32 as i32; // the kernel's `int len`
        if !(0..=MAX_LEN).contains(&len) {
            return -libc::EINVAL;
        }
        let Some(name) = read_name(req.pid, req.data.args[0], len as usize) else {
            return -libc::EFAULT;
        };
        if !still_valid(listener, req.id) {
            return -libc::ESRCH; // nobody is waiting for the answer
        }
        if !self.same_uts(req.pid) {
            return -libc::EPERM;
        }
        let r = match nr {
            libc::SYS_sethostname => rustix::system::sethostname(&name),
            libc::SYS_setdomainname => rustix::system::setdomainname(&name),
            _ => return -libc::ENOSYS,
        };
        match r {
            Ok(()) => 0,
            Err(e) => -e.raw_os_error(),
        }
    }
}

/// Sends `fd` over the Unix socket `sock` (`SCM_RIGHTS`), with one byte.
pub(crate) fn send_fd(sock: impl AsFd, fd: impl AsFd) -> io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    sendmsg(
        sock,
        &[io::IoSlice::new(&[0])],
        &mut control,
        SendFlags::empty(),
    )?;
    Ok(())
}

/// Receives a descriptor from `sock` (close-on-exec); `None` when the
/// other end closed without sending one.
pub(crate) fn recv_fd(sock: impl AsFd) -> io::Result<Option<OwnedFd>> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let got = loop {
        let mut data = [io::IoSliceMut::new(&mut byte)];
        match recvmsg(&sock, &mut data, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Err(rustix::io::Errno::INTR) => continue,
            r => break r?,
        }
    };
    if got.bytes == 0 {
        return Ok(None);
    }
    let fd = control.drain().find_map(|m| match m {
        RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
        _ => None,
    });
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_notifies_only_the_two_calls() {
        let p = program();
        assert_eq!(p.len(), 8);
        let notify = p
            .iter()
            .filter(|i| i.k == libc::SECCOMP_RET_USER_NOTIF)
            .count();
        assert_eq!(notify, 1);
        // The jumps land inside the program.
        for (i, ins) in p.iter().enumerate() {
            if ins.code == (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16 {
                assert!(i + 1 + (ins.jt.max(ins.jf) as usize) < p.len());
            }
        }
    }
}
