//! Deploy versions: a version is a tree over immutable objects; files
//! unchanged since the previous version name its objects, written ones are
//! new objects, and no build ever changes an earlier version's bytes. The
//! newest version's directory is a view made from the previous one's;
//! `versions export` copies any version.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::build_support::{Proj, git, tree};

fn project() -> Proj {
    Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - mkdir -p dist && cp src/app.js dist/app.js && date +%s%N > dist/built-at
      deployFiles: ./
      cache: false
",
        &[
            ("src/app.js", "console.log('v1')\n"),
            ("README", "same in every version\n"),
            ("lib/big.bin", &"x".repeat(100_000)),
        ],
    )
}

fn ino(p: &Path) -> (u64, u64) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.dev(), m.ino())
}

/// Bytes of all distinct inodes under `root` (what the disk holds).
fn disk_bytes(root: &Path, seen: &mut BTreeSet<(u64, u64)>) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            total += disk_bytes(&p, seen);
        } else if seen.insert((m.dev(), m.ino())) {
            total += m.len();
        }
    }
    total
}

/// Version `n` as `versions export` writes it: path to content.
pub fn exported(p: &Proj, n: u32) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let r = p.run(
        "versions",
        &["export", &n.to_string(), out.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "export {n}: {}", r.stderr);
    tree(&out)
}

/// The object version `n`'s tree names for `path`.
fn object(p: &Proj, n: u32, path: &str) -> String {
    let text = std::fs::read_to_string(p.setup_store().join(format!("versions/{n}.tree"))).unwrap();
    text.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0] == "f" && f[10] == path).then(|| f[5].to_string())
        })
        .unwrap_or_else(|| panic!("no file {path} in version {n}:\n{text}"))
}

#[test]
fn unchanged_files_are_shared_and_earlier_versions_never_change() {
    let p = project();
    let s1 = p.build_ok(&[]);
    assert_eq!(s1["artifact_linked"], 0, "nothing to share with: {s1}");
    let v = |n: u32| p.setup_store().join(format!("versions/{n}"));
    let v1_before = exported(&p, 1);
    assert_eq!(tree(&v(1)), v1_before, "the view is the version");

    let s2 = p.build_ok(&[]);
    // Everything but the file the build writes new bytes into is shared
    // with version 1 (dist/app.js is written again, with the same bytes).
    assert_eq!(
        s2["artifact_linked"],
        s2["artifact_files"].as_u64().unwrap() - 1,
        "{s2}"
    );
    assert_eq!(object(&p, 1, "dist/app.js"), object(&p, 2, "dist/app.js"));
    assert_eq!(object(&p, 1, "lib/big.bin"), object(&p, 2, "lib/big.bin"));
    assert_ne!(
        object(&p, 1, "dist/built-at"),
        object(&p, 2, "dist/built-at")
    );
    // The view moved on: version 2 has the directory, made from version 1's.
    assert!(!v(1).exists() && v(2).is_dir());
    let objects = p.setup_store().join("versions/objects");
    assert_eq!(
        ino(&v(2).join("lib/big.bin")),
        ino(&objects.join(object(&p, 2, "lib/big.bin")))
    );

    // A change in the checkout is a new object in the new version only.
    p.write("src/app.js", "console.log('v3')\n");
    git(p.path(), &["commit", "-qam", "v3"]);
    p.build_ok(&[]);
    assert_eq!(
        std::fs::read_to_string(v(3).join("dist/app.js")).unwrap(),
        "console.log('v3')\n"
    );
    assert_eq!(exported(&p, 1), v1_before, "version 1 is unchanged");
    assert_eq!(exported(&p, 2)["src/app.js"], "console.log('v1')\n");
    assert_ne!(object(&p, 2, "src/app.js"), object(&p, 3, "src/app.js"));
    assert_eq!(tree(&v(3)), exported(&p, 3), "the view is the version");

    // Ten versions of an unchanged app hold little more than one.
    for _ in 0..7 {
        p.build_ok(&[]);
    }
    let one = disk_bytes(&v(10), &mut BTreeSet::new());
    let all = disk_bytes(&p.setup_store().join("versions"), &mut BTreeSet::new());
    assert!(
        all < one * 13 / 10,
        "10 versions take {all} bytes, one takes {one}"
    );
}

/// npm gives every file of a package the same mtime (1985): a new version
/// of a file with the same size, mode and mtime is still a new file, never
/// a link to the old bytes.
#[test]
fn same_size_mode_and_mtime_with_other_bytes_is_not_shared() {
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - mkdir -p dist && cat src/v > dist/pkg.json && touch -d 1985-10-26T08:15:00Z dist/pkg.json
      deployFiles: ./
      cache: false
",
        &[("src/v", "version 1.2.3\n")],
    );
    p.build_ok(&[]);
    p.write("src/v", "version 1.2.4\n");
    git(p.path(), &["commit", "-qam", "bump"]);
    p.build_ok(&[]);
    let objects = p.setup_store().join("versions/objects");
    let (o1, o2) = (
        object(&p, 1, "dist/pkg.json"),
        object(&p, 2, "dist/pkg.json"),
    );
    let (m1, m2) = (
        std::fs::metadata(objects.join(&o1)).unwrap(),
        std::fs::metadata(objects.join(&o2)).unwrap(),
    );
    assert_eq!((m1.len(), m1.mtime()), (m2.len(), m2.mtime()));
    assert_ne!(o1, o2);
    assert_eq!(exported(&p, 1)["dist/pkg.json"], "version 1.2.3\n");
    assert_eq!(exported(&p, 2)["dist/pkg.json"], "version 1.2.4\n");
}

/// A cached file the next build rewrites in place (same inode) must not
/// change the versions made from it, nor be shared with them afterwards.
#[test]
fn a_cached_file_rewritten_in_place_changes_no_earlier_version() {
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - mkdir -p cached && { cmp -s src/v cached/state || cat src/v 1<> cached/state; }
      deployFiles: ./
      cache: [cached]
",
        &[("src/v", "aaaa\n")],
    );
    // No racy window (instead of sleeping past it): the index of the
    // previous build is trusted at once.
    let build = || {
        let mut c = p.cmd("build", &["--format", "json"]);
        c.env("ZEROPS_CACHE_RACY_WINDOW_NS", "0");
        let (code, stdout, stderr) = crate::common::run(&mut c);
        assert_eq!(code, 0, "build failed:\n{stdout}\n{stderr}");
        let last = stdout.lines().last().unwrap_or_default().to_string();
        serde_json::from_str::<serde_json::Value>(&last).unwrap()
    };
    build();
    let s2 = build();
    assert!(s2["artifact_linked"].as_u64().unwrap() >= 1, "{s2}");
    let f = "cached/state";
    assert_eq!(object(&p, 1, f), object(&p, 2, f), "unchanged: shared");
    // `1<>` writes over the restored file's bytes without a new inode.
    p.write("src/v", "bbbb\n");
    git(p.path(), &["commit", "-qam", "b"]);
    build();
    assert_eq!(exported(&p, 1)[f], "aaaa\n");
    assert_eq!(exported(&p, 2)[f], "aaaa\n");
    assert_eq!(exported(&p, 3)[f], "bbbb\n");
    assert_ne!(object(&p, 2, f), object(&p, 3, f));
}

/// SIGKILL while the artifact is being written: the earlier versions, the
/// active one, the build layer and the project are as before, and the next
/// build makes the version whole.
#[test]
fn a_kill_during_the_artifact_phase_loses_nothing() {
    use std::os::unix::process::CommandExt;
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - '[ -d gen ] || { mkdir gen && for i in $(seq 3000); do echo $i > gen/f$i; done; }'
        - 'mkdir -p out && now=$(date +%s%N) && seq 3000 | while read i; do echo $i $now > out/f$i; done'
      deployFiles: ./
      cache: [gen]
",
        &[("src/app.js", "x\n")],
    );
    p.build_ok(&[]);
    p.build_ok(&[]);
    let store = p.setup_store();
    let versions = |n: u32| exported(&p, n);
    let mut killed = false;
    for next in 3..13u32 {
        let before: Vec<_> = [1, next - 1].into_iter().map(versions).collect();
        let active = std::fs::read_to_string(store.join("versions/active")).unwrap();
        let cache = p.cache_files();
        let mut child = p
            .cmd("build", &["--format", "json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        // The artifact phase has begun once the new version's objects
        // directory exists (or the build ended first).
        let new = store.join(format!("versions/objects/{next}"));
        crate::common::wait_for_path_or_exit(&new, &child, 60);
        let _ = std::process::Command::new("kill")
            .args(["-9", "--", &format!("-{}", child.id())])
            .status();
        let status = child.wait().unwrap();
        let r = p.run("status", &[]);
        assert_eq!(r.code, 0, "recovery: {}", r.stderr);
        if status.code().is_some() {
            continue; // finished before the kill: try the next version
        }
        let after: Vec<_> = [1, next - 1].into_iter().map(versions).collect();
        assert_eq!(after, before, "an earlier version changed");
        if store.join(format!("versions/{next}.json")).exists() {
            // Killed after the version was complete: it is whole, and the
            // build either committed it or was rolled back around it.
            assert_eq!(versions(next).len(), before[0].len());
            continue;
        }
        killed = true;
        assert_eq!(
            std::fs::read_to_string(store.join("versions/active")).unwrap(),
            active
        );
        assert_eq!(p.cache_files(), cache, "the build layer changed");
        let s = p.build_ok(&[]);
        assert_eq!(s["version"], next, "{s}");
        assert_eq!(
            versions(next).len(),
            before[0].len(),
            "the new version is whole"
        );
        break;
    }
    assert!(killed, "no build was killed during its artifact phase");
}

/// Retention removes versions and, with them, the objects no kept version
/// names; objects still named stay, and every kept version exports whole.
#[test]
fn pruning_removes_the_objects_no_kept_version_names() {
    let p = project();
    for i in 0..6 {
        p.write("src/app.js", &format!("console.log({i})\n"));
        git(p.path(), &["commit", "-qam", &format!("v{i}")]);
        p.build_ok(&["--keep-versions", "2"]);
    }
    let store = p.setup_store();
    let kept: Vec<u32> = (1..=6)
        .filter(|n| store.join(format!("versions/{n}.json")).exists())
        .collect();
    assert_eq!(kept, [5, 6]);
    // What the kept trees name, and what the objects directory holds.
    let mut named = BTreeSet::new();
    for n in &kept {
        let text = std::fs::read_to_string(store.join(format!("versions/{n}.tree"))).unwrap();
        for l in text.lines().filter(|l| l.starts_with("f ")) {
            named.insert(l.split(' ').nth(5).unwrap().to_string());
        }
    }
    let mut held = BTreeSet::new();
    let objects = store.join("versions/objects");
    for d in std::fs::read_dir(&objects).unwrap() {
        let d = d.unwrap();
        for f in std::fs::read_dir(d.path()).unwrap() {
            held.insert(format!(
                "{}/{}",
                d.file_name().to_string_lossy(),
                f.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    assert_eq!(held, named, "objects held are exactly those named");
    // lib/big.bin is version 1's object, still named by 5 and 6.
    assert_eq!(object(&p, 6, "lib/big.bin"), object(&p, 5, "lib/big.bin"));
    assert!(object(&p, 6, "lib/big.bin").starts_with("1/"));
    assert_eq!(exported(&p, 5)["src/app.js"], "console.log(4)\n");
    assert_eq!(exported(&p, 6)["src/app.js"], "console.log(5)\n");
}

/// `activate` gives an older version its directory back; `versions` says
/// which versions have one; export refuses a non-empty directory and an
/// unknown version.
#[test]
fn activate_makes_the_directory_and_export_is_careful() {
    let p = project();
    p.build_ok(&[]);
    p.write("src/app.js", "console.log(2)\n");
    git(p.path(), &["commit", "-qam", "2"]);
    p.build_ok(&[]);
    let store = p.setup_store();
    let listed = p.run("versions", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(listed.stdout.trim()).unwrap();
    assert!(v[0]["path"].is_null(), "{v}");
    assert!(
        v[1]["path"].as_str().unwrap().ends_with("versions/2"),
        "{v}"
    );

    let r = p.run("activate", &["1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(store.join("versions/1/src/app.js")).unwrap(),
        "console.log('v1')\n"
    );
    assert_eq!(tree(&store.join("versions/1")), exported(&p, 1));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine"), "keep").unwrap();
    let r = p.run("versions", &["export", "1", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine")).unwrap(),
        "keep"
    );
    let r = p.run(
        "versions",
        &["export", "9", dir.path().join("x").to_str().unwrap()],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!dir.path().join("x").exists());
    // An exported copy is the user's: changing it changes no version.
    let out = dir.path().join("copy");
    let r = p.run("versions", &["export", "2", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(out.join("README"), "changed").unwrap();
    assert_eq!(exported(&p, 2)["README"], "same in every version\n");
    assert_eq!(
        std::fs::read_to_string(store.join("versions/2/README")).unwrap(),
        "same in every version\n"
    );
}

/// A directory left half-made (a kill while the view was made) is not the
/// version: the next build sets it aside and makes the view from the tree.
#[test]
fn a_half_made_view_is_made_again() {
    let p = project();
    p.build_ok(&[]);
    let store = p.setup_store();
    std::fs::rename(store.join("versions/1"), store.join("versions/.view-2")).unwrap();
    std::fs::remove_file(store.join("versions/.view-2/README")).unwrap();
    p.build_ok(&[]);
    assert!(!store.join("versions/.view-2").exists());
    assert_eq!(tree(&store.join("versions/2")), exported(&p, 2));
    assert_eq!(
        std::fs::read_to_string(store.join("versions/2/README")).unwrap(),
        "same in every version\n"
    );
}

/// A version with its record but no tree is damaged, as
/// when its tree is cut short: `versions export` and `activate` refuse it
/// (class 6, naming the tree), builds go on, and `repair` sets it aside.
#[test]
fn a_version_without_its_tree_is_damaged_and_repair_sets_it_aside() {
    let p = project();
    p.build_ok(&[]);
    p.build_ok(&[]);
    let versions = p.setup_store().join("versions");
    std::fs::remove_file(versions.join("1.tree")).unwrap();
    assert!(versions.join("1.json").is_file());
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("v1");
    let out = p.run("versions", &["export", "1", dest.to_str().unwrap()]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    for part in ["versions/1.tree", "missing", "repair"] {
        assert!(out.stderr.contains(part), "{part}: {}", out.stderr);
    }
    assert!(!dest.exists(), "a failed export leaves nothing");
    let out = p.run("activate", &["1"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("versions/1.tree"), "{}", out.stderr);

    let s = p.build_ok(&[]);
    assert_eq!(s["version"], 3, "{s}");
    let r = p.run("repair", &["--check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("versions/1.tree"), "{}", r.stdout);
    let r = p.run("repair", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("versions lost: 1"), "{}", r.stdout);
    assert!(!versions.join("1").exists() && !versions.join("1.json").exists());
    assert_eq!(exported(&p, 2)["README"], "same in every version\n");
    assert_eq!(exported(&p, 3)["README"], "same in every version\n");
    assert_eq!(p.run("repair", &["--check"]).code, 0);
}

/// Two deployFiles items that write the same path: the later one wins, and
/// the object made for the earlier one is not left behind.
#[test]
fn an_object_a_later_item_replaced_is_not_kept() {
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - 'true'
      deployFiles: [ ./, src ]
      cache: false
",
        &[("src/app.js", "1\n")],
    );
    p.build_ok(&[]);
    p.write("src/app.js", "2\n");
    git(p.path(), &["commit", "-qam", "2"]);
    p.build_ok(&[]);
    let made: BTreeSet<String> = std::fs::read_dir(p.setup_store().join("versions/objects/2"))
        .unwrap()
        .map(|e| format!("2/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(made, BTreeSet::from([object(&p, 2, "src/app.js")]));
    assert_eq!(exported(&p, 2)["src/app.js"], "2\n");
}

/// The modification time version `n`'s tree records for `path`.
fn tree_mtime(p: &Proj, n: u32, path: &str) -> (i64, i64) {
    let text = std::fs::read_to_string(p.setup_store().join(format!("versions/{n}.tree"))).unwrap();
    text.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0] == "f" && f[10] == path).then(|| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        })
        .unwrap_or_else(|| panic!("no file {path} in version {n}"))
}

/// What `npm ci` does: every file written again, same bytes, a new mtime.
/// The versions share the bytes (one object), each keeps its own mtime
/// (export writes it), and a later version made from a changed checkout
/// changes neither the bytes nor the times of the earlier ones.
#[test]
fn equal_bytes_with_a_new_mtime_are_shared_and_each_version_keeps_its_own() {
    let p = Proj::new(
        "zerops:
  - setup: app
    build:
      buildCommands:
        - rm -rf dist && mkdir dist && cp src/data.txt src/app.js dist/
      deployFiles: ./
      cache: false
",
        &[
            ("src/data.txt", &"payload ".repeat(10_000)),
            ("src/app.js", "console.log(1)\n"),
        ],
    );
    let f = "dist/data.txt";
    let mtime = |dir: &Path| {
        let m = std::fs::metadata(dir.join(f)).unwrap();
        (m.mtime(), m.mtime_nsec())
    };
    let export = |n: u32| {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("v");
        let r = p.run(
            "versions",
            &["export", &n.to_string(), out.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        (tree(&out), mtime(&out), d)
    };
    p.build_ok(&[]);
    let (v1, v1_time, _d1) = export(1);
    assert_eq!(
        v1_time,
        tree_mtime(&p, 1, f),
        "export writes the version's time"
    );
    let s2 = p.build_ok(&[]);
    // Written again by the build: a new mtime, the same bytes and mode.
    assert_ne!(tree_mtime(&p, 1, f), tree_mtime(&p, 2, f));
    assert_eq!(object(&p, 1, f), object(&p, 2, f), "equal bytes are shared");
    assert_eq!(object(&p, 1, "dist/app.js"), object(&p, 2, "dist/app.js"));
    assert!(s2["artifact_linked"].as_u64().unwrap() >= 4, "{s2}");
    let (v2, v2_time, _d2) = export(2);
    assert_eq!(v2, v1);
    assert_eq!(
        v2_time,
        tree_mtime(&p, 2, f),
        "each version keeps its own time"
    );

    // The checkout changes: a new object for version 3 only.
    p.write("src/data.txt", "changed\n");
    git(p.path(), &["commit", "-qam", "change"]);
    p.build_ok(&[]);
    assert_ne!(object(&p, 2, f), object(&p, 3, f));
    let (v3, _, _d3) = export(3);
    assert_eq!(v3[f], "changed\n");
    let (v1_after, v1_time_after, _e1) = export(1);
    let (v2_after, v2_time_after, _e2) = export(2);
    assert_eq!((v1_after, v1_time_after), (v1, v1_time), "version 1 intact");
    assert_eq!((v2_after, v2_time_after), (v2, v2_time), "version 2 intact");
    // The shared object itself still holds version 1's bytes.
    let objects = p.setup_store().join("versions/objects");
    assert_eq!(
        std::fs::read_to_string(objects.join(object(&p, 1, f))).unwrap(),
        "payload ".repeat(10_000)
    );
}
