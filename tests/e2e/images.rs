//! Build images pulled from a real registry on 127.0.0.1 (`docker-registry`,
//! see images_support): the image a build runs in is the one its `base`
//! names, through the override file and `--image`; a base change and a
//! moved tag rebuild the base layer with the reason; two projects share
//! one unpacked copy; a tampered blob is refused; a bearer-token registry
//! works; a pulled image builds offline; a kill -9 mid-pull leaves nothing
//! half-unpacked in use; as `nobody`, `dpkg -i` and writes below
//! /usr/local work in a pulled Debian image.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build_support::{Proj, Ran, git};
use crate::images_support::{Front, Registry, auth_file, tools};

const YAML: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      prepareCommands:\n        - echo prepared > /usr/local/prepared\n      buildCommands:\n        - cat /marker > seen.txt; echo \"$IMGVAR\" >> seen.txt; cat /usr/local/prepared >> seen.txt; [ -e /gone ] && echo gone >> seen.txt; true\n      deployFiles: seen.txt\n";

/// A project whose builds use `images` as the image store (not the host's).
struct ImgProj {
    p: Proj,
    images: PathBuf,
}

impl ImgProj {
    fn new(yaml: &str, images: &Path) -> ImgProj {
        ImgProj {
            p: Proj::new(yaml, &[]),
            images: images.to_path_buf(),
        }
    }

    fn run(&self, sub: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let mut c = if sub == "images" {
            // The image store is not a project's: no --store.
            let mut c = crate::common::bin();
            c.arg(sub).args(args);
            c
        } else {
            self.p.cmd(sub, args)
        };
        c.env("ZEROPS_CACHE_IMAGES", &self.images)
            .env_remove("ZEROPS_CACHE_IMAGE")
            .env(
                "ZEROPS_CACHE_IMAGES_FILE",
                self.images.join("no-machine-file"),
            );
        for (k, v) in env {
            c.env(k, v);
        }
        let (code, stdout, stderr) = crate::common::run(&mut c);
        Ran {
            code,
            stdout,
            stderr,
        }
    }

    fn build(&self, args: &[&str]) -> Ran {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        self.run("build", &a, &[])
    }

    fn build_ok(&self, args: &[&str]) -> serde_json::Value {
        let r = self.build(args);
        assert_eq!(r.code, 0, "build failed:\n{}\n{}", r.stdout, r.stderr);
        r.json()
    }

    fn seen(&self) -> String {
        let v = self.p.setup_store().join("versions/active");
        let n = std::fs::read_to_string(&v).unwrap();
        std::fs::read_to_string(
            self.p
                .setup_store()
                .join(format!("versions/{}/seen.txt", n.trim())),
        )
        .unwrap()
    }

    fn overrides(&self, text: &str) {
        self.p.write(".zerops-cache-images", text);
    }
}

fn layer_dirs(images: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(images.join("layers")) else {
        return out;
    };
    for f in rd {
        for l in std::fs::read_dir(f.unwrap().path()).unwrap() {
            out.push(l.unwrap().path());
        }
    }
    out
}

fn reasons(j: &serde_json::Value) -> String {
    j["layers"]["base"]["reasons"].to_string()
}

#[test]
fn a_build_runs_in_the_image_its_base_names_and_rebuilds_when_base_or_tag_moves() {
    if !tools() {
        return;
    }
    let reg = Registry::start();
    reg.push("bb-1", "zc/bb:1");
    reg.push("bb-2", "zc/bb2:1");
    reg.push("bb-1", "zc/moving:latest");
    let images = tempfile::tempdir().unwrap();
    let a = ImgProj::new(YAML, images.path());
    let r = reg.addr();

    // No row names nodejs@22 here but the table's Docker Hub image: the
    // override file names the local one.
    a.overrides(&format!(
        "# local mirrors\nalpine nodejs@22 = {r}/zc/bb:1\nalpine nodejs@20 = {r}/zc/bb2:1\n"
    ));
    let j = a.build_ok(&[]);
    assert!(
        j["image"]
            .as_str()
            .unwrap()
            .starts_with(&format!("oci {r}/zc/bb:1 sha256:")),
        "{j}"
    );
    assert_eq!(a.seen(), "one\none\nprepared\ngone\n");

    // Warm: no network needed, the base layer reused.
    let j = a.build_ok(&["--pull", "never"]);
    assert_eq!(j["layers"]["base"]["action"], "reuse", "{j}");

    // Another base, another mapped image: rebuilt, with both reasons.
    a.p.write("zerops.yaml", &YAML.replace("nodejs@22", "nodejs@20"));
    git(a.p.path(), &["commit", "-qam", "node 20"]);
    let plan = a.run("plan", &[], &[]);
    assert!(plan.stdout.contains("not pulled"), "{}", plan.stdout);
    let j = a.build_ok(&[]);
    assert_eq!(j["layers"]["base"]["action"], "rebuild", "{j}");
    let why = reasons(&j);
    assert!(why.contains("base nodejs@22 → nodejs@20"), "{why}");
    assert!(
        why.contains("OS image 127.0.0.1") && why.contains("zc/bb2:1"),
        "{why}"
    );
    // bb2's top layer deleted /gone (a whiteout) and rewrote /marker.
    assert_eq!(a.seen(), "two\ntwo\nprepared\n");

    // --image for one build wins over the file.
    let j = a.build_ok(&["--image", &format!("{r}/zc/moving:latest")]);
    assert_eq!(j["layers"]["base"]["action"], "rebuild", "{j}");
    assert_eq!(a.seen(), "one\none\nprepared\ngone\n");

    // The tag moves: --pull missing (podman's meaning) keeps the pulled
    // image; --pull always sees the move and rebuilds, saying so.
    reg.push("bb-2", "zc/moving:latest");
    let j = a.build_ok(&["--image", &format!("{r}/zc/moving:latest")]);
    assert_eq!(j["layers"]["base"]["action"], "reuse", "{j}");
    let status = a.run(
        "status",
        &["--image", &format!("{r}/zc/moving:latest")],
        &[],
    );
    assert!(status.stdout.contains("present"), "{}", status.stdout);
    let j = a.build_ok(&[
        "--image",
        &format!("{r}/zc/moving:latest"),
        "--pull",
        "always",
    ]);
    assert_eq!(j["layers"]["base"]["action"], "rebuild", "{j}");
    let why = reasons(&j);
    assert!(
        why.contains(&format!("OS image {r}/zc/moving:latest sha256:"))
            && why.contains("→ sha256:"),
        "{why}"
    );
    assert_eq!(a.seen(), "two\ntwo\nprepared\n");

    // A pinned digest never moves.
    let digest = j["image"]
        .as_str()
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .to_string();
    let pinned = format!("{r}/zc/moving@{digest}");
    reg.push("bb-1", "zc/moving:latest");
    let j = a.build_ok(&["--image", &pinned, "--pull", "always"]);
    assert_eq!(a.seen(), "two\ntwo\nprepared\n", "{j}");

    // A second project on the same image shares its unpacked layers.
    let before = layer_dirs(images.path()).len();
    let b = ImgProj::new(YAML, images.path());
    b.overrides(&format!("alpine nodejs@22 = {r}/zc/bb:1\n"));
    b.build_ok(&[]);
    assert_eq!(layer_dirs(images.path()).len(), before, "one copy on disk");
    let ls = a.run("images", &["ls"], &[]);
    assert!(ls.stdout.contains("zc/bb:1"), "{}", ls.stdout);
    assert!(
        ls.stdout.contains(&b.p.setup_store().display().to_string()),
        "which stores use it: {}",
        ls.stdout
    );
    // In use: not removed.
    let rm = a.run("images", &["rm", &format!("{r}/zc/bb:1")], &[]);
    assert_ne!(rm.code, 0, "{}{}", rm.stdout, rm.stderr);
    assert!(rm.stderr.contains("in use"), "{}", rm.stderr);

    // The registry goes away: pulled images still build.
    let mut reg = reg;
    reg.stop();
    b.p.write("zerops.yaml", &YAML.replace("prepared", "prepared-again"));
    git(b.p.path(), &["commit", "-qam", "again"]);
    let j = b.build_ok(&[]);
    assert_eq!(j["layers"]["base"]["action"], "rebuild", "{j}");
    let r = b.build(&["--pull", "always"]);
    assert_ne!(r.code, 0, "--pull always needs the registry");
    assert!(r.stderr.contains("pulling"), "{}", r.stderr);
}

#[test]
fn a_config_with_no_image_is_refused_before_anything_runs_naming_the_ways_out() {
    let images = tempfile::tempdir().unwrap();
    let a = ImgProj::new(
        &YAML.replace("nodejs@22", "[php@8.4, nodejs@22]"),
        images.path(),
    );
    let r = a.build(&[]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    for want in [
        ".zerops-cache-images",
        "--image REF",
        "--image host",
        "prepareCommands",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    assert!(!a.p.store.path().join("x").exists());
    let a = ImgProj::new(&YAML.replace("nodejs@22", "cobol@1"), images.path());
    let r = a.build(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no build image for os: alpine, base: cobol@1"),
        "{}",
        r.stderr
    );
    assert!(layer_dirs(images.path()).is_empty());
}

#[test]
fn a_tampered_blob_is_refused_and_nothing_of_it_is_used() {
    if !tools() {
        return;
    }
    let reg = Registry::start();
    reg.push("bb-1", "zc/bb:1");
    // The layer is the only blob over 100 KiB: flip bytes in its middle.
    let blobs = reg.blob_files(100 * 1024);
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let mut bytes = std::fs::read(&blobs[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&blobs[0], bytes).unwrap();
    let images = tempfile::tempdir().unwrap();
    let a = ImgProj::new(YAML, images.path());
    let r = a.build(&["--image", &format!("{}/zc/bb:1", reg.addr())]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("do not hash to the layer's digest"),
        "{}",
        r.stderr
    );
    assert!(layer_dirs(images.path()).is_empty(), "no layer in place");
    assert!(
        !images.path().join("refs").exists()
            || std::fs::read_dir(images.path().join("refs"))
                .unwrap()
                .next()
                .is_none()
    );
}

/// A registry holding `zc/bb:1` behind a front that wants the user `zc`
/// with the password `s3cret`; `None` (skipped) without the tools.
fn behind_credentials() -> Option<(Registry, Front)> {
    if !tools() {
        return None;
    }
    let reg = Registry::start();
    reg.push("bb-1", "zc/bb:1");
    let front = Front::start(reg.port, Some(("zc", "s3cret")));
    Some((reg, front))
}

#[test]
fn a_registry_that_wants_a_bearer_token_works_with_the_auth_file() {
    let Some((_reg, front)) = behind_credentials() else {
        return;
    };
    let images = tempfile::tempdir().unwrap();
    let a = ImgProj::new(YAML, images.path());
    let image = format!("{}/zc/bb:1", front.addr());
    // No credentials: refused, with what to do.
    let r = a.build(&["--image", &image]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("login"), "{}", r.stderr);
    let auth = auth_file(images.path(), &front.addr(), "zc", "s3cret");
    let r = a.run(
        "build",
        &["--format", "json", "--image", &image],
        &[("REGISTRY_AUTH_FILE", auth.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(a.seen(), "one\none\nprepared\ngone\n");
}

#[test]
fn a_kill_9_during_a_pull_leaves_nothing_half_unpacked_in_use() {
    if !tools() {
        return;
    }
    let reg = Registry::start();
    reg.push("bb-1", "zc/bb:1");
    let front = Front::start(reg.port, None);
    front.stall.store(true, std::sync::atomic::Ordering::SeqCst);
    let images = tempfile::tempdir().unwrap();
    let a = ImgProj::new(YAML, images.path());
    let image = format!("{}/zc/bb:1", front.addr());
    let mut c = a.p.cmd("build", &["--image", &image]);
    c.env("ZEROPS_CACHE_IMAGES", images.path())
        .env_remove("ZEROPS_CACHE_IMAGE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    // Until the blob has started to arrive (bounded readiness wait).
    let tmp = images.path().join("tmp");
    crate::common::wait_until("the pull to begin a blob", 20, || {
        std::fs::read_dir(&tmp)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy().ends_with(".blob")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            })
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        layer_dirs(images.path()).is_empty(),
        "a half layer is in place"
    );
    front
        .stall
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let j = a.build_ok(&["--image", &image]);
    assert!(j["ok"].as_bool().unwrap());
    assert_eq!(a.seen(), "one\none\nprepared\ngone\n");
    assert_eq!(layer_dirs(images.path()).len(), 1);
    assert!(
        std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) == 0,
        "the killed pull's remains are gone"
    );
}

fn is_root() -> bool {
    crate::container_rootless::is_root()
}

/// A .deb that installs /usr/bin/zc-hello, built with dpkg-deb.
fn hello_deb(dir: &Path) -> PathBuf {
    let root = dir.join("pkg");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: zc-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: test\n",
    )
    .unwrap();
    let bin = root.join("usr/bin/zc-hello");
    std::fs::write(&bin, "#!/bin/sh\necho hello from a package\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.join("zc-hello.deb");
    let st = Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&root)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    out
}

#[test]
fn as_nobody_dpkg_and_usr_local_work_in_a_pulled_debian_image() {
    if !tools() {
        return;
    }
    let reg = Registry::start();
    reg.push("debian-12", "zc/debian:12");
    let yaml = "zerops:\n  - setup: app\n    build:\n      os: ubuntu\n      base: ubuntu@24.04\n      prepareCommands:\n        - dpkg -i /build/source/zc-hello.deb\n        - echo made > /usr/local/bin/zc-made\n        - id -u > /usr/local/uid\n      buildCommands:\n        - zc-hello > seen.txt; cat /usr/local/bin/zc-made >> seen.txt; cat /usr/local/uid >> seen.txt; dpkg -s zc-hello | grep Status >> seen.txt\n      deployFiles: seen.txt\n";
    let deb_dir = tempfile::tempdir().unwrap();
    let deb = hello_deb(deb_dir.path());
    let p = Proj::new(yaml, &[]);
    std::fs::copy(&deb, p.path().join("zc-hello.deb")).unwrap();
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "deb"]);
    let images = tempfile::Builder::new()
        .prefix("zc-images")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    if is_root() {
        crate::container_rootless::give(images.path());
        crate::read_only_trees::give_to_nobody(&p);
    }
    let image = format!("{}/zc/debian:12", reg.addr());
    let mut c = crate::read_only_trees::cmd_as(
        if is_root() {
            crate::read_only_trees::User::Nobody
        } else {
            crate::read_only_trees::User::Root
        },
        &p,
        "build",
        &["--image", &image],
    );
    c.env("ZEROPS_CACHE_IMAGES", images.path());
    let (code, out, err) = crate::common::run(&mut c);
    assert_eq!(code, 0, "{out}\n{err}");
    let store = p.setup_store();
    let n = std::fs::read_to_string(store.join("versions/active")).unwrap();
    let seen =
        std::fs::read_to_string(store.join(format!("versions/{}/seen.txt", n.trim()))).unwrap();
    assert_eq!(
        seen,
        "hello from a package\nmade\n0\nStatus: install ok installed\n"
    );
    // The host is untouched.
    assert!(!Path::new("/usr/local/bin/zc-made").exists());
    assert!(!Path::new("/usr/bin/zc-hello").exists());
}

/// A `docker-credential-NAME` of the test's: answers `get` for `server`
/// with `zc:s3cret`, and "credentials not found" (exit 1) otherwise, as
/// the protocol says; notes each server it was asked about.
fn credential_helper(dir: &Path, name: &str, server: &str) -> PathBuf {
    let p = dir.join(format!("docker-credential-{name}"));
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r s\necho \"$s\" >> \"{asked}\"\nif [ \"$s\" = \"{server}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"zc\",\"Secret\":\"s3cret\"}}\\n' \"$s\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            asked = dir.join("asked").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.join("asked")
}

#[test]
fn credential_helpers_named_by_the_docker_config_are_asked() {
    let Some((_reg, front)) = behind_credentials() else {
        return;
    };
    let images = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let asked = credential_helper(bin.path(), "zctest", &front.addr());
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let docker = tempfile::tempdir().unwrap();
    let config = docker.path().join("config.json");
    let a = ImgProj::new(YAML, images.path());
    let image = format!("{}/zc/bb:1", front.addr());
    let env = [
        ("PATH", path.as_str()),
        ("DOCKER_CONFIG", docker.path().to_str().unwrap()),
        ("REGISTRY_AUTH_FILE", ""),
        ("XDG_RUNTIME_DIR", ""),
    ];
    // `docker login` with a keychain leaves an empty `auths` entry and
    // names the store.
    std::fs::write(
        &config,
        format!(
            "{{\"auths\":{{\"{}\":{{}}}},\"credsStore\":\"zctest\"}}",
            front.addr()
        ),
    )
    .unwrap();
    let r = a.run("build", &["--format", "json", "--image", &image], &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(a.seen(), "one\none\nprepared\ngone\n");
    assert_eq!(
        std::fs::read_to_string(&asked).unwrap(),
        format!("{}\n", front.addr())
    );
    // A registry's own helper wins; one that is not installed is an
    // error naming it, not an anonymous pull.
    std::fs::write(
        &config,
        format!(
            "{{\"credsStore\":\"zctest\",\"credHelpers\":{{\"{}\":\"zc-missing\"}}}}",
            front.addr()
        ),
    )
    .unwrap();
    let r = a.run("build", &["--image", &image, "--pull", "always"], &env);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("docker-credential-zc-missing") && r.stderr.contains("credHelpers"),
        "{}",
        r.stderr
    );
}
