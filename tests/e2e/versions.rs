//! Deploy versions: files unchanged since the previous version are shared
//! by hard link, written ones are new files, and no build ever changes an
//! earlier version's bytes.

use std::collections::BTreeSet;
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

#[test]
fn unchanged_files_are_shared_and_earlier_versions_never_change() {
    let p = project();
    let s1 = p.build_ok(&[]);
    assert_eq!(s1["artifact_linked"], 0, "nothing to share with: {s1}");
    let v = |n: u32| p.setup_store().join(format!("versions/{n}"));
    let v1_before = tree(&v(1));

    let s2 = p.build_ok(&[]);
    // Everything but the files the build writes is shared with version 1.
    assert_eq!(
        s2["artifact_linked"],
        s2["artifact_files"].as_u64().unwrap() - 2,
        "{s2}"
    );
    assert_eq!(
        ino(&v(1).join("lib/big.bin")),
        ino(&v(2).join("lib/big.bin"))
    );
    assert_ne!(
        ino(&v(1).join("dist/built-at")),
        ino(&v(2).join("dist/built-at"))
    );

    // A change in the checkout is a new file in the new version only.
    p.write("src/app.js", "console.log('v3')\n");
    git(p.path(), &["commit", "-qam", "v3"]);
    p.build_ok(&[]);
    assert_eq!(
        std::fs::read_to_string(v(3).join("dist/app.js")).unwrap(),
        "console.log('v3')\n"
    );
    assert_eq!(tree(&v(1)), v1_before, "version 1 is unchanged");
    assert_eq!(
        std::fs::read_to_string(v(2).join("src/app.js")).unwrap(),
        "console.log('v1')\n"
    );
    assert_ne!(ino(&v(2).join("src/app.js")), ino(&v(3).join("src/app.js")));

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
    let v = |n: u32| p.setup_store().join(format!("versions/{n}/dist/pkg.json"));
    let (m1, m2) = (
        std::fs::metadata(v(1)).unwrap(),
        std::fs::metadata(v(2)).unwrap(),
    );
    assert_eq!((m1.len(), m1.mtime()), (m2.len(), m2.mtime()));
    assert_eq!(std::fs::read_to_string(v(1)).unwrap(), "version 1.2.3\n");
    assert_eq!(std::fs::read_to_string(v(2)).unwrap(), "version 1.2.4\n");
    assert_ne!(ino(&v(1)), ino(&v(2)));
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
    p.build_ok(&[]);
    // A build later than the racy window, so the index is trusted.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let s2 = p.build_ok(&[]);
    assert!(s2["artifact_linked"].as_u64().unwrap() >= 1, "{s2}");
    let v = |n: u32| p.setup_store().join(format!("versions/{n}/cached/state"));
    assert_eq!(ino(&v(1)), ino(&v(2)), "unchanged: shared");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    // `1<>` writes over the restored file's bytes without a new inode.
    p.write("src/v", "bbbb\n");
    git(p.path(), &["commit", "-qam", "b"]);
    p.build_ok(&[]);
    assert_eq!(std::fs::read_to_string(v(1)).unwrap(), "aaaa\n");
    assert_eq!(std::fs::read_to_string(v(2)).unwrap(), "aaaa\n");
    assert_eq!(std::fs::read_to_string(v(3)).unwrap(), "bbbb\n");
    assert_ne!(ino(&v(2)), ino(&v(3)));
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
      deployFiles: ./
      cache: [gen]
",
        &[("src/app.js", "x\n")],
    );
    p.build_ok(&[]);
    p.build_ok(&[]);
    let store = p.setup_store();
    let versions = |n: u32| tree(&store.join(format!("versions/{n}")));
    let mut killed = false;
    for next in 3..13u32 {
        let before: Vec<_> = (1..next).map(versions).collect();
        let active = std::fs::read_to_string(store.join("versions/active")).unwrap();
        let cache = p.cache_files();
        let mut child = p
            .cmd("build", &["--format", "json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        // The artifact phase has begun once the new version's directory exists.
        let new = store.join(format!("versions/{next}"));
        while !new.exists()
            && child.try_wait().unwrap().is_none()
            && started.elapsed() < std::time::Duration::from_secs(60)
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let _ = std::process::Command::new("kill")
            .args(["-9", "--", &format!("-{}", child.id())])
            .status();
        let status = child.wait().unwrap();
        let r = p.run("status", &[]);
        assert_eq!(r.code, 0, "recovery: {}", r.stderr);
        if status.code().is_some() {
            continue; // finished before the kill: try the next version
        }
        killed = true;
        assert!(!store.join(format!("versions/{next}.json")).exists());
        let after: Vec<_> = (1..next).map(versions).collect();
        assert_eq!(after, before, "an earlier version changed");
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
