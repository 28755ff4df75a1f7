//! `zerops-cache repair` (issue 11, the way out): checks a store, explains
//! what is wrong, and brings it to a consistent state without losing a
//! cached file.

use crate::build_support::Proj;
use crate::hostile_store::{project, run_within};

fn broken_dir_files(p: &Proj) -> Vec<String> {
    let b = p.setup_store().join("broken");
    let mut out = Vec::new();
    for d in std::fs::read_dir(&b)
        .map(|r| r.flatten().collect())
        .unwrap_or_else(|_| Vec::new())
    {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            out.push(f.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn a_consistent_store_is_left_alone() {
    let p = project();
    p.build_ok(&[]);
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("is consistent"), "{}", r.stdout);
    assert!(!p.setup_store().join("broken").exists());
}

#[test]
fn an_unreadable_journal_is_set_aside_and_the_cache_kept() {
    let p = project();
    p.build_ok(&[]);
    let cache = p.cache_files();
    assert!(!cache.is_empty());
    let s = p.setup_store();
    std::fs::write(s.join("journal.json"), "{nope").unwrap();
    assert_eq!(
        p.run("status", &[]).code,
        6,
        "a broken journal: the store is broken"
    );
    let r = p.run("repair", &["--check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("not a readable journal"), "{}", r.stdout);
    assert!(s.join("journal.json").exists(), "--check changed the store");
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("repaired"), "{}", r.stdout);
    assert_eq!(broken_dir_files(&p), ["journal.json"]);
    assert_eq!(p.run("status", &[]).code, 0);
    assert_eq!(p.cache_files(), cache, "a cached file was lost");
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["build"]["action"], "reuse", "{b}");
    assert_eq!(b["restored"], 1, "{b}");
}

#[test]
fn a_foreign_journal_is_set_aside_without_touching_its_directory() {
    let p = project();
    p.build_ok(&[]);
    let victim = tempfile::tempdir().unwrap();
    std::fs::write(victim.path().join("a.txt"), "precious\n").unwrap();
    let s = p.setup_store();
    let src = serde_json::to_string(victim.path()).unwrap();
    std::fs::write(
        s.join("journal.json"),
        format!(r#"{{"version":1,"phase":"started","pid":1,"source_dir":{src},"base_reset":false,"version_created":null,"restore_saved":true,"preserve":[],"record":null}}"#),
    )
    .unwrap();
    std::fs::write(
        s.join("journal.restore.json"),
        r#"[{"from":{"root":"store","path":"cache/x"},"to":{"root":"source","path":"a.txt"}}]"#,
    )
    .unwrap();
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("not this project"), "{}", r.stdout);
    assert_eq!(
        broken_dir_files(&p),
        ["journal.json", "journal.restore.json"]
    );
    assert_eq!(
        std::fs::read_to_string(victim.path().join("a.txt")).unwrap(),
        "precious\n"
    );
    assert_eq!(p.run("status", &[]).code, 0);
}

#[test]
fn fifos_and_a_non_utf8_record_are_set_aside() {
    let p = project();
    p.build_ok(&[]);
    let cache = p.cache_files();
    let s = p.setup_store();
    std::fs::write(s.join("record.json"), b"\xff\xfe").unwrap();
    std::fs::remove_file(s.join("lock")).unwrap();
    for f in ["journal.json", "lock"] {
        assert!(
            std::process::Command::new("mkfifo")
                .arg(s.join(f))
                .status()
                .unwrap()
                .success()
        );
    }
    let r = run_within(p.cmd("repair", &[]), 60);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("FIFO") && r.stdout.contains("not UTF-8"),
        "{}",
        r.stdout
    );
    assert_eq!(
        broken_dir_files(&p),
        ["journal.json", "lock", "record.json"]
    );
    assert_eq!(p.cache_files(), cache);
    let b = p.build_ok(&[]);
    assert_eq!(b["layers"]["base"]["action"], "rebuild", "{b}");
    assert_eq!(p.run("repair", &[]).code, 0);
}

#[test]
fn an_intact_interrupted_build_is_recovered() {
    let p = project();
    p.build_ok(&[]);
    let cache = p.cache_files();
    // Killed after the first rename of the next build (mid-restore).
    let r = {
        let mut c = p.cmd("build", &["--format", "json"]);
        c.env("ZEROPS_CACHE_FAIL_AFTER_RENAMES", "3");
        run_within(c, 120)
    };
    assert_ne!(r.code, 0);
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(p.cache_files(), cache);
    assert!(!p.setup_store().join("journal.json").exists());
}
