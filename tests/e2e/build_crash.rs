//! Crash safety and concurrency of `zerops-cache build`: an abort after
//! every single rename (the `ZEROPS_CACHE_FAIL_AFTER_RENAMES` test hook),
//! real SIGKILLs at spread-out times, and two builds at once.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::build_support::{PREPARE, Proj, tree, yaml};

/// Several cached top-level entries, and a tracked file inside
/// node_modules so restore descends and moves entries one by one.
const MAKE: &str = "[ -d vendor ] || { for p in a b c d; do mkdir -p node_modules/$p && echo $p > node_modules/$p/index.js; done; mkdir -p vendor/lib && echo v > vendor/lib/v.php && echo 1 > x.cache && echo 2 > y.cache && ln -s vendor/lib y.link.cache; }";

fn crash_project() -> Proj {
    Proj::new(
        &yaml(
            &[PREPARE],
            &[MAKE],
            "[node_modules, vendor, \"*.cache\"]",
            "",
        ),
        &[
            ("node_modules/keep.txt", "tracked\n"),
            ("composer.json", "{}\n"),
        ],
    )
}

/// The files a crash must not change: the build layer, the home and the
/// project directory (without .git).
fn files(
    p: &Proj,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
) {
    let mut project = tree(p.path());
    project.retain(|k, _| !k.starts_with(".git/"));
    (p.cache_files(), p.home_files(), project)
}

fn assert_clean_store(p: &Proj, what: &str) {
    let s = p.setup_store();
    for leftover in [
        "journal.json",
        "journal.restore.json",
        "work",
        "cache.new",
        "base.old",
        "trash",
    ] {
        assert!(
            !s.join(leftover).exists(),
            "{what}: {leftover} left in the store"
        );
    }
}

/// Any command recovers: status, plan and invalidate open the store the
/// same way build does.
fn recover(p: &Proj, what: &str) {
    recover_with(p, "status", what)
}

fn recover_with(p: &Proj, cmd: &str, what: &str) {
    let r = p.run(cmd, &[]);
    assert_eq!(
        r.code, 0,
        "{what}: status after the crash failed: {}",
        r.stderr
    );
}

fn abort_at_every_rename(p: &Proj, label: &str) -> u64 {
    abort_at_every_rename_with(p, label, &[])
}

fn abort_at_every_rename_with(p: &Proj, label: &str, args: &[&str]) -> u64 {
    abort_at_every_rename_kept(p, label, args, None)
}

/// [`abort_at_every_rename_with`] for a build that rebuilds the base layer:
/// an abort after its prepareCommands succeeded keeps that base layer with
/// an empty build layer (issue 32); `reset` then brings back the start.
fn abort_at_every_rename_kept(
    p: &Proj,
    label: &str,
    args: &[&str],
    reset: Option<&dyn Fn()>,
) -> u64 {
    let start = files(p);
    let mut n = 1;
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    loop {
        let (code, stdout, stderr) = crate::common::run(
            p.cmd("build", &a)
                .env("ZEROPS_CACHE_FAIL_AFTER_RENAMES", n.to_string()),
        );
        let what = format!("{label}: abort after rename {n}");
        if code == 0 {
            // Past the last rename: the build completed.
            assert!(stdout.contains("\"ok\":true"), "{what}: {stdout}");
            assert_eq!(
                files(p),
                start,
                "{what}: a complete build changed the files"
            );
            eprintln!("{label}: aborted and recovered at renames 1..{}", n - 1);
            return n;
        }
        assert!(stderr.contains("test hook"), "{what}: {stderr}");
        recover_with(p, if n % 2 == 0 { "plan" } else { "status" }, &what);
        let now = files(p);
        if let Some(reset) = reset
            && now != start
        {
            // The prepared base layer was kept: its home, no build layer,
            // and the next build reuses it.
            assert!(now.0.is_empty(), "{what}: a mix of caches: {:?}", now.0);
            assert_eq!((&now.1, &now.2), (&start.1, &start.2), "{what}");
            let plan = p.run("plan", &["--format", "json"]);
            assert!(plan.stdout.contains("\"reuse\""), "{what}: {}", plan.stdout);
            assert_clean_store(p, &what);
            reset();
            assert_eq!(files(p), start, "{what}: the reset");
        } else {
            assert_eq!(now, start, "{what}: files differ after recovery");
        }
        assert_clean_store(p, &what);
        n += 1;
        assert!(n < 200, "{label}: the build never completed");
    }
}

#[test]
fn abort_after_any_rename_loses_and_duplicates_nothing() {
    let p = crash_project();
    p.build_ok(&[]);
    let warm = p.build_ok(&[]);
    assert!(warm["restored"].as_u64().unwrap() >= 7, "{warm}");
    // A warm build: restore and preserve batches, commit.
    let n = abort_at_every_rename(&p, "warm");
    assert!(n > warm["restored"].as_u64().unwrap() * 2, "{n}");

    // A base-layer rebuild: the home is moved aside and must come back.
    let text = std::fs::read_to_string(p.path().join("zerops.yaml"))
        .unwrap()
        .replace("prepareCommands:", "prepareCommands:\n        - \"true\"");
    p.write("zerops.yaml", &text);
    // The rebuilt home has the same content (PREPARE runs once in a fresh
    // home), and MAKE recreates the same cache, so rolled back and
    // committed builds leave the same files. An abort after prepareCommands
    // keeps the new base layer without a build layer; the reset builds the
    // old config (a rebuild again) and comes back.
    let old = std::fs::read_to_string(p.path().join("zerops.yaml")).unwrap();
    let old = old.replace("prepareCommands:\n        - \"true\"", "prepareCommands:");
    let reset = || {
        p.write("zerops.yaml", &old);
        p.build_ok(&[]);
        p.build_ok(&[]);
        p.write("zerops.yaml", &text);
    };
    abort_at_every_rename_kept(&p, "rebuild", &[], Some(&reset));
}

#[test]
fn sigkill_at_random_times_loses_and_duplicates_nothing() {
    // The whole group (the build and its shells), as a CI runner would.
    sigkill_at_random_times(&crash_project(), &[], true, &|_| {});
}

/// In host mode (`--isolation none`) with zerops-cache alone killed (not
/// its process group, as the OOM killer would): nothing is lost, and every
/// process the build started is gone after each kill, those left in the
/// background and a `setsid` daemon included (issue 26).
#[test]
fn sigkill_at_random_times_in_host_mode_leaves_no_process() {
    let mark = tempfile::tempdir().unwrap();
    let pids = mark.path().join("pids");
    // Both sleepers outlive the command's shell unless something ends them.
    let build = format!(
        "sh -c 'echo $$ >> {0}; exec sleep 120' & setsid sh -c 'echo $$ >> {0}; exec sleep 120' & {MAKE}; sleep 0.2",
        pids.display()
    );
    let p = Proj::new(
        &yaml(
            &[PREPARE],
            &[&build],
            "[node_modules, vendor, \"*.cache\"]",
            "",
        ),
        &[
            ("node_modules/keep.txt", "tracked\n"),
            ("composer.json", "{}\n"),
        ],
    );
    let none_left = |what: &str| {
        let started: Vec<i32> = std::fs::read_to_string(&pids)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        assert!(!started.is_empty(), "{what}: no build command started yet");
        crate::common::wait_until(
            &format!("{what}: processes of the build outlived zerops-cache: {started:?}"),
            10,
            || started.iter().all(|p| !crate::host_reaper::alive(*p)),
        );
    };
    sigkill_at_random_times(&p, &["--isolation", "none"], false, &none_left);
}

/// 16 builds killed (SIGKILL) at spread-out moments: `group` kills the
/// process group, else zerops-cache alone. After each, any command
/// recovers, the cache, home and project are as before, the store holds no
/// leftover, and `check` holds.
fn sigkill_at_random_times(p: &Proj, args: &[&str], group: bool, check: &dyn Fn(&str)) {
    let mut build = vec!["--format", "json"];
    build.extend_from_slice(args);
    p.build_ok(args);
    p.build_ok(args);
    let start = files(p);
    // The fastest of three warm builds: kills land inside a build even
    // when the machine is busy.
    let typical = (0..3)
        .map(|_| {
            let t = Instant::now();
            p.build_ok(args);
            t.elapsed().as_millis() as u64
        })
        .min()
        .unwrap();
    let mut killed = 0;
    for i in 0..16u64 {
        // Spread over the whole build, deterministic but irregular.
        let delay = (i * 7919 % 97) * typical.max(50) * 3 / 4 / 97;
        let mut child = p
            .cmd("build", &build)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let target = if group {
            format!("-{}", child.id())
        } else {
            child.id().to_string()
        };
        let _ = std::process::Command::new("kill")
            .args(["-9", "--", &target])
            .status();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed += 1;
        }
        let what = format!("SIGKILL after {delay} ms");
        check(&what);
        recover(p, &what);
        assert_eq!(files(p), start, "{what}: files differ after recovery");
        assert_clean_store(p, &what);
    }
    eprintln!("{killed} of 16 builds killed mid-way (typical build {typical} ms)");
    assert!(killed >= 4, "only {killed} builds were killed mid-way");
}

/// buildCommands item that holds a build at the test's word: when the
/// project has a `hold` file, it makes a FIFO `release`, says `started`,
/// and waits (`cat`) until the test opens the FIFO and closes it. The
/// build holds the store lock meanwhile, for exactly as long as the test
/// needs, whatever the machine's load.
const HOLD: &str = "[ -f hold ] || exit 0; rm -f release; mkfifo release && touch started && timeout 600 cat release; rm -f release started";

/// A build stopped in [`HOLD`]. Dropping it lets the build go on too (a
/// failed assertion leaves no build waiting).
struct Held {
    child: Option<std::process::Child>,
    fifo: std::path::PathBuf,
}

impl Held {
    /// Starts a build of `p` that stops in [`HOLD`], and returns once its
    /// command runs (it holds the lock then). `hold` is gone from the
    /// project again, so the next build does not stop.
    fn start(p: &Proj) -> Held {
        p.write("hold", "");
        let child = p
            .cmd("build", &["--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The store may not exist before this first build has made it.
        let setup = || {
            let first = |d: &std::path::Path| {
                std::fs::read_dir(d)
                    .ok()?
                    .flatten()
                    .next()
                    .map(|e| e.path())
            };
            first(&first(p.store.path())?)
        };
        crate::common::wait_until("the held build's command to start", 120, || {
            setup().is_some_and(|s| s.join("work/source/started").exists())
        });
        let source = p.setup_store().join("work/source");
        std::fs::remove_file(p.path().join("hold")).unwrap();
        Held {
            child: Some(child),
            fifo: source.join("release"),
        }
    }

    /// Lets the build go on (opening the FIFO waits for its reader; closing
    /// it ends the `cat`) and returns how it ended.
    fn release(mut self) -> std::process::Output {
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .open(&self.fifo)
                .unwrap(),
        );
        self.child.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            use std::os::unix::fs::OpenOptionsExt;
            // Unread pipes must not block it.
            drop((child.stdout.take(), child.stderr.take()));
            // Without blocking: the reader may be gone already.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.fifo);
            let _ = child.wait();
        }
    }
}

#[test]
fn two_concurrent_builds_both_succeed() {
    let p = Proj::new(
        &yaml(&[PREPARE], &[MAKE, HOLD], "[node_modules, vendor]", ""),
        &[],
    );
    p.build_ok(&[]);
    let a = Held::start(&p);
    // The second build starts while the first holds the lock, and says it
    // waits for it before the first is let go.
    let mut b = p
        .cmd("build", &["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err_b = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let err_b = err_b.clone();
        let mut stderr = b.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stderr, &mut buf) {
                if n == 0 {
                    break;
                }
                err_b
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    crate::common::wait_until("the second build to wait for the lock", 120, || {
        err_b.lock().unwrap().contains("waiting for the store lock")
    });
    let a = a.release();
    let b = b.wait_with_output().unwrap();
    reader.join().unwrap();
    let err_b = err_b.lock().unwrap().clone();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{err_b}");
    assert!(p.cache_files().contains_key("vendor/lib/v.php"));
    assert_eq!(p.home_files()["prepare.log"], "ran\n");
}

#[test]
fn no_wait_fails_at_once() {
    let p = Proj::new(&yaml(&[], &[HOLD], "false", ""), &[]);
    let a = Held::start(&p);
    // The first build holds the lock until it is released below, so a
    // `--no-wait` build that waited would never end: it must end (exit 5)
    // while the lock is held.
    let r = crate::hostile_store::run_within(p.cmd("build", &["--no-wait"]), 60);
    let a = a.release();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("locked by pid"), "{}", r.stderr);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
}

#[test]
fn the_next_build_or_invalidate_recovers_too() {
    let p = crash_project();
    p.build_ok(&[]);
    let start = files(&p);
    for (n, next) in [(3u32, "build"), (9, "invalidate"), (14, "build")] {
        let (code, _, stderr) = crate::common::run(
            p.cmd("build", &[])
                .env("ZEROPS_CACHE_FAIL_AFTER_RENAMES", n.to_string()),
        );
        assert_ne!(code, 0, "{stderr}");
        assert!(
            p.setup_store().join("journal.json").exists(),
            "abort at {n} left a journal"
        );
        let r = p.run(next, &[]);
        assert_eq!(r.code, 0, "{next} after abort at {n}: {}", r.stderr);
        assert!(r.stderr.contains("recovered:"), "{next}: {}", r.stderr);
        assert_eq!(
            files(&p).0,
            start.0,
            "{next} after abort at {n}: the build layer"
        );
        assert_clean_store(&p, next);
    }
}

#[test]
fn cross_filesystem_moves_survive_an_abort_at_every_step() {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        crate::common::skip("no /dev/shm (the cross-filesystem store needs a tmpfs)");
        return;
    }
    // The project on the disk, the store on tmpfs: --in-place moves are
    // copy, mark complete, remove, rename; each step can be interrupted.
    let p = crash_project().with_store_in(shm);
    p.build_ok(&["--in-place"]);
    p.build_ok(&["--in-place"]);
    let n = abort_at_every_rename_with(&p, "cross-filesystem", &["--in-place"]);
    assert!(n > 20, "{n}");
}

/// Issue 32: aborts at every rename of a failing build, one whose commands
/// change restored entries and one whose commands leave them alone. After
/// recovery the build layer is the previous one byte for byte, or none;
/// never a mix.
#[test]
fn aborts_during_a_failing_build_leave_the_previous_cache_or_none() {
    for (label, change, may_drop) in [
        ("changing", "echo half > node_modules/a/half.js", true),
        ("untouched", "true", false),
    ] {
        let p = crash_project();
        p.build_ok(&[]);
        p.build_ok(&[]);
        let (start_cache, start_home, _) = files(&p);
        let failing = yaml(
            &[PREPARE],
            &[MAKE, change, "exit 7"],
            "[node_modules, vendor, \"*.cache\"]",
            "",
        );
        p.write("zerops.yaml", &failing);
        let mut dropped = 0;
        for n in 1..200 {
            let (code, _, stderr) = crate::common::run(
                p.cmd("build", &["--format", "json"])
                    .env("ZEROPS_CACHE_FAIL_AFTER_RENAMES", n.to_string()),
            );
            let what = format!("{label}: abort after rename {n}");
            let aborted = stderr.contains("test hook");
            if !aborted {
                assert_eq!(code, 4, "{what}: {stderr}");
            }
            recover(&p, &what);
            let (cache, home, _) = files(&p);
            assert_eq!(home, start_home, "{what}: the base layer changed");
            if cache.is_empty() {
                assert!(may_drop, "{what}: an untouched cache was dropped: {stderr}");
                dropped += 1;
            } else {
                assert_eq!(cache, start_cache, "{what}: a mix of caches");
            }
            assert_clean_store(&p, &what);
            // Back to the previous cache for the next round.
            if cache.is_empty() {
                p.write(
                    "zerops.yaml",
                    &yaml(
                        &[PREPARE],
                        &[MAKE],
                        "[node_modules, vendor, \"*.cache\"]",
                        "",
                    ),
                );
                p.build_ok(&[]);
                p.write("zerops.yaml", &failing);
            }
            if !aborted {
                eprintln!(
                    "{label}: aborted at renames 1..{}, {dropped} dropped",
                    n - 1
                );
                break;
            }
        }
        if may_drop {
            assert!(dropped > 0, "{label}: the change was never seen");
        }
    }
}
