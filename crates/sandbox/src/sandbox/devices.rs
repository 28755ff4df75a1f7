//! The container's `/dev`, as runc makes it: a fresh tmpfs with only
//! `null`, `zero`, `full`, `random`, `urandom` and `tty`, a new devpts
//! instance (`pts`, with `ptmx` pointing into it), `shm` and `mqueue`, and
//! the `fd`, `stdin`, `stdout`, `stderr` links. Nothing else of the host's
//! (no disks, no `/dev/mem`, no `/dev/kmsg`).
//!
//! As root the nodes are made with `mknod`; in a user namespace `mknod` is
//! not allowed, so the host's nodes are bind-mounted instead (as rootless
//! runc and podman do).

use std::io;
use std::path::Path;

use super::mounts::{bind, mount};

/// The device nodes: name, major, minor.
pub(crate) const NODES: [(&str, u32, u32); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// Makes the container's /dev at `dev` (a directory of its root).
/// `user_ns`: bind the host's nodes instead of making them.
/// `tty_gid`: the group of pseudo-terminals (`tty`, 5) when it is mapped.
pub(crate) fn populate(dev: &Path, user_ns: bool, tty_gid: Option<u32>) -> io::Result<()> {
    mount(
        Path::new("tmpfs"),
        dev,
        Some("tmpfs"),
        libc::MS_NOSUID,
        Some("mode=755,size=65536k"),
    )?;
    for (name, major, minor) in NODES {
        let p = dev.join(name);
        if user_ns {
            std::fs::File::create(&p)?;
            bind(&Path::new("/dev").join(name), &p)?;
        } else {
            mknod(&p, major, minor)?;
        }
    }
    let pts = dev.join("pts");
    std::fs::create_dir(&pts)?;
    let mut opts = "newinstance,ptmxmode=0666,mode=0620".to_string();
    if let Some(g) = tty_gid {
        opts.push_str(&format!(",gid={g}"));
    }
    mount(
        Path::new("devpts"),
        &pts,
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some(&opts),
    )?;
    std::os::unix::fs::symlink("pts/ptmx", dev.join("ptmx"))?;
    let shm = dev.join("shm");
    std::fs::create_dir(&shm)?;
    mount(
        Path::new("shm"),
        &shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        Some("mode=1777,size=65536k"),
    )?;
    let mq = dev.join("mqueue");
    std::fs::create_dir(&mq)?;
    mount(
        Path::new("mqueue"),
        &mq,
        Some("mqueue"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )?;
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(link))?;
    }
    Ok(())
}

fn mknod(p: &Path, major: u32, minor: u32) -> io::Result<()> {
    use rustix::fs::{CWD, FileType, Mode, chmod, makedev, mknodat};
    let rw = Mode::from_raw_mode(0o666);
    // The mode is set again past the umask.
    mknodat(CWD, p, FileType::CharacterDevice, rw, makedev(major, minor))
        .and_then(|()| chmod(p, rw))
        .map_err(super::failed(format!(
            "making the device node {}",
            p.display()
        )))
}
