//! The build container (run as root here; `container_rootless` repeats the
//! core as `nobody`): Zerops' paths, the base layer as the overlay's upper
//! directory, a host that is never modified, a clean environment.

use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::build_support::{Proj, tree, yaml};

/// A file on the host that the image (the host's root) shows.
/// A host directory the container shows through the host-root image. Not
/// under /tmp: the container's /tmp is the build's own, so a checkout (and
/// its target directory) under /tmp is invisible inside.
const VISIBLE_TMP: &str = "/var/tmp";

fn host_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::Builder::new()
        .prefix("zc-hostfile")
        .tempdir_in(VISIBLE_TMP)
        .unwrap();
    let f = d.path().join(name);
    std::fs::write(&f, "host\n").unwrap();
    (d, f)
}

fn artifact(s: &Value, p: &Proj, rel: &str) -> String {
    let v = s["version"].as_u64().unwrap();
    std::fs::read_to_string(p.setup_store().join(format!("versions/{v}/{rel}")))
        .unwrap_or_else(|e| panic!("{rel} in the artifact: {e}"))
}

fn upper(p: &Proj) -> PathBuf {
    p.setup_store().join("base/upper")
}

/// A tiny Debian package, built with dpkg-deb, so prepareCommands can
/// install a real package offline.
fn tiny_deb(dir: &Path) -> PathBuf {
    let root = dir.join("zc-tiny");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: zc-tiny\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: a test package\n",
    )
    .unwrap();
    let tool = root.join("usr/local/bin/zc-tiny");
    std::fs::write(&tool, "#!/bin/sh\necho tiny-tool\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let deb = dir.join("zc-tiny.deb");
    let out = std::process::Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&root)
        .arg(&deb)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    deb
}

#[test]
fn prepare_commands_change_only_the_base_layer_until_invalidated() {
    let pkgs = tempfile::Builder::new()
        .prefix("zc-deb")
        .tempdir_in(VISIBLE_TMP)
        .unwrap();
    let deb = tiny_deb(pkgs.path());
    let marker = format!("zc-{}", std::process::id());
    let opt = format!("/opt/{marker}");
    let prepare = [
        format!("mkdir -p {opt} && echo stamp > {opt}/stamp"),
        format!("dpkg -i {}", deb.display()),
        "echo ran >> prepare.log".to_string(),
    ];
    let build = [format!(
        "cat {opt}/stamp > seen.txt && zc-tiny >> seen.txt && dpkg -s zc-tiny | grep -c installed >> seen.txt"
    )];
    let pr: Vec<&str> = prepare.iter().map(String::as_str).collect();
    let bu: Vec<&str> = build.iter().map(String::as_str).collect();
    let p = Proj::new(&yaml(&pr, &bu, "false", ""), &[]);
    let dpkg_status = std::fs::read("/var/lib/dpkg/status").unwrap();

    let s = p.build_ok(&[]);
    assert_eq!(s["isolation"], "container");
    assert_eq!(s["prepare_ran"], true);
    assert_eq!(artifact(&s, &p, "seen.txt"), "stamp\ntiny-tool\n1\n");
    // Only the base layer changed: the host has neither /opt/… nor the package.
    assert!(!Path::new(&opt).exists(), "the host's /opt is untouched");
    assert!(!Path::new("/usr/local/bin/zc-tiny").exists());
    assert_eq!(std::fs::read("/var/lib/dpkg/status").unwrap(), dpkg_status);
    let up = upper(&p);
    assert_eq!(
        std::fs::read_to_string(up.join(&opt[1..]).join("stamp")).unwrap(),
        "stamp\n"
    );
    assert!(up.join("usr/local/bin/zc-tiny").exists());
    assert_eq!(
        p.home_files()["prepare.log"],
        "ran\n",
        "cwd is /home/zerops"
    );

    // A warm build sees all of it without rerunning prepareCommands.
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false);
    assert_eq!(s["layers"]["base"]["action"], "reuse");
    assert_eq!(artifact(&s, &p, "seen.txt"), "stamp\ntiny-tool\n1\n");

    // After invalidate, the build starts from the bare image.
    let r = p.run("invalidate", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let check = format!(
        "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      prepareCommands:\n        - {}\n      buildCommands:\n        - \"test ! -e {opt} && ! command -v zc-tiny && ! dpkg -s zc-tiny && echo clean > clean.txt\"\n      deployFiles: ./\n      cache: false\n",
        serde_json::to_string("ls /home/zerops > home-before.txt").unwrap()
    );
    p.write("zerops.yaml", &check);
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], true);
    assert_eq!(artifact(&s, &p, "clean.txt"), "clean\n");
    assert!(
        !upper(&p).join(&opt[1..]).exists(),
        "the old base layer is gone"
    );
}

#[test]
fn cache_false_keeps_writes_outside_the_source_and_true_keeps_the_source() {
    let marker = format!("zc-mod-{}", std::process::id());
    let gomod = format!("/root/go/pkg/mod/{marker}");
    let b = format!(
        "if [ -e {gomod}/m ]; then echo warm > state.txt; else echo cold > state.txt; fi; mkdir -p {gomod} && echo mod > {gomod}/m; mkdir -p target && echo obj > target/o; ls target > targets.txt"
    );
    for cache in ["false", "true"] {
        let p = Proj::new(&yaml(&[], &[&b], cache, ""), &[]);
        let s = p.build_ok(&[]);
        assert_eq!(artifact(&s, &p, "state.txt"), "cold\n");
        assert!(
            !Path::new(&gomod).exists(),
            "the host's /root/go is untouched"
        );
        // A change to the source between builds; buildCommands rerun.
        let s = p.build_ok(&[]);
        assert_eq!(
            artifact(&s, &p, "state.txt"),
            "warm\n",
            "cache {cache}: ~/go stays in the base layer"
        );
        let cached = p.cache_files();
        if cache == "false" {
            assert!(
                cached.is_empty(),
                "cache false keeps nothing of /build/source: {cached:?}"
            );
            assert_eq!(s["restored"], 0);
        } else {
            assert_eq!(
                cached["target/o"], "obj\n",
                "cache true keeps the whole workspace"
            );
            assert!(
                cached.contains_key("zerops.yaml")
                    || s["skipped"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|x| x == "zerops.yaml")
            );
            assert!(s["restored"].as_u64().unwrap() > 0);
        }
    }
}

#[test]
fn a_deleted_image_file_stays_deleted_and_the_host_keeps_it() {
    let (_d, f) = host_file("victim.txt");
    let f = f.display().to_string();
    let p = Proj::new(
        &yaml(
            &[&format!("rm {f}")],
            &[&format!(
                "if [ -e {f} ]; then echo there; else echo gone; fi > seen.txt"
            )],
            "false",
            "",
        ),
        &[],
    );
    let s = p.build_ok(&[]);
    assert_eq!(artifact(&s, &p, "seen.txt"), "gone\n");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "host\n",
        "the host file is intact"
    );
    // The whiteout is a character device 0:0 in the upper directory.
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let w = upper(&p).join(&f[1..]);
    let md = std::fs::symlink_metadata(&w).unwrap();
    assert!(
        md.file_type().is_char_device() && md.rdev() == 0,
        "{w:?} is a whiteout"
    );
    let s = p.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false);
    assert_eq!(
        artifact(&s, &p, "seen.txt"),
        "gone\n",
        "it stays deleted across builds"
    );
}

#[test]
fn the_environment_is_clean_and_flags_add_to_it() {
    let extra = "      envVariables:\n        FROM_YAML: yaml\n        OVERRIDE: yaml\n";
    let p = Proj::new(&yaml(&[], &["env | sort > env.txt"], "false", extra), &[]);
    let mut c = p.cmd(
        "build",
        &[
            "--format",
            "json",
            "--env",
            "OVERRIDE=flag",
            "--env",
            "ZC_PASSED",
        ],
    );
    c.env("ZC_LEAK", "leak").env("ZC_PASSED", "passed");
    let (code, stdout, stderr) = crate::common::run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let env = format!("\n{}", artifact(&s, &p, "env.txt"));
    let names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k)
        .collect();
    assert!(!env.contains("ZC_LEAK"), "{env}");
    assert!(env.contains("\nHOME=/home/zerops\n"), "{env}");
    assert!(env.contains("\nLANG=C.UTF-8\n"), "{env}");
    assert!(env.contains("\nFROM_YAML=yaml\n"), "{env}");
    assert!(env.contains("\nOVERRIDE=flag\n"), "{env}");
    assert!(env.contains("\nZC_PASSED=passed\n"), "{env}");
    assert!(
        env.lines()
            .any(|l| l.starts_with("PATH=") && l.ends_with("/usr/bin:/sbin:/bin")),
        "{env}"
    );
    // Nothing else of the host: only these, the toolchain variables and
    // what the shell sets itself.
    let allowed = [
        "HOME",
        "LANG",
        "PATH",
        "FROM_YAML",
        "OVERRIDE",
        "ZC_PASSED",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
        "RUSTUP_HOME",
        "PYENV_ROOT",
        "VOLTA_HOME",
        "NVM_DIR",
    ];
    for n in names {
        assert!(allowed.contains(&n), "{n} came from the host:\n{env}");
    }
    // --isolation none keeps today's host mode: the host's environment.
    let mut c = p.cmd("build", &["--format", "json", "--isolation", "none"]);
    c.env("ZC_LEAK", "leak");
    let (code, stdout, stderr) = crate::common::run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(s["isolation"], "none");
    assert!(artifact(&s, &p, "env.txt").contains("ZC_LEAK=leak"));
}

#[test]
fn in_place_builds_run_in_the_container_at_build_source() {
    let p = Proj::new(
        &yaml(
            &[],
            &["pwd > where.txt && ls /build/source > ls.txt && echo venv > .venv-path"],
            "[.venv-path]",
            "",
        ),
        &[("app.py", "print(1)\n")],
    );
    let s = p.build_ok(&["--in-place"]);
    assert_eq!(s["isolation"], "container");
    assert_eq!(artifact(&s, &p, "where.txt"), "/build/source\n");
    assert!(artifact(&s, &p, "ls.txt").contains("app.py"));
    // The project directory itself was the workspace.
    assert!(p.path().join("where.txt").exists());
    // The cached path is valid in a normal build too (same /build/source).
    let s = p.build_ok(&[]);
    assert_eq!(s["restored"], 1);
}

#[test]
fn the_summary_status_and_plan_name_the_isolation_and_the_image() {
    let p = Proj::new(&yaml(&["true"], &["true"], "false", ""), &[]);
    let s = p.build_ok(&[]);
    assert_eq!(s["isolation"], "container");
    assert!(
        s["image"].as_str().unwrap().starts_with("host-root "),
        "{s}"
    );
    let st = p.run("status", &["--format", "json"]);
    assert_eq!(st.code, 0, "{}", st.stderr);
    let st = st.json();
    assert_eq!(st["last_isolation"], "container", "{st}");
    assert_eq!(st["isolation"], "container");
    assert_eq!(st["layers"]["base"]["next_build"], "reuse");
    // Switching to the host rebuilds the base layer, and status, plan and
    // the build say why.
    let st = p
        .run("status", &["--format", "json", "--isolation", "none"])
        .json();
    assert_eq!(st["layers"]["base"]["next_build"], "rebuild");
    let why = st["layers"]["base"]["reasons"][0].as_str().unwrap();
    crate::text_snapshot!("status_reason_to_the_host", why);
    let plan = p.run("plan", &["--isolation", "none"]);
    crate::text_snapshot!("plan_to_the_host", crate::snapshots_support::ran(&plan));
    let s = p.build_ok(&["--isolation", "none"]);
    assert_eq!(s["layers"]["base"]["action"], "rebuild");
    assert_eq!(s["isolation"], "none");
    let files = tree(&p.setup_store());
    assert!(
        !files.keys().any(|k| k.starts_with("run/root/")),
        "nothing is left mounted or written in the mount point"
    );
}
