//! Shared helpers: the binary, the corpus, and the component every test
//! asks in-process (the code build.rs precompiled, as the binary loads it: a
//! debug-built wasmtime compiles the component slowly, so only the tests of
//! compiling and of the artifact cache compile it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use zerops_cache::component::PolicyHost;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The corpus of real zerops.yml files, copied into the repository
/// (`tests/corpus/zerops-yml`, with the official schema beside it).
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/corpus/zerops-yml");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus must be at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 60,
        "expected the 67-file corpus in {}",
        dir.display()
    );
    files
}

/// One artifact directory for all tests of this run (the binaries load
/// their embedded code first; this is where a compile would be cached).
pub fn artifact_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The component, loaded once per test process from the code build.rs
/// precompiled into the binary (tests/e2e/component.rs tests that this
/// code loads, and the compile and the artifact cache by themselves).
pub fn host() -> &'static PolicyHost {
    static HOST: OnceLock<PolicyHost> = OnceLock::new();
    HOST.get_or_init(|| PolicyHost::load_embedded().expect("loading the component"))
}

/// A `zerops-cache` command sharing the artifact cache.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zerops-cache"));
    c.env("ZEROPS_CACHE_ARTIFACTS", artifact_dir())
        .env("NO_COLOR", "1")
        // A settled store when the command returns (the default empties
        // the trash in a detached process; tests/e2e/cleanup.rs checks it).
        .env("ZEROPS_CACHE_CLEANUP", "inline")
        // Builds run on the host's own root unless a test names an image:
        // no test may need Docker Hub (tests/e2e/images.rs pulls from a
        // registry of its own on 127.0.0.1).
        .env("ZEROPS_CACHE_IMAGE", "host");
    c
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("running zerops-cache");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Whether this run is CI's (`CI=true`, as GitHub Actions and GitLab set
/// it): there a missing prerequisite fails the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the calling test visibly: a `SKIP` line on the real stderr (the
/// test harness captures only the print macros, so the line shows in a
/// normal `cargo test` run). With `CI=true` it fails instead: CI has every
/// prerequisite, so a missing one is a broken runner, not a skip.
#[track_caller]
pub fn skip(reason: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if in_ci() {
        panic!("{test}: prerequisite missing under CI=true: {reason}");
    }
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {reason}");
}

/// `true` when `available`; otherwise skips visibly (see [`skip`]) when
/// the opt-out variable `knob` is set, and fails naming `install` when not.
#[track_caller]
pub fn prerequisite(available: bool, what: &str, knob: &str, install: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var_os(knob).is_some() {
        skip(&format!("{what} is missing ({knob} is set)"));
        return false;
    }
    panic!("this test needs {what}: {install} (or set {knob}=1 to skip)");
}

/// Waits until `path` exists or `child` ends, at most `secs` seconds,
/// woken by events instead of a polling interval: inotify on `path`'s
/// parent (which must exist) and a pidfd of the child. True when `path`
/// exists.
pub fn wait_for_path_or_exit(path: &Path, child: &std::process::Child, secs: u64) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fs::inotify;
    use rustix::io::Errno;
    let events = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
        .expect("inotify_init");
    inotify::add_watch(
        &events,
        path.parent().expect("a path with a parent"),
        inotify::WatchFlags::CREATE | inotify::WatchFlags::MOVED_TO,
    )
    .expect("watching the parent directory");
    let pid = rustix::process::Pid::from_child(child);
    let exited =
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).expect("pidfd_open");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut buf = [0u8; 4096];
    loop {
        // Checked after the watch is in place: a creation before it is seen
        // here, one after it wakes the poll.
        if path.exists() {
            return true;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        let timeout = Timespec::try_from(left).expect("a timeout");
        let mut fds = [
            PollFd::new(&events, PollFlags::IN),
            PollFd::new(&exited, PollFlags::IN),
        ];
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
        if !fds[1].revents().is_empty() {
            return path.exists();
        }
        while rustix::io::read(&events, &mut buf).is_ok() {}
    }
}

/// Waits until `done` holds, polling every 20 ms; fails the test naming
/// `what` once `secs` seconds pass (a condition, not a guess at timing).
pub fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
