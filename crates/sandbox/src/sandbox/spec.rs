//! What one container run needs, passed from zerops-cache to its
//! `__sandbox-init` as JSON on the command line.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Spec {
    /// The OS image: the overlay's lower directory.
    pub lower: PathBuf,
    /// A pulled image's layers, top first: the overlay's lower directories
    /// instead of `lower` (empty otherwise).
    #[serde(default)]
    pub lowers: Vec<PathBuf>,
    /// One overlay per top-level directory of the image instead of one over
    /// the whole image (an unprivileged user cannot overlay the host's `/`,
    /// whose submounts are locked in a user namespace).
    pub per_dir: bool,
    /// Overlay option `userxattr` (needed in a user namespace): opaque
    /// directories are marked `user.overlay.opaque`, not `trusted.…`.
    pub userxattr: bool,
    /// Make a user namespace mapping `uid`/`gid` to root.
    pub user_ns: bool,
    /// With `user_ns`: the subordinate ids mapped too (by newuidmap and
    /// newgidmap); `None`: only `uid`/`gid`.
    #[serde(default)]
    pub ids: Option<super::subids::IdMap>,
    /// The build's pod process ([`super::holder`]), whose user, UTS, IPC,
    /// cgroup (and with `private_net` network) namespaces a command joins.
    #[serde(default)]
    pub pod: Option<u32>,
    /// The root holder of the current layout, whose mount namespace holds
    /// the assembled filesystem that a command copies.
    #[serde(default)]
    pub root_holder: Option<u32>,
    pub uid: u32,
    pub gid: u32,
    /// The base layer.
    pub upper: PathBuf,
    /// For buildCommands: an upper directory of their own, over the base
    /// layer (which is then a lower layer, mounted read-only at
    /// `base_root`), merged into the base layer only after a successful
    /// build. `None` for prepareCommands, which write the base layer.
    #[serde(default)]
    pub build_upper: Option<PathBuf>,
    /// Overlay work directories (same filesystem as `upper`).
    pub ovl_work: PathBuf,
    /// The mount point of the container's root.
    pub root: PathBuf,
    /// The container's /tmp.
    pub tmp: PathBuf,
    /// The workspace, mounted at /build/source.
    pub source: PathBuf,
    /// The working directory inside the container.
    pub cwd: String,
    /// Run with `/bin/sh -c`.
    pub command: String,
    /// The whole environment of the command.
    pub env: Vec<(String, String)>,
    /// Kill everything after this long.
    pub timeout_ms: Option<u64>,
    /// The pid of zerops-cache: the container dies with it.
    pub parent: u32,
    /// The container's hostname, in its own UTS namespace.
    pub hostname: String,
    /// A network namespace of its own (`--network none`: only loopback;
    /// `private`: connected by pasta).
    pub private_net: bool,
    /// A file mounted over the container's /etc/resolv.conf
    /// (`--network private`: pasta's DNS forwarder).
    #[serde(default)]
    pub resolv_conf: Option<PathBuf>,
    /// Print the time of each setup step (`ZEROPS_CACHE_SANDBOX_TIMING`).
    #[serde(default)]
    pub timing: bool,
}
