//! What one container run needs, passed from zerops-cache to its
//! `__sandbox-init` as JSON on the command line.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Spec {
    /// The OS image: the overlay's lower directory.
    pub(crate) lower: PathBuf,
    /// A pulled image's layers, top first: the overlay's lower directories
    /// instead of `lower` (empty otherwise).
    #[serde(default)]
    pub(crate) lowers: Vec<PathBuf>,
    /// One overlay per top-level directory of the image instead of one over
    /// the whole image (an unprivileged user cannot overlay the host's `/`,
    /// whose submounts are locked in a user namespace).
    pub(crate) per_dir: bool,
    /// Overlay option `userxattr` (needed in a user namespace): opaque
    /// directories are marked `user.overlay.opaque`, not `trusted.…`.
    pub(crate) userxattr: bool,
    /// Make a user namespace mapping `uid`/`gid` to root.
    pub(crate) user_ns: bool,
    /// With `user_ns`: the subordinate ids mapped too (by newuidmap and
    /// newgidmap); `None`: only `uid`/`gid`.
    #[serde(default)]
    pub(crate) ids: Option<super::subids::IdMap>,
    /// The build's pod process ([`super::holder`]), whose user, UTS, IPC,
    /// cgroup (and with `private_net` network) namespaces a command joins.
    #[serde(default)]
    pub(crate) pod: Option<u32>,
    /// The root holder of the current layout, whose mount namespace holds
    /// the assembled filesystem that a command copies.
    #[serde(default)]
    pub(crate) root_holder: Option<u32>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// The base layer.
    pub(crate) upper: PathBuf,
    /// For buildCommands: an upper directory of their own, over the base
    /// layer (which is then a lower layer, mounted read-only at
    /// `base_root`), merged into the base layer only after a successful
    /// build. `None` for prepareCommands, which write the base layer.
    #[serde(default)]
    pub(crate) build_upper: Option<PathBuf>,
    /// Overlay work directories (same filesystem as `upper`).
    pub(crate) ovl_work: PathBuf,
    /// The mount point of the container's root.
    pub(crate) root: PathBuf,
    /// The container's /tmp.
    pub(crate) tmp: PathBuf,
    /// The workspace, mounted at /build/source.
    pub(crate) source: PathBuf,
    /// The working directory inside the container.
    pub(crate) cwd: String,
    /// Run with `/bin/sh -c`.
    pub(crate) command: String,
    /// The whole environment of the command.
    pub(crate) env: Vec<(String, String)>,
    /// Kill everything after this long.
    pub(crate) timeout_ms: Option<u64>,
    /// The pid of zerops-cache: the container dies with it.
    pub(crate) parent: u32,
    /// The container's hostname, in its own UTS namespace.
    pub(crate) hostname: String,
    /// A network namespace of its own (`--network none`: only loopback;
    /// `private`: connected by pasta).
    pub(crate) private_net: bool,
    /// A file mounted over the container's /etc/resolv.conf
    /// (`--network private`: pasta's DNS forwarder).
    #[serde(default)]
    pub(crate) resolv_conf: Option<PathBuf>,
    /// Print the time of each setup step (`ZEROPS_CACHE_SANDBOX_TIMING`).
    #[serde(default)]
    pub(crate) timing: bool,
}
