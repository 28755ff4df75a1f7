//! The build's capabilities: Docker's default list, in the bounding,
//! effective, permitted and inheritable sets; the ambient set cleared. The
//! same as root and rootless (there, capabilities over the container's user
//! namespace only).
//!
//! `no_new_privs` is *not* set, as Docker does not by default: setuid
//! programs (`sudo`, `su`, apt's drop to `_apt` and back) keep working, and
//! they can gain no more than the bounding set allows.

use caps::{CapSet, Capability};
use std::io;

/// Docker's (and containerd's) default capabilities.
pub(crate) const DEFAULT: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FOWNER,
    Capability::CAP_FSETID,
    Capability::CAP_KILL,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_NET_RAW,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_MKNOD,
    Capability::CAP_AUDIT_WRITE,
    Capability::CAP_SETFCAP,
];

/// The default list as a bit mask (bit N = capability N), as
/// `/proc/PID/status` prints it.
pub(crate) fn default_mask() -> u64 {
    DEFAULT.iter().map(|c| c.bitmask()).fold(0, |a, b| a | b)
}

fn err(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

/// Drops every capability outside [`DEFAULT`] from the bounding set, up to
/// the kernel's last (also those newer than this program knows).
/// Needs `CAP_SETPCAP`; call it before [`limit`].
pub(crate) fn drop_bounding() -> io::Result<()> {
    let keep = default_mask();
    for cap in 0..64u32 {
        if keep & (1 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl with plain integer arguments.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) } == -1 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINVAL) {
                break; // past the kernel's last capability
            }
            return Err(err(&format!("dropping capability {cap}"), e));
        }
    }
    Ok(())
}

/// Limits the effective, permitted and inheritable sets to [`DEFAULT`]
/// (in that order: effective must stay within permitted) and clears the
/// ambient set. After `execve`, root's sets are the bounding set's.
pub(crate) fn limit() -> io::Result<()> {
    let keep: caps::CapsHashSet = DEFAULT.iter().copied().collect();
    for set in [CapSet::Effective, CapSet::Permitted, CapSet::Inheritable] {
        caps::set(None, set, &keep).map_err(|e| err(&format!("limiting {set:?}"), e))?;
    }
    caps::clear(None, CapSet::Ambient).map_err(|e| err("clearing the ambient set", e))
}

/// Clears every capability set of the calling process (the pod's, which
/// only waits; [`super::namespaces::make_pod`]).
pub(crate) fn drop_all() -> io::Result<()> {
    for set in [
        CapSet::Ambient,
        CapSet::Effective,
        CapSet::Permitted,
        CapSet::Inheritable,
    ] {
        caps::clear(None, set).map_err(|e| err(&format!("clearing {set:?}"), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_is_dockers_list() {
        // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6,
        // SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10, NET_RAW 13,
        // SYS_CHROOT 18, MKNOD 27, AUDIT_WRITE 29, SETFCAP 31: as
        // `docker run --rm alpine grep CapEff /proc/self/status` prints.
        assert_eq!(default_mask(), 0x00000000a80425fb);
    }
}
