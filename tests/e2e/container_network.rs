//! `--network private` (issue 25): the build has a network namespace of its
//! own, connected by pasta. As root, as `nobody`, and as a user with
//! subordinate ids, a buildCommand reaches a service on the host's
//! non-loopback address, and neither the host's 127.0.0.1 nor the gateway
//! (which pasta would otherwise map to the host's loopback).

use std::net::{TcpListener, UdpSocket};

use crate::build_support::{Proj, yaml};
use crate::container_isolation::parse;
use crate::container_rootless::{Rootless, is_root};
use crate::subid_support::SubidUser;

/// The host's address on its default route, if it has one (no packet is
/// sent: a UDP socket is only connected).
fn host_address() -> Option<std::net::IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.255:9")
        .or_else(|_| s.connect("10.255.255.255:9"))
        .ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

struct Services {
    /// On every address of the host.
    outside: TcpListener,
    /// On the host's loopback only.
    loopback: TcpListener,
    address: std::net::IpAddr,
}

fn services() -> Option<Services> {
    if std::process::Command::new("pasta")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::common::skip("pasta (package passt) is not installed; scripts/setup.sh installs it");
        return None;
    }
    let Some(address) = host_address() else {
        crate::common::skip("this machine has no non-loopback address");
        return None;
    };
    Some(Services {
        outside: TcpListener::bind("0.0.0.0:0").unwrap(),
        loopback: TcpListener::bind("127.0.0.1:0").unwrap(),
        address,
    })
}

/// Connects to the services and writes what it reached, `key=yes|no`.
fn probe(s: &Services) -> String {
    let (host, out) = (s.address, s.outside.local_addr().unwrap().port());
    let lo = s.loopback.local_addr().unwrap().port();
    let gw = zerops_cache::sandbox::pasta::GATEWAY;
    format!(
        r#"o=/build/source/net.txt; : > $o
t() {{ k=$1; shift; if timeout 3 "$@" >/dev/null 2>&1; then echo "$k=yes" >> $o; else echo "$k=no" >> $o; fi; }}
t host_address bash -c 'exec 3<>/dev/tcp/{host}/{out}'
t host_loopback bash -c 'exec 3<>/dev/tcp/127.0.0.1/{lo}'
t gateway_to_loopback bash -c 'exec 3<>/dev/tcp/{gw}/{lo}'
t gateway_to_outside bash -c 'exec 3<>/dev/tcp/{gw}/{out}'
echo "address=$(ip -4 -o addr show scope global 2>/dev/null | awk '{{print $4}}' | tr '\n' ' ')" >> $o
echo "resolver=$(sed -n 's/^nameserver //p' /etc/resolv.conf | tr '\n' ' ')" >> $o
t dns_lookup getent hosts {name}
"#,
        name = DNS_NAME
    )
}

/// A name the probe looks up through pasta's forwarder (when the host
/// itself can resolve it: the test needs no network otherwise).
const DNS_NAME: &str = "deb.debian.org";

fn check(text: &str) {
    let p = parse(text);
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("<missing>");
    assert_eq!(get("resolver"), "10.0.2.3", "pasta's DNS forwarder: {p:?}");
    use std::net::ToSocketAddrs;
    if (DNS_NAME, 80).to_socket_addrs().is_ok() {
        assert_eq!(
            get("dns_lookup"),
            "yes",
            "the host resolves {DNS_NAME}: {p:?}"
        );
    }
    assert_eq!(
        get("host_address"),
        "yes",
        "the host's service on its address: {p:?}"
    );
    assert_eq!(get("host_loopback"), "no", "the host's 127.0.0.1: {p:?}");
    assert_eq!(
        get("gateway_to_loopback"),
        "no",
        "the gateway is not the host's loopback: {p:?}"
    );
    assert_eq!(get("gateway_to_outside"), "no", "{p:?}");
    assert_eq!(get("address"), "10.0.2.100/24", "{p:?}");
}

#[test]
fn as_root_private_network_reaches_the_hosts_address_not_its_loopback() {
    if !is_root() {
        crate::common::skip("not root: the rootless tests cover this user");
        return;
    }
    let Some(s) = services() else { return };
    let p = Proj::new(&yaml(&[], &[&probe(&s)], "false", ""), &[]);
    let r = p.build_ok(&["--network", "private"]);
    let v = r["version"].as_u64().unwrap();
    check(&std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/net.txt"))).unwrap());
}

#[test]
fn as_nobody_private_network_reaches_the_hosts_address_not_its_loopback() {
    let Some(s) = services() else { return };
    let r = Rootless::new(&yaml(&[], &[&probe(&s)], "false", ""));
    let b = r.build_ok(&["--network", "private"]);
    check(&r.artifact(&b, "net.txt"));
}

#[test]
fn with_subordinate_ids_private_network_reaches_the_hosts_address_not_its_loopback() {
    let Some(su) = SubidUser::add() else { return };
    let Some(s) = services() else { return };
    let r = Rootless::as_user(&yaml(&[], &[&probe(&s)], "false", ""), su.user.clone());
    let b = r.build_ok(&["--network", "private"]);
    check(&r.artifact(&b, "net.txt"));
}

#[test]
fn without_pasta_private_network_refuses_the_build_and_names_the_package() {
    let p = Proj::new(&yaml(&[], &["true"], "false", ""), &[]);
    let empty = tempfile::tempdir().unwrap();
    // Only `git` on PATH: pasta is nowhere to be found.
    let git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(git.trim(), empty.path().join("git")).unwrap();
    let mut c = p.cmd("build", &["--network", "private"]);
    c.env("PATH", empty.path());
    let (code, stdout, stderr) = crate::common::run(&mut c);
    // Exit 7; the message names the package and the opt-out.
    crate::text_snapshot!(
        "no_pasta",
        crate::snapshots_support::ran(&crate::build_support::Ran {
            code,
            stdout,
            stderr
        })
    );
}

#[test]
fn a_network_of_its_own_without_the_container_is_a_usage_error() {
    let p = Proj::new(&yaml(&[], &["touch ran"], "false", ""), &[]);
    for net in ["none", "private"] {
        let r = p.build(&["--isolation", "none", "--network", net]);
        crate::text_snapshot!(
            format!("network_{net}_needs_the_container"),
            crate::snapshots_support::ran(&r)
        );
        assert!(!p.path().join("ran").exists(), "nothing ran");
    }
}

/// An image whose /etc/resolv.conf is a symlink (Ubuntu's points into
/// /run; an absolute one must not lead out of the image): the container's
/// resolver replaces the file the link names inside the image, and nothing
/// of the host's.
#[test]
fn private_network_replaces_a_symlinked_resolv_conf_inside_the_image() {
    if !is_root() {
        crate::common::skip("not root: the image directory is root's");
        return;
    }
    if services().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = crate::container_more::busybox_image(t.path());
    std::fs::create_dir_all(root.join("run/resolve")).unwrap();
    std::fs::write(
        root.join("run/resolve/stub.conf"),
        "nameserver 127.0.0.53\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/run/resolve/stub.conf", root.join("etc/resolv.conf")).unwrap();
    let host_before = std::fs::read("/etc/resolv.conf").ok();
    let p = Proj::new(
        &yaml(
            &[],
            &["cat /etc/resolv.conf > seen.txt; cat /run/resolve/stub.conf > stub.txt"],
            "false",
            "",
        ),
        &[],
    );
    let r = p.build_ok(&["--network", "private", "--rootfs", root.to_str().unwrap()]);
    let v = r["version"].as_u64().unwrap();
    let read = |f: &str| {
        std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/{f}"))).unwrap()
    };
    assert!(
        read("seen.txt").contains("nameserver 10.0.2.3"),
        "{}",
        read("seen.txt")
    );
    assert_eq!(
        read("stub.txt"),
        read("seen.txt"),
        "the link's target is the one replaced"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("run/resolve/stub.conf")).unwrap(),
        "nameserver 127.0.0.53\n",
        "the image is not written"
    );
    assert_eq!(
        std::fs::read("/etc/resolv.conf").ok(),
        host_before,
        "the host's is untouched"
    );
}
