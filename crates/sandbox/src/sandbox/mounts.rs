//! The container's filesystem, assembled in its private mount namespace:
//! the overlay root, /build/source, /home/zerops, /tmp, a fresh /dev
//! ([`super::devices`]), the host's /sys read-only throughout; /proc comes
//! later, from the container's PID 1 (it must be in the new PID namespace),
//! with runc's read-only and masked paths, and then the root is pivoted
//! into the container and the host's mount tree detached.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Spec;

fn c(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
}

/// `mount(2)`, with the error naming what was mounted where.
pub(crate) fn mount(
    src: &Path,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let s = c(src)?;
    let t = c(target)?;
    let f = fstype.map(|f| CString::new(f).unwrap_or_default());
    let d = data.map(|d| CString::new(d).unwrap_or_default());
    // SAFETY: every pointer is a valid NUL-terminated string or null.
    let r = unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            f.as_ref().map_or(std::ptr::null(), |f| f.as_ptr()),
            flags,
            d.as_ref()
                .map_or(std::ptr::null(), |d| d.as_ptr() as *const libc::c_void),
        )
    };
    if r == -1 {
        let e = io::Error::last_os_error();
        let what = fstype.unwrap_or("bind");
        return Err(io::Error::new(
            e.kind(),
            format!(
                "mounting {what} {} on {}{}: {e}",
                src.display(),
                target.display(),
                data.map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn bind(src: &Path, target: &Path) -> io::Result<()> {
    mount(src, target, None, libc::MS_BIND | libc::MS_REC, None)
}

fn overlay(
    lower: &[&Path],
    upper: &Path,
    work: &Path,
    target: &Path,
    userxattr: bool,
) -> io::Result<()> {
    std::fs::create_dir_all(upper)?;
    std::fs::create_dir_all(work)?;
    // Commas and colons would split the option string.
    for p in lower.iter().copied().chain([upper, work]) {
        let b = p.as_os_str().as_bytes();
        if b.contains(&b',') || b.contains(&b':') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: overlay paths cannot hold ',' or ':'", p.display()),
            ));
        }
    }
    let lowers: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
    let mut opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lowers.join(":"),
        upper.display(),
        work.display()
    );
    if userxattr {
        opts.push_str(",userxattr");
    }
    // The kernel reads mount(2)'s options from one page: an image with
    // many layers names them one by one instead (`lowerdir+`).
    if opts.len() >= OPTIONS_MAX {
        return overlay_appended(lower, upper, work, target, userxattr);
    }
    // nodev: a device node of the image (or made by a build) opens nothing.
    mount(
        Path::new("overlay"),
        target,
        Some("overlay"),
        libc::MS_NODEV,
        Some(&opts),
    )
}

/// How long mount(2)'s option string may be (one page, its NUL included).
pub(crate) const OPTIONS_MAX: usize = 4096;

/// `=1`: flatten every image of several layers once, into one directory,
/// instead of stacking its layers (for a kernel, or a seccomp filter, that
/// refuses the new mount API).
pub(crate) const FLATTEN_ENV: &str = "ZEROPS_CACHE_FLATTEN_IMAGES";

/// How many lower directories overlayfs stacks (`OVL_MAX_STACK`).
const STACK_MAX: usize = 500;

/// Whether one overlay can stack `lowers` here: within mount(2)'s page
/// (with room for the upper and work directories), or named one by one
/// with `lowerdir+` (Linux 6.8 or later) up to overlayfs' own limit.
/// Otherwise the image is flattened once (`crate::image::flatten`).
pub fn can_stack(lowers: &[PathBuf]) -> bool {
    if lowers.len() <= 1 {
        return true;
    }
    if std::env::var_os(FLATTEN_ENV).is_some_and(|v| v == "1") {
        return false;
    }
    let bytes: usize = lowers.iter().map(|p| p.as_os_str().len() + 1).sum();
    if bytes + 1024 < OPTIONS_MAX {
        return true;
    }
    lowers.len() <= STACK_MAX && kernel_at_least((6, 8))
}

/// Whether the running kernel's release is `want` or later.
fn kernel_at_least(want: (u32, u32)) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    release_at_least(&release, want)
}

/// `6.18.44-fc-v1272` is at least (6, 8).
fn release_at_least(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let mut num = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (num(), num()) {
        (Some(major), Some(minor)) => (major, minor) >= want,
        _ => false,
    }
}

/// An overlay through the new mount API (`fsopen`, `fsconfig`, `fsmount`,
/// `move_mount`), each lower directory appended with `lowerdir+` (Linux
/// 6.8 or later): no page limits how many layers it names (overlayfs
/// stacks up to 500). An image the kernel cannot stack this way is
/// flattened before the container starts (`crate::image::flatten`).
fn overlay_appended(
    lower: &[&Path],
    upper: &Path,
    work: &Path,
    target: &Path,
    userxattr: bool,
) -> io::Result<()> {
    use rustix::mount::{
        FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, fsconfig_create,
        fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, move_mount,
    };
    let fs = fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)
        .map_err(|e| appended_error(None, "fsopen", e, lower.len(), target))?;
    let fail =
        |what: &str, e: rustix::io::Errno| appended_error(Some(&fs), what, e, lower.len(), target);
    for l in lower {
        fsconfig_set_string(&fs, "lowerdir+", *l)
            .map_err(|e| fail(&format!("lowerdir+ {}", l.display()), e))?;
    }
    fsconfig_set_string(&fs, "upperdir", upper).map_err(|e| fail("upperdir", e))?;
    fsconfig_set_string(&fs, "workdir", work).map_err(|e| fail("workdir", e))?;
    if userxattr {
        fsconfig_set_flag(&fs, "userxattr").map_err(|e| fail("userxattr", e))?;
    }
    fsconfig_create(&fs).map_err(|e| fail("creating it", e))?;
    // nodev, as for mount(2) above.
    let m = fsmount(
        &fs,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::MOUNT_ATTR_NODEV,
    )
    .map_err(|e| fail("fsmount", e))?;
    move_mount(
        &m,
        "",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(|e| fail("move_mount", e))
}

/// The error of [`overlay_appended`], with the kernel's own message (the
/// filesystem context's log) and the way out.
fn appended_error(
    fs: Option<&std::os::fd::OwnedFd>,
    what: &str,
    e: rustix::io::Errno,
    layers: usize,
    target: &Path,
) -> io::Error {
    let mut log = Vec::new();
    if let Some(fs) = fs {
        let mut buf = [0u8; 1024];
        while let Ok(n) = rustix::io::read(fs, &mut buf) {
            if n == 0 {
                break;
            }
            log.push(String::from_utf8_lossy(&buf[..n]).trim().to_string());
        }
    }
    let log = if log.is_empty() {
        String::new()
    } else {
        format!(" ({})", log.join("; "))
    };
    io::Error::new(
        io::Error::from(e).kind(),
        format!(
            "mounting the image's {layers} layers as an overlay on {} (lowerdir+ of the new \
             mount API, Linux 6.8 or later): {what}: {e}{log}; set {}=1 to flatten the image \
             once into one directory instead",
            target.display(),
            FLATTEN_ENV
        ),
    )
}

/// Where the base layer is mounted when buildCommands write an upper
/// directory of their own over it.
fn base_root(spec: &Spec) -> std::path::PathBuf {
    spec.root.with_file_name("base-root")
}

/// The overlay work directories of the build's own upper directory.
fn build_work(spec: &Spec) -> std::path::PathBuf {
    spec.ovl_work.with_file_name("ovl.build")
}

/// Mounts `lower` with the base layer's `upper` at `target` (`name` tells
/// the layers of one container apart). For buildCommands the base layer
/// is itself a lower layer: the image and the base layer are mounted at
/// `base-root/name`, and the build's own upper directory goes over it
/// (two stacked overlays: one overlay with both as lower layers is refused
/// when the base layer is inside the image, as it is in the host's `/`).
fn layered(spec: &Spec, lower: &Path, upper: &Path, name: &str, target: &Path) -> io::Result<()> {
    let layers: Vec<&Path> = if name == "root" && !spec.lowers.is_empty() {
        spec.lowers.iter().map(PathBuf::as_path).collect()
    } else {
        vec![lower]
    };
    let Some(build_upper) = &spec.build_upper else {
        return overlay(
            &layers,
            upper,
            &spec.ovl_work.join(name),
            target,
            spec.userxattr,
        );
    };
    let base = base_root(spec).join(name);
    std::fs::create_dir_all(&base)?;
    overlay(
        &layers,
        upper,
        &spec.ovl_work.join(name),
        &base,
        spec.userxattr,
    )?;
    let up = if name == "root" {
        build_upper.clone()
    } else {
        build_upper.join(name)
    };
    overlay(
        &[&base],
        &up,
        &build_work(spec).join(name),
        target,
        spec.userxattr,
    )
}

/// Directories of the image that the container mounts itself.
const SPECIAL: &[&str] = &["proc", "sys", "dev", "tmp", "build"];

/// Builds the container's root at `spec.root`.
/// `mark` is told when each part is done (the setup's timing).
pub(crate) fn assemble(spec: &Spec, mark: &mut dyn FnMut(&str)) -> io::Result<()> {
    // Nothing mounted here may reach the host.
    mount(
        Path::new("none"),
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    let root = &spec.root;
    if spec.per_dir {
        per_dir_root(spec)?;
    } else {
        layered(spec, &spec.lower, &spec.upper, "root", root)?;
    }
    mark("root");
    let source = root.join("build/source");
    std::fs::create_dir_all(&source)?;
    bind(&spec.source, &source)?;
    std::fs::create_dir_all(root.join("home/zerops"))?;
    for d in ["dev", "sys", "proc", "tmp"] {
        let p = root.join(d);
        if std::fs::symlink_metadata(&p).is_err() {
            std::fs::create_dir_all(&p)?;
        }
    }
    mark("binds");
    super::devices::populate(
        &root.join("dev"),
        spec.user_ns,
        (!spec.user_ns
            || spec
                .ids
                .as_ref()
                .is_some_and(|m| super::subids::size(&m.gids) > 5))
        .then_some(5),
    )?;
    mark("dev");
    let sys = root.join("sys");
    bind(Path::new("/sys"), &sys)?;
    for m in SYS_MASKED {
        mask(&sys.join(m))?;
    }
    read_only(&sys)?;
    mark("sys");
    bind(&spec.tmp, &root.join("tmp"))?;
    if let Some(rc) = &spec.resolv_conf {
        over_image_file(root, "etc/resolv.conf", rc)?;
    }
    Ok(())
}

/// Binds `file` over the image's file `rel`, the path resolved inside
/// `root` (`openat2` with `RESOLVE_IN_ROOT`: a symlink such as Ubuntu's
/// `/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf`, or an
/// absolute one, stays in the container's root). Nothing when the image has
/// no such file.
fn over_image_file(root: &Path, rel: &str, file: &Path) -> io::Result<()> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let dir = std::fs::File::open(root)?;
    let target = match rustix::fs::openat2(
        &dir,
        rel,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        Err(e) => {
            return Err(io::Error::new(
                io::Error::from(e).kind(),
                format!("opening /{rel} of the image: {e}"),
            ));
        }
    };
    use std::os::fd::AsRawFd;
    let via = PathBuf::from(format!("/proc/self/fd/{}", target.as_raw_fd()));
    if !std::fs::metadata(&via)?.is_file() {
        return Ok(());
    }
    mount(file, &via, None, libc::MS_BIND, None)
}

/// An unprivileged root: a tmpfs holding one overlay per top-level
/// directory of the image (each with its own part of the base layer at the
/// same path), the image's top-level links, and the base layer's own
/// top-level directories (e.g. /build, /home when the image has none).
fn per_dir_root(spec: &Spec) -> io::Result<()> {
    let root = &spec.root;
    mount(Path::new("tmpfs"), root, Some("tmpfs"), 0, Some("mode=755"))?;
    for e in std::fs::read_dir(&spec.lower)? {
        let e = e?;
        let name = e.file_name();
        let Some(n) = name.to_str() else { continue };
        let ft = e.file_type()?;
        let target = root.join(n);
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &target)?;
            continue;
        }
        if !ft.is_dir() {
            continue;
        }
        std::fs::create_dir(&target)?;
        if SPECIAL.contains(&n) {
            continue;
        }
        let r = layered(spec, &e.path(), &spec.upper.join(n), n, &target);
        if r.is_err() {
            // A directory with locked submounts cannot be overlaid as an
            // unprivileged user: it is seen read-only, as the host has it.
            bind(&e.path(), &target)?;
            let _ = mount(
                Path::new("none"),
                &target,
                None,
                libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_REC,
                None,
            );
        }
    }
    for n in ["build", "home"] {
        let target = root.join(n);
        let up = spec.upper.join(n);
        std::fs::create_dir_all(&up)?;
        if n == "build" || std::fs::symlink_metadata(&target).is_err() {
            std::fs::create_dir_all(&target)?;
            match &spec.build_upper {
                // buildCommands write their own layer here too.
                Some(b) => overlay(
                    &[&up],
                    &b.join(n),
                    &build_work(spec).join(n),
                    &target,
                    spec.userxattr,
                )?,
                None => bind(&up, &target)?,
            }
        }
    }
    Ok(())
}

/// Paths of /sys hidden from the container (as runc does).
const SYS_MASKED: &[&str] = &["firmware", "devices/virtual/powercap"];
/// Paths of /proc the container sees read-only (as runc does).
const PROC_READ_ONLY: &[&str] = &["bus", "fs", "irq", "sys", "sysrq-trigger"];
/// Paths of /proc hidden from the container (as runc does).
const PROC_MASKED: &[&str] = &[
    "acpi",
    "asound",
    "kcore",
    "keys",
    "latency_stats",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "scsi",
];

/// Makes the mount at `target` and every mount below it read-only
/// (`mount_setattr` with `AT_RECURSIVE`, Linux 5.12+): with a locked mount
/// tree in a user namespace a remount of each would have to repeat its
/// locked flags.
pub(crate) fn read_only(target: &Path) -> io::Result<()> {
    let t = c(target)?;
    // SAFETY: mount_attr is plain integers; all zeros is its empty value.
    let mut attr: libc::mount_attr = unsafe { std::mem::zeroed() };
    attr.attr_set = libc::MOUNT_ATTR_RDONLY;
    // SAFETY: a valid path and a mount_attr of the size passed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::AT_RECURSIVE as libc::c_uint,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    };
    if r == -1 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!(
                "making {} read-only (mount_setattr, Linux 5.12 or later): {e}",
                target.display()
            ),
        ));
    }
    Ok(())
}

/// Hides `p`: an empty read-only tmpfs over a directory, the host's
/// `/dev/null` over a file; nothing when it does not exist.
fn mask(p: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(p) {
        Ok(md) if md.is_dir() => mount(
            Path::new("tmpfs"),
            p,
            Some("tmpfs"),
            libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            Some("size=0"),
        ),
        Ok(_) => mount(Path::new("/dev/null"), p, None, libc::MS_BIND, None),
        Err(_) => Ok(()),
    }
}

/// Mounts the container's /proc, with runc's read-only and masked paths;
/// called by its PID 1, in the new PID namespace, before [`pivot`].
pub(crate) fn proc(root: &Path) -> io::Result<()> {
    let p = root.join("proc");
    mount(
        Path::new("proc"),
        &p,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )?;
    for r in PROC_READ_ONLY {
        let t = p.join(r);
        if std::fs::symlink_metadata(&t).is_ok() {
            mount(&t, &t, None, libc::MS_BIND | libc::MS_REC, None)?;
            read_only(&t)?;
        }
    }
    for m in PROC_MASKED {
        mask(&p.join(m))?;
    }
    Ok(())
}

/// Makes `root` the root of the mount namespace and detaches the host's
/// mount tree (`pivot_root`, then a lazy unmount of the old root, as runc
/// does): unlike a `chroot`, which a process holding `CAP_SYS_CHROOT` can
/// leave, nothing of the host's tree is left to escape to.
pub(crate) fn pivot(root: &Path) -> io::Result<()> {
    use super::failed;
    rustix::process::chdir(root).map_err(failed("entering the container's root"))?;
    rustix::process::pivot_root(".", ".")
        .map_err(failed("pivot_root into the container's root"))?;
    rustix::mount::unmount(".", rustix::mount::UnmountFlags::DETACH)
        .map_err(failed("detaching the host's mount tree"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kernel_releases_compare_by_major_and_minor() {
        for (r, want) in [
            ("6.18.44-fc-v1272\n", true),
            ("6.8.0-31-generic", true),
            ("6.7.12", false),
            ("5.15.0-105-generic", false),
            ("7.0", true),
            ("garbage", false),
        ] {
            assert_eq!(super::release_at_least(r, (6, 8)), want, "{r}");
        }
    }
}
