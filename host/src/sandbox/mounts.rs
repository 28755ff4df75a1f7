//! The container's filesystem, assembled in its private mount namespace:
//! the overlay root, /build/source, /home/zerops, /tmp, /dev, /sys; /proc
//! comes later, from the container's init (it must be in the new PID
//! namespace).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::Spec;

fn c(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
}

/// `mount(2)`, with the error naming what was mounted where.
pub fn mount(
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

fn bind(src: &Path, target: &Path) -> io::Result<()> {
    mount(src, target, None, libc::MS_BIND | libc::MS_REC, None)
}

fn overlay(
    lower: &Path,
    upper: &Path,
    work: &Path,
    target: &Path,
    userxattr: bool,
) -> io::Result<()> {
    std::fs::create_dir_all(upper)?;
    std::fs::create_dir_all(work)?;
    // Commas and colons would split the option string.
    for p in [lower, upper, work] {
        let b = p.as_os_str().as_bytes();
        if b.contains(&b',') || b.contains(&b':') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: overlay paths cannot hold ',' or ':'", p.display()),
            ));
        }
    }
    let mut opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    if userxattr {
        opts.push_str(",userxattr");
    }
    mount(
        Path::new("overlay"),
        target,
        Some("overlay"),
        0,
        Some(&opts),
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
    let Some(build_upper) = &spec.build_upper else {
        return overlay(
            lower,
            upper,
            &spec.ovl_work.join(name),
            target,
            spec.userxattr,
        );
    };
    let base = base_root(spec).join(name);
    std::fs::create_dir_all(&base)?;
    overlay(
        lower,
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
        &base,
        &up,
        &build_work(spec).join(name),
        target,
        spec.userxattr,
    )
}

/// Directories of the image that the container mounts itself.
const SPECIAL: &[&str] = &["proc", "sys", "dev", "tmp", "build"];

/// Builds the container's root at `spec.root`.
pub fn assemble(spec: &Spec) -> io::Result<()> {
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
    bind(Path::new("/dev"), &root.join("dev"))?;
    bind(Path::new("/sys"), &root.join("sys"))?;
    // Read-only /sys at its top (best effort: the kernel may refuse it for
    // a locked mount, and then it stays as the host has it).
    let _ = mount(
        Path::new("none"),
        &root.join("sys"),
        None,
        libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
        None,
    );
    bind(&spec.tmp, &root.join("tmp"))?;
    Ok(())
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
                    &up,
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

/// Mounts the container's /proc; called by its init, in the new PID namespace.
pub fn proc(root: &Path) -> io::Result<()> {
    mount(
        Path::new("proc"),
        &root.join("proc"),
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )
}
