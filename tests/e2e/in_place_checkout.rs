//! `build --in-place` never empties the checkout (issue 11, item 1):
//! preserve takes only what the build created or restore moved in, never
//! `.git`, a tracked file or what was there before the build.

use crate::build_support::{INSTALL, Proj, git, yaml};

fn checkout_project(cache: &str) -> Proj {
    let p = Proj::new(
        &yaml(&[], &[INSTALL], cache, ""),
        &[
            ("package.json", "{}\n"),
            ("src/index.js", "console.log(1)\n"),
            (".gitignore", ".env\n"),
        ],
    );
    p.write(".env", "SECRET=1\n");
    p.write("notes.txt", "untracked, mine\n");
    p
}

fn assert_checkout_intact(p: &Proj, what: &str) {
    for (f, text) in [
        ("zerops.yaml", None),
        ("package.json", Some("{}\n")),
        ("src/index.js", Some("console.log(1)\n")),
        (".env", Some("SECRET=1\n")),
        ("notes.txt", Some("untracked, mine\n")),
    ] {
        let path = p.path().join(f);
        assert!(path.exists(), "{what}: {f} left the checkout");
        if let Some(t) = text {
            assert_eq!(std::fs::read_to_string(path).unwrap(), t, "{what}: {f}");
        }
    }
    assert!(p.path().join(".git/HEAD").exists(), "{what}: .git left");
    git(p.path(), &["status", "--short"]);
}

#[test]
fn cache_true_in_place_keeps_git_tracked_and_earlier_files() {
    let p = checkout_project("true");
    let s = p.build_ok(&["--in-place"]);
    assert_checkout_intact(&p, "first build");
    let taken: Vec<String> = serde_json::from_value(s["preserved_paths"].clone()).unwrap();
    assert_eq!(taken, ["installed-now", "node_modules"], "{s}");
    let cache = p.cache_files();
    assert!(
        cache.contains_key("node_modules/a/lib/index.js"),
        "{cache:?}"
    );
    for k in cache.keys() {
        assert!(
            !k.starts_with(".git") && k != ".env" && !k.starts_with("src") && k != "notes.txt",
            "{k} in the build layer"
        );
    }
    // The artifact has no `.git`.
    let v = p.setup_store().join("versions/1");
    assert!(v.join("src/index.js").exists());
    assert!(!v.join(".git").exists(), "artifact holds .git");
    // The next build finds its config and restores what it cached.
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(s["restored"], 2, "{s}");
    assert_checkout_intact(&p, "second build");
    assert!(!p.path().join("node_modules").exists());
}

#[test]
fn a_directory_holding_tracked_files_gives_only_its_new_entries() {
    let p = Proj::new(
        &yaml(&[], &[INSTALL], "[node_modules]", ""),
        &[("node_modules/keep.txt", "tracked\n")],
    );
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(
        p.cache_files().keys().cloned().collect::<Vec<_>>(),
        ["node_modules/a/lib/index.js", "node_modules/b/index.js"],
        "{s}"
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("node_modules/keep.txt")).unwrap(),
        "tracked\n"
    );
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(s["restored"], 2, "{s}");
    assert!(p.path().join("node_modules/keep.txt").exists());
}

#[test]
fn plan_never_lists_git_or_tracked_files() {
    let p = checkout_project("true");
    for args in [
        &["--format", "json"][..],
        &["--in-place", "--format", "json"],
    ] {
        let r = p.run("plan", args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out = r.json();
        let pres: Vec<String> = serde_json::from_value(out["preserve"].clone()).unwrap();
        assert!(
            !pres.iter().any(|p| p == ".git" || p.starts_with(".git/")),
            "{args:?}: {pres:?}"
        );
        if args.contains(&"--in-place") {
            for tracked in ["zerops.yaml", "package.json", "src", ".gitignore"] {
                assert!(!pres.contains(&tracked.to_string()), "{tracked}: {pres:?}");
            }
        }
    }
}

/// Issue 26: a first in-place build that fails, or whose zerops-cache is
/// killed, leaves `node_modules` in the checkout. The next good build
/// counts it as the failed build's (the store kept the checkout's earlier
/// snapshot) and takes it into the cache; the build after restores it.
#[test]
fn what_a_failed_or_killed_in_place_build_left_is_cached_by_the_next_good_one() {
    for how in ["fails", "killed"] {
        let last = match how {
            "fails" => "exit 3",
            // zerops-cache is the grandparent on the host (its reaper is
            // the parent).
            _ => "kill -KILL $(awk '{print $4}' /proc/$PPID/stat); exec sleep 30",
        };
        let p = Proj::new(
            &yaml(&[], &[INSTALL, last], "[node_modules]", ""),
            &[("package.json", "{}\n")],
        );
        let r = p.build(&["--in-place", "--isolation", "none"]);
        assert_ne!(r.code, 0, "{how}");
        assert!(
            p.path().join("node_modules/a/lib/index.js").exists(),
            "{how}"
        );
        // The next build's commands succeed; the install finds node_modules.
        p.write("zerops.yaml", &yaml(&[], &[INSTALL], "[node_modules]", ""));
        let r = p.build(&["--in-place", "--isolation", "none"]);
        assert_eq!(r.code, 0, "{how}: {}\n{}", r.stdout, r.stderr);
        let s = r.json();
        let taken: Vec<String> = serde_json::from_value(s["preserved_paths"].clone()).unwrap();
        assert!(
            taken.contains(&"node_modules".to_string()),
            "{how}: {s}\n{}",
            r.stderr
        );
        assert!(
            p.cache_files().contains_key("node_modules/a/lib/index.js"),
            "{how}: {:?}",
            p.cache_files()
        );
        let s = p.build_ok(&["--in-place", "--isolation", "none"]);
        assert_eq!(s["layers"]["build"]["action"], "reuse", "{how}: {s}");
        assert_eq!(s["restored"], 1, "{how}: {s}");
    }
}
