//! Rootless with subordinate ids (issue 25): a user with a range in
//! /etc/subuid and /etc/subgid ([`SubidUser`]) builds in a container where
//! id 0 is the user and 1..N the range (written by newuidmap/newgidmap), so
//! the container is as contained as root's and as nobody's, ids other than
//! root exist inside (chown, apt's `_apt`, useradd), and on the host they
//! are the range's. Without a range (nobody), the same apt install fails
//! and the build says once why and what to do.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build_support::yaml;
use crate::container_isolation::{
    NEXT, check, host_name, listener, no_probe_cgroup_on_host, parse, probe,
};
use crate::container_rootless::{Rootless, give_to};
use crate::subid_support::{COUNT, SubidUser};

/// The Debian minbase tar of scripts/fixtures (made once, cached).
fn debian_rootfs() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/fixtures/debian-rootfs.sh");
    let out = Command::new("bash").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn with_subordinate_ids_a_build_command_is_contained_and_other_ids_are_the_ranges() {
    let Some(su) = SubidUser::add() else { return };
    let host = host_name();
    let l = listener();
    let port = l.local_addr().unwrap().port();
    let ids = "cat /proc/self/uid_map > uid_map.txt; cat /proc/self/gid_map > gid_map.txt; \
               touch ~/owned && chown 42:65534 ~/owned && stat -c %u:%g ~/owned > owned.txt; \
               id -G > groups.txt";
    let r = Rootless::as_user(
        &yaml(&[], &[&probe(port), NEXT, ids], "false", ""),
        su.user.clone(),
    );
    for (args, none) in [(&[][..], false), (&["--network", "none"][..], true)] {
        let s = r.build_ok(args);
        check(&parse(&r.artifact(&s, "probe.txt")), none);
        assert_eq!(host_name(), host);
        no_probe_cgroup_on_host();
        let map = |f: &str| -> Vec<Vec<u64>> {
            r.artifact(&s, f)
                .lines()
                .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
                .collect()
        };
        let start = u64::from(su.range_start);
        assert_eq!(
            map("uid_map.txt"),
            [
                vec![0, u64::from(su.user.uid), 1],
                vec![1, start, u64::from(COUNT)]
            ]
        );
        assert_eq!(
            map("gid_map.txt"),
            [
                vec![0, u64::from(su.user.gid), 1],
                vec![1, start, u64::from(COUNT)]
            ]
        );
        assert_eq!(r.artifact(&s, "owned.txt"), "42:65534\n");
        assert_eq!(r.artifact(&s, "groups.txt"), "0\n", "no stray host groups");
        // On the host, id k of the container is the range's (k-1)th.
        let md = std::fs::metadata(r.p.setup_store().join("base/upper/home/zerops/owned")).unwrap();
        assert_eq!(
            (md.uid(), md.gid()),
            (su.range_start + 41, su.range_start + 65533)
        );
    }
}

/// A .deb made with dpkg-deb: a program, and a postinst that adds a system
/// user and gives it a directory (useradd and chown in a package script).
fn hello_deb(dir: &Path) -> PathBuf {
    let root = dir.join("pkg");
    let w = |rel: &str, text: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    w(
        "DEBIAN/control",
        "Package: zc-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: zerops-cache tests <t@example.com>\nDescription: a test package\n",
        0o644,
    );
    w(
        "DEBIAN/postinst",
        "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  id zc-svc >/dev/null 2>&1 || useradd --system --no-create-home zc-svc\n  mkdir -p /var/lib/zc-hello\n  chown zc-svc:zc-svc /var/lib/zc-hello\nfi\n",
        0o755,
    );
    w(
        "usr/bin/zc-hello",
        "#!/bin/sh\necho hello from the deb\n",
        0o755,
    );
    let deb = dir.join("zc-hello.deb");
    let st = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::remove_dir_all(&root).unwrap();
    deb
}

/// prepareCommands: apt installs the .deb (its `_apt` sandbox drops to uid
/// 42 with setgroups/seteuid to fetch it); the log is kept for the check.
const APT: &str = "apt-get install -y /build/source/zc-hello.deb > /var/log/zc-apt.log 2>&1 || { cat /var/log/zc-apt.log; exit 1; }";
const AFTER: &[&str] = &[
    "cp /var/log/zc-apt.log apt.log",
    "zc-hello > hello.txt",
    "stat -c %U:%G /var/lib/zc-hello > svc.txt",
    "setpriv --reuid=_apt --regid=nogroup --clear-groups id -u > apt-uid.txt",
];

#[test]
fn with_subordinate_ids_apt_installs_a_local_deb_in_a_debian_rootfs() {
    let Some(su) = SubidUser::add() else { return };
    let tar = debian_rootfs();
    let r = Rootless::as_user(&yaml(&[APT], AFTER, "false", ""), su.user.clone());
    hello_deb(r.p.path());
    give_to(r.p.path(), &su.user);
    let rootfs = ["--rootfs", tar.to_str().unwrap()];
    let s = r.build_ok(&rootfs);
    let log = r.artifact(&s, "apt.log");
    assert!(log.contains("Setting up zc-hello (1.0)"), "{log}");
    assert!(
        !log.contains("unsandboxed") && !log.contains("failed"),
        "apt's _apt sandbox worked: {log}"
    );
    assert_eq!(r.artifact(&s, "hello.txt"), "hello from the deb\n");
    assert_eq!(r.artifact(&s, "svc.txt"), "zc-svc:zc-svc\n");
    assert_eq!(r.artifact(&s, "apt-uid.txt"), "42\n");
    // The base layer keeps the package; a second build reuses it.
    let again = r.build_ok(&rootfs);
    assert_eq!(r.artifact(&again, "hello.txt"), "hello from the deb\n");
    // Store commands work through files of the range in the base layer
    // (apt's `_apt` directories of mode 0700 included).
    let store = r.p.setup_store();
    let mut failed = Vec::new();
    for (sub, args, want) in [
        ("status", &[][..], 0),
        ("versions", &[][..], 0),
        ("plan", &[][..], 0),
        ("advise", &[][..], 0),
        ("repair", &["--check"][..], 0),
        ("activate", &["1"][..], 0),
        ("invalidate", &[][..], 0),
        ("build", &rootfs[..], 0),
        ("gc", &["--max-age", "1ms"][..], 0),
    ] {
        let (code, out, err) = r.run(sub, args);
        if code != want {
            failed.push(format!("{sub} {args:?}: {code}\n{out}\n{err}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(!store.exists(), "gc removed the store");
}

#[test]
fn without_subordinate_ids_apt_fails_and_the_build_says_why_once() {
    if !crate::container_rootless::is_root() {
        // This user may have a range: nobody surely has none.
        crate::common::skip("not root: cannot build as nobody");
        return;
    }
    let tar = debian_rootfs();
    let r = Rootless::new(&yaml(&[APT], AFTER, "false", ""));
    hello_deb(r.p.path());
    crate::container_rootless::give(r.p.path());
    let (code, out, err) = r.run("build", &["--rootfs", tar.to_str().unwrap()]);
    let all = format!("{out}{err}");
    assert_eq!(code, 4, "{all}");
    assert!(
        all.contains("setgroups 65534 failed") || all.contains("seteuid 42 failed"),
        "{all}"
    );
    let streamed = all.split("build failed:").next().unwrap();
    assert_eq!(streamed.matches("maps only your user").count(), 1, "{all}");
    assert!(all.contains("/etc/subuid"), "the way out is named: {all}");
}

/// apt in buildCommands: their layer, with apt's `_apt` directories of
/// mode 0700 in it, is merged into the base layer after each build (the
/// second time into directories the first left).
#[test]
fn with_subordinate_ids_apt_in_build_commands_merges_into_the_base_layer() {
    let Some(su) = SubidUser::add() else { return };
    let tar = debian_rootfs();
    let install = "apt-get install -y --reinstall /build/source/zc-hello.deb > apt.log 2>&1 || { cat apt.log; exit 1; }";
    let r = Rootless::as_user(
        &yaml(&[], &[install, "zc-hello > hello.txt"], "false", ""),
        su.user.clone(),
    );
    hello_deb(r.p.path());
    give_to(r.p.path(), &su.user);
    let rootfs = ["--rootfs", tar.to_str().unwrap()];
    for _ in 0..2 {
        let s = r.build_ok(&rootfs);
        assert_eq!(r.artifact(&s, "hello.txt"), "hello from the deb\n");
        let log = r.artifact(&s, "apt.log");
        assert!(!log.contains("unsandboxed"), "{log}");
    }
    let partial =
        r.p.setup_store()
            .join("base/upper/var/cache/apt/archives/partial");
    let md = std::fs::metadata(&partial).unwrap();
    assert_eq!(md.uid(), su.range_start + 41, "_apt's, in the range");
}

/// A malformed line of the user in /etc/subuid is named (file, line, why)
/// and skipped; the user's good range is still mapped.
#[test]
fn a_malformed_subuid_line_of_the_user_is_named_and_skipped() {
    let Some(su) = SubidUser::add_with(&["zc-subid:abc:10", "zc-subid:5"]) else {
        return;
    };
    let line = std::fs::read_to_string("/etc/subuid")
        .unwrap()
        .lines()
        .position(|l| l == "zc-subid:abc:10")
        .unwrap()
        + 1;
    let r = Rootless::as_user(
        &yaml(&[], &["cat /proc/self/uid_map > uid_map.txt"], "false", ""),
        su.user.clone(),
    );
    let (code, out, err) = r.run("build", &["--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    // Both lines named, with their numbers in the machine's file.
    let named: Vec<String> = err
        .lines()
        .filter(|l| l.contains("/etc/subuid:"))
        .map(|l| {
            l.replace(&format!("subuid:{line}:"), "subuid:[LINE]:")
                .replace(&format!("subuid:{}:", line + 1), "subuid:[LINE+1]:")
        })
        .collect();
    crate::text_snapshot!("malformed_subuid_lines", named.join("\n"));
    let s: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let map = r.artifact(&s, "uid_map.txt");
    assert_eq!(map.lines().count(), 2, "the good range is mapped: {map}");
}

/// Helpers that cannot map the range (here: stand-ins first on PATH that
/// fail as a newuidmap without its setuid bit does) refuse the build before
/// any command runs (exit 7), with their error and the opt-out.
#[test]
fn helpers_that_cannot_map_the_range_refuse_the_build_with_their_error() {
    let Some(su) = SubidUser::add() else { return };
    let r = Rootless::as_user(&yaml(&[], &["touch ran"], "false", ""), su.user.clone());
    let bin = r.p.path().join("fake-bin");
    std::fs::create_dir(&bin).unwrap();
    for h in ["newuidmap", "newgidmap"] {
        use std::os::unix::fs::PermissionsExt;
        let p = bin.join(h);
        std::fs::write(
            &p,
            format!("#!/bin/sh\necho \"{h}: write to uid_map failed: Operation not permitted\" >&2\nexit 1\n"),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    give_to(r.p.path(), &su.user);
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let (code, out, err) = r.run_with_path("build", &[], &path);
    let all = format!("{out}{err}");
    assert_eq!(code, 7, "{all}");
    // The helper's own error, and the opt-out.
    crate::text_snapshot!(
        "helpers_cannot_map",
        &all,
        &[
            (r"(newuidmap|newgidmap) \d+( \d+)+", "$1 [PID] [ID MAPPING]"),
            // The two helpers run at once: their errors come in either order.
            (
                r"(newuidmap|newgidmap): write to uid_map failed",
                "[HELPER]: write to uid_map failed"
            ),
        ]
    );
    for h in ["newuidmap", "newgidmap"] {
        assert!(
            all.contains(&format!("{h}: write to uid_map failed")),
            "{all}"
        );
    }
    assert!(!r.p.path().join("ran").exists(), "no command ran");
}
