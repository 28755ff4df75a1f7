//! Read-only trees move and go away (issue 11, item 5): Go's module cache
//! in the home, a `chmod 000` directory in the build output, a 0555
//! package inside a pattern-matched cache. Run as root and as `nobody`
//! (for whom permissions really bite).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::build_support::{PREPARE, Proj, Ran, yaml};
use crate::common::run;

/// Runs the scenario's commands as root or as `nobody`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum User {
    Root,
    Nobody,
}

/// An artifact directory `nobody` can write: the binary loads the code
/// build.rs precompiled into it, and would cache a compile there.
fn nobody_artifacts() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-artifacts-nobody");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        d
    })
}

/// Hands the project and its store to `nobody`.
pub fn give_to_nobody(p: &Proj) {
    for d in [p.path(), p.store.path()] {
        let st = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(d)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

pub fn cmd_as(user: User, p: &Proj, sub: &str, args: &[&str]) -> Command {
    match user {
        User::Root => p.cmd(sub, args),
        User::Nobody => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                .arg(env!("CARGO_BIN_EXE_zerops-cache"))
                .arg(sub)
                .arg("--store")
                .arg(p.store.path())
                .args(args)
                .current_dir(p.path())
                .env("ZEROPS_CACHE_ARTIFACTS", nobody_artifacts())
                .env("HOME", p.store.path())
                .env("ZEROPS_CACHE_CLEANUP", "inline")
                .env("ZEROPS_CACHE_IMAGE", "host")
                .env("NO_COLOR", "1");
            c
        }
    }
}

pub fn run_as(user: User, p: &Proj, sub: &str, args: &[&str]) -> Ran {
    let (code, stdout, stderr) = run(&mut cmd_as(user, p, sub, args));
    Ran {
        code,
        stdout,
        stderr,
    }
}

fn build_ok(user: User, p: &Proj) -> serde_json::Value {
    let r = run_as(user, p, "build", &["--format", "json"]);
    assert_eq!(
        r.code, 0,
        "{user:?}: build failed:\n{}\n{}",
        r.stdout, r.stderr
    );
    r.json()
}

fn project(user: User, yaml_text: &str) -> Proj {
    let p = Proj::new(yaml_text, &[("package.json", "{}\n")]);
    if user == User::Nobody {
        give_to_nobody(&p);
    }
    p
}

fn all_commands_work(user: User, p: &Proj) {
    for sub in ["status", "plan", "invalidate"] {
        let r = run_as(user, p, sub, &[]);
        assert_eq!(r.code, 0, "{user:?} {sub}: {}\n{}", r.stdout, r.stderr);
    }
    build_ok(user, p);
    let trash = p.setup_store().join("trash");
    assert!(!trash.exists(), "{user:?}: trash left behind");
}

const GO_MOD: &str = "[ -d \"$HOME/go/pkg/mod/x@v1\" ] || { mkdir -p \"$HOME/go/pkg/mod/x@v1/sub\" && echo m > \"$HOME/go/pkg/mod/x@v1/sub/m.go\" && chmod -R a-w \"$HOME/go/pkg/mod\"; }";

fn go_module_cache_in_home(user: User) {
    let p = project(user, &yaml(&[PREPARE, GO_MOD], &["true"], "false", ""));
    build_ok(user, &p);
    let r = run_as(user, &p, "invalidate", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = build_ok(user, &p);
    assert_eq!(b["prepare_ran"], true);
    all_commands_work(user, &p);
    let m = p
        .setup_store()
        .join("base/upper/home/zerops/go/pkg/mod/x@v1/sub");
    assert_eq!(std::fs::read_to_string(m.join("m.go")).unwrap(), "m\n");
    assert_eq!(
        std::fs::metadata(&m).unwrap().permissions().mode() & 0o777,
        0o555
    );
}

const LOCKED: &str = "mkdir -p out/locked && echo s > out/locked/s && chmod 000 out/locked";

fn chmod_000_in_the_build_output(user: User, cache: &str) {
    let p = project(
        user,
        &yaml(
            &[],
            &["chmod -R u+rwx out 2>/dev/null; rm -rf out", LOCKED],
            cache,
            "",
        ),
    );
    build_ok(user, &p);
    build_ok(user, &p);
    all_commands_work(user, &p);
}

const HALF_OPEN: &str = "mkdir -p out/locked out/nosearch out/nolist && echo s > out/locked/s && echo t > out/nosearch/t && echo u > out/nolist/u && chmod 000 out/locked && chmod 444 out/nosearch && chmod 300 out/nolist";

/// Directories of the build output that can be listed but not searched
/// (0444), searched but not listed (0300), or neither (000): every file
/// reaches the artifact, cold and warm (the warm walk lists ahead and
/// grants from what the listing read), with the directories' own modes.
fn half_open_directories_in_the_artifact(user: User) {
    let p = project(
        user,
        &yaml(
            &[],
            &["chmod -R u+rwx out 2>/dev/null; rm -rf out", HALF_OPEN],
            "true",
            "",
        ),
    );
    for _ in 0..2 {
        build_ok(user, &p);
        let v = std::fs::read_to_string(p.setup_store().join("versions/active")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let out = dir.path().join("v");
        let r = run_as(
            user,
            &p,
            "versions",
            &["export", v.trim(), out.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{user:?} export: {}", r.stderr);
        for (d, f, text, mode) in [
            ("locked", "s", "s\n", 0o000),
            ("nosearch", "t", "t\n", 0o444),
            ("nolist", "u", "u\n", 0o300),
        ] {
            let d = out.join("out").join(d);
            assert_eq!(
                std::fs::read_to_string(d.join(f)).unwrap(),
                text,
                "{user:?}"
            );
            assert_eq!(
                std::fs::symlink_metadata(&d).unwrap().permissions().mode() & 0o777,
                mode,
                "{user:?} {}",
                d.display()
            );
        }
    }
    all_commands_work(user, &p);
}

#[test]
fn half_open_directories_in_the_artifact_as_root() {
    half_open_directories_in_the_artifact(User::Root);
}

#[test]
fn half_open_directories_in_the_artifact_as_nobody() {
    half_open_directories_in_the_artifact(User::Nobody);
}

const RO_PACKAGE: &str = "[ -d node_modules/ro ] || { mkdir -p node_modules/ro/lib && echo x > node_modules/ro/lib/x.js && chmod 555 node_modules/ro/lib node_modules/ro; }";

fn read_only_package_in_a_pattern_cache(user: User) {
    let p = project(user, &yaml(&[], &[RO_PACKAGE], "[\"node_modules/*\"]", ""));
    build_ok(user, &p);
    let ro = p.setup_store().join("cache/node_modules/ro");
    assert_eq!(
        std::fs::metadata(&ro).unwrap().permissions().mode() & 0o777,
        0o555
    );
    let b = build_ok(user, &p);
    assert_eq!(b["restored"], 1, "{b}");
    assert_eq!(
        std::fs::metadata(&ro).unwrap().permissions().mode() & 0o777,
        0o555
    );
    assert_eq!(std::fs::read_to_string(ro.join("lib/x.js")).unwrap(), "x\n");
    all_commands_work(user, &p);
}

#[test]
fn go_module_cache_in_home_as_root() {
    go_module_cache_in_home(User::Root);
}

#[test]
fn go_module_cache_in_home_as_nobody() {
    go_module_cache_in_home(User::Nobody);
}

#[test]
fn chmod_000_in_the_build_output_as_root() {
    chmod_000_in_the_build_output(User::Root, "[node_modules]");
    chmod_000_in_the_build_output(User::Root, "true");
}

#[test]
fn chmod_000_in_the_build_output_as_nobody() {
    chmod_000_in_the_build_output(User::Nobody, "[node_modules]");
    chmod_000_in_the_build_output(User::Nobody, "true");
}

#[test]
fn read_only_package_in_a_pattern_cache_as_root() {
    read_only_package_in_a_pattern_cache(User::Root);
}

#[test]
fn read_only_package_in_a_pattern_cache_as_nobody() {
    read_only_package_in_a_pattern_cache(User::Nobody);
}
