//! Damaged deploy versions (issue 26): every byte a version serves is
//! checked against the SHA-256 its tree records, a damaged or truncated
//! store file is an error of class 6 naming the file and the version, and
//! `repair` sets what is damaged aside, says which versions are lost and
//! leaves a store whose next build succeeds.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::build_support::{Proj, Ran};
use crate::hostile_store::run_within;

/// A tiny project whose every build makes a version sharing every object
/// with the one before it.
pub fn project() -> Proj {
    Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - 'true'
      deployFiles: ./
      cache: false
",
        &[("src/m1.js", "one\n"), ("src/m2.js", "two two\n")],
    )
}

/// `versions export N` into a new directory, within `secs` seconds.
pub fn export(p: &Proj, n: u32, secs: u64) -> (Ran, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let r = run_within(
        p.cmd(
            "versions",
            &["export", &n.to_string(), out.to_str().unwrap()],
        ),
        secs,
    );
    (r, dir)
}

/// The store path of the object version `n`'s tree names for `path`.
pub fn object_of(p: &Proj, n: u32, path: &str) -> PathBuf {
    let s = p.setup_store();
    let text = std::fs::read_to_string(s.join(format!("versions/{n}.tree"))).unwrap();
    let id = text
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0] == "f" && f[10] == path).then(|| f[5].to_string())
        })
        .unwrap_or_else(|| panic!("no file {path} in version {n}:\n{text}"));
    s.join("versions/objects").join(id)
}

fn assert_damage_named(r: &Ran, what: &[&str]) {
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    for w in what {
        assert!(r.stderr.contains(w), "no `{w}` in: {}", r.stderr);
    }
}

/// The campaign's case: `echo x > versions/3/src/m2.js` writes through the
/// hard link into the object that versions 1, 2 and 3 share. No export
/// serves those bytes; `repair` finds it, sets the object and the versions
/// aside, names them, and the next build makes a good version.
#[test]
fn an_edit_through_a_view_is_caught_and_repaired() {
    let p = project();
    for _ in 0..3 {
        p.build_ok(&[]);
    }
    let s = p.setup_store();
    let view_file = s.join("versions/3/src/m2.js");
    let mode = std::fs::metadata(&view_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "a view file is read-only: {mode:o}");
    let obj = object_of(&p, 1, "src/m2.js");
    assert_eq!(object_of(&p, 3, "src/m2.js"), obj, "the object is shared");
    // Root (or a chmod) writes anyway: what the campaign did.
    std::fs::set_permissions(&view_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&view_file, "x\n").unwrap();
    let rel = obj.strip_prefix(&s).unwrap().to_str().unwrap().to_string();
    for v in 1..=3 {
        let (r, _d) = export(&p, v, 30);
        assert_damage_named(&r, &[&rel, "src/m2.js", &format!("version {v}")]);
    }
    let r = run_within(p.cmd("activate", &["2"]), 30);
    assert_damage_named(&r, &[&rel, "src/m2.js", "version 2"]);
    let r = p.run("repair", &["--check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&rel), "{}", r.stdout);
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("versions lost: 1, 2, 3"), "{}", r.stdout);
    assert!(!obj.exists(), "the damaged object is set aside");
    let r = p.run("repair", &["--check", "--deep"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let b = p.build_ok(&[]);
    let v = b["version"].as_u64().unwrap() as u32;
    let (r, d) = export(&p, v, 30);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("v/src/m2.js")).unwrap(),
        "two two\n"
    );
}

/// Same size, other bytes: only the digest sees it. Export refuses it,
/// `repair --check` (type and size) does not read objects, `--deep` does.
#[test]
fn same_size_damage_is_found_by_export_and_a_deep_check() {
    let p = project();
    p.build_ok(&[]);
    let obj = object_of(&p, 1, "src/m1.js");
    std::fs::set_permissions(&obj, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&obj, "ONE\n").unwrap();
    let (r, d) = export(&p, 1, 30);
    assert_damage_named(&r, &["src/m1.js", "SHA-256", "version 1"]);
    assert!(!d.path().join("v").exists(), "no half copy is left");
    assert_eq!(p.run("repair", &["--check"]).code, 0);
    let r = p.run("repair", &["--check", "--deep"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("SHA-256"), "{}", r.stdout);
}

/// A tree cut in half is not a smaller version.
#[test]
fn a_truncated_tree_is_an_error_and_repair_drops_that_version() {
    let p = project();
    p.build_ok(&[]);
    p.write("src/m3.js", "three\n");
    p.build_ok(&[]);
    let s = p.setup_store();
    let tree = s.join("versions/2.tree");
    let text = std::fs::read(&tree).unwrap();
    std::fs::write(&tree, &text[..text.len() / 2]).unwrap();
    let (r, _d) = export(&p, 2, 30);
    assert_damage_named(&r, &["versions/2.tree", "version 2"]);
    // Listing still works; version 1 is intact.
    assert_eq!(p.run("versions", &[]).code, 0);
    assert_eq!(export(&p, 1, 30).0.code, 0);
    let r = p.run("repair", &["--check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("versions/2.tree"), "{}", r.stdout);
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("versions lost: 2"), "{}", r.stdout);
    let b = p.build_ok(&[]);
    let (r, d) = export(&p, b["version"].as_u64().unwrap() as u32, 30);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.path().join("v/src/m3.js").exists());
}

/// A damaged record is a damaged version (6, naming the file), never
/// "there is no version N" (2).
#[test]
fn a_damaged_record_is_class_6_not_a_missing_version() {
    let p = project();
    p.build_ok(&[]);
    let rec = p.setup_store().join("versions/1.json");
    let text = std::fs::read_to_string(&rec).unwrap();
    std::fs::write(
        &rec,
        text.replace("\"setup\": \"app\"", "\"setup\": \"apq\""),
    )
    .unwrap();
    let (r, _d) = export(&p, 1, 30);
    assert_damage_named(&r, &["versions/1.json", "version 1"]);
    assert!(!r.stderr.contains("there is no version"), "{}", r.stderr);
    assert_eq!(export(&p, 9, 30).0.code, 2, "no version 9 is a usage error");
}

fn mkfifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    let st = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success());
}

/// A FIFO where an object belongs is never opened: export returns at once
/// with class 6, a build does not hang, and `repair` brings the store back.
#[test]
fn a_fifo_object_never_hangs_anything() {
    let p = project();
    p.build_ok(&[]);
    let obj = object_of(&p, 1, "src/m2.js");
    mkfifo(&obj);
    crate::common::host();
    let t = Instant::now();
    let (r, _d) = export(&p, 1, 20);
    let took = t.elapsed();
    assert_damage_named(&r, &["FIFO", "src/m2.js", "version 1"]);
    assert!(took.as_secs_f64() < 1.0, "export took {took:?}");
    let r = run_within(p.cmd("build", &["--format", "json"]), 60);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = run_within(p.cmd("repair", &["--check", "--deep"]), 20);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = run_within(p.cmd("repair", &[]), 20);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let b = p.build_ok(&[]);
    let (r, _d) = export(&p, b["version"].as_u64().unwrap() as u32, 20);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Store layouts that `repair` could not bring back before: each is
/// repaired, and the next build succeeds. A build that committed never
/// says that nothing was moved.
#[test]
fn stores_repair_could_not_bring_back_are_repaired() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    // versions/active a directory: the build commits and says so.
    std::fs::remove_file(s.join("versions/active")).unwrap();
    std::fs::create_dir(s.join("versions/active")).unwrap();
    let r = p.build(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("nothing was moved"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(s.join("versions/active"))
            .unwrap()
            .trim(),
        "2"
    );
    std::fs::remove_file(s.join("versions/active")).unwrap();
    std::fs::create_dir(s.join("versions/active")).unwrap();
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("versions/active"), "{}", r.stdout);
    p.build_ok(&[]);
    // versions/objects a file, a symlink, a FIFO.
    for kind in ["file", "symlink", "fifo"] {
        let o = s.join("versions/objects");
        std::fs::rename(&o, s.join(format!("objects.{kind}"))).unwrap();
        match kind {
            "file" => std::fs::write(&o, "x").unwrap(),
            "symlink" => std::os::unix::fs::symlink(s.join(format!("objects.{kind}")), &o).unwrap(),
            _ => mkfifo(&o),
        }
        let r = run_within(p.cmd("repair", &[]), 20);
        assert_eq!(r.code, 0, "{kind}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("versions/objects"),
            "{kind}: {}",
            r.stdout
        );
        let r = run_within(p.cmd("build", &["--format", "json"]), 60);
        assert_eq!(r.code, 0, "{kind}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(
            run_within(p.cmd("repair", &["--check", "--deep"]), 20).code,
            0
        );
        std::fs::remove_dir_all(s.join(format!("objects.{kind}"))).ok();
        std::fs::remove_file(s.join(format!("objects.{kind}"))).ok();
    }
    // work/source a file or a symlink while a journal exists.
    let here = serde_json::to_string(&p.path().canonicalize().unwrap()).unwrap();
    for kind in ["file", "symlink"] {
        std::fs::write(
            s.join("journal.json"),
            format!(
                r#"{{"version":1,"phase":"started","pid":1,"source_dir":{here},"base_reset":false,"version_created":null,"restore_saved":false,"preserve":[],"record":null}}"#
            ),
        )
        .unwrap();
        std::fs::create_dir_all(s.join("work")).unwrap();
        match kind {
            "file" => std::fs::write(s.join("work/source"), "x").unwrap(),
            _ => std::os::unix::fs::symlink("/", s.join("work/source")).unwrap(),
        }
        let r = run_within(p.cmd("repair", &[]), 20);
        assert_eq!(r.code, 0, "{kind}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("work/source"), "{kind}: {}", r.stdout);
        let r = run_within(p.cmd("build", &["--format", "json"]), 60);
        assert_eq!(r.code, 0, "{kind}: {}\n{}", r.stdout, r.stderr);
    }
}
