//! The build container as an unprivileged user: the test drops to `nobody`
//! with `setpriv` (when it runs as root; otherwise it already is one), so
//! zerops-cache adds a user namespace and builds the root from one overlay
//! per top-level directory of the host's root.

use serde_json::Value;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build_support::{Proj, yaml};

const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Gives `p` and everything below it to nobody (when root).
pub fn give(p: &Path) {
    give_to(p, &User::nobody());
}

/// Gives `p` and everything below it to `u` (when root).
pub fn give_to(p: &Path, u: &User) {
    if !is_root() {
        return;
    }
    std::os::unix::fs::lchown(p, Some(u.uid), Some(u.gid)).unwrap();
    if std::fs::symlink_metadata(p).unwrap().is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            give_to(&e.unwrap().path(), u);
        }
    }
}

/// The unprivileged user a test builds as (when it runs as root).
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
}

impl User {
    pub fn nobody() -> User {
        User {
            name: "nobody".into(),
            group: "nogroup".into(),
            uid: NOBODY,
            gid: NOBODY,
        }
    }
}

/// A directory `u` owns, under the test's target directory (which the
/// host-root image shows).
fn user_dir(prefix: &str, u: &User) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    give_to(d.path(), u);
    d
}

fn nobody_dir(prefix: &str) -> tempfile::TempDir {
    user_dir(prefix, &User::nobody())
}

pub struct Rootless {
    pub p: Proj,
    home: tempfile::TempDir,
    user: User,
}

/// The component's artifact cache for `u`, shared by the tests of a run
/// (compiling the component once is what takes time).
fn artifacts(u: &User) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("component-artifacts-{}", u.name));
    std::fs::create_dir_all(&d).unwrap();
    give_to(&d, u);
    d
}

impl Rootless {
    pub fn new(yaml: &str) -> Rootless {
        Rootless::as_user(yaml, User::nobody())
    }

    /// Builds as `user` (when the test runs as root).
    pub fn as_user(yaml: &str, user: User) -> Rootless {
        let p = Proj::new(yaml, &[]);
        give_to(p.path(), &user);
        give_to(p.store.path(), &user);
        Rootless {
            p,
            home: user_dir(&format!("zc-{}-home", user.name), &user),
            user,
        }
    }

    pub fn run(&self, sub: &str, args: &[&str]) -> (i32, String, String) {
        self.run_with_path(sub, args, "/usr/local/bin:/usr/bin:/bin")
    }

    /// As [`Rootless::run`], with `PATH` set to `path`.
    pub fn run_with_path(&self, sub: &str, args: &[&str], path: &str) -> (i32, String, String) {
        let mut c = if is_root() {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={}", self.user.name))
                .arg(format!("--regid={}", self.user.group))
                .arg("--clear-groups");
            c.arg(env!("CARGO_BIN_EXE_zerops-cache"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_zerops-cache"))
        };
        c.current_dir(self.p.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("ZEROPS_CACHE_ARTIFACTS", artifacts(&self.user))
            .env("ZEROPS_CACHE_IMAGE", "host")
            .env("NO_COLOR", "1")
            .arg(sub)
            .arg("--store")
            .arg(self.p.store.path())
            .args(args);
        crate::common::run(&mut c)
    }

    pub fn build_ok(&self, args: &[&str]) -> Value {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        let (code, stdout, stderr) = self.run("build", &a);
        assert_eq!(
            code, 0,
            "build as {} failed:\n{stdout}\n{stderr}",
            self.user.name
        );
        serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
    }

    pub fn artifact(&self, s: &Value, rel: &str) -> String {
        let v = s["version"].as_u64().unwrap();
        std::fs::read_to_string(self.p.setup_store().join(format!("versions/{v}/{rel}")))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn upper(&self) -> PathBuf {
        self.p.setup_store().join("base/upper")
    }
}

#[test]
fn as_nobody_the_container_keeps_zerops_paths_a_base_layer_and_an_untouched_host() {
    let marker = format!("zc-rootless-{}", std::process::id());
    let opt = format!("/opt/{marker}");
    // Directly in a top-level directory of the image: as an unprivileged
    // user, the overlay can copy up only directories the user owns (the
    // top-level ones are the overlays' roots), see the README.
    let victims = tempfile::Builder::new()
        .prefix("zc-victim")
        .tempdir_in("/opt")
        .unwrap();
    give(victims.path());
    let victim = victims.path().join("victim.txt");
    std::fs::write(&victim, "host\n").unwrap();
    give(&victim);
    let v = victim.display();
    let prepare = [
        format!("mkdir -p {opt} && echo stamp > {opt}/stamp"),
        format!("rm {v}"),
        "pwd > cwd && id -u > uid".to_string(),
    ];
    let build = format!(
        "cat {opt}/stamp > seen.txt; if [ -e {v} ]; then echo there; else echo gone; fi >> seen.txt; pwd >> seen.txt; echo $HOME >> seen.txt; id -u >> seen.txt"
    );
    let pr: Vec<&str> = prepare.iter().map(String::as_str).collect();
    let r = Rootless::new(&yaml(&pr, &[&build], "false", ""));
    let s = r.build_ok(&[]);
    assert_eq!(s["isolation"], "container");
    assert!(s["image"].as_str().unwrap().contains(" rootless #"), "{s}");
    let want = "stamp\ngone\n/build/source\n/home/zerops\n0\n";
    assert_eq!(r.artifact(&s, "seen.txt"), want);
    let home = r.upper().join("home/zerops");
    assert_eq!(
        std::fs::read_to_string(home.join("cwd")).unwrap(),
        "/home/zerops\n"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("uid")).unwrap(),
        "0\n",
        "root inside"
    );
    // The host is untouched; the base layer holds the changes, and the
    // deletion as a whiteout.
    assert!(!Path::new(&opt).exists());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "host\n");
    let stamp = r.upper().join(&opt[1..]).join("stamp");
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), "stamp\n");
    if is_root() {
        assert_eq!(
            std::fs::metadata(&stamp).unwrap().uid(),
            NOBODY,
            "written as nobody"
        );
    }
    let w = std::fs::symlink_metadata(r.upper().join(victim.strip_prefix("/").unwrap())).unwrap();
    assert!(
        w.file_type().is_char_device() && w.rdev() == 0,
        "a whiteout"
    );
    // Warm: prepareCommands skipped, their results seen.
    let s = r.build_ok(&[]);
    assert_eq!(s["prepare_ran"], false);
    assert_eq!(r.artifact(&s, "seen.txt"), want);
    // Invalidated: a clean base layer (the deletion is undone too).
    let (code, _, stderr) = r.run("invalidate", &[]);
    assert_eq!(code, 0, "{stderr}");
    r.p.write(
        "zerops.yaml",
        &yaml(
            &[],
            &[&format!(
                "test ! -e {opt} && test -e {v} && echo clean > clean.txt"
            )],
            "false",
            "",
        ),
    );
    give(&r.p.path().join("zerops.yaml"));
    let s = r.build_ok(&[]);
    assert_eq!(r.artifact(&s, "clean.txt"), "clean\n");
}

#[test]
fn as_nobody_a_rootfs_image_is_the_users_and_so_roots_inside() {
    let img = nobody_dir("zc-nobody-img");
    let root = crate::container_more::busybox_image(img.path());
    give(img.path());
    let r = Rootless::new(&yaml(
        &["mkdir -p /usr/local/bin && echo tool > /usr/local/bin/t && rm /etc/zc-image"],
        &["cat /usr/local/bin/t > seen.txt; ls /etc >> seen.txt; id -u >> seen.txt"],
        "false",
        "",
    ));
    let s = r.build_ok(&["--rootfs", root.to_str().unwrap()]);
    assert_eq!(r.artifact(&s, "seen.txt"), "tool\n0\n");
    assert!(
        root.join("etc/zc-image").exists(),
        "the image is not modified"
    );
    let s = r.build_ok(&["--rootfs", root.to_str().unwrap()]);
    assert_eq!(s["layers"]["base"]["action"], "reuse");
    assert_eq!(r.artifact(&s, "seen.txt"), "tool\n0\n");
}

/// Issue 32: a failed rootless build leaves no scratch behind, and every
/// store command works through what a killed one leaves (overlay work
/// directories of mode 000, read-only trees in the cache), as nobody.
#[test]
fn every_store_command_works_on_what_a_rootless_build_left() {
    use std::os::unix::fs::PermissionsExt;
    let r = Rootless::new(&yaml(
        &["mkdir -p /opt/zc-left"],
        &["mkdir -p node_modules/a && echo a > node_modules/a/i.js"],
        "[node_modules]",
        "",
    ));
    r.build_ok(&[]);
    let store = r.p.setup_store();
    r.p.write(
        "zerops.yaml",
        &yaml(
            &["mkdir -p /opt/zc-left"],
            &["echo x > ~/w && exit 1"],
            "[node_modules]",
            "",
        ),
    );
    let (code, out, err) = r.run("build", &[]);
    assert_eq!(code, 4, "{out}\n{err}");
    let run = store.join("run");
    let left: Vec<_> = std::fs::read_dir(&run)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "a failed build cleans its scratch: {left:?}"
    );
    // What a killed build leaves (made here, as the kernel and Go would).
    let work = run.join("ovl/root/work/work");
    std::fs::create_dir_all(&work).unwrap();
    let ro = store.join("cache/gomod/pkg");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::write(ro.join("mod.go"), "package x\n").unwrap();
    give(&run);
    give(&store.join("cache"));
    for (p, mode) in [
        (work.clone(), 0o000),
        (work.parent().unwrap().to_path_buf(), 0o000),
        (ro.join("mod.go"), 0o444),
        (ro.clone(), 0o555),
        (ro.parent().unwrap().to_path_buf(), 0o555),
    ] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    for (sub, args, want) in [
        ("status", &[][..], 0),
        ("versions", &[][..], 0),
        ("plan", &[][..], 0),
        ("advise", &[][..], 0),
        ("repair", &["--check"][..], 1),
        ("repair", &[][..], 0),
        ("repair", &["--check"][..], 0),
        ("invalidate", &[][..], 0),
        ("activate", &["1"][..], 0),
        // Its command fails (exit 4), on a store it can use.
        ("build", &[][..], 4),
        ("gc", &["--max-age", "1ms"][..], 0),
    ] {
        let (code, out, err) = r.run(sub, args);
        assert_eq!(code, want, "{sub} {args:?}:\n{out}\n{err}");
        if sub == "repair" && args.is_empty() {
            assert!(out.contains("interrupted build left"), "{out}");
        }
    }
    assert!(!store.exists(), "gc removed the store");
}
