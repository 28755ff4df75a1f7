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
