//! `--isolation none` dies with zerops-cache (issue 26): a SIGKILL of
//! zerops-cache alone (not its process group) ends every process of the
//! build command, those that left the group with `setsid` included, and
//! the next build recovers.

use std::path::Path;
use std::process::Stdio;

use crate::build_support::Proj;

pub fn alive(pid: i32) -> bool {
    // A zombie is dead; /proc/PID/stat's third field is its state.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn pid_in(p: &Path) -> i32 {
    std::fs::read_to_string(p).unwrap().trim().parse().unwrap()
}

/// The command under the reaper sees no signal blocked: a shell's `wait`
/// for its background job returns (it needs SIGCHLD).
#[test]
fn a_host_command_waits_for_its_background_jobs() {
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - (sleep 0.1; echo bg > bg.txt) & wait; grep -q SigBlk:.0000000000000000 /proc/self/status && cp bg.txt done.txt
      deployFiles: ./
      cache: false
",
        &[("a.txt", "a\n")],
    );
    let r = crate::hostile_store::run_within(p.cmd("build", &["--isolation", "none"]), 60);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(p.setup_store().join("versions/1/done.txt").exists());
}

#[test]
fn a_sigkill_of_zerops_cache_ends_every_process_of_a_host_build() {
    let mark = tempfile::tempdir().unwrap();
    let m = mark.path().display();
    let yaml = format!(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - sh -c 'echo $$ > {m}/bg; exec sleep 300' &
          setsid sh -c 'echo $$ > {m}/daemon; exec sleep 300' &
          echo $$ > {m}/fg; touch {m}/ready; sleep 300
      deployFiles: ./
      cache: false
"
    );
    let p = Proj::new(&yaml, &[("a.txt", "a\n")]);
    let mut child = p
        .cmd("build", &["--isolation", "none"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = mark.path().join("ready");
    crate::common::wait_until("the build command started", 60, || {
        ready.exists()
            && ["bg", "daemon", "fg"].iter().all(|f| {
                std::fs::read_to_string(mark.path().join(f)).is_ok_and(|s| s.ends_with('\n'))
            })
    });
    let pids: Vec<i32> = ["bg", "daemon", "fg"]
        .iter()
        .map(|f| pid_in(&mark.path().join(f)))
        .collect();
    assert!(pids.iter().all(|p| alive(*p)), "{pids:?}");
    // zerops-cache alone, as the OOM killer would.
    // SAFETY: a plain kill of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    crate::common::wait_until(
        &format!("processes of the build outlived zerops-cache: {pids:?}"),
        10,
        || pids.iter().all(|p| !alive(*p)),
    );
    // The next build recovers the interrupted one.
    let p2 = p.run("status", &[]);
    assert_eq!(p2.code, 0, "{}", p2.stderr);
}
