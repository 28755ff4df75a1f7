//! The store as hostile or unlucky input (issue 11): crafted journals,
//! broken records, FIFOs in place of store files. Every command must give
//! a clear error naming the file and the way out, never trap, hang or
//! touch anything outside the store and the project.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::build_support::{INSTALL, PREPARE, Proj, Ran, yaml};

pub fn project() -> Proj {
    Proj::new(
        &yaml(&[PREPARE], &[INSTALL], "[node_modules]", ""),
        &[("package.json", "{}\n")],
    )
}

/// Runs `cmd`, killing it after `secs` seconds (a hang fails the test).
/// A thread waits for it and collects its output (so a full pipe never
/// stalls it); the test waits for that thread's answer, no longer than
/// `secs`.
pub fn run_within(mut cmd: Command, secs: u64) -> Ran {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning zerops-cache");
    let pid = rustix::process::Pid::from_child(&child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            let out = rx.recv().unwrap().unwrap();
            panic!(
                "hung for {secs} s; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn mkfifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success());
}

/// A journal of an interrupted in-place build.
fn journal(source_dir: &str, restore_saved: bool) -> String {
    format!(
        r#"{{"version":1,"phase":"started","pid":1,"source_dir":{source_dir},"base_reset":false,"version_created":null,"restore_saved":{restore_saved},"preserve":[],"record":null}}"#
    )
}

fn restore_batch(from: &str, to: &str) -> String {
    format!(
        r#"[{{"from":{{"root":"store","path":"{from}"}},"to":{{"root":"source","path":"{to}"}}}}]"#
    )
}

#[test]
fn a_foreign_journal_source_dir_is_refused_and_nothing_outside_is_touched() {
    let p = project();
    p.build_ok(&[]);
    let victim = tempfile::tempdir().unwrap();
    std::fs::write(victim.path().join("a.txt"), "precious\n").unwrap();
    let s = p.setup_store();
    let src = serde_json::to_string(victim.path()).unwrap();
    // The exact input of the issue (store `work/x` to source `a.txt`), and
    // the same with a store path a build could have journaled.
    for (from, why) in [
        ("work/x", "not inside cache/"),
        ("cache/x", "not this project"),
    ] {
        std::fs::write(s.join("journal.json"), journal(&src, true)).unwrap();
        std::fs::write(s.join("journal.restore.json"), restore_batch(from, "a.txt")).unwrap();
        for sub in ["status", "plan", "build", "invalidate"] {
            let r = p.run(sub, &[]);
            assert_eq!(r.code, 6, "{sub}: {}\n{}", r.stdout, r.stderr);
            assert!(r.stderr.contains("journal.json"), "{sub}: {}", r.stderr);
            assert!(r.stderr.contains(why), "{sub}: {}", r.stderr);
            assert!(
                r.stderr.contains("zerops-cache repair"),
                "{sub}: {}",
                r.stderr
            );
            assert_eq!(
                std::fs::read_to_string(victim.path().join("a.txt")).unwrap(),
                "precious\n",
                "{sub} touched the victim"
            );
        }
    }
}

#[test]
fn journal_paths_must_stay_inside_the_store_and_the_project() {
    let p = project();
    p.build_ok(&[]);
    p.write("a.txt", "mine\n");
    let s = p.setup_store();
    let here = serde_json::to_string(&p.path().canonicalize().unwrap()).unwrap();
    for (from, to) in [
        ("work/x", "a.txt"),
        ("cache/../work/x", "a.txt"),
        ("cache/x", "../a.txt"),
        ("cache/x", "/etc/passwd"),
        ("/tmp/x", "a.txt"),
        ("cache", "a.txt"),
        ("cache/x", ""),
    ] {
        std::fs::write(s.join("journal.json"), journal(&here, true)).unwrap();
        std::fs::write(s.join("journal.restore.json"), restore_batch(from, to)).unwrap();
        let r = p.run("status", &[]);
        assert_eq!(r.code, 6, "{from} -> {to}: {}", r.stderr);
        assert!(
            r.stderr.contains("journal.json") && r.stderr.contains("repair"),
            "{from} -> {to}: {}",
            r.stderr
        );
        assert_eq!(
            std::fs::read_to_string(p.path().join("a.txt")).unwrap(),
            "mine\n"
        );
    }
}

#[test]
fn a_multibyte_key_in_the_record_does_not_trap_the_component() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    let mut rec: serde_json::Value = serde_json::from_str(&p.record().unwrap()).unwrap();
    rec["keys"]["base"] = "a€€€€".into();
    std::fs::write(s.join("record.json"), rec.to_string()).unwrap();
    for sub in ["status", "plan"] {
        let r = p.run(sub, &[]);
        assert_eq!(r.code, 0, "{sub}: {}", r.stderr);
        assert!(r.stdout.contains("a€€€€…"), "{sub}: {}", r.stdout);
    }
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["base"]["action"], "rebuild", "{b}");
}

#[test]
fn a_non_utf8_record_names_the_file_and_invalidate_is_the_way_out() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    std::fs::write(s.join("record.json"), b"{\"schema\": 1, \xff\xfe}").unwrap();
    for sub in ["status", "plan", "build"] {
        let r = p.run(sub, &[]);
        assert_eq!(r.code, 6, "{sub}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr
                .contains(&s.join("record.json").display().to_string())
                && r.stderr.contains("not UTF-8")
                && r.stderr.contains("zerops-cache invalidate"),
            "{sub}: {}",
            r.stderr
        );
    }
    let r = p.run("invalidate", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("unreadable"), "{}", r.stdout);
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["base"]["action"], "rebuild", "{b}");
    assert_eq!(p.run("status", &[]).code, 0);
}

#[test]
fn an_unparsable_journal_or_a_missing_batch_names_the_file() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    let here = serde_json::to_string(&p.path().canonicalize().unwrap()).unwrap();
    for (text, what) in [
        ("{nope".to_string(), "not a readable journal"),
        (
            journal(&here, true),
            "journal.restore.json, that is missing",
        ),
        (
            journal("null", false).replace("\"version\":1", "\"version\":7"),
            "version 7",
        ),
    ] {
        std::fs::write(s.join("journal.json"), &text).unwrap();
        let r = p.run("status", &[]);
        assert_eq!(r.code, 6, "{text}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&s.join("journal.json").display().to_string())
                && r.stderr.contains(what)
                && r.stderr.contains("zerops-cache repair"),
            "{text}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_fifo_in_place_of_a_store_file_does_not_hang_any_command() {
    for name in ["record.json", "journal.json", "journal.restore.json"] {
        let p = project();
        p.build_ok(&[]);
        let s = p.setup_store();
        if name == "journal.restore.json" {
            let here = serde_json::to_string(&p.path().canonicalize().unwrap()).unwrap();
            std::fs::write(s.join("journal.json"), journal(&here, true)).unwrap();
        }
        mkfifo(&s.join(name));
        for sub in ["status", "build"] {
            let r = run_within(p.cmd(sub, &[]), 60);
            assert_eq!(r.code, 6, "{name} {sub}: {}", r.stderr);
            assert!(
                r.stderr.contains(name) && r.stderr.contains("FIFO"),
                "{name} {sub}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_fifo_or_torn_file_at_a_temporary_name_is_replaced() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    mkfifo(&s.join("journal.json.tmp"));
    mkfifo(&s.join("record.json.tmp"));
    let r = run_within(p.cmd("build", &["--format", "json"]), 120);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!s.join("journal.json.tmp").exists());
    assert!(!s.join("record.json.tmp").exists());
}

#[test]
fn invalidate_wins_when_built_at_is_in_the_future() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    // Clock skew, or a store copied from a machine whose clock runs ahead.
    let mut rec: serde_json::Value = serde_json::from_str(&p.record().unwrap()).unwrap();
    rec["built_at"] = "2999-01-01T00:00:00Z".into();
    std::fs::write(s.join("record.json"), rec.to_string()).unwrap();
    assert_eq!(p.build_ok(&[])["layers"]["build"]["action"], "reuse");
    let mut rec: serde_json::Value = serde_json::from_str(&p.record().unwrap()).unwrap();
    rec["built_at"] = "2999-01-01T00:00:00Z".into();
    std::fs::write(s.join("record.json"), rec.to_string()).unwrap();
    assert_eq!(p.run("invalidate", &[]).code, 0);
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["base"]["action"], "rebuild", "{b}");
    assert_eq!(b["layers"]["build"]["action"], "drop", "{b}");
    assert_eq!(b["prepare_ran"], true);
    // Consumed: the build after that reuses both layers.
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["build"]["action"], "reuse", "{b}");
}

#[test]
fn plan_and_status_create_no_store() {
    let p = project();
    for sub in ["plan", "status"] {
        let r = p.run(sub, &[]);
        assert_eq!(r.code, 0, "{sub}: {}", r.stderr);
        let left: Vec<_> = std::fs::read_dir(p.store.path()).unwrap().collect();
        assert!(left.is_empty(), "{sub} created {left:?}");
    }
    let r = p.run("status", &["--format", "json"]);
    let s: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(s["layers"]["base"]["next_build"], "rebuild", "{s}");
}

#[test]
fn errors_name_the_path_they_concern() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    // A file where the store keeps a directory.
    std::fs::remove_dir_all(s.join("versions")).unwrap();
    std::fs::write(s.join("versions"), "x").unwrap();
    let r = p.run("status", &[]);
    assert_eq!(r.code, 6, "a broken store: {}", r.stderr);
    assert!(
        r.stderr.contains(&s.display().to_string()) && r.stderr.contains("versions"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(s.join("versions")).unwrap();
    // A symlink named as the artifact root.
    let q = Proj::new(
        &yaml(
            &[],
            &["mkdir -p real && echo 1 > real/f && ln -s real lnk"],
            "false",
            "",
        )
        .replace("deployFiles: ./", "deployFiles: lnk/~"),
        &[],
    );
    let r = q.build(&[]);
    assert_eq!(
        r.code, 4,
        "the build left no directory where deployFiles names one"
    );
    assert!(
        r.stderr
            .contains("`lnk` is a symbolic link, not a directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_torn_temporary_journal_is_removed() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    std::fs::write(s.join("journal.json.tmp"), "{\"version\":1,\"pha").unwrap();
    assert_eq!(p.run("status", &[]).code, 0);
    assert!(!s.join("journal.json.tmp").exists());
}

#[test]
fn a_non_utf8_name_restore_skips_stays_in_the_cache() {
    use std::os::unix::ffi::OsStrExt;
    let make = "[ -f first ] && printf x > \"node_modules/$(printf '\\377')\" || true";
    let p = Proj::new(
        &yaml(&[], &[make], "[node_modules]", ""),
        &[("node_modules/keep.txt", "tracked\n")],
    );
    p.write("first", "");
    p.build_ok(&[]);
    let names = |p: &Proj| -> Vec<Vec<u8>> {
        std::fs::read_dir(p.setup_store().join("cache/node_modules"))
            .unwrap()
            .map(|e| e.unwrap().file_name().as_bytes().to_vec())
            .collect()
    };
    assert!(names(&p).contains(&vec![0xff]), "first build cached it");
    std::fs::remove_file(p.path().join("first")).unwrap();
    // node_modules is in the workspace (a tracked file): restore goes
    // into it, and must leave the name it cannot journal in the layer.
    let s = p.build_ok(&[]);
    assert!(s["skipped_detail"].to_string().contains("not-utf8"), "{s}");
    assert!(names(&p).contains(&vec![0xff]), "dropped at commit: {s}");
}
