//! The build container: `--rootfs` images (a busybox-static directory and
//! its tar), the refusal where no container can be made, the time limit,
//! and SIGTERM / kill -9 mid-build (no process, no mount, no file lost).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build_support::{INSTALL, Proj, yaml};

/// A tiny OS image: busybox-static and its applets in bin/, plus the
/// directories a container needs. Needs `busybox` (scripts/setup.sh).
pub fn busybox_image(parent: &Path) -> PathBuf {
    let bb = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("busybox-static is installed (scripts/setup.sh)");
    let root = parent.join("rootfs");
    for d in ["bin", "etc", "tmp", "proc", "dev", "sys"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy(bb, root.join("bin/busybox")).unwrap();
    let list = std::process::Command::new(bb)
        .arg("--list")
        .output()
        .unwrap();
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let l = root.join("bin").join(applet);
        if !l.exists() {
            std::os::unix::fs::symlink("busybox", l).unwrap();
        }
    }
    std::fs::write(root.join("etc/zc-image"), "busybox image\n").unwrap();
    root
}

fn artifact(s: &Value, p: &Proj, rel: &str) -> String {
    let v = s["version"].as_u64().unwrap();
    std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/{rel}")))
        .unwrap_or_else(|e| panic!("{rel} in the artifact: {e}"))
}

#[test]
fn rootfs_directory_and_tar_run_commands_in_that_os() {
    let img = tempfile::tempdir().unwrap();
    let root = busybox_image(img.path());
    let p = Proj::new(
        &yaml(
            &["echo prepared > /etc/zc-prepared && pwd > /home/zerops/cwd"],
            &[
                "cat /etc/zc-image /etc/zc-prepared > seen.txt && ls / > root.txt && readlink /bin/sh > sh.txt",
            ],
            "false",
            "",
        ),
        &[],
    );
    let rootfs = root.to_str().unwrap();
    let s = p.build_ok(&["--rootfs", rootfs]);
    assert!(
        s["image"].as_str().unwrap().starts_with("rootfs dir "),
        "{s}"
    );
    assert_eq!(artifact(&s, &p, "seen.txt"), "busybox image\nprepared\n");
    assert_eq!(
        artifact(&s, &p, "sh.txt"),
        "busybox\n",
        "the image's own /bin/sh"
    );
    let ls = artifact(&s, &p, "root.txt");
    assert!(!ls.contains("usr"), "only the image's directories: {ls}");
    assert!(ls.contains("build") && ls.contains("home"), "{ls}");
    assert!(
        !root.join("etc/zc-prepared").exists(),
        "the image is not modified"
    );
    // The same image again: the base layer is reused.
    let s = p.build_ok(&["--rootfs", rootfs]);
    assert_eq!(s["layers"]["base"]["action"], "reuse");
    // ZEROPS_CACHE_ROOTFS works like the flag.
    let mut c = p.cmd("build", &["--format", "json"]);
    c.env("ZEROPS_CACHE_ROOTFS", rootfs);
    let (code, stdout, stderr) = crate::common::run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(s["layers"]["base"]["action"], "reuse");
    // A changed image rebuilds the base layer, and says so.
    std::fs::write(root.join("etc/zc-extra"), "x").unwrap();
    let s = p.build_ok(&["--rootfs", rootfs]);
    assert_eq!(s["layers"]["base"]["action"], "rebuild");
    let why = s["layers"]["base"]["reasons"][0].as_str().unwrap();
    assert!(why.starts_with("OS image rootfs dir "), "{why}");

    // A tar of the image (as `docker export` writes one).
    let tar = img.path().join("image.tar");
    let out = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&root)
        .arg(".")
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = p.build_ok(&["--rootfs", tar.to_str().unwrap()]);
    assert!(
        s["image"].as_str().unwrap().starts_with("rootfs tar "),
        "{s}"
    );
    assert_eq!(s["layers"]["base"]["action"], "rebuild", "another image");
    assert_eq!(artifact(&s, &p, "seen.txt"), "busybox image\nprepared\n");
    let s = p.build_ok(&["--rootfs", tar.to_str().unwrap()]);
    assert_eq!(s["layers"]["base"]["action"], "reuse");
    // Status says which image the base layer was built on.
    let st = p
        .run(
            "status",
            &["--format", "json", "--rootfs", tar.to_str().unwrap()],
        )
        .json();
    assert!(
        st["last_image"]
            .as_str()
            .unwrap()
            .starts_with("rootfs tar "),
        "{st}"
    );
    assert_eq!(st["layers"]["base"]["next_build"], "reuse");
}

#[test]
fn where_no_container_can_be_made_the_build_refuses_and_names_the_opt_out() {
    // An image without /bin/sh: the container cannot run a command.
    let empty = tempfile::tempdir().unwrap();
    let p = Proj::new(&yaml(&["true"], &["true"], "false", ""), &[]);
    let r = p.build(&["--rootfs", empty.path().to_str().unwrap()]);
    assert_ne!(r.code, 0);
    let s = r.json();
    let e = s["error"].as_str().unwrap();
    // The message names the cause (/bin/sh) and the opt-out.
    crate::text_snapshot!("no_container_error", e);
    assert_eq!(s["prepare_ran"], false);
    assert!(p.record().is_none(), "nothing recorded");
    // --rootfs needs the container.
    let r = p.build(&["--isolation", "none", "--rootfs", "/"]);
    crate::text_snapshot!(
        "rootfs_needs_the_container",
        crate::snapshots_support::ran(&r)
    );
}

/// Processes whose command line starts with `needle`.
fn processes(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.starts_with(needle) {
                out.push(format!("{}: {c}", e.file_name().to_string_lossy()));
            }
        }
    }
    out
}

/// Host mounts under `path`.
fn mounts_under(path: &Path) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.contains(path.to_str().unwrap()))
        .map(str::to_string)
        .collect()
}

/// A warm project whose next build restores node_modules, then runs a
/// long command (two sleeps, one in the background) with a unique marker.
fn interrupted(signal: i32) {
    let secs = format!("{}{}", 7000 + signal, std::process::id() % 1000);
    let long = format!("echo started > started.txt; sleep {secs} & sleep {secs}.5");
    let p = Proj::new(&yaml(&["true"], &[INSTALL], "[node_modules]", ""), &[]);
    p.build_ok(&[]);
    let cache = p.cache_files();
    assert!(cache.contains_key("node_modules/a/lib/index.js"));
    p.write(
        "zerops.yaml",
        &yaml(&["true"], &[INSTALL, &long], "[node_modules]", ""),
    );
    let child = p.cmd("build", &["--format", "json"]).spawn().unwrap();
    // Killed if the test fails before it sends the signal.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = KillOnDrop(child);
    let started = p.setup_store().join("work/source/started.txt");
    crate::common::wait_until("the long command", 30, || started.exists());
    crate::common::wait_until("both sleeps", 30, || {
        processes(&format!("sleep {secs}")).len() == 2
    });
    // SAFETY: kill(2) takes no memory; the child is ours and not reaped.
    unsafe {
        libc::kill(child.0.id() as i32, signal);
    }
    let status = child.0.wait().unwrap();
    assert!(!status.success());
    crate::common::wait_until("every process of the build to end", 30, || {
        processes(&format!("sleep {secs}")).is_empty()
    });
    assert!(
        mounts_under(p.store.path()).is_empty(),
        "{:?}",
        mounts_under(p.store.path())
    );
    // The next command recovers the store: nothing lost.
    let r = p.run("status", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        p.cache_files(),
        cache,
        "signal {signal}: the build layer is whole"
    );
    assert!(!p.setup_store().join("journal.json").exists());
}

#[test]
fn sigterm_mid_build_leaves_no_process_no_mount_and_loses_no_file() {
    interrupted(libc::SIGTERM);
}

#[test]
fn kill_9_mid_build_leaves_no_process_no_mount_and_loses_no_file() {
    interrupted(libc::SIGKILL);
}

#[test]
fn the_time_limit_kills_every_process_of_the_build() {
    let secs = format!("{}", 8000 + std::process::id() % 1000);
    let p = Proj::new(
        &yaml(
            &[],
            &[&format!("sleep {secs} & sleep {secs}.5")],
            "false",
            "",
        ),
        &[],
    );
    let t = Instant::now();
    let r = p.build(&["--timeout", "2s"]);
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_ne!(r.code, 0);
    let e = r.json()["error"].as_str().unwrap().to_string();
    crate::text_snapshot!("time_limit_error", e.replace(&secs, "[SECS]"));
    assert!(processes(&format!("sleep {secs}")).is_empty());
    let r = p.build(&["--timeout", "0"]);
    crate::text_snapshot!("timeout_zero", crate::snapshots_support::ran(&r));
}
