//! The build container: every build command runs in Linux namespaces that
//! zerops-cache makes itself (no daemon), as on Zerops, with the isolation
//! of runc/Docker's defaults:
//!
//! - a private mount namespace whose root is an overlay: the lower layer is
//!   the OS image (the host's own `/`, read-only, or `--rootfs`), the upper
//!   layer is the store's base layer (`base/upper`); the root is entered
//!   with `pivot_root` and the host's mount tree detached;
//! - `/build/source` is the workspace (a bind mount), `/home/zerops` is HOME
//!   (in the overlay, so in the base layer), `/tmp` a per-build directory of
//!   the store, `/proc` of the container's own PID namespace (runc's paths
//!   read-only or masked), a fresh `/dev` ([`devices`]), the host's `/sys`
//!   read-only throughout;
//! - PID, UTS (hostname: the setup's name; `hostname x` answered by the
//!   init, [`sethostname`]), IPC and cgroup namespaces, a network namespace
//!   with only loopback for `--network none` or connected by pasta for
//!   `--network private` ([`pasta`]), and a user namespace when not run as
//!   root: the invoking user is root in it, and its subordinate ids
//!   ([`subids`]) are container ids 1..N;
//! - Docker's default capabilities ([`privileges`]) and seccomp filter
//!   ([`seccomp`]).
//!
//! What commands share is kept by two holder processes per build
//! ([`holder`]): the pod (user, UTS, IPC, cgroup, network namespaces) and
//! the root (the assembled mounts of the current layout). Each command is
//! one run of the hidden subcommand `__sandbox-init` ([`init`]) with a
//! [`spec::Spec`], which joins them. All die with zerops-cache
//! (`PR_SET_PDEATHSIG`), and the kernel drops the mounts with them, so a
//! `kill -9` leaves nothing mounted on the host.

mod bpf;
pub(crate) mod devices;
pub mod env;
pub mod filecaps;
pub(crate) mod holder;
pub mod init;
pub mod merge_upper;
pub mod mounts;
pub mod namespaces;
pub mod pasta;
pub(crate) mod privileges;
pub mod rootfs;
pub(crate) mod seccomp;
pub(crate) mod sethostname;
pub(crate) mod spec;
pub(crate) mod subids;
pub(crate) mod unpack;
pub mod userns;

use anyhow::{Context, Result};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub(crate) use spec::Spec;

/// A failed system call as an error naming `what` it was doing.
pub(crate) fn failed(
    what: impl std::fmt::Display,
) -> impl FnOnce(rustix::io::Errno) -> std::io::Error {
    move |e| std::io::Error::new(std::io::Error::from(e).kind(), format!("{what}: {e}"))
}

/// `--isolation`: where build commands run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Isolation {
    /// In a container zerops-cache makes (mount, PID, UTS, IPC, cgroup and,
    /// when not root, user namespaces; Docker's default capabilities and
    /// seccomp filter) over an OS image, as on Zerops.
    #[default]
    Container,
    /// On the host, as the invoking user, with its environment and HOME
    /// pointed into the store (no isolation; see the README for what differs).
    None,
}

impl Isolation {
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Container => "container",
            Isolation::None => "none",
        }
    }
}

/// `--pull`, with podman's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PullPolicy {
    /// Pull only when the image is not in the image store.
    #[default]
    Missing,
    /// Ask the registry every time (a moved tag is pulled).
    Always,
    /// Never contact a registry; an image not pulled is an error.
    Never,
}

/// Options of the commands that run, or predict, a build.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Where build commands run: `container` (default) or `none` (on the host).
    #[arg(long, value_enum, default_value_t)]
    pub isolation: Isolation,
    /// The container's OS image: a root filesystem directory, or a tar of one
    /// (as `docker export` writes). Default: the host's own root, read-only.
    #[arg(long, value_name = "PATH", env = "ZEROPS_CACHE_ROOTFS")]
    pub rootfs: Option<PathBuf>,
    /// The build image for this build, overriding the table and the
    /// override files: an OCI reference (`node:22-alpine`,
    /// `127.0.0.1:5000/img@sha256:…`), or `host` for this machine's own root.
    #[arg(long, value_name = "REF", env = "ZEROPS_CACHE_IMAGE")]
    pub image: Option<String>,
    /// Whether `image` came from `ZEROPS_CACHE_IMAGE`, not `--image` (the
    /// binary sets it from clap's value source), so that what a command
    /// says about the image names where it was chosen.
    #[arg(skip)]
    pub image_from_env: bool,
    /// When to pull the image: `missing` (default: when not in the image
    /// store), `always` (ask the registry; a moved tag is pulled), `never`.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub pull: PullPolicy,
}

/// `--network`: the build container's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Network {
    /// The host's network (builds download).
    #[default]
    Host,
    /// A network namespace of its own with only loopback up.
    None,
    /// A network namespace of its own with outbound access through `pasta`
    /// (package passt); the host's 127.0.0.1 is not reachable.
    Private,
}

/// Options of `build` only.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The build container's network: `host` (default; builds download),
    /// `none` (a network namespace of its own with only loopback), or
    /// `private` (a network namespace of its own with outbound access
    /// through `pasta`; the host's 127.0.0.1 is out of reach).
    #[arg(long, value_enum, default_value_t)]
    pub network: Network,
    /// An environment variable for the build commands: `NAME=VALUE`, or
    /// `NAME` to pass the host's value. Repeatable; wins over envVariables.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,
    /// The time limit of the whole build (as Zerops' 60 minutes): e.g.
    /// `90s`, `20m`, `2h`, or seconds.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// Parses `90`, `90s`, `20m`, `2h`.
pub(crate) fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 90s, 20m, 2h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{s}`: the unit must be s, m or h")),
    };
    if secs == 0 {
        return Err("the timeout must be more than 0".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// The store directories the container uses (see store::layout).
pub struct StorePaths {
    /// The overlay's upper directory: the base layer.
    pub upper: PathBuf,
    /// Scratch of the container: overlay work dirs, mount point, /tmp,
    /// an unpacked tar image. Emptied at the start of each build.
    pub run: PathBuf,
}

/// A container ready to run commands in.
pub struct Sandbox {
    base: Spec,
    /// The build's pod: its user, UTS, IPC, cgroup (and network)
    /// namespaces, which every command joins ([`holder`]).
    pod: RefCell<Option<holder::Holder>>,
    /// The filesystem of the current layout, assembled once.
    root: RefCell<Option<holder::Holder>>,
    /// With `--network private`: what connects the pod's network.
    pasta: RefCell<Option<pasta::Pasta>>,
    network: Network,
    deadline: Instant,
    /// Set once buildCommands start: their own upper directory (see
    /// [`Spec::build_upper`]).
    build_upper: std::cell::OnceCell<PathBuf>,
}

/// Why buildCommands cannot have a layer of their own here.
#[derive(Debug)]
pub struct NotLayered(pub String);

impl Sandbox {
    /// Prepares the container of one build: the image resolved, the
    /// scratch directories made. `source` is the workspace on the host.
    pub fn new(
        image: &rootfs::Image,
        paths: &StorePaths,
        source: &Path,
        env: Vec<(String, String)>,
        deadline: Instant,
        setup: &str,
        network: Network,
    ) -> Result<Sandbox> {
        let user_ns = !namespaces::is_root();
        let run = &paths.run;
        for d in ["ovl", "root", "tmp"] {
            std::fs::create_dir_all(run.join(d))
                .with_context(|| format!("creating {}", run.join(d).display()))?;
        }
        set_mode(&run.join("tmp"), 0o1777)?;
        std::fs::create_dir_all(&paths.upper)?;
        let per_dir = user_ns && image.is_host_root();
        let ids = if user_ns {
            subids::mapped().cloned()
        } else {
            None
        };
        Ok(Sandbox {
            pod: RefCell::new(None),
            root: RefCell::new(None),
            pasta: RefCell::new(None),
            network,
            base: Spec {
                lower: image.lower().to_path_buf(),
                lowers: image.lowers(),
                per_dir,
                userxattr: user_ns,
                user_ns,
                pod: None,
                root_holder: None,
                ids,
                uid: namespaces::uid(),
                gid: namespaces::gid(),
                upper: paths.upper.clone(),
                ovl_work: run.join("ovl"),
                root: run.join("root"),
                tmp: run.join("tmp"),
                source: source.to_path_buf(),
                cwd: String::new(),
                command: String::new(),
                env,
                timeout_ms: None,
                parent: std::process::id(),
                build_upper: None,
                hostname: hostname(setup),
                private_net: network != Network::Host,
                resolv_conf: (network == Network::Private)
                    .then(|| pasta::resolv_conf(run))
                    .transpose()?,
                timing: std::env::var_os("ZEROPS_CACHE_SANDBOX_TIMING").is_some(),
            },
            deadline,
            build_upper: std::cell::OnceCell::new(),
        })
    }

    /// Why a command that failed on an unmapped id (rootless without
    /// subordinate ids) or on a permission was bound to, and what to do.
    /// The files of the host's own root belong to the host's root,
    /// which a user namespace of an unprivileged user does not map, so
    /// package managers and writes below `/usr` fail there. `None` when
    /// this container is not that case or the failure was not a
    /// permission's.
    pub fn permission_hint(&self, e: &anyhow::Error) -> Option<String> {
        const SIGNS: &[&str] = &[
            "Permission denied",
            "Operation not permitted",
            "Value too large for defined data type",
            "are you root",
        ];
        // What fails on an id the user namespace does not map: apt's drop
        // to `_apt`, su/setpriv, chown to another user (EINVAL).
        const UNMAPPED: &[&str] = &[
            "setgroups",
            "seteuid",
            "setegid",
            "setuid",
            "setgid",
            "setresuid",
            "setresgid",
            "Invalid argument",
        ];
        let failed = e.downcast_ref::<zerops_cache_base::runner::CommandFailed>()?;
        let seen = |signs: &[&str]| {
            failed
                .tail
                .iter()
                .any(|l| signs.iter().any(|s| l.contains(s)))
        };
        if self.base.user_ns && self.base.ids.is_none() && seen(UNMAPPED) {
            return Some(init::UNMAPPED_NOTE.to_string());
        }
        if !self.base.per_dir {
            return None;
        }
        seen(SIGNS).then(|| {
            "note: this build runs as an unprivileged user over the host's own root: \
                 the image's files belong to the host's root, which the container cannot \
                 map, so installing packages or writing below /usr fails there. \
                 Run zerops-cache as root, or give the build an image of its own \
                 (--rootfs with a root filesystem you unpacked)"
                .to_string()
        })
    }

    /// Whether the overlays use `userxattr` (a user namespace).
    pub fn userxattr(&self) -> bool {
        self.base.userxattr
    }

    /// From now on, commands write an upper directory of their own
    /// (`upper`, made here) over the base layer, which they see but do not
    /// change. Probed first: where overlays cannot be stacked (e.g. a store
    /// on an overlay filesystem), the commands keep writing the base layer
    /// itself, and the error says why.
    pub fn layer_build(&self, upper: &Path) -> Result<(), NotLayered> {
        std::fs::create_dir_all(upper)
            .map_err(|e| NotLayered(format!("creating {}: {e}", upper.display())))?;
        let mut spec = self.base.clone();
        spec.build_upper = Some(upper.to_path_buf());
        // The base layer is the upper directory of the current root: that
        // overlay goes first (two mounts must not share an upper directory).
        drop(self.root.take());
        let tried = self.started(&spec).and_then(|s| self.run_true(s));
        if let Err(why) = tried {
            // The next command mounts the base layer's layout again.
            drop(self.root.take());
            return Err(NotLayered(why));
        }
        let _ = self.build_upper.set(upper.to_path_buf());
        Ok(())
    }

    /// `spec` with the pids of the build's pod and of the root holder of
    /// `spec`'s layout, each started when not running yet.
    fn started(&self, spec: &Spec) -> Result<Spec, String> {
        let mut spec = spec.clone();
        let mut pod = self.pod.borrow_mut();
        if pod.is_none() {
            let p = holder::Holder::start(holder::Kind::Pod, &spec)?;
            if self.network == Network::Private {
                let log = self.base.tmp.with_file_name("pasta.log");
                *self.pasta.borrow_mut() = Some(pasta::Pasta::start(p.pid(), spec.user_ns, &log)?);
            }
            *pod = Some(p);
        }
        spec.pod = pod.as_ref().map(|h| h.pid());
        let mut root = self.root.borrow_mut();
        if root.is_none() {
            *root = Some(holder::Holder::start(holder::Kind::Root, &spec)?);
        }
        spec.root_holder = root.as_ref().map(|h| h.pid());
        Ok(spec)
    }

    /// Ends the build's holders: the container's mounts are gone when this
    /// returns (before the store merges or rolls back the layers). Commands
    /// after it would start them again.
    pub fn release(&self) {
        drop(self.root.take());
        drop(self.pasta.take());
        drop(self.pod.take());
    }

    /// The process that runs `cmd` with `sh -c` in the container, in `cwd`
    /// (a path inside the container). Fails when the time limit is spent.
    pub fn command(&self, cmd: &str, cwd: &str) -> Result<std::process::Command> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(zerops_cache_base::exit::Exit::BuildFailed.error(format!(
                "the build's time limit (--timeout) was reached before `{cmd}` could start"
            )));
        }
        let mut spec = self.base.clone();
        spec.build_upper = self.build_upper.get().cloned();
        let mut spec = self.started(&spec).map_err(|why| {
            zerops_cache_base::exit::Exit::Unsupported
                .error(format!("cannot create the build container: {why}"))
        })?;
        spec.command = cmd.to_string();
        spec.cwd = cwd.to_string();
        spec.timeout_ms = Some(left.as_millis().max(1) as u64);
        let exe = std::env::current_exe().context("finding the zerops-cache executable")?;
        let mut c = std::process::Command::new(exe);
        c.arg(init::SUBCOMMAND)
            .arg(serde_json::to_string(&spec)?)
            .env_clear();
        Ok(c)
    }

    /// Runs `true` in the container: a build refuses to start where no
    /// container can be made, with the cause and the opt-out.
    /// The filesystem's holder ends with the probe: the store resets the
    /// base layer after it, and the commands must mount the new one.
    pub fn probe(&self) -> Result<()> {
        let tried = self.started(&self.base).and_then(|s| self.run_true(s));
        drop(self.root.take());
        match tried {
            Ok(()) => Ok(()),
            Err(why) => Err(zerops_cache_base::exit::Exit::Unsupported.error(format!(
                "cannot create the build container: {why}\n\
                 (the build needs mount, PID, UTS, IPC and cgroup namespaces, a network namespace with --network none or private, \
                 seccomp, and a user namespace when not run as root; \
                 to run the commands on the host instead, without isolation, pass --isolation none)"
            ))),
        }
    }

    /// Runs `true` in a container made from `spec`; the container's error
    /// when it cannot be made.
    fn run_true(&self, mut spec: Spec) -> Result<(), String> {
        spec.command = "true".into();
        spec.cwd = "/".into();
        spec.timeout_ms = Some(60_000);
        let exe = std::env::current_exe().map_err(|e| format!("finding zerops-cache: {e}"))?;
        let json = serde_json::to_string(&spec).map_err(|e| e.to_string())?;
        let out = std::process::Command::new(exe)
            .arg(init::SUBCOMMAND)
            .arg(json)
            .env_clear()
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("starting the build container: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let why = String::from_utf8_lossy(&out.stderr);
        Err(why
            .trim()
            .trim_start_matches("zerops-cache sandbox: ")
            .to_string())
    }
}

/// The container's hostname: the setup's name, as a Zerops build container
/// is named after its service (setups are named after services), made a
/// valid host name label (lowercase letters, digits and `-`, at most 63);
/// `zerops-build` when nothing of it is left.
pub(crate) fn hostname(setup: &str) -> String {
    let mut h: String = setup
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect();
    h.truncate(63);
    let h = h.trim_matches('-');
    if h.is_empty() {
        "zerops-build".into()
    } else {
        h.to_string()
    }
}

fn set_mode(p: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", p.display()))
}

/// Removes a scratch tree the container left; overlay work directories are
/// made mode 000 by the kernel, so every directory is opened up first.
pub fn clear_scratch(p: &Path) -> Result<()> {
    fn open_up(p: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(md) = std::fs::symlink_metadata(p) else {
            return;
        };
        if md.is_dir() {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    open_up(&e.path());
                }
            }
        }
    }
    if std::fs::symlink_metadata(p).is_err() {
        return Ok(());
    }
    open_up(p);
    match std::fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        // Files of subordinate ids (a rootless build's or image's): only
        // their user namespace may remove them.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => match subids::mapped() {
            Some(ids) => userns::spawn_task(
                ids,
                userns::Task::Remove {
                    path: p.to_path_buf(),
                },
            )
            .map(drop)
            .with_context(|| format!("removing {}", p.display())),
            None => Err(e).with_context(|| format!("removing {}", p.display())),
        },
        Err(e) => Err(e).with_context(|| format!("removing {}", p.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::hostname;

    #[test]
    fn the_hostname_is_the_setup_made_a_valid_label() {
        assert_eq!(hostname("app"), "app");
        assert_eq!(hostname("API_v2.Backend"), "api-v2-backend");
        assert_eq!(hostname("--"), "zerops-build");
        assert_eq!(hostname(""), "zerops-build");
        assert_eq!(hostname(&"x".repeat(80)).len(), 63);
        assert_eq!(hostname(&format!("{}-y", "x".repeat(62))), "x".repeat(62));
    }
}
