//! The build's seccomp filter, compiled with `seccompiler` (rust-vmm,
//! Firecracker's): the system calls that Docker's default profile leaves out
//! for a container with the default capabilities fail with `EPERM`.
//!
//! Docker's profile is an allow list; this one is the matching deny list
//! (every call Docker refuses for a default container, see [`DENIED`]), so a
//! system call newer than this list is allowed, not refused; capabilities
//! and namespaces still limit what it can do. As in Docker:
//! - `clone` with a namespace flag, `unshare` and `setns` are refused (no new
//!   user namespace, nor any other);
//! - `clone3` fails with `ENOSYS`, so the C library falls back to `clone`,
//!   whose flags the filter can read;
//! - `personality` only with the values Docker allows; no `AF_VSOCK` sockets;
//! - `mknod`/`mknodat` of a block device, or of a character device other
//!   than 0:0 (an overlay whiteout), is refused: Docker lets the device
//!   cgroup refuse to open them, and this container has no device cgroup;
//! - `ptrace`, `process_vm_readv`/`writev` are allowed (the kernel checks them
//!   since 4.8), so `strace` and debuggers work.
//!
//! The filter checks the architecture: a 32-bit (i386) system call kills
//! the process (seccompiler's rule), so 32-bit programs do not run; x32
//! numbers of the denied calls are denied too.
//!
//! It is installed without `no_new_privs` (see [`super::privileges`]), which
//! the kernel allows while the process holds `CAP_SYS_ADMIN`: so before the
//! capabilities are limited.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition,
    SeccompFilter, SeccompRule,
};
use std::collections::BTreeMap;
use std::io;

use super::bpf::{self, Program};

/// Refused outright (`EPERM`): kernel modules, reboot and kexec, mounts
/// and namespaces, swap, the clock, BPF and perf, the kernel keyring,
/// accounting, raw I/O ports, NUMA policy, handles to files by number,
/// userfaultfd, io_uring and the obsolete calls (on aarch64, less the calls
/// it never had).
pub(crate) const DENIED: &[(&str, libc::c_long)] = &[
    ("acct", libc::SYS_acct),
    ("add_key", libc::SYS_add_key),
    ("bpf", libc::SYS_bpf),
    ("clock_adjtime", libc::SYS_clock_adjtime),
    ("clock_settime", libc::SYS_clock_settime),
    ("delete_module", libc::SYS_delete_module),
    ("fanotify_init", libc::SYS_fanotify_init),
    ("finit_module", libc::SYS_finit_module),
    ("fsconfig", libc::SYS_fsconfig),
    ("fsmount", libc::SYS_fsmount),
    ("fsopen", libc::SYS_fsopen),
    ("fspick", libc::SYS_fspick),
    ("get_mempolicy", libc::SYS_get_mempolicy),
    ("init_module", libc::SYS_init_module),
    ("io_uring_enter", libc::SYS_io_uring_enter),
    ("io_uring_register", libc::SYS_io_uring_register),
    ("io_uring_setup", libc::SYS_io_uring_setup),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("ioperm", libc::SYS_ioperm),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("iopl", libc::SYS_iopl),
    ("kcmp", libc::SYS_kcmp),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("kexec_load", libc::SYS_kexec_load),
    ("keyctl", libc::SYS_keyctl),
    ("lookup_dcookie", libc::SYS_lookup_dcookie),
    ("mbind", libc::SYS_mbind),
    ("mount", libc::SYS_mount),
    ("mount_setattr", libc::SYS_mount_setattr),
    ("move_mount", libc::SYS_move_mount),
    ("move_pages", libc::SYS_move_pages),
    ("nfsservctl", libc::SYS_nfsservctl),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("open_tree", libc::SYS_open_tree),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("pivot_root", libc::SYS_pivot_root),
    ("quotactl", libc::SYS_quotactl),
    ("quotactl_fd", libc::SYS_quotactl_fd),
    ("reboot", libc::SYS_reboot),
    ("request_key", libc::SYS_request_key),
    ("set_mempolicy", libc::SYS_set_mempolicy),
    ("setns", libc::SYS_setns),
    ("settimeofday", libc::SYS_settimeofday),
    ("swapoff", libc::SYS_swapoff),
    ("swapon", libc::SYS_swapon),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("_sysctl", libc::SYS__sysctl),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("sysfs", libc::SYS_sysfs),
    ("syslog", libc::SYS_syslog),
    ("umount2", libc::SYS_umount2),
    ("unshare", libc::SYS_unshare),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("uselib", libc::SYS_uselib),
    ("userfaultfd", libc::SYS_userfaultfd),
    #[cfg(target_arch = "x86_64")] // not on aarch64
    ("ustat", libc::SYS_ustat),
    ("vhangup", libc::SYS_vhangup),
];

/// The namespace flags of `clone` (Docker's mask 0x7E020000).
const CLONE_NAMESPACES: [libc::c_int; 7] = [
    libc::CLONE_NEWNS,
    libc::CLONE_NEWCGROUP,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
];

/// The `personality` values Docker allows (Linux, UNAME26, ADDR_NO_RANDOMIZE
/// and the query 0xffffffff).
const PERSONALITIES: [u64; 5] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff];

const AF_VSOCK: u64 = 40;

#[cfg(target_arch = "x86_64")]
const ARCH: seccompiler::TargetArch = seccompiler::TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: seccompiler::TargetArch = seccompiler::TargetArch::aarch64;
/// The bit of x32 system call numbers (same architecture as x86_64).
#[cfg(target_arch = "x86_64")]
const X32: i64 = 0x4000_0000;
#[cfg(target_arch = "aarch64")]
const X32: i64 = 0;

fn bad(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("compiling the seccomp filter: {e}"))
}

fn cond(arg: u8, op: Op, value: u64) -> io::Result<SeccompCondition> {
    SeccompCondition::new(arg, Len::Dword, op, value).map_err(bad)
}

/// The two filters: `clone3` → `ENOSYS`, then the rest → `EPERM`.
pub(crate) fn filters() -> io::Result<Vec<Program>> {
    let mut deny: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let mut add = |nr: i64, rules: Vec<SeccompRule>| {
        deny.insert(nr, rules.clone());
        if X32 != 0 {
            deny.insert(nr | X32, rules);
        }
    };
    for (_, nr) in DENIED {
        add(*nr, vec![]);
    }
    let clone: Vec<SeccompRule> = CLONE_NAMESPACES
        .iter()
        .map(|f| {
            let f = *f as u64;
            SeccompRule::new(vec![cond(0, Op::MaskedEq(f), f)?]).map_err(bad)
        })
        .collect::<io::Result<_>>()?;
    add(libc::SYS_clone, clone);
    let personality = PERSONALITIES
        .iter()
        .map(|p| cond(0, Op::Ne, *p))
        .collect::<io::Result<Vec<_>>>()?;
    add(
        libc::SYS_personality,
        vec![SeccompRule::new(personality).map_err(bad)?],
    );
    let nodes = |mode: u8, dev: u8| -> io::Result<Vec<SeccompRule>> {
        let ifmt = libc::S_IFMT as u64;
        Ok(vec![
            SeccompRule::new(vec![cond(mode, Op::MaskedEq(ifmt), libc::S_IFBLK as u64)?])
                .map_err(bad)?,
            SeccompRule::new(vec![
                cond(mode, Op::MaskedEq(ifmt), libc::S_IFCHR as u64)?,
                cond(dev, Op::Ne, 0)?,
            ])
            .map_err(bad)?,
        ])
    };
    #[cfg(target_arch = "x86_64")]
    add(libc::SYS_mknod, nodes(1, 2)?);
    add(libc::SYS_mknodat, nodes(2, 3)?);
    add(
        libc::SYS_socket,
        vec![SeccompRule::new(vec![cond(0, Op::Eq, AF_VSOCK)?]).map_err(bad)?],
    );
    let eperm = SeccompFilter::new(
        deny,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        ARCH,
    )
    .map_err(bad)?;
    let mut c3 = BTreeMap::new();
    c3.insert(libc::SYS_clone3, vec![]);
    if X32 != 0 {
        c3.insert(libc::SYS_clone3 | X32, vec![]);
    }
    let enosys = SeccompFilter::new(
        c3,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        ARCH,
    )
    .map_err(bad)?;
    let compiled = |f: SeccompFilter| -> io::Result<Program> {
        let p: BpfProgram = f.try_into().map_err(bad)?;
        Ok(bpf::from_seccompiler(&p))
    };
    Ok(vec![compiled(enosys)?, compiled(eperm)?])
}

/// Installs `filters` on the calling thread, without `no_new_privs`
/// (seccompiler's own `apply_filter` sets it; see the module's note).
pub(crate) fn install(filters: &[Program]) -> io::Result<()> {
    for f in filters {
        bpf::install(f, "the seccomp filter")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_compile_for_this_machine() {
        let f = filters().unwrap();
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|p| !p.is_empty() && p.len() < 1024));
    }
}
