//! The build's long-lived parts of the container, each kept by a process
//! that waits (podman's pause-process design), so that a command only joins
//! them:
//!
//! - the **pod**: the user namespace (the user as root, with its
//!   subordinate ids when it has them), the UTS namespace (the hostname,
//!   kept from one command to the next as in one container), IPC, cgroup
//!   and, with `--network none`, the network namespace. One per build.
//! - the **root**: a mount namespace of the pod holding the container's
//!   assembled filesystem (the overlay root, binds, /dev, /sys). One per
//!   layout: prepareCommands write the base layer, buildCommands a layer of
//!   their own over it ([`super::Sandbox::layer_build`] starts a new one).
//!   Each command copies this namespace (`unshare(CLONE_NEWNS)` after
//!   `setns`), mounts its own /proc and pivots: the overlays are mounted
//!   once per layout, not once per command.
//!
//! A holder dies with zerops-cache (`PR_SET_PDEATHSIG`) and is killed and
//! reaped when dropped: its namespaces, and with them the mounts, are gone
//! once [`Holder`]'s drop returns, before the store touches the layers.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};

use super::{Spec, init, mounts, namespaces};

/// What a holder keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Pod,
    Root,
}

/// The holder's request, as the JSON argument of `__sandbox-init`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HoldRequest {
    pub(crate) hold: Kind,
    pub(crate) spec: Spec,
}

/// How a holder's JSON starts (what `__sandbox-init` dispatches on).
pub(crate) const PREFIX: &str = "{\"hold\"";

/// A running holder; killed and reaped when dropped.
#[derive(Debug)]
pub(crate) struct Holder {
    child: Child,
}

impl Holder {
    /// Starts a holder of `kind` for `spec` and waits until it is ready;
    /// its error (as the container's setup prints it) otherwise.
    pub(crate) fn start(kind: Kind, spec: &Spec) -> Result<Holder, String> {
        let req = HoldRequest {
            hold: kind,
            spec: spec.clone(),
        };
        let json = serde_json::to_string(&req).map_err(|e| e.to_string())?;
        let exe = std::env::current_exe().map_err(|e| format!("finding zerops-cache: {e}"))?;
        let mut child = Command::new(exe)
            .arg(init::SUBCOMMAND)
            .arg(json)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the build container: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        if line.trim() == "ready" {
            return Ok(Holder { child });
        }
        drop(child.stdin.take());
        let _ = child.kill();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = child.wait();
        let why = err.trim().trim_start_matches("zerops-cache sandbox: ");
        Err(if why.is_empty() {
            "the build container's holder process ended without a word".into()
        } else {
            why.to_string()
        })
    }

    /// The holder's pid: its namespaces are `/proc/PID/ns/*`. The holder
    /// is not reaped before it is dropped, so the pid cannot be reused
    /// meanwhile.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The holder process: makes (the pod) or joins and fills (the root) its
/// namespaces, says `ready` on stdout, and waits until stdin closes.
pub(crate) fn run(json: &str) -> i32 {
    let req: HoldRequest = match serde_json::from_str(json) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("zerops-cache sandbox: bad holder request: {e}");
            return init::SETUP_FAILED;
        }
    };
    if !init::dies_with(req.spec.parent) {
        return 128 + libc::SIGKILL; // zerops-cache is already gone
    }
    let made = match req.hold {
        Kind::Pod => namespaces::make_pod(&req.spec),
        Kind::Root => namespaces::join_pod(&req.spec)
            .and_then(|()| namespaces::unshare(libc::CLONE_NEWNS, "a mount namespace"))
            .and_then(|()| mounts::assemble(&req.spec, &mut |_| {})),
    };
    if let Err(e) = made {
        eprintln!("zerops-cache sandbox: {e}");
        return init::SETUP_FAILED;
    }
    let mut out = std::io::stdout();
    if writeln!(out, "ready").and_then(|()| out.flush()).is_err() {
        return init::SETUP_FAILED;
    }
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    0
}
