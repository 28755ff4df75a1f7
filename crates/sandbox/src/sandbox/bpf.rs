//! Classic BPF programs for seccomp: the two instruction shapes the
//! hostname filter is written in ([`super::sethostname`]), seccompiler's
//! compiled filters as the kernel's instructions ([`super::seccomp`]), and
//! the one `seccomp(SECCOMP_SET_MODE_FILTER)` call that installs either,
//! without `no_new_privs` (allowed while the thread holds `CAP_SYS_ADMIN`).
//!
//! rustix has no seccomp call, so the install stays a `libc::syscall`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// A program: the kernel's instructions.
pub(crate) type Program = Vec<libc::sock_filter>;

/// An instruction without a jump.
pub(crate) const fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

/// A jump by `jt` when the accumulator equals `k`, else by `jf`.
pub(crate) const fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

/// seccompiler's compiled filter as the kernel's instructions.
pub(crate) fn from_seccompiler(p: &seccompiler::BpfProgram) -> Program {
    p.iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

/// Installs `prog` on the calling thread; `what` names it in the error.
pub(crate) fn install(prog: &[libc::sock_filter], what: &str) -> io::Result<()> {
    set_mode_filter(prog, 0, what).map(|_| ())
}

/// Installs `prog` on the calling thread with a user-notification
/// listener (`SECCOMP_FILTER_FLAG_NEW_LISTENER`, Linux 5.0), and returns
/// the listener.
pub(crate) fn install_listening(prog: &[libc::sock_filter], what: &str) -> io::Result<OwnedFd> {
    let flags = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as libc::c_ulong;
    let fd = set_mode_filter(prog, flags, what)?;
    // SAFETY: a new descriptor the kernel gave us (close-on-exec), owned
    // by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn set_mode_filter(
    prog: &[libc::sock_filter],
    flags: libc::c_ulong,
    what: &str,
) -> io::Result<libc::c_long> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: the kernel only reads the program, and copies it; `prog`
    // outlives the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &fprog as *const libc::sock_fprog,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("installing {what}: {e}")));
    }
    Ok(r)
}
