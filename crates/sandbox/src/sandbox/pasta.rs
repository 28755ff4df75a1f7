//! `--network private`: the pod's own network namespace, connected to the
//! outside by `pasta` (Debian package `passt`), which carries the
//! namespace's traffic through ordinary sockets of the invoking user: no
//! bridge, no root needed, nothing configured on the host.
//!
//! The namespace gets slirp4netns' addresses: 10.0.2.100/24, gateway
//! 10.0.2.2. The host's loopback stays out of reach:
//! - `--no-map-gw`: the gateway is not mapped to the host's 127.0.0.1;
//! - `-T none -U none`: no port of the host's loopback is forwarded into
//!   the namespace (pasta's default forwards every bound one);
//! - `-t none -u none`: nothing of the namespace is exposed on the host.
//!
//! A service on one of the host's other addresses is reached at that
//! address, as from any other machine; the namespace's own address differs
//! from the host's, so the host's address leads to the host.
//!
//! DNS: the container's /etc/resolv.conf is replaced (a bind mount, as
//! Docker does) by one naming [`DNS`], whose queries pasta forwards to the
//! host's resolver; so a resolver on the host's loopback works too.
//!
//! pasta runs in the foreground as a child that dies with zerops-cache
//! (`PR_SET_PDEATHSIG`); it writes its pid to its stdout (`-P /dev/stdout`)
//! once the namespace is configured, which is the signal that the build may
//! start. As root it stays root (`--runas 0:0`) with the few capabilities
//! it keeps for itself: it must open the pod's `/proc/PID/ns/net`, and the
//! pod holds no capabilities ([`super::namespaces::make_pod`]).

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The namespace's address, prefix length and gateway.
pub(crate) const ADDRESS: &str = "10.0.2.100";
pub(crate) const PREFIX_LEN: &str = "24";
pub const GATEWAY: &str = "10.0.2.2";
/// The namespace's resolver: pasta forwards its queries to the host's
/// (the first `nameserver` of the host's /etc/resolv.conf, loopback ones
/// such as systemd-resolved's included), as slirp4netns' 10.0.2.3.
pub(crate) const DNS: &str = "10.0.2.3";

/// Writes the container's resolv.conf into the scratch directory `run`;
/// its path.
pub(crate) fn resolv_conf(run: &Path) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    let p = run.join("resolv.conf");
    std::fs::write(
        &p,
        format!("# --network private: pasta forwards to the host's resolver\nnameserver {DNS}\n"),
    )
    .with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

/// A running pasta; killed and reaped when dropped.
#[derive(Debug)]
pub(crate) struct Pasta {
    child: Child,
}

/// The arguments of pasta for the pod `pod`.
pub(crate) fn args(pod: u32, user_ns: bool, root: bool) -> Vec<String> {
    let mut a: Vec<String> = [
        "--foreground",
        "--quiet",
        "--config-net",
        "--no-map-gw",
        "--address",
        ADDRESS,
        "--netmask",
        PREFIX_LEN,
        "--gateway",
        GATEWAY,
        "--dns-forward",
        DNS,
        "--tcp-ports",
        "none",
        "--udp-ports",
        "none",
        "--tcp-ns",
        "none",
        "--udp-ns",
        "none",
        "--pid",
        "/dev/stdout",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if root {
        a.extend(["--runas".into(), "0:0".into()]);
    }
    if user_ns {
        a.extend(["--userns".into(), format!("/proc/{pod}/ns/user")]);
    }
    a.extend(["--netns".into(), format!("/proc/{pod}/ns/net")]);
    a
}

impl Pasta {
    /// Connects the network namespace of the pod `pod` and waits until it
    /// is configured; the reason otherwise.
    /// pasta's messages go to `log` (a file of the container's scratch).
    pub(crate) fn start(pod: u32, user_ns: bool, log: &Path) -> Result<Pasta, String> {
        let root = super::namespaces::is_root();
        let err_file =
            std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let mut cmd = Command::new("pasta");
        cmd.args(args(pod, user_ns, root))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err_file);
        // SAFETY: the closure only calls prctl, async-signal-safe.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "--network private needs `pasta` (Debian/Ubuntu package passt, \
                 Fedora/Arch passt) on PATH"
                    .to_string()
            } else {
                format!("starting pasta: {e}")
            }
        })?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        if line.trim().parse::<u32>().is_ok() {
            return Ok(Pasta { child });
        }
        let _ = child.kill();
        let _ = child.wait();
        let err = std::fs::read_to_string(log).unwrap_or_default();
        // pasta also tries the system logger; those lines say nothing.
        let why: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("Failed to send") && !l.trim().is_empty())
            .collect();
        Err(format!(
            "pasta could not connect the build's network namespace: {}",
            if why.is_empty() {
                "it ended without a word".to_string()
            } else {
                why.join("; ")
            }
        ))
    }
}

impl Drop for Pasta {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::args;

    #[test]
    fn the_hosts_loopback_is_neither_mapped_nor_forwarded() {
        let a = args(42, true, false).join(" ");
        assert!(a.contains("--no-map-gw"), "{a}");
        assert!(a.contains("--dns-forward 10.0.2.3"), "{a}");
        for f in [
            "--tcp-ns none",
            "--udp-ns none",
            "--tcp-ports none",
            "--udp-ports none",
        ] {
            assert!(a.contains(f), "{f}: {a}");
        }
        assert!(
            a.ends_with("--userns /proc/42/ns/user --netns /proc/42/ns/net"),
            "{a}"
        );
        assert!(!a.contains("--runas"), "{a}");
        let r = args(7, false, true).join(" ");
        assert!(r.contains("--runas 0:0") && !r.contains("--userns"), "{r}");
    }
}
