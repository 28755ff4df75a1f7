//! What a failed build keeps (issue 32): the build layer is the previous
//! one byte for byte or none; the base layer holds nothing that failed
//! buildCommands wrote, and keeps what its prepareCommands built; an
//! in-place artifact leaves out what git ignored before the build.

use std::collections::BTreeMap;

use crate::build_support::{Proj, tree, yaml};

/// A cold build whose cache is `node_modules` with two packages.
fn warm(cache_cmd: &str, extra: &[&str]) -> Proj {
    let mut cmds = vec![cache_cmd];
    cmds.extend_from_slice(extra);
    let p = Proj::new(
        &yaml(&[], &cmds, "[node_modules]", ""),
        &[("package.json", "{}\n")],
    );
    let s = p.build_ok(&["--isolation", "none"]);
    assert_eq!(s["preserved"], 1, "{s}");
    p
}

const INSTALL: &str = "[ -d node_modules ] || { mkdir -p node_modules/a node_modules/b && echo a > node_modules/a/index.js && echo b > node_modules/b/index.js; }";

fn set_commands(p: &Proj, cmds: &[&str]) {
    p.write("zerops.yaml", &yaml(&[], cmds, "[node_modules]", ""));
}

#[test]
fn a_failure_that_left_the_restored_entries_alone_puts_them_back_byte_for_byte() {
    let p = warm(INSTALL, &[]);
    let before = p.cache_files();
    set_commands(&p, &[INSTALL, "cat node_modules/a/index.js", "exit 3"]);
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 moved entry put back")
            && r.stderr.contains("the layer record is unchanged"),
        "{}",
        r.stderr
    );
    assert_eq!(p.cache_files(), before);
}

#[test]
fn a_failure_that_changed_a_restored_entry_drops_the_whole_layer() {
    // Each way a build can change what it was given.
    for change in [
        "echo half > node_modules/c-half-written.js",
        "echo x >> node_modules/a/index.js",
        "rm node_modules/b/index.js",
        "chmod 600 node_modules/a/index.js",
        "mv node_modules/a node_modules/a2",
        "ln node_modules/a/index.js elsewhere.js",
    ] {
        let p = warm(INSTALL, &[]);
        set_commands(&p, &[INSTALL, change, "exit 3"]);
        let r = p.build(&["--isolation", "none"]);
        assert_eq!(r.code, 4, "{change}: {}", r.stderr);
        assert!(
            r.stderr.contains(
                "the build layer was dropped: the failed build changed the restored `node_modules"
            ),
            "{change}: {}",
            r.stderr
        );
        assert_eq!(p.cache_files(), BTreeMap::new(), "{change}: no half cache");
        // The next build starts without a cache and says what it restores.
        set_commands(&p, &[INSTALL]);
        let s = p.build_ok(&["--isolation", "none"]);
        assert_eq!(s["restored"], 0, "{change}: {s}");
    }
}

#[test]
fn an_interrupted_install_leaves_the_previous_cache_or_none() {
    // The case: a warm install is interrupted (SIGINT) after it
    // wrote new packages into the restored node_modules.
    let p = warm(INSTALL, &[]);
    set_commands(
        &p,
        &[
            INSTALL,
            "for i in 1 2 3 4 5; do mkdir -p node_modules/new$i && echo $i > node_modules/new$i/index.js; done",
            // The shell's parent on the host (the reaper) passes it on
            // to zerops-cache.
            "kill -INT $PPID; exec sleep 30",
        ],
    );
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(
        r.stderr.contains("the build layer was dropped"),
        "{}",
        r.stderr
    );
    assert_eq!(p.cache_files(), BTreeMap::new());
}

/// A real `npm install` of local packages, interrupted: the cache is the
/// previous one byte for byte, or none, and the message says which.
#[test]
fn an_interrupted_real_npm_install_never_becomes_the_cache() {
    if !crate::common::prerequisite(
        std::process::Command::new("npm")
            .arg("--version")
            .output()
            .is_ok(),
        "npm",
        "ZEROPS_CACHE_SKIP_NPM",
        "apt-get install npm",
    ) {
        return;
    }
    let mut files: Vec<(String, String)> = Vec::new();
    let mut deps = Vec::new();
    for i in 0..10 {
        files.push((
            format!("pkgs/p{i}/package.json"),
            format!("{{\"name\":\"p{i}\",\"version\":\"1.0.{i}\",\"main\":\"index.js\"}}\n"),
        ));
        files.push((
            format!("pkgs/p{i}/index.js"),
            format!("module.exports = {i};\n"),
        ));
        deps.push(format!("\"p{i}\":\"file:./tarballs/p{i}-1.0.{i}.tgz\""));
    }
    let pkg = |n: usize| {
        format!(
            "{{\"name\":\"app\",\"version\":\"1.0.0\",\"dependencies\":{{{}}}}}\n",
            deps[..n].join(",")
        )
    };
    files.push(("package.json".into(), pkg(5)));
    files.push((".gitignore".into(), "node_modules/\n".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let npm = "npm install --offline --no-audit --no-fund --loglevel=error";
    let p = Proj::new(&yaml(&[], &[npm], "[node_modules]", ""), &refs);
    // Tarballs, as a registry serves them: npm unpacks them into real files.
    std::fs::create_dir_all(p.path().join("tarballs")).unwrap();
    for i in 0..10 {
        let out = std::process::Command::new("npm")
            .args(["pack", "--silent", "--pack-destination", "tarballs"])
            .arg(format!("./pkgs/p{i}"))
            .current_dir(p.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    super::build_support::git(p.path(), &["add", "-A"]);
    super::build_support::git(p.path(), &["commit", "-qm", "tarballs"]);
    let s = p.build_ok(&["--isolation", "none"]);
    assert_eq!(s["preserved"], 1, "{s}");
    let before = p.cache_files();
    assert!(
        before.keys().any(|k| k.starts_with("node_modules/p4/")),
        "{before:?}"
    );
    // Five new dependencies, then an interrupt once npm has written them.
    p.write("package.json", &pkg(10));
    super::build_support::git(p.path(), &["commit", "-qam", "more deps"]);
    p.write(
        "zerops.yaml",
        &yaml(
            &[],
            &[npm, "kill -INT $PPID; exec sleep 30"],
            "[node_modules]",
            "",
        ),
    );
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(r.code, 130, "{}", r.stderr);
    let after = p.cache_files();
    if after.is_empty() {
        assert!(
            r.stderr.contains("the build layer was dropped"),
            "{}",
            r.stderr
        );
    } else {
        assert_eq!(
            after, before,
            "a mix of the old cache and the interrupted install"
        );
        assert!(r.stderr.contains("put back"), "{}", r.stderr);
    }
    // npm wrote into the restored node_modules: the old cache cannot be shown intact.
    assert!(after.is_empty(), "{}", r.stderr);
}

#[test]
fn a_kill_during_a_failing_build_recovers_to_the_previous_cache_or_none() {
    // The build changes what it was given, then zerops-cache is killed;
    // the next command recovers.
    for (change, dropped) in [("echo half > node_modules/half.js", true), ("true", false)] {
        let p = warm(INSTALL, &[]);
        let before = p.cache_files();
        // zerops-cache is the shell's grandparent on the host (its
        // reaper is the parent; see host_reaper).
        set_commands(
            &p,
            &[
                INSTALL,
                change,
                "kill -KILL $(awk '{print $4}' /proc/$PPID/stat); exec sleep 30",
            ],
        );
        let r = p.build(&["--isolation", "none"]);
        assert_ne!(r.code, 0);
        let st = p.run("status", &["--isolation", "none"]);
        assert_eq!(st.code, 0, "{}", st.stderr);
        assert!(
            st.stderr.contains("recovered: rolled back"),
            "{}",
            st.stderr
        );
        let after = p.cache_files();
        if dropped {
            assert_eq!(after, BTreeMap::new(), "{change}: {}", st.stderr);
            assert!(
                st.stderr.contains("the build layer was dropped"),
                "{}",
                st.stderr
            );
        } else {
            assert_eq!(after, before, "{change}: {}", st.stderr);
        }
    }
}

#[test]
fn host_mode_writes_to_home_by_a_failed_build_drop_the_base_layer() {
    let p = Proj::new(
        &yaml(
            &["echo ran >> \"$HOME/prepare.log\""],
            &["true"],
            "false",
            "",
        ),
        &[],
    );
    p.build_ok(&["--isolation", "none"]);
    p.write(
        "zerops.yaml",
        &yaml(
            &["echo ran >> \"$HOME/prepare.log\""],
            &["echo half > \"$HOME/marker\"", "exit 1"],
            "false",
            "",
        ),
    );
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(r.code, 4);
    assert!(
        r.stderr.contains("the base layer was dropped"),
        "{}",
        r.stderr
    );
    assert!(
        !p.home_files().contains_key("marker"),
        "{:?}",
        p.home_files()
    );
    // The next build rebuilds both layers, and says why.
    p.write(
        "zerops.yaml",
        &yaml(
            &["echo ran >> \"$HOME/prepare.log\""],
            &["true"],
            "false",
            "",
        ),
    );
    let s = p.build_ok(&["--isolation", "none"]);
    assert_eq!(s["prepare_ran"], true, "{s}");
    assert_eq!(
        p.home_files().get("prepare.log").map(String::as_str),
        Some("ran\n")
    );
}

#[test]
fn in_place_artifacts_leave_out_what_git_ignored_before_the_build() {
    let p = Proj::new(
        &yaml(
            &[],
            &["echo built > dist.txt", "echo gen > generated.env"],
            "true",
            "",
        ),
        &[(".gitignore", ".env\n*.env\nlocal-cache/\n")],
    );
    p.write(".env", "SECRET=1\n");
    p.write("local-cache/blob", "x\n");
    p.write("notes.txt", "untracked, not ignored\n");
    let s = p.build_ok(&["--isolation", "none", "--in-place"]);
    let v = s["version"].as_u64().unwrap();
    let version = tree(&p.setup_store().join(format!("versions/{v}")));
    assert!(!version.contains_key(".env"), "{version:?}");
    assert!(
        !version.keys().any(|k| k.starts_with("local-cache")),
        "{version:?}"
    );
    // What zcli push sends, and what the build wrote, whatever .gitignore says.
    assert!(version.contains_key("notes.txt"), "{version:?}");
    assert!(version.contains_key("dist.txt"), "{version:?}");
    assert_eq!(
        version.get("generated.env").map(String::as_str),
        Some("gen\n")
    );
    // Not cached either, and still where the user had it.
    let cache = p.cache_files();
    assert!(!cache.contains_key(".env"), "{cache:?}");
    assert_eq!(
        std::fs::read_to_string(p.path().join(".env")).unwrap(),
        "SECRET=1\n"
    );
}

/// In the container (as root here), buildCommands write a layer of their
/// own: a failed build's writes outside /build/source never reach the base
/// layer; a successful build's are merged into it.
#[test]
fn the_base_layer_never_keeps_what_failed_build_commands_wrote() {
    let prepare =
        "echo ran >> \"$HOME/prepare.log\" && mkdir -p /opt/prep && echo p > /opt/prep/tool";
    let p = Proj::new(&yaml(&[prepare], &["true"], "false", ""), &[]);
    p.build_ok(&[]);
    p.write(
        "zerops.yaml",
        &yaml(
            &[prepare],
            &[
                "echo half > ~/marker && echo half > /opt/marker && rm /opt/prep/tool",
                "exit 1",
            ],
            "false",
            "",
        ),
    );
    let r = p.build(&[]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let upper = p.setup_store().join("base/upper");
    let read = |rel: &str| std::fs::read_to_string(upper.join(rel)).ok();
    assert!(!upper.join("home/zerops/marker").exists());
    assert!(!upper.join("opt/marker").exists());
    assert_eq!(read("opt/prep/tool").as_deref(), Some("p\n"));
    // The next build sees none of it, and the base layer is reused.
    p.write(
        "zerops.yaml",
        &yaml(
            &[prepare],
            &["test ! -e ~/marker && test ! -e /opt/marker && test -e /opt/prep/tool && echo ok > checked.txt"],
            "false",
            "",
        ),
    );
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false, "{s}");
    // A successful build's writes are merged: deletions included.
    p.write(
        "zerops.yaml",
        &yaml(
            &[prepare],
            &["echo kept > /opt/kept && echo kept > ~/kept && rm /opt/prep/tool && rm /etc/debian_version"],
            "false",
            "",
        ),
    );
    p.build_ok(&[]);
    assert_eq!(read("opt/kept").as_deref(), Some("kept\n"));
    assert_eq!(read("home/zerops/kept").as_deref(), Some("kept\n"));
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let wh = std::fs::symlink_metadata(upper.join("etc/debian_version")).unwrap();
    assert!(
        wh.file_type().is_char_device() && wh.rdev() == 0,
        "a whiteout"
    );
    assert!(!p.setup_store().join("run/upper.build").exists());
    p.write(
        "zerops.yaml",
        &yaml(
            &[prepare],
            &["test -e /opt/kept && test -e ~/kept && test ! -e /opt/prep/tool && test ! -e /etc/debian_version"],
            "false",
            "",
        ),
    );
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false, "{s}");
    assert!(
        std::path::Path::new("/etc/debian_version").exists(),
        "the host keeps its file"
    );
}

#[test]
fn the_base_layer_of_successful_prepare_commands_is_reused_by_the_retry() {
    let prepare = "echo ran >> \"$HOME/prepare.log\"";
    let p = Proj::new(&yaml(&[prepare], &["exit 1"], "[node_modules]", ""), &[]);
    let r = p.build(&[]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the base layer its prepareCommands built is kept"),
        "{}",
        r.stderr
    );
    // The fixed build reuses it, and says so.
    p.write(
        "zerops.yaml",
        &yaml(&[prepare], &["true"], "[node_modules]", ""),
    );
    let r = p.build(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.json();
    assert_eq!(s["prepare_ran"], false, "{s}");
    assert_eq!(s["layers"]["base"]["action"], "reuse", "{s}");
    assert!(
        r.stderr
            .contains("base layer: reused (prepareCommands skipped)"),
        "{}",
        r.stderr
    );
    assert_eq!(
        p.home_files().get("prepare.log").map(String::as_str),
        Some("ran\n")
    );
    // prepareCommands that fail keep nothing of theirs: the next build runs them.
    let q = Proj::new(&yaml(&[prepare, "exit 2"], &["true"], "false", ""), &[]);
    assert_eq!(q.build(&[]).code, 4);
    q.write("zerops.yaml", &yaml(&[prepare], &["true"], "false", ""));
    let s = q.build_ok(&[]);
    assert_eq!(s["prepare_ran"], true, "{s}");
}
