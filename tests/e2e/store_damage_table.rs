//! Every store path × every kind of damage (issue 26): for each case every
//! command either works or exits 6 naming the file; none hangs, panics
//! (101) or serves wrong bytes; `repair` then leaves a store whose next
//! build succeeds and whose versions export intact (`repair --deep`: a
//! same-size change of an object is seen only by reading it).
//!
//! One store is built once and copied for each case (the copy keeps its
//! hard links); every command runs the binary directly, each with a
//! deadline that fails the test rather than hanging it.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build_support::{Ran, tree};
use crate::hostile_store::run_within;
use crate::store_damage::{object_of, project};

#[derive(Clone, Copy, Debug)]
enum Damage {
    Corrupt,
    Truncated,
    Empty,
    NotUtf8,
    SymlinkIn,
    SymlinkOut,
    Fifo,
    Directory,
    /// A file where a directory belongs.
    FileForDir,
}

const FILE_DAMAGE: &[Damage] = &[
    Damage::Corrupt,
    Damage::Truncated,
    Damage::Empty,
    Damage::NotUtf8,
    Damage::SymlinkIn,
    Damage::SymlinkOut,
    Damage::Fifo,
    Damage::Directory,
];
const DIR_DAMAGE: &[Damage] = &[
    Damage::FileForDir,
    Damage::SymlinkIn,
    Damage::SymlinkOut,
    Damage::Fifo,
];

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success());
}

/// Removes whatever is at `p` (read-only directories included).
fn clear(p: &Path) {
    let Ok(md) = std::fs::symlink_metadata(p) else {
        return;
    };
    if md.is_dir() {
        let _ = Command::new("chmod").args(["-R", "u+rwx"]).arg(p).status();
        std::fs::remove_dir_all(p).unwrap();
    } else {
        std::fs::remove_file(p).unwrap();
    }
}

fn apply(store: &Path, rel: &str, d: Damage, outside: &Path) {
    let p = store.join(rel);
    let old = std::fs::read(&p).unwrap_or_default();
    if p.exists() {
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644));
    }
    let write = |bytes: &[u8]| {
        clear(&p);
        std::fs::write(&p, bytes).unwrap();
    };
    match d {
        Damage::Corrupt => {
            let mut b = old.clone();
            let i = b.len() / 2;
            if b.is_empty() {
                b.push(b'#');
            } else {
                b[i] = if b[i] == b'Z' { b'Q' } else { b'Z' };
            }
            write(&b)
        }
        Damage::Truncated => write(&old[..old.len() / 2]),
        Damage::Empty => write(b""),
        Damage::NotUtf8 => write(b"\xff\xfe\x00garbage\x80"),
        Damage::SymlinkIn => {
            clear(&p);
            // Another store file.
            std::os::unix::fs::symlink(store.join("versions/1.json"), &p).unwrap();
        }
        Damage::SymlinkOut => {
            clear(&p);
            std::os::unix::fs::symlink(outside, &p).unwrap();
        }
        Damage::Fifo => {
            clear(&p);
            mkfifo(&p);
        }
        Damage::Directory => {
            clear(&p);
            std::fs::create_dir(&p).unwrap();
        }
        Damage::FileForDir => write(b"not a directory\n"),
    }
}

fn copy_store(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

fn run(project: &Path, root: &Path, sub: &str, args: &[&str]) -> Ran {
    run_with(project, root, sub, args, &|_| {})
}

fn run_with(
    project: &Path,
    root: &Path,
    sub: &str,
    args: &[&str],
    env: &dyn Fn(&mut Command),
) -> Ran {
    let mut c = crate::common::bin();
    // `sub` may be two words (`remote push`).
    c.current_dir(project)
        .args(sub.split(' '))
        .arg("--store")
        .arg(root)
        .args(args);
    env(&mut c);
    run_within(c, 60)
}

/// The versions `repair` reports lost (its line `versions lost: 1, 2 ...`).
fn lost(repair_stdout: &str) -> Vec<u64> {
    repair_stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("versions lost: "))
        .flat_map(|l| l.split(" (").next().unwrap_or("").split(", "))
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

fn setup_dir(root: &Path) -> PathBuf {
    let proj = std::fs::read_dir(root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    proj.join("app")
}

#[test]
fn every_store_path_and_every_damage() {
    let p = project();
    // Two versions sharing objects; a build layer with a file.
    p.build_ok(&[]);
    p.write("src/m3.js", "three\n");
    p.write("src/m1.js", "one, changed\n");
    p.build_ok(&[]);
    let template = tempfile::tempdir().unwrap();
    let troot = template.path().join("root");
    copy_store(p.setup_store().parent().unwrap().parent().unwrap(), &troot);
    let setup = setup_dir(&troot);
    let obj = object_of(&p, 1, "src/m2.js");
    let obj_rel = obj
        .strip_prefix(p.setup_store())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let outside = tempfile::tempdir().unwrap();
    let outside_file = outside.path().join("elsewhere");
    std::fs::write(&outside_file, "outside\n").unwrap();
    let good: Vec<BTreeMap<String, String>> = (1..=2)
        .map(|v| {
            let d = tempfile::tempdir().unwrap();
            let out = d.path().join("v");
            let r = run(
                p.path(),
                &troot,
                "versions",
                &["export", &v.to_string(), out.to_str().unwrap()],
            );
            assert_eq!(r.code, 0, "{}", r.stderr);
            tree(&out)
        })
        .collect();
    let files = [
        "record.json",
        "journal.json",
        "lock",
        "versions/1.json",
        "versions/2.tree",
        "versions/active",
        "versions/released/2",
        obj_rel.as_str(),
        "versions/2/src/m1.js",
        // Present only while a build runs, or after an in-place build that
        // did not finish: left behind, damaged.
        "journal.restore.json",
        "journal.restored",
        "checkout.before",
    ];
    let dirs = [
        "versions/objects",
        "versions/released",
        "versions/2",
        "cache",
        "base",
        "versions",
        // Made and emptied by each build (the workspace, the trash, the
        // container's scratch) or by `--rootfs` (the image).
        "work",
        "trash",
        "run",
        "image",
    ];
    let mut cases: Vec<(&str, Damage)> = Vec::new();
    for f in files {
        // journal.json is there only while a build runs: its damage is
        // one left behind.
        assert!(
            f.starts_with("journal.")
                || f == "checkout.before"
                || setup.join(f).symlink_metadata().is_ok(),
            "{f} is in the store"
        );
        cases.extend(FILE_DAMAGE.iter().map(|d| (f, *d)));
    }
    for d in dirs {
        cases.extend(DIR_DAMAGE.iter().map(|k| (d, *k)));
    }
    // `DAMAGE_TABLE_ONLY=trash,journal` runs the cases of those paths only
    // (while fixing one).
    if let Ok(only) = std::env::var("DAMAGE_TABLE_ONLY") {
        cases.retain(|(rel, _)| only.split(',').any(|o| rel.contains(o)));
    }
    // One SeaweedFS for `remote push` (each case under its own prefix);
    // without `weed` (not CI) the table runs without the remote.
    let weed = crate::remote_support::Weed::start("store_damage_table");
    if weed.is_none() {
        eprintln!("store_damage_table: no SeaweedFS, `remote push` left out");
    }
    // One case: its failures go to `failures`.
    let one = |i: usize, rel: &str, damage: Damage, failures: &mut Vec<String>| {
        let case = tempfile::tempdir().unwrap();
        let root = case.path().join("root");
        copy_store(&troot, &root);
        let store = setup_dir(&root);
        apply(&store, rel, damage, &outside_file);
        // An object is named by its path (its file name is a number).
        let name = if rel.contains("objects/") {
            rel
        } else {
            Path::new(rel).file_name().unwrap().to_str().unwrap()
        };
        let what = format!("case {i}: {rel} {damage:?}");
        let export_dir = case.path().join("out");
        let export_s = export_dir.to_str().unwrap().to_string();
        let mut commands: Vec<(&str, Vec<&str>)> = vec![
            ("status", vec![]),
            ("versions", vec![]),
            ("versions", vec!["export", "1", &export_s]),
            ("plan", vec![]),
            ("repair", vec!["--check", "--deep"]),
            ("activate", vec!["1"]),
            ("invalidate", vec![]),
            ("build", vec![]),
            // Reads every store under the root (and its lock), removes none.
            ("gc", vec!["--max-age", "3650d"]),
        ];
        if weed.is_some() {
            commands.push(("remote push", vec![]));
        }
        let prefix = format!("case-{i}");
        let env = |c: &mut Command| {
            if let Some(w) = &weed {
                w.env(c, &prefix);
            }
        };
        for (sub, args) in &commands {
            let r = if sub.starts_with("remote") {
                run_with(p.path(), &root, sub, args, &env)
            } else {
                run(p.path(), &root, sub, args)
            };
            let ok_codes: &[i32] = if *sub == "repair" { &[0, 1] } else { &[0] };
            if ok_codes.contains(&r.code) {
                if args.first() == Some(&"export") {
                    let got = tree(&export_dir);
                    if got != good[0] {
                        failures.push(format!("{what}: export served wrong bytes: {got:?}"));
                    }
                }
            } else if r.code != 6 {
                failures.push(format!(
                    "{what}: `{sub} {}` exited {}: {}",
                    args.join(" "),
                    r.code,
                    r.stderr.trim()
                ));
            } else if !r.stderr.contains(name) && !r.stdout.contains(name) {
                failures.push(format!(
                    "{what}: `{sub} {}` exited 6 without naming {name}: {}",
                    args.join(" "),
                    r.stderr.trim()
                ));
            }
            if export_dir.exists() {
                clear(&export_dir);
            }
        }
        let r = run(p.path(), &root, "repair", &["--deep"]);
        if r.code != 0 {
            failures.push(format!(
                "{what}: repair exited {}: {}{}",
                r.code, r.stdout, r.stderr
            ));
            return;
        }
        // Nothing lost: every version repair does not call lost exports
        // exactly as before the damage (unless the damage itself took
        // `versions/` away).
        let gone = lost(&r.stdout);
        let kept = if rel == "versions" { 0 } else { 2u64 };
        for v in (1..=kept).filter(|v| !gone.contains(v)) {
            let r = run(
                p.path(),
                &root,
                "versions",
                &["export", &v.to_string(), &export_s],
            );
            if r.code != 0 || tree(&export_dir) != good[v as usize - 1] {
                failures.push(format!(
                    "{what}: version {v} (not reported lost by repair) does not export intact: {}",
                    r.stderr.trim()
                ));
            }
            if export_dir.exists() {
                clear(&export_dir);
            }
        }
        let r = run(p.path(), &root, "build", &["--format", "json"]);
        if r.code != 0 {
            failures.push(format!(
                "{what}: the build after repair exited {}: {}",
                r.code, r.stderr
            ));
            return;
        }
        let v = r.json()["version"].as_u64().unwrap();
        let r = run(
            p.path(),
            &root,
            "versions",
            &["export", &v.to_string(), &export_s],
        );
        if r.code != 0 || tree(&export_dir) != good[1] {
            failures.push(format!(
                "{what}: the version after repair does not export intact: {}",
                r.stderr
            ));
        }
        clear(&export_dir);
        let r = run(p.path(), &root, "repair", &["--check", "--deep"]);
        if r.code != 0 {
            failures.push(format!(
                "{what}: after repair and a build, repair --check --deep: {}",
                r.stdout
            ));
        }
        let _ = Command::new("chmod")
            .args(["-R", "u+rwx"])
            .arg(case.path())
            .status();
    };
    // Two cases at a time: each has its own copy of the store.
    let all = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (one, cases, all) = (&one, &cases, &all);
            scope.spawn(move || {
                let mut mine = Vec::new();
                for (i, (rel, damage)) in cases.iter().enumerate().filter(|(i, _)| i % 2 == t) {
                    one(i, rel, *damage, &mut mine);
                }
                all.lock().unwrap().extend(mine);
            });
        }
    });
    let mut failures = all.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
