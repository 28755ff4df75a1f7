//! The remote tier against a real SeaweedFS (`weed mini` on 127.0.0.1,
//! see remote_support.rs): builder A builds and pushes; builder B, with a
//! fresh store and a clone at another path, builds warm; tampered objects
//! are refused; a killed pull leaves nothing half-applied; a remote that
//! dies mid-build does not fail it; invalidation reaches B; 8 racing
//! publishers leave one manifest; gc keeps what is referenced.

use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use crate::build_support::{Proj, Ran, yaml};
use crate::common::run;
use crate::remote_support::Weed;

const VISIBLE_TMP: &str = "/var/tmp";

/// buildCommands: a node_modules with every entry type (unless restored).
pub(crate) const INSTALL: &str = "[ -d node_modules/a ] || { mkdir -p node_modules/a/lib node_modules/.bin node_modules/empty && \
    echo a > node_modules/a/lib/index.js && head -c 200000 /dev/urandom > node_modules/a/big.bin && \
    printf '#!/bin/sh\\necho hi\\n' > node_modules/a/cli.sh && chmod 750 node_modules/a/cli.sh && \
    ln -s ../a/cli.sh node_modules/.bin/a && touch -d '2001-02-03 04:05:06.123456789' node_modules/a/lib/index.js && \
    for i in $(seq 1 300); do echo \"module $i\" > node_modules/a/lib/m$i.js; done && echo fresh > installed-now; }";
pub(crate) const PREPARE: &str = "echo ran >> \"$HOME/prepare.log\"";

pub(crate) fn project(extra_prepare: &[&str]) -> Proj {
    let mut prepare = vec![PREPARE];
    prepare.extend_from_slice(extra_prepare);
    Proj::new(&yaml(&prepare, &[INSTALL], "[node_modules]", ""), &[])
}

/// A clone of `p` at another path, with a fresh store.
pub(crate) fn clone_of(p: &Proj) -> Proj {
    let dir = tempfile::Builder::new()
        .prefix("zc-clone")
        .tempdir()
        .unwrap();
    let target = dir.path().join("elsewhere");
    let out = Command::new("git")
        .arg("clone")
        .arg("-q")
        .arg(p.path())
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The clone's origin is a local path: not an identity; the root commit is.
    let store = tempfile::Builder::new()
        .prefix("zc-store")
        .tempdir()
        .unwrap();
    let moved = tempfile::Builder::new().prefix("zc-cl").tempdir().unwrap();
    std::fs::remove_dir(moved.path()).unwrap();
    std::fs::rename(&target, moved.path()).unwrap();
    Proj { dir: moved, store }
}

pub(crate) fn build(p: &Proj, w: &Weed, prefix: &str, args: &[&str]) -> Ran {
    let mut c = p.cmd("build", &[&["--format", "json"], args].concat());
    w.env(&mut c, prefix);
    let (code, stdout, stderr) = run(&mut c);
    Ran {
        code,
        stdout,
        stderr,
    }
}

pub(crate) fn build_ok(p: &Proj, w: &Weed, prefix: &str, args: &[&str]) -> Value {
    let r = build(p, w, prefix, args);
    assert_eq!(r.code, 0, "build failed:\n{}\n{}", r.stdout, r.stderr);
    r.json()
}

pub(crate) fn cmd(p: &Proj, w: &Weed, prefix: &str, sub: &str, args: &[&str]) -> Ran {
    let mut c = if sub == "remote" {
        let mut c = crate::common::bin();
        c.current_dir(p.path())
            .arg("remote")
            .args(args)
            .arg("--store")
            .arg(p.store.path());
        c
    } else {
        p.cmd(sub, args)
    };
    w.env(&mut c, prefix);
    let (code, stdout, stderr) = run(&mut c);
    Ran {
        code,
        stdout,
        stderr,
    }
}

pub(crate) fn remote_cmd(w: &Weed, prefix: &str, args: &[&str]) -> Ran {
    let mut c = crate::common::bin();
    c.arg("remote").args(args);
    w.env(&mut c, prefix);
    let (code, stdout, stderr) = run(&mut c);
    Ran {
        code,
        stdout,
        stderr,
    }
}

pub(crate) fn from(s: &Value, layer: &str) -> String {
    s["layers"][layer]["from"].as_str().unwrap().to_string()
}

/// Every entry under `root` with its type, mode, mtime and contents.
fn detailed(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let md = std::fs::symlink_metadata(&p).unwrap();
            let ft = md.file_type();
            let what = if ft.is_symlink() {
                format!("link {}", std::fs::read_link(&p).unwrap().display())
            } else if ft.is_dir() {
                "dir".to_string()
            } else if ft.is_char_device() {
                format!("chr {}", md.rdev())
            } else {
                let b = std::fs::read(&p).unwrap();
                format!(
                    "file {} {:x}",
                    b.len(),
                    b.iter()
                        .fold(0u64, |h, &x| h.wrapping_mul(31).wrapping_add(x as u64))
                )
            };
            let mtime = if ft.is_dir() {
                0
            } else {
                md.mtime() * 1_000_000_000 + md.mtime_nsec()
            };
            out.insert(rel, format!("{what} {:o} {mtime}", md.mode() & 0o7777));
            if ft.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

/// Object keys under `prefix` in the bucket (S3 ListObjectsV2 via curl).
pub(crate) fn keys(w: &Weed, prefix: &str) -> Vec<String> {
    let out = w
        .curl()
        .arg(format!(
            "{}?list-type=2&prefix={}",
            w.url(""),
            prefix.replace('/', "%2F")
        ))
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next())
        .map(str::to_string)
        .collect()
}

pub(crate) fn put(w: &Weed, key: &str, body: &[u8]) {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), body).unwrap();
    let out = w
        .curl()
        .arg("-X")
        .arg("PUT")
        .arg("--data-binary")
        .arg(format!("@{}", f.path().display()))
        .arg(w.url(key))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn get(w: &Weed, key: &str) -> Vec<u8> {
    w.curl().arg(w.url(key)).output().unwrap().stdout
}

#[test]
fn a_clone_at_another_path_builds_warm_from_what_a_pushed() {
    let Some(w) = Weed::start("a_clone_at_another_path_builds_warm_from_what_a_pushed") else {
        return;
    };
    let victim = tempfile::Builder::new()
        .prefix("zc-hostfile")
        .tempdir_in(VISIBLE_TMP)
        .unwrap();
    let f = victim.path().join("victim.txt");
    std::fs::write(&f, "host\n").unwrap();
    let a = project(&[&format!("rm {}", f.display())]);
    let sa = build_ok(&a, &w, "t1", &[]);
    assert_eq!(sa["prepare_ran"], true);
    assert_eq!(from(&sa, "base"), "cold");
    let r = &sa["remote"];
    assert_eq!(r["enabled"], true, "{r}");
    assert_eq!(r["published"], serde_json::json!(["base", "build"]), "{r}");
    assert!(r["transfer"]["bytes_up"].as_u64().unwrap() > 200_000, "{r}");
    assert!(r["transfer"]["objects_up"].as_u64().unwrap() >= 4, "{r}");

    let b = clone_of(&a);
    assert_ne!(a.path(), b.path());
    let sb = build_ok(&b, &w, "t1", &[]);
    assert_eq!(sb["prepare_ran"], false, "{sb}");
    assert_eq!(from(&sb, "base"), "remote");
    assert_eq!(from(&sb, "build"), "remote");
    assert_eq!(sb["remote"]["pulled"], serde_json::json!(["base", "build"]));
    assert!(sb["remote"]["transfer"]["bytes_down"].as_u64().unwrap() > 200_000);
    assert_eq!(
        sb["remote"]["published"],
        serde_json::json!([]),
        "nothing new to publish"
    );
    assert!(sb["restored"].as_u64().unwrap() >= 1);
    let v = sb["version"].as_u64().unwrap();
    assert!(
        !b.setup_store()
            .join(format!("versions/{v}/installed-now"))
            .exists(),
        "node_modules was restored, so the install did not run"
    );
    // Byte-identical, with modes, mtimes, symlinks; and the base layer's whiteout.
    assert_eq!(
        detailed(&a.setup_store().join("cache")),
        detailed(&b.setup_store().join("cache"))
    );
    let wo = b
        .setup_store()
        .join("base/upper")
        .join(f.strip_prefix("/").unwrap());
    let md = std::fs::symlink_metadata(&wo).unwrap();
    assert!(
        md.file_type().is_char_device() && md.rdev() == 0,
        "the whiteout came along"
    );
    assert_eq!(
        std::fs::read_to_string(b.setup_store().join("base/upper/home/zerops/prepare.log"))
            .unwrap(),
        "ran\n"
    );
    // `remote ls` lists both entries with size and age.
    let ls = remote_cmd(&w, "t1", &["ls"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    // How many packs the pushes made depends on how their threads split the
    // files: the count must be the remote's, and the snapshot leaves it out.
    let counted = format!(", {} packs,", keys(&w, "t1/v1/packs/").len());
    assert!(ls.stdout.contains(&counted), "{counted}\n{}", ls.stdout);
    crate::text_snapshot!("remote_ls", ls.stdout.replace(&counted, ", [N] packs,"));
    // A third build of B is local.
    let sb2 = build_ok(&b, &w, "t1", &[]);
    assert_eq!(from(&sb2, "build"), "local");
}

#[test]
fn tampered_manifests_and_blobs_are_refused() {
    let Some(w) = Weed::start("tampered_manifests_and_blobs_are_refused") else {
        return;
    };
    let a = project(&[]);
    build_ok(&a, &w, "t2", &[]);
    let manifests = keys(&w, "t2/v1/manifests/");
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    let build_m = manifests
        .iter()
        .find(|k| k.contains("/build/"))
        .unwrap()
        .clone();
    let original = get(&w, &build_m);

    // A tampered manifest: one byte of its body.
    let mut bad = original.clone();
    let n = bad.len() - 3;
    bad[n] ^= 0x55;
    put(&w, &build_m, &bad);
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "t2", &[]);
    assert_eq!(sb["prepare_ran"], true, "cold");
    assert_eq!(from(&sb, "build"), "cold");
    crate::text_snapshot!(
        "tampered_manifest_warnings",
        crate::snapshots_support::remote_warnings(&sb)
    );

    // A tampered blob: every pack rewritten with other bytes of its length.
    put(&w, &build_m, &original);
    for k in keys(&w, "t2/v1/packs/") {
        let len = get(&w, &k).len();
        put(&w, &k, &vec![0x28u8; len]);
    }
    let c = clone_of(&a);
    let sc = build_ok(&c, &w, "t2", &[]);
    assert_eq!(sc["prepare_ran"], true, "cold");
    crate::text_snapshot!(
        "tampered_blob_warnings",
        crate::snapshots_support::remote_warnings(&sc)
    );
    assert!(
        !c.setup_store().join("remote.staging").exists(),
        "the staging directory is removed"
    );
    // What C built and cached is its own, not the forged blob.
    assert!(
        c.setup_store()
            .join("cache/node_modules/a/lib/index.js")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(c.setup_store().join("cache/node_modules/a/lib/index.js")).unwrap(),
        "a\n"
    );
    // verify reports the damage.
    let v = remote_cmd(&w, "t2", &["verify", "--deep"]);
    assert_eq!(v.code, 1, "{}\n{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("does not match its digest") || v.stdout.contains("blob"),
        "{}",
        v.stdout
    );
}

#[test]
fn a_killed_pull_leaves_nothing_half_applied() {
    let Some(w) = Weed::start("a_killed_pull_leaves_nothing_half_applied") else {
        return;
    };
    let a = project(&[]);
    build_ok(&a, &w, "t3", &[]);
    let b = clone_of(&a);
    let mut c = b.cmd("build", &["--format", "json"]);
    w.env(&mut c, "t3");
    c.env("ZEROPS_CACHE_REMOTE_ABORT_AFTER_PACKS", "1");
    let (code, _out, err) = run(&mut c);
    assert_ne!(code, 0, "aborted: {err}");
    assert!(err.contains("aborting after 1 pack"), "{err}");
    let store = b.setup_store();
    assert!(
        !store.join("record.json").exists(),
        "no record: nothing was applied"
    );
    assert!(
        std::fs::read_dir(store.join("cache"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "the build layer is untouched (empty)"
    );
    // The next command (with or without a remote) removes what was staged.
    let st = b.run("status", &[]);
    crate::text_snapshot!("status_after_a_killed_pull", &st.stderr);
    assert!(!store.join("remote.staging").exists());
    // The next build finishes the job: warm, identical.
    let sb = build_ok(&b, &w, "t3", &[]);
    assert_eq!(sb["prepare_ran"], false, "{sb}");
    assert_eq!(from(&sb, "build"), "remote");
    assert!(!store.join("remote.staging").exists());
    assert_eq!(
        detailed(&a.setup_store().join("cache")),
        detailed(&store.join("cache"))
    );
}

#[test]
fn a_remote_that_dies_mid_build_does_not_fail_it() {
    let Some(mut w) = Weed::start("a_remote_that_dies_mid_build_does_not_fail_it") else {
        return;
    };
    // On the host (--isolation none), so the build command can stop the server.
    let kill = format!("kill -9 {} || true", w.pid());
    let a = Proj::new(
        &yaml(&[PREPARE], &[INSTALL, &kill], "[node_modules]", ""),
        &[],
    );
    let s = build_ok(
        &a,
        &w,
        "t4",
        &["--isolation", "none", "--remote-timeout", "5s"],
    );
    assert_eq!(s["ok"], true);
    assert_eq!(s["remote"]["enabled"], true);
    let warn = s["remote"]["warnings"].to_string();
    assert!(warn.contains("pushing"), "{warn}");
    assert!(s["duration_ms"].as_u64().unwrap() < 30_000, "bounded wait");
    w.stop();
    // Unreachable from the start: a warning, and a local build.
    let t = std::time::Instant::now();
    let s2 = build_ok(
        &a,
        &w,
        "t4",
        &["--isolation", "none", "--remote-timeout", "3s"],
    );
    assert_eq!(s2["remote"]["enabled"], false);
    assert_eq!(from(&s2, "build"), "local");
    assert!(t.elapsed().as_secs() < 20);
}

#[test]
fn invalidate_on_a_makes_b_build_cold() {
    let Some(w) = Weed::start("invalidate_on_a_makes_b_build_cold") else {
        return;
    };
    let a = project(&[]);
    build_ok(&a, &w, "t5", &[]);
    let r = cmd(&a, &w, "t5", "invalidate", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    crate::text_snapshot!("invalidate_remote", &r.stdout);
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "t5", &[]);
    assert_eq!(sb["prepare_ran"], true);
    assert_eq!(from(&sb, "base"), "cold");
    assert_eq!(sb["remote"]["epoch"], 1);
    // B published under the new epoch; a third builder is warm again.
    let c = clone_of(&a);
    let sc = build_ok(&c, &w, "t5", &[]);
    assert_eq!(from(&sc, "build"), "remote");
    // activate reaches the remote too.
    let r = cmd(&c, &w, "t5", "activate", &["1"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    crate::text_snapshot!("activate_remote", &r.stdout);
}

#[test]
fn eight_racing_publishers_leave_one_manifest() {
    let Some(w) = Weed::start("eight_racing_publishers_leave_one_manifest") else {
        return;
    };
    let a = project(&[]);
    let builders: Vec<Proj> = (0..8).map(|_| clone_of(&a)).collect();
    let children: Vec<_> = builders
        .iter()
        .map(|p| {
            let mut c = p.cmd("build", &["--format", "json"]);
            w.env(&mut c, "t6");
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for ch in children {
        let out = ch.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let m = keys(&w, "t6/v1/manifests/");
    assert_eq!(m.len(), 2, "one manifest per layer: {m:?}");
    let v = remote_cmd(&w, "t6", &["verify", "--deep"]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "t6", &[]);
    assert_eq!(from(&sb, "build"), "remote");
}

#[test]
fn gc_keeps_what_is_referenced() {
    let Some(w) = Weed::start("gc_keeps_what_is_referenced") else {
        return;
    };
    let a = project(&[]);
    build_ok(&a, &w, "t7", &[]);
    assert_eq!(cmd(&a, &w, "t7", "invalidate", &[]).code, 0);
    build_ok(&a, &w, "t7", &[]);
    assert_eq!(keys(&w, "t7/v1/manifests/").len(), 4);
    // Within the grace period nothing goes.
    let g = remote_cmd(&w, "t7", &["gc"]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    crate::text_snapshot!("gc_within_grace", &g.stdout);
    let g = remote_cmd(&w, "t7", &["gc", "--grace", "0s"]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    crate::text_snapshot!("gc_no_grace", &g.stdout, crate::snapshots_support::GC_PACKS);
    let left = keys(&w, "t7/v1/manifests/");
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|k| k.contains("/e1/")), "{left:?}");
    let v = remote_cmd(&w, "t7", &["verify", "--deep"]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "t7", &[]);
    assert_eq!(from(&sb, "build"), "remote");
    // By size: a budget of 1 byte removes every entry, explaining why.
    let g = remote_cmd(&w, "t7", &["gc", "--grace", "0s", "--max-size", "1"]);
    crate::text_snapshot!("gc_max_size", &g.stdout, crate::snapshots_support::GC_PACKS);
}

#[test]
fn without_a_secret_the_remote_is_off_unless_unsigned_is_asked_for() {
    let Some(w) = Weed::start("without_a_secret_the_remote_is_off_unless_unsigned_is_asked_for")
    else {
        return;
    };
    let a = project(&[]);
    let mut c = a.cmd("build", &["--format", "json"]);
    w.env(&mut c, "t8");
    c.env_remove("ZEROPS_CACHE_REMOTE_SECRET");
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(s["remote"]["enabled"], false);
    crate::text_snapshot!(
        "no_secret",
        crate::snapshots_support::lines_with(&err, "ZEROPS_CACHE_REMOTE_SECRET")
    );
    assert!(keys(&w, "t8/").is_empty());
    let mut c = a.cmd("build", &["--format", "json", "--remote-unsigned"]);
    w.env(&mut c, "t8");
    c.env_remove("ZEROPS_CACHE_REMOTE_SECRET");
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(s["remote"]["enabled"], true);
    assert!(!keys(&w, "t8/v1/manifests/").is_empty());
    // A signed reader refuses what was published unsigned.
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "t8", &[]);
    assert_eq!(from(&sb, "build"), "cold");
    crate::text_snapshot!(
        "unsigned_refused",
        crate::snapshots_support::remote_warnings(&sb)
    );
}

#[test]
fn remote_push_and_pull_by_hand() {
    let Some(w) = Weed::start("remote_push_and_pull_by_hand") else {
        return;
    };
    let a = project(&[]);
    // Built without a remote, then pushed by hand.
    let s = a.build_ok(&[]);
    assert!(s["remote"].is_null());
    let r = cmd(&a, &w, "t9", "remote", &["push"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    crate::text_snapshot!("push_by_hand", &r.stdout);
    let r = cmd(&a, &w, "t9", "remote", &["push"]);
    crate::text_snapshot!("push_again", &r.stdout);
    // B pulls by hand; its build is then local all the way.
    let b = clone_of(&a);
    let r = cmd(&b, &w, "t9", "remote", &["pull"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Its two manifests and every pack (how many packs depends on how the
    // push's threads split the files: counted, then left out).
    let counted = format!("in {} objects)", keys(&w, "t9/v1/packs/").len() + 2);
    assert!(r.stdout.contains(&counted), "{counted}\n{}", r.stdout);
    crate::text_snapshot!(
        "pull_by_hand",
        r.stdout.replace(&counted, "in [N] objects)")
    );
    let sb = b.build_ok(&[]);
    assert_eq!(sb["prepare_ran"], false);
    assert_eq!(from(&sb, "build"), "local");
    let r = cmd(&b, &w, "t9", "remote", &["pull"]);
    crate::text_snapshot!("pull_again", &r.stdout);
}

/// `--project-id` names another store than the git identity; a bad id is
/// refused.
#[test]
fn an_explicit_project_id_names_another_store() {
    let a = project(&[]);
    let by_git = a.build_ok(&[]);
    assert_eq!(by_git["prepare_ran"], true);
    let s = a.build_ok(&["--project-id", "team/app"]);
    assert_eq!(s["prepare_ran"], true, "a store of its own: {s}");
    assert!(s["store"].as_str().unwrap().contains("/app-"), "{s}");
    assert_ne!(s["store"], by_git["store"]);
    let bad = a.build(&["--project-id", "../x"]);
    crate::text_snapshot!("bad_project_id", crate::snapshots_support::ran(&bad));
}
