//! SIGTERM and SIGINT end the whole build (issue 11, item 8): the running
//! command's process group goes, the build rolls back as after a crash,
//! and no orphaned process remains. As root and as `nobody`.

use std::process::Stdio;

use crate::build_support::{INSTALL, PREPARE, Proj, tree, yaml};
use crate::read_only_trees::{User, cmd_as, give_to_nobody, run_as};

/// Processes whose command line is exactly `sleep <secs>` (not the shell
/// whose script names it).
fn sleeps(secs: &str) -> Vec<String> {
    let want = format!("sleep {secs}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.trim_end() == want {
                out.push(format!("{}: {c}", e.file_name().to_string_lossy()));
            }
        }
    }
    out
}

fn interrupt(user: User, sig: i32, secs: &str) {
    // A nested shell and a background job too: the whole group must go.
    // Only in the second build (when `go` exists).
    let long = format!(
        "[ -f go ] || exit 0; touch started; (sleep {secs}; echo late > late.txt) & sleep {secs}; wait"
    );
    let p = Proj::new(
        &yaml(&[PREPARE], &[INSTALL, &long], "[node_modules]", ""),
        &[("package.json", "{}\n")],
    );
    if user == User::Nobody {
        give_to_nobody(&p);
    }
    let r = run_as(user, &p, "build", &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cache = tree(&p.setup_store().join("cache"));
    let record = p.record();
    p.write("go", "");
    let mut child = cmd_as(user, &p, "build", &["--format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let marker = p.setup_store().join("work/source/started");
    crate::common::wait_until("the command to start", 60, || marker.exists());
    // Both sleeps run: the background job's and the foreground one.
    crate::common::wait_until("both sleeps", 30, || sleeps(secs).len() == 2);
    // SAFETY: kill(2) on the child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
    let mut status = None;
    crate::common::wait_until("the build to end", 30, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let status = status.unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(128 + sig), "{err}");
    assert!(err.contains("rolled back"), "{err}");
    // The sleeps would run for most of an hour: any left after 10 s is an
    // orphan, not one still being reaped.
    crate::common::wait_until("no orphaned sleep", 10, || sleeps(secs).is_empty());
    // Rolled back: the build layer and the record as they were.
    assert_eq!(tree(&p.setup_store().join("cache")), cache);
    assert_eq!(p.record(), record);
    for leftover in ["journal.json", "work", "cache.new", "trash"] {
        assert!(!p.setup_store().join(leftover).exists(), "{leftover} left");
    }
    assert_eq!(run_as(user, &p, "status", &[]).code, 0);
}

#[test]
fn sigterm_ends_the_whole_build_as_root() {
    interrupt(User::Root, libc::SIGTERM, "3141");
}

#[test]
fn sigint_ends_the_whole_build_as_root() {
    interrupt(User::Root, libc::SIGINT, "3142");
}

#[test]
fn sigterm_ends_the_whole_build_as_nobody() {
    interrupt(User::Nobody, libc::SIGTERM, "3143");
}

#[test]
fn sigint_ends_the_whole_build_as_nobody() {
    interrupt(User::Nobody, libc::SIGINT, "3144");
}
