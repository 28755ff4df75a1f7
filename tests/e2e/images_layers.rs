//! What a pulled image's layers say, and nothing else, as root and as
//! `nobody`: a hostile layer (`..`, absolute names, links out and files
//! written through them, hard links out, device nodes, xattrs on a link
//! out) writes nothing outside its directory; an image of 80 layers
//! (more than mount(2)'s one page of lower directories) builds, stacked
//! with `lowerdir+` and flattened; whiteouts, opaque directories and
//! extended attributes (a file capability, `user.*`) arrive as the image
//! says. Images are made layer by layer (images_raw) and pushed to a
//! real registry on 127.0.0.1.

use std::path::{Path, PathBuf};

use crate::build_support::Proj;
use crate::container_rootless::is_root;
use crate::images_raw::{LayerTar, busybox_layer, layer_dir, push_image};
use crate::images_support::{Registry, tools};
use crate::read_only_trees::{User, cmd_as, give_to_nobody};

/// The users a test builds as: root and `nobody` when it runs as root,
/// else the user it runs as.
fn users() -> Vec<User> {
    if is_root() {
        vec![User::Root, User::Nobody]
    } else {
        vec![User::Root]
    }
}

/// The image store flavour of `user`'s layers.
fn flavour(user: User) -> String {
    match user {
        User::Nobody => format!("rootless-{}", crate::container_rootless::User::nobody().uid),
        User::Root if is_root() => "root".into(),
        User::Root => format!("rootless-{}", rustix::process::geteuid().as_raw()),
    }
}

/// A project and an image store of `user`'s.
struct Built {
    p: Proj,
    images: tempfile::TempDir,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Built {
    fn seen(&self) -> String {
        let store = self.p.setup_store();
        let n = std::fs::read_to_string(store.join("versions/active")).unwrap();
        std::fs::read_to_string(store.join(format!("versions/{}/seen.txt", n.trim()))).unwrap()
    }
}

/// Builds `yaml` as `user` in `image`, with a fresh project and image
/// store (under target/, which `nobody` can reach).
fn build_as(user: User, yaml: &str, image: &str, env: &[(&str, &str)]) -> Built {
    let p = Proj::new(yaml, &[]);
    let images = tempfile::Builder::new()
        .prefix("zc-images")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    if user == User::Nobody {
        crate::container_rootless::give(images.path());
        give_to_nobody(&p);
    }
    let mut c = cmd_as(user, &p, "build", &["--image", image]);
    c.env("ZEROPS_CACHE_IMAGES", images.path())
        .env("ZEROPS_CACHE_IMAGES_FILE", images.path().join("none"));
    for (k, v) in env {
        c.env(k, v);
    }
    let (code, stdout, stderr) = crate::common::run(&mut c);
    Built {
        p,
        images,
        code,
        stdout,
        stderr,
    }
}

fn yaml(build: &str) -> String {
    format!(
        "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      prepareCommands:\n        - echo prep > /usr/local/prep\n      buildCommands:\n        - {build}\n      deployFiles: seen.txt\n"
    )
}

/// Every path below `root` whose name is one of `names`.
fn find(root: &Path, names: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if names.iter().any(|n| e.file_name() == *n) {
                out.push(p.clone());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    out
}

fn xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let mut v = vec![0u8; 256];
    let n = rustix::fs::lgetxattr(p, name, &mut v[..]).ok()?;
    v.truncate(n);
    Some(v)
}

#[test]
fn a_hostile_layer_pulled_by_a_build_writes_nothing_outside_it() {
    if !tools() {
        return;
    }
    // Outside: a directory anyone may write, with a file anyone may
    // write, so that only the unpacker stands between them and the layer.
    // In the temporary directory, not the target's (a cross build's
    // `target/<triple>/tmp` made the relative hard link below longer than a
    // tar link name); on one filesystem with the store here, so that a hard
    // link out would be possible if the unpacker allowed it.
    let outside = tempfile::Builder::new()
        .prefix("zc-outside")
        .tempdir()
        .unwrap();
    let out = outside.path().display().to_string();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o666)).unwrap();
    // To / from any directory up to 12 deep (a tar link name has 100 bytes).
    let up = "../".repeat(12);
    let mut h = LayerTar::new();
    h.file("../escaped", "x")
        .file("a/../../escaped2", "x")
        .file(&format!("{out}/abs"), "x")
        .symlink("link", &out)
        .file("link/through", "x")
        .symlink("rel", &format!("{up}{}", out.trim_start_matches('/')))
        .file("rel/through2", "x")
        .hardlink("hard", &format!("{out}/victim"))
        .hardlink(
            "hard2",
            &format!("{up}{}/victim", out.trim_start_matches('/')),
        )
        .file("hard", "overwritten\n")
        .file("link/.wh.victim", "")
        .file("link/.wh..wh..opq", "")
        .symlink("victimlink", &format!("{out}/victim"))
        .file("victimlink", "overwritten\n")
        .pax(&[("SCHILY.xattr.user.evil", b"1")])
        .symlink("xlink", &format!("{out}/victim"))
        .device("evil-mem", false, 1, 1)
        .device("evil-disk", true, 8, 0)
        .file("ok/file", "fine\n");
    let hostile = h.bytes();
    let reg = Registry::start();
    push_image(
        &reg.addr(),
        "zc/hostile:1",
        &[busybox_layer(), hostile.clone()],
        &[],
    );
    let image = format!("{}/zc/hostile:1", reg.addr());
    let script = "cat /ok/file > seen.txt; cat /hard /victimlink >> seen.txt; [ -e /evil-mem ] && echo mem >> seen.txt; [ -e /evil-disk ] && echo disk >> seen.txt; true";
    for user in users() {
        let b = build_as(user, &yaml(script), &image, &[]);
        assert_eq!(b.code, 0, "{user:?}: {}\n{}", b.stdout, b.stderr);
        assert_eq!(b.seen(), "fine\noverwritten\noverwritten\n", "{user:?}");
        assert!(b.stderr.contains("left out"), "{user:?}: {}", b.stderr);
        // Outside: the victim as it was, and nothing else.
        let names: Vec<_> = std::fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["victim"], "{user:?}");
        assert_eq!(
            std::fs::read_to_string(&victim).ok().as_deref(),
            Some("keep"),
            "{user:?}"
        );
        assert_eq!(xattr(&victim, "user.evil"), None, "{user:?}");
        assert_eq!(xattr(outside.path(), "user.overlay.opaque"), None);
        assert_eq!(xattr(outside.path(), "trusted.overlay.opaque"), None);
        // Nowhere in the image store (where `..` from the unpack's
        // directory leads) nor beside it.
        let names = [
            "escaped",
            "escaped2",
            "through",
            "through2",
            "evil-mem",
            "evil-disk",
        ];
        let stray = find(b.images.path(), &names);
        assert!(stray.is_empty(), "{user:?}: {stray:?}");
        for n in names {
            assert!(!b.images.path().parent().unwrap().join(n).exists(), "{n}");
        }
        // The absolute name landed inside the layer.
        let layer = layer_dir(b.images.path(), &flavour(user), &hostile);
        assert!(
            layer
                .join(out.trim_start_matches('/'))
                .join("abs")
                .is_file(),
            "{user:?}: {}",
            layer.display()
        );
    }
}

/// `n` layers on busybox: layer k writes /layers/k and /stack; one
/// deletes a file of the layer below, one makes a directory opaque.
fn many_layers(n: usize) -> Vec<Vec<u8>> {
    let mut out = vec![busybox_layer()];
    for k in 1..n {
        let mut t = LayerTar::new();
        t.dir("layers")
            .file(&format!("layers/{k}"), "x")
            .file("stack", &format!("{k}\n"));
        match k {
            10 => {
                t.file("del/me", "x").file("op/a", "x");
            }
            11 => {
                t.whiteout("del", "me")
                    .whiteout("op", ".wh..opq")
                    .file("op/b", "x");
            }
            _ => {}
        }
        out.push(t.bytes());
    }
    out
}

#[test]
fn an_image_of_80_layers_builds_stacked_and_flattened_as_root_and_as_nobody() {
    if !tools() {
        return;
    }
    let reg = Registry::start();
    push_image(&reg.addr(), "zc/many:80", &many_layers(80), &[]);
    let image = format!("{}/zc/many:80", reg.addr());
    let script = "cat /stack > seen.txt; ls /layers | wc -l | tr -d ' ' >> seen.txt; ls /del /op >> seen.txt; cat /usr/local/prep >> seen.txt";
    let want = "79\n79\n/del:\n\n/op:\nb\nprep\n";
    for user in users() {
        // Stacked: more than a page of lower directories (each a path of
        // over 100 bytes), named one by one with `lowerdir+`.
        let b = build_as(user, &yaml(script), &image, &[]);
        assert_eq!(b.code, 0, "{user:?}: {}\n{}", b.stdout, b.stderr);
        assert_eq!(b.seen(), want, "{user:?}");
        let stacked = b.images.path().join("layers").join(flavour(user));
        let total: usize = std::fs::read_dir(&stacked)
            .unwrap()
            .map(|e| e.unwrap().path().as_os_str().len() + 1)
            .sum();
        assert!(total > 4096, "the lower directories fit a page: {total}");
        assert!(
            !b.images.path().join("flat").exists(),
            "{user:?}: flattened"
        );
        // Flattened once, as on a kernel without `lowerdir+`.
        let b = build_as(
            user,
            &yaml(script),
            &image,
            &[("ZEROPS_CACHE_FLATTEN_IMAGES", "1")],
        );
        assert_eq!(b.code, 0, "{user:?}: {}\n{}", b.stdout, b.stderr);
        assert_eq!(b.seen(), want, "{user:?} flattened");
        let flat = b.images.path().join("flat").join(flavour(user));
        assert_eq!(std::fs::read_dir(&flat).unwrap().count(), 1, "{user:?}");
        if user == User::Root {
            // Once no store uses the image, `images rm` takes the
            // flattened copy with the layers.
            std::fs::remove_dir_all(b.p.store.path()).unwrap();
            let mut c = crate::common::bin();
            c.args(["images", "rm", &image])
                .env("ZEROPS_CACHE_IMAGES", b.images.path());
            let (code, out, err) = crate::common::run(&mut c);
            assert_eq!(code, 0, "{out}{err}");
            let layers = b.images.path().join("layers").join(flavour(user));
            assert_eq!(std::fs::read_dir(&flat).unwrap().count(), 0, "{out}");
            assert_eq!(std::fs::read_dir(&layers).unwrap().count(), 0, "{out}");
        }
    }
}

/// cap_net_raw+ep (`vfs_cap_data` revision 2).
const NET_RAW: [u8; 20] = [
    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

#[test]
fn whiteouts_opaque_dirs_and_xattrs_arrive_as_the_image_says() {
    if !tools() {
        return;
    }
    let mut l2 = LayerTar::new();
    l2.pax(&[("SCHILY.xattr.security.capability", &NET_RAW[..])])
        .raw(tar::EntryType::Regular, b"bin/pingish", None, b"elf", 0o755)
        .pax(&[("SCHILY.xattr.user.zc", b"hello")])
        .raw(tar::EntryType::Regular, b"data/f", None, b"f", 0o444)
        .file("op/a", "a")
        .file("op/b", "b")
        .file("gone", "x");
    let l2 = l2.bytes();
    let mut l3 = LayerTar::new();
    l3.whiteout("op", ".wh..opq")
        .file("op/c", "c")
        .whiteout("", "gone");
    let reg = Registry::start();
    push_image(
        &reg.addr(),
        "zc/attrs:1",
        &[busybox_layer(), l2.clone(), l3.bytes()],
        &[],
    );
    let image = format!("{}/zc/attrs:1", reg.addr());
    let script =
        "ls /op > seen.txt; [ -e /gone ] && echo gone >> seen.txt; cat /data/f >> seen.txt";
    for user in users() {
        let b = build_as(user, &yaml(script), &image, &[]);
        assert_eq!(b.code, 0, "{user:?}: {}\n{}", b.stdout, b.stderr);
        assert_eq!(b.seen(), "c\nf", "{user:?}");
        let layer = layer_dir(b.images.path(), &flavour(user), &l2);
        assert_eq!(
            xattr(&layer.join("data/f"), "user.zc").as_deref(),
            Some(&b"hello"[..]),
            "{user:?}"
        );
        let cap = xattr(&layer.join("bin/pingish"), "security.capability").unwrap();
        if flavour(user) == "root" {
            assert_eq!(cap, NET_RAW);
        } else {
            // Set in a user namespace where the user is root: the kernel
            // keeps it as revision 3, its root id the user's.
            let uid = match user {
                User::Nobody => crate::container_rootless::User::nobody().uid,
                User::Root => rustix::process::geteuid().as_raw(),
            };
            assert_eq!(cap[..4], [1, 0, 0, 3], "{cap:?}");
            assert_eq!(cap[4..20], NET_RAW[4..20], "{cap:?}");
            assert_eq!(cap[20..], uid.to_le_bytes(), "{cap:?}");
        }
        assert!(!b.stderr.contains("not kept"), "{user:?}: {}", b.stderr);
    }
}
