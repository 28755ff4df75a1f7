//! The build container contains (issue 25): a buildCommand, as root and as
//! `nobody` (rootless), sees only Docker's default capabilities, cannot
//! write /proc/sys or /sys, cannot open or make a block device, cannot
//! create a cgroup, mount, or unshare a user namespace, has its own
//! hostname, sees none of the host's processes or devices, and with
//! `--network none` cannot reach the host's 127.0.0.1.
//!
//! The probe runs in the host-root image (its tools: ps, unshare, mount,
//! bash, python3) and writes `key=value` lines into the artifact.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;

use crate::build_support::{Proj, yaml};
use crate::container_rootless::{Rootless, is_root};

/// Docker's default capabilities (`docker run --rm debian grep Cap
/// /proc/self/status`).
const DOCKER_CAPS: &str = "00000000a80425fb";

/// The probe: each line `key=value`, in /build/source/probe.txt.
pub fn probe(port: u16) -> String {
    format!(
        r#"o=/build/source/probe.txt; : > $o
r() {{ printf '%s=%s\n' "$1" "$2" >> $o; }}
t() {{ k=$1; shift; if "$@" >/dev/null 2>&1; then r "$k" yes; else r "$k" no; fi; }}
for c in Inh Prm Eff Bnd Amb; do r "Cap$c" "$(sed -n "s/^Cap$c:[[:space:]]*//p" /proc/self/status)"; done
r NoNewPrivs "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)"
r Seccomp "$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status)"
w() {{ if [ -e "$2" ]; then t "$1" sh -c "echo $3 > $2"; else r "$1" absent; fi; }}
w write_proc_sys_hostname /proc/sys/kernel/hostname zc-x
w write_drop_caches /proc/sys/vm/drop_caches 1
w write_proc_irq /proc/irq/default_smp_affinity 1
w write_sys /sys/kernel/mm/ksm/run 0
for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs; do [ -e $f ] && break; done
w write_cgroup_fs $f 1
m() {{ if [ -e "$2" ]; then r "$1" "$(cat "$2" | wc -c)"; else r "$1" absent; fi; }}
m timer_list_bytes /proc/timer_list
m keys_bytes /proc/keys
m sched_debug_bytes /proc/sched_debug
m kcore_bytes /proc/kcore
r acpi_entries "$(ls -A /proc/acpi 2>/dev/null | wc -l)"
r firmware_entries "$(ls -A /sys/firmware 2>/dev/null | wc -l)"
r block_devices "$(find /dev -type b | wc -l)"
r dev "$(ls /dev | tr '\n' ' ')"
t mknod_block mknod /tmp/zc-blk b 7 0
t mknod_char mknod /tmp/zc-chr c 1 1
made=no; for d in /sys/fs/cgroup /sys/fs/cgroup/*; do mkdir "$d/zc-probe-cgroup" 2>/dev/null && made=yes; done; r mkdir_cgroup $made
t mount mount -t tmpfs none /mnt
t unshare_user unshare -U true
t unshare_mount unshare -m true
r hostname "$(hostname)"
t set_hostname hostname zc-renamed
r hostname_after "$(hostname)"
r uts_file "$(cat /proc/sys/kernel/hostname)"
r sethostname_errors "$(python3 -c '
import ctypes, errno
l = ctypes.CDLL(None, use_errno=True)
def e(*a):
    return "ok" if l.sethostname(*a) == 0 else errno.errorcode[ctypes.get_errno()]
print(e(None, 5), e(b"x", -1), e(b"y" * 65, 65), e(b"zc-renamed", 10))
')"
t set_domainname domainname zc-domain
r domainname_after "$(domainname)"
r processes "$(ps -e -o comm= | sort -u | tr '\n' ' ')"
r interfaces "$(sed -n 's/^ *\([a-z0-9]*\):.*/\1/p' /proc/net/dev | tr '\n' ' ')"
t reach_host bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'
t loopback python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); socket.create_connection(s.getsockname())'
t pty python3 -c 'import os; os.openpty()'
"#
    )
}

/// A second buildCommand after [`probe`]: the hostname it set is still the
/// container's (one UTS namespace per build, as one container).
pub const NEXT: &str = "echo hostname_next=$(hostname) >> /build/source/probe.txt";

pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// The host's hostname and domain name.
pub fn host_name() -> String {
    let read = |f: &str| std::fs::read_to_string(f).unwrap().trim().to_string();
    format!(
        "{} {}",
        read("/proc/sys/kernel/hostname"),
        read("/proc/sys/kernel/domainname")
    )
}

pub fn no_probe_cgroup_on_host() {
    for e in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        assert!(
            !e.path().join("zc-probe-cgroup").exists(),
            "a cgroup made by the build is on the host: {}",
            e.path().display()
        );
    }
    assert!(!Path::new("/sys/fs/cgroup/zc-probe-cgroup").exists());
}

/// What a buildCommand sees, as root or rootless, on either network.
pub fn check(p: &BTreeMap<String, String>, network_none: bool) {
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("<missing>");
    for c in ["CapInh", "CapPrm", "CapEff", "CapBnd"] {
        assert_eq!(get(c), DOCKER_CAPS, "{c}: {p:?}");
    }
    assert_eq!(get("CapAmb"), "0000000000000000", "{p:?}");
    assert_eq!(get("NoNewPrivs"), "0", "setuid programs keep working");
    assert_eq!(get("Seccomp"), "2", "a seccomp filter: {p:?}");
    for k in [
        "write_proc_sys_hostname",
        "write_drop_caches",
        "write_proc_irq",
        "write_sys",
        "write_cgroup_fs",
        "mknod_block",
        "mknod_char",
        "mkdir_cgroup",
        "mount",
        "unshare_user",
        "unshare_mount",
    ] {
        assert_eq!(get(k), "no", "{k} must fail: {p:?}");
    }
    // Masked as runc does (those of runc's list this kernel has).
    let masked = [
        "timer_list_bytes",
        "keys_bytes",
        "sched_debug_bytes",
        "kcore_bytes",
    ];
    for k in masked {
        assert!(["0", "absent"].contains(&get(k)), "{k}: masked: {p:?}");
    }
    assert!(
        masked.iter().any(|k| get(k) == "0"),
        "nothing masked: {p:?}"
    );
    assert_eq!(get("acpi_entries"), "0", "{p:?}");
    assert_eq!(get("firmware_entries"), "0", "{p:?}");
    assert_eq!(get("block_devices"), "0");
    let dev: Vec<&str> = get("dev").split_whitespace().collect();
    assert_eq!(
        dev,
        [
            "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
            "stdout", "tty", "urandom", "zero"
        ],
        "a fresh /dev"
    );
    assert_eq!(get("hostname"), "app", "the setup's name");
    // `hostname x` renames the container (its own UTS namespace, the call
    // made for it by the init), and the name stays for the next command.
    assert_eq!(get("set_hostname"), "yes", "{p:?}");
    assert_eq!(get("hostname_after"), "zc-renamed");
    assert_eq!(get("uts_file"), "zc-renamed");
    assert_eq!(get("hostname_next"), "zc-renamed", "{p:?}");
    assert_eq!(get("set_domainname"), "yes", "{p:?}");
    assert_eq!(get("domainname_after"), "zc-domain");
    // The kernel's answers to bad calls: a bad pointer, a negative or too
    // long length.
    assert_eq!(get("sethostname_errors"), "EFAULT EINVAL EINVAL ok");
    // Only the probe's own processes: its shell (PID 1) and the pipeline.
    for name in get("processes").split_whitespace() {
        assert!(
            ["sh", "ps", "sort", "tr"].contains(&name),
            "a process that is not the build's: {name} in {p:?}"
        );
    }
    assert_eq!(get("loopback"), "yes", "loopback is up: {p:?}");
    assert_eq!(get("pty"), "yes", "a pseudo-terminal from the new devpts");
    if network_none {
        assert_eq!(get("interfaces"), "lo", "{p:?}");
        assert_eq!(
            get("reach_host"),
            "no",
            "the host's 127.0.0.1 is not reachable"
        );
    } else {
        assert_eq!(get("reach_host"), "yes", "the host's network: {p:?}");
    }
}

pub fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

#[test]
fn as_root_a_build_command_is_contained() {
    if !is_root() {
        crate::common::skip("not root: the rootless test covers this user");
        return;
    }
    let host = host_name();
    let l = listener();
    let port = l.local_addr().unwrap().port();
    let p = Proj::new(&yaml(&[], &[&probe(port), NEXT], "false", ""), &[]);
    for (args, none) in [(&[][..], false), (&["--network", "none"][..], true)] {
        let s = p.build_ok(args);
        let v = s["version"].as_u64().unwrap();
        let text = std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/probe.txt")))
            .unwrap();
        check(&parse(&text), none);
        assert_eq!(host_name(), host, "the host's hostname is the same");
        no_probe_cgroup_on_host();
    }
}

#[test]
fn as_nobody_a_build_command_is_contained() {
    let host = host_name();
    let l = listener();
    let port = l.local_addr().unwrap().port();
    let r = Rootless::new(&yaml(&[], &[&probe(port), NEXT], "false", ""));
    for (args, none) in [(&[][..], false), (&["--network", "none"][..], true)] {
        let s = r.build_ok(args);
        check(&parse(&r.artifact(&s, "probe.txt")), none);
        assert_eq!(host_name(), host);
        no_probe_cgroup_on_host();
    }
}

#[test]
fn a_bad_network_value_is_a_usage_error() {
    let p = Proj::new(&yaml(&[], &["true"], "false", ""), &[]);
    let r = p.build(&["--network", "bridge"]);
    crate::text_snapshot!("bad_network", crate::snapshots_support::ran(&r));
}

/// A busybox image as a tar holding what `docker export` writes and an
/// unprivileged user cannot make: device nodes in /dev and elsewhere.
fn image_tar_with_devices(parent: &Path) -> std::path::PathBuf {
    let root = crate::container_more::busybox_image(parent);
    let tar_path = parent.join("image.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    b.follow_symlinks(false);
    b.append_dir_all(".", &root).unwrap();
    for (kind, path, major, minor) in [
        (tar::EntryType::Char, "./dev/full", 1, 7),
        (tar::EntryType::Char, "./dev/mem", 1, 1),
        (tar::EntryType::Block, "./dev/sda", 8, 0),
        (tar::EntryType::Block, "./etc/disk", 8, 1),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_path(path).unwrap();
        h.set_mode(0o660);
        h.set_size(0);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
    }
    b.into_inner().unwrap();
    tar_path
}

const DEVICES_PROBE: &str = "ls /dev > devs.txt; ls /etc > etc.txt; if echo x > /dev/full; then echo wrote > full.txt; else echo refused > full.txt; fi";

fn check_devices(devs: &str, etc: &str, full: &str) {
    assert!(!devs.contains("sda") && !devs.contains("mem"), "{devs}");
    assert!(devs.contains("full\n"), "{devs}");
    assert!(
        !etc.contains("disk"),
        "device nodes are skipped anywhere: {etc}"
    );
    assert_eq!(full, "refused\n", "/dev/full is the real one (ENOSPC)");
}

#[test]
fn a_rootfs_tar_with_device_nodes_builds_as_root_and_as_nobody() {
    let t = tempfile::Builder::new()
        .prefix("zc-devtar")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let tar = image_tar_with_devices(t.path());
    crate::container_rootless::give(t.path());
    let tar_arg = tar.to_str().unwrap();
    if is_root() {
        let p = Proj::new(&yaml(&[], &[DEVICES_PROBE], "false", ""), &[]);
        let s = p.build_ok(&["--rootfs", tar_arg]);
        let v = s["version"].as_u64().unwrap();
        let read = |f: &str| {
            std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/{f}"))).unwrap()
        };
        check_devices(&read("devs.txt"), &read("etc.txt"), &read("full.txt"));
    }
    let r = Rootless::new(&yaml(&[], &[DEVICES_PROBE], "false", ""));
    let s = r.build_ok(&["--rootfs", tar_arg]);
    check_devices(
        &r.artifact(&s, "devs.txt"),
        &r.artifact(&s, "etc.txt"),
        &r.artifact(&s, "full.txt"),
    );
}

#[test]
fn a_file_that_is_no_tar_is_named_and_the_build_does_not_start() {
    let t = tempfile::tempdir().unwrap();
    let bogus = t.path().join("image.tar");
    std::fs::write(&bogus, vec![b'x'; 4096]).unwrap();
    let p = Proj::new(&yaml(&[], &["true"], "false", ""), &[]);
    let r = p.build(&["--rootfs", bogus.to_str().unwrap()]);
    crate::text_snapshot!("rootfs_not_a_tar", crate::snapshots_support::ran(&r));
}

#[test]
fn rootless_a_command_failing_on_an_unmapped_id_is_told_why_once() {
    let r = Rootless::new(&yaml(&[], &["touch f && chown 1:1 f", "true"], "false", ""));
    let (code, stdout, stderr) = r.run("build", &[]);
    let stderr = format!("{stdout}{stderr}");
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("Invalid argument"), "{stderr}");
    // Once in the build's output (the failure's summary repeats its last lines).
    let streamed = stderr.split("build failed:").next().unwrap();
    assert_eq!(
        streamed.matches("maps only your user").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains("APT::Sandbox::User=root"), "{stderr}");
    assert!(stderr.contains("/etc/subuid"), "{stderr}");
    // A failure that is not about ids gets no such note.
    let other = Rootless::new(&yaml(&[], &["echo broken >&2; false"], "false", ""));
    let (code, stdout, stderr) = other.run("build", &[]);
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(
        !format!("{stdout}{stderr}").contains("maps only your user"),
        "{stdout}{stderr}"
    );
    if is_root() {
        let p = Proj::new(&yaml(&[], &["false"], "false", ""), &[]);
        let ran = p.build(&[]);
        assert_eq!(ran.code, 4);
        let out = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            out.contains("exit status 1") || out.contains("false"),
            "{out}"
        );
        assert!(!out.contains("maps only your user"), "{out}");
    }
}
