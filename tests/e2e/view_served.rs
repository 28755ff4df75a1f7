//! What a version's view (`versions/N/`) serves (issue 26). A view is made
//! afresh from the version's tree at every build, never from an older
//! view, so nothing done to an older view reaches a newer one; and a build
//! never names again an object that was written since the version before
//! it was recorded (through a view's hard link: root writes read-only
//! files), so the damage of one version is not inherited by the next.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::build_support::tree;
use crate::store_damage::{export, object_of, project};

fn writable(p: &Path) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_new_view_owes_nothing_to_an_older_one() {
    let p = project();
    p.build_ok(&[]);
    let s = p.setup_store();
    let v1 = s.join("versions/1");
    writable(&v1);
    writable(&v1.join("src"));
    // Replaced (a new inode of the same size), added, and a file made a link.
    std::fs::remove_file(v1.join("src/m2.js")).unwrap();
    std::fs::write(v1.join("src/m2.js"), "evil!!!\n").unwrap();
    std::fs::write(v1.join("extra.js"), "added\n").unwrap();
    std::fs::remove_file(v1.join("src/m1.js")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", v1.join("src/m1.js")).unwrap();
    let b = p.build_ok(&[]);
    assert_eq!(b["version"], 2);
    let v2 = s.join("versions/2");
    assert_eq!(
        std::fs::read_to_string(v2.join("src/m2.js")).unwrap(),
        "two two\n"
    );
    assert!(
        !v2.join("extra.js").exists(),
        "an added file was carried over"
    );
    let m1 = std::fs::symlink_metadata(v2.join("src/m1.js")).unwrap();
    assert!(m1.is_file(), "a replaced file was carried over");
    // Each file of the view is its object, read-only.
    for f in ["src/m1.js", "src/m2.js"] {
        let md = std::fs::metadata(v2.join(f)).unwrap();
        let obj = std::fs::metadata(object_of(&p, 2, f)).unwrap();
        assert_eq!((md.dev(), md.ino()), (obj.dev(), obj.ino()), "{f}");
        assert_eq!(md.permissions().mode() & 0o222, 0, "{f} is read-only");
    }
    // The previous version's view is gone (to the trash); its tree stays.
    assert!(!v1.exists());
    let (r, d) = export(&p, 2, 30);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = tree(&d.path().join("v"));
    assert_eq!(got.get("src/m2.js").map(String::as_str), Some("two two\n"));
    assert!(!got.contains_key("extra.js"));
}

/// Same size, written through the view's hard link (root ignores the
/// read-only mode): the next build copies the intact source into a new
/// object instead of naming the damaged one again, in a fresh workspace and
/// in place (where the source file is still the very inode the object was
/// made from). Only the damaged version is lost to `repair --deep`.
#[test]
fn an_object_written_through_a_view_is_not_named_again() {
    for args in [&[][..], &["--in-place"][..]] {
        let p = project();
        p.build_ok(args);
        let s = p.setup_store();
        let damaged = object_of(&p, 1, "src/m2.js");
        std::fs::write(s.join("versions/1/src/m2.js"), "TWO TWO\n").unwrap();
        assert_eq!(std::fs::read_to_string(&damaged).unwrap(), "TWO TWO\n");
        let b = p.build_ok(args);
        assert_eq!(b["version"], 2, "{args:?}");
        assert_ne!(
            object_of(&p, 2, "src/m2.js"),
            damaged,
            "{args:?}: the damaged object is named again"
        );
        assert_eq!(
            object_of(&p, 2, "src/m1.js"),
            object_of(&p, 1, "src/m1.js"),
            "{args:?}: an intact object is shared"
        );
        assert_eq!(
            std::fs::read_to_string(s.join("versions/2/src/m2.js")).unwrap(),
            "two two\n",
            "{args:?}"
        );
        let (r, _d) = export(&p, 1, 30);
        assert_eq!(r.code, 6, "{args:?}: {}", r.stderr);
        let (r, d) = export(&p, 2, 30);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(
            std::fs::read_to_string(d.path().join("v/src/m2.js")).unwrap(),
            "two two\n"
        );
        let r = p.run("repair", &["--deep"]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("versions lost: 1 "), "{}", r.stdout);
        let (r, _d) = export(&p, 2, 30);
        assert_eq!(r.code, 0, "{args:?} after repair: {}", r.stderr);
    }
}
