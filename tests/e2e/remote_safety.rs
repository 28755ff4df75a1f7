//! The remote tier stays right under invalidation, races and failures, on a
//! real SeaweedFS (remote_support.rs): invalidation reaches builders that
//! pulled before it, a deleted epoch resurrects nothing, a gateway killed
//! mid-push costs a warning, credentials never reach build commands, gc
//! and publishes cannot race, a corrupt pack heals, an ed25519 reader
//! reads and cannot publish, and remote commands exit 8 when the remote fails.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::build_support::{Proj, Ran, yaml};
use crate::common::run;
use crate::remote::{INSTALL, build_ok, clone_of, cmd, from, get, keys, put, remote_cmd};
use crate::remote_proxy::Proxy;
use crate::remote_support::Weed;

/// prepareCommands: a stamp of this very run in the base layer's HOME.
const STAMP: &str = "date +%s%N > \"$HOME/stamp\"";

fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        let ft = e.file_type().ok()?;
        if ft.is_file() && e.file_name() == name && p.to_string_lossy().contains("/base/") {
            return Some(p);
        }
        if ft.is_dir()
            && let Some(f) = find(&p, name)
        {
            return Some(f);
        }
    }
    None
}

/// The stamp in a builder's base layer.
fn stamp(p: &Proj) -> String {
    let f = find(p.store.path(), "stamp").expect("a stamp in the base layer");
    std::fs::read_to_string(f).unwrap()
}

fn delete(w: &Weed, key: &str) {
    let out = w
        .curl()
        .arg("-X")
        .arg("DELETE")
        .arg(w.url(key))
        .output()
        .unwrap();
    assert!(out.status.success());
}

fn ran(c: &mut Command) -> Ran {
    let (code, stdout, stderr) = run(c);
    Ran {
        code,
        stdout,
        stderr,
    }
}

fn warnings(s: &Value) -> String {
    s["remote"]["warnings"].to_string()
}

fn no_staging(p: &Proj) {
    assert!(
        find_dir(p.store.path(), "remote.staging").is_none(),
        "a staging directory was left"
    );
}

fn find_dir(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().ok()?.is_dir() {
            if e.file_name() == name {
                return Some(e.path());
            }
            if let Some(f) = find_dir(&e.path(), name) {
                return Some(f);
            }
        }
    }
    None
}

#[test]
fn invalidation_reaches_a_builder_that_pulled_before_it() {
    let Some(w) = Weed::start("invalidation_reaches_a_builder_that_pulled_before_it") else {
        return;
    };
    let a = Proj::new(&yaml(&[STAMP], &[INSTALL], "[node_modules]", ""), &[]);
    build_ok(&a, &w, "s1", &[]);
    let old = stamp(&a);
    let b = clone_of(&a);
    let sb = build_ok(&b, &w, "s1", &[]);
    assert_eq!(from(&sb, "base"), "remote");
    assert_eq!(stamp(&b), old);
    let r = cmd(&a, &w, "s1", "invalidate", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    crate::text_snapshot!("invalidate_to_epoch_1", &r.stdout);
    // B's layers are of epoch 0: rebuilt, never reused nor republished.
    let sb = build_ok(&b, &w, "s1", &[]);
    assert_eq!(sb["prepare_ran"], true, "{sb}");
    assert_eq!(sb["remote"]["epoch"], 1);
    assert_eq!(
        sb["remote"]["published"],
        serde_json::json!(["base", "build"])
    );
    let fresh = stamp(&b);
    assert_ne!(fresh, old);
    // C gets the fresh layers.
    let c = clone_of(&a);
    let sc = build_ok(&c, &w, "s1", &[]);
    assert_eq!(from(&sc, "base"), "remote");
    assert_eq!(stamp(&c), fresh);
    // activate on C invalidates B's layers again.
    let r = cmd(&c, &w, "s1", "activate", &["1"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    crate::text_snapshot!("activate_to_epoch_2", &r.stdout);
    let sb = build_ok(&b, &w, "s1", &[]);
    assert_eq!(sb["prepare_ran"], true, "{sb}");
    assert_eq!(sb["remote"]["epoch"], 2);
    assert_ne!(stamp(&b), fresh);
    // A, whose own record was invalidated, is warm from B's epoch-2 layers.
    let sa = build_ok(&a, &w, "s1", &[]);
    assert_eq!(from(&sa, "base"), "remote");
    assert_eq!(stamp(&a), stamp(&b));
}

#[test]
fn a_deleted_or_rolled_back_epoch_resurrects_nothing() {
    let Some(w) = Weed::start("a_deleted_or_rolled_back_epoch_resurrects_nothing") else {
        return;
    };
    let a = Proj::new(&yaml(&[STAMP], &[INSTALL], "[node_modules]", ""), &[]);
    build_ok(&a, &w, "s2", &[]);
    assert_eq!(cmd(&a, &w, "s2", "invalidate", &[]).code, 0);
    let s = build_ok(&a, &w, "s2", &[]);
    assert_eq!(s["remote"]["epoch"], 1);
    let epochs = keys(&w, "s2/v1/invalidations/");
    assert_eq!(epochs.len(), 1, "{epochs:?}");
    delete(&w, &epochs[0]);
    // A saw epoch 1: an error that says why; it builds without the remote.
    let s = build_ok(&a, &w, "s2", &[]);
    assert_eq!(s["remote"]["enabled"], false);
    crate::text_snapshot!(
        "deleted_epoch_seen",
        crate::snapshots_support::remote_warnings(&s)
    );
    // A fresh builder: the signed manifests of epoch 1 prove the rollback;
    // nothing of epoch 0 (invalidated) is restored.
    let d = clone_of(&a);
    let sd = build_ok(&d, &w, "s2", &[]);
    assert_eq!(sd["prepare_ran"], true);
    assert_ne!(from(&sd, "base"), "remote");
    crate::text_snapshot!(
        "deleted_epoch_fresh_builder",
        crate::snapshots_support::remote_warnings(&sd)
    );
    // Raising again goes above everything known, and the tier is back.
    let r = cmd(&a, &w, "s2", "invalidate", &[]);
    crate::text_snapshot!("invalidate_to_epoch_2", &r.stdout);
    let s = build_ok(&a, &w, "s2", &[]);
    assert_eq!(s["remote"]["enabled"], true);
    assert_eq!(s["remote"]["epoch"], 2);
    // Rolled back: epoch 3 is raised and published into, then its object
    // is overwritten with epoch 2's (a validly signed object of a lower
    // epoch, replayed). It counts for nothing: the remote reads as epoch
    // 2, which A (saw 3) and a fresh builder (a signed manifest of epoch 3)
    // both refuse; nothing of epoch 2 comes back.
    let r = cmd(&a, &w, "s2", "invalidate", &[]);
    crate::text_snapshot!("invalidate_to_epoch_3", &r.stdout);
    let s = build_ok(&a, &w, "s2", &[]);
    assert_eq!(s["remote"]["epoch"], 3);
    assert_eq!(
        s["remote"]["published"],
        serde_json::json!(["base", "build"])
    );
    let mut epochs = keys(&w, "s2/v1/invalidations/");
    epochs.sort();
    assert_eq!(epochs.len(), 2, "{epochs:?}");
    put(&w, &epochs[1], &get(&w, &epochs[0]));
    let s = build_ok(&a, &w, "s2", &[]);
    assert_eq!(s["remote"]["enabled"], false, "{s}");
    crate::text_snapshot!(
        "rolled_back_epoch_seen",
        crate::snapshots_support::remote_warnings(&s)
    );
    let e = clone_of(&a);
    let se = build_ok(&e, &w, "s2", &[]);
    assert_eq!(se["prepare_ran"], true, "{se}");
    assert_ne!(from(&se, "base"), "remote");
    crate::text_snapshot!(
        "rolled_back_epoch_fresh_builder",
        crate::snapshots_support::remote_warnings(&se)
    );
}

#[test]
fn a_gateway_killed_mid_push_leaves_a_finished_build_with_its_summary() {
    let Some(w) = Weed::start("a_gateway_killed_mid_push") else {
        return;
    };
    for (i, kill_after) in [40_000u64, 120_000, 220_000].into_iter().enumerate() {
        let proxy = Proxy::start(w.s3_port, Some(kill_after));
        let a = crate::remote::project(&[&format!("echo {i}")]);
        let mut c = a.cmd("build", &["--format", "json", "--remote-timeout", "10s"]);
        w.env(&mut c, "s3");
        c.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", proxy.port),
        );
        let r = ran(&mut c);
        assert!(
            proxy.died(),
            "the proxy never reached {kill_after} bytes:\n{}\n{}",
            r.stdout,
            r.stderr
        );
        assert_eq!(
            r.code, 0,
            "killed at {kill_after}:\n{}\n{}",
            r.stdout, r.stderr
        );
        let s = r.json();
        assert_eq!(s["ok"], true);
        assert!(warnings(&s).contains("pushing"), "{}", warnings(&s));
        no_staging(&a);
    }
}

#[test]
fn build_commands_never_see_the_remote_credentials() {
    let Some(w) = Weed::start("build_commands_never_see_the_remote_credentials") else {
        return;
    };
    let dump = "env | grep -E '^(AWS_|ZEROPS_CACHE_REMOTE_SECRET|ZEROPS_CACHE_REMOTE_SIGNING_KEY)' | sed 's/^/LEAK /'; echo dump-done";
    for mode in [&[][..], &["--isolation", "none"][..]] {
        let p = Proj::new(&yaml(&[], &[dump], "[node_modules]", ""), &[]);
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(mode);
        let mut c = p.cmd("build", &args);
        w.env(&mut c, "s4");
        c.env("ZEROPS_CACHE_REMOTE_SIGNING_KEY", "00".repeat(32));
        let r = ran(&mut c);
        assert_eq!(r.code, 0, "{mode:?}:\n{}\n{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("dump-done"), "{all}");
        assert!(
            !all.contains("LEAK AWS") && !all.contains("LEAK ZEROPS"),
            "{mode:?} leaked:\n{all}"
        );
        assert!(!all.contains("team secret") && !all.contains(crate::remote_support::SECRET));
        // --env NAME passes one on purpose.
        p.write(
            "zerops.yaml",
            &yaml(&[], &[dump, "true"], "[node_modules]", ""),
        );
        let mut args = vec!["--format", "json", "--env", "AWS_REGION"];
        args.extend_from_slice(mode);
        let mut c = p.cmd("build", &args);
        w.env(&mut c, "s4");
        let r = ran(&mut c);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            all.contains("LEAK AWS_REGION=us-east-1"),
            "{mode:?}:\n{all}"
        );
        assert!(!all.contains("LEAK AWS_SECRET"), "{mode:?}:\n{all}");
    }
}

/// A small tree (the race test runs 20 rounds).
const SMALL: &str = "[ -d node_modules/a ] || { mkdir -p node_modules/a && for i in $(seq 1 20); do echo \"m $i\" > node_modules/a/m$i.js; done; }";

#[test]
fn gc_racing_publishes_leaves_no_missing_pack() {
    let Some(w) = Weed::start("gc_racing_publishes_leaves_no_missing_pack") else {
        return;
    };
    let config = |round: usize| {
        yaml(
            &["true"],
            &[SMALL, &format!("echo round {round}")],
            "[node_modules]",
            "",
        )
    };
    let a = Proj::new(&config(0), &[]);
    build_ok(&a, &w, "s5", &["--isolation", "none"]);
    let mut missing = Vec::new();
    let mut gc_ran = 0;
    for round in 1..=20 {
        // A new build key each round: its publish reuses the blobs of the
        // previous entry, which gc (max-age 0) removes at the same time.
        a.write("zerops.yaml", &config(round));
        let mut b = a.cmd("build", &["--format", "json", "--isolation", "none"]);
        w.env(&mut b, "s5");
        let b = b
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut g = crate::common::bin();
        g.args(["remote", "gc", "--grace", "0s", "--max-age", "0s"]);
        w.env(&mut g, "s5");
        let g = ran(&mut g);
        let b = b.wait_with_output().unwrap();
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        assert!(g.code == 0 || g.code == 5, "gc: {}\n{}", g.stdout, g.stderr);
        if g.code == 0 {
            gc_ran += 1;
        }
        let v = remote_cmd(&w, "s5", &["verify"]);
        missing.extend(
            v.stdout
                .lines()
                .filter(|l| l.contains("is missing") || l.contains("too short"))
                .map(|l| format!("round {round}: {l}")),
        );
    }
    assert!(missing.is_empty(), "{missing:#?}");
    assert!(gc_ran > 0, "gc never ran");
}

#[test]
fn a_corrupt_pack_is_removed_by_its_reader_and_uploaded_again_by_the_next_push() {
    let Some(w) = Weed::start("a_corrupt_pack_heals") else {
        return;
    };
    let a = crate::remote::project(&[]);
    build_ok(&a, &w, "s6", &[]);
    // The largest pack (the build layer's): one byte flipped, same size.
    let packs = keys(&w, "s6/v1/packs/");
    let (big, mut bytes) = packs
        .iter()
        .map(|k| (k.clone(), get(&w, k)))
        .max_by_key(|(_, b)| b.len())
        .unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    put(&w, &big, &bytes);
    // verify --deep (packs fetched whole) finds it.
    let v = remote_cmd(&w, "s6", &["verify", "--deep"]);
    assert_eq!(v.code, 1, "{}\n{}", v.stdout, v.stderr);
    // How many packs a push makes depends on how its threads split the
    // files: the count must be the remote's, and the snapshot leaves it out.
    let counted = format!(", {} packs,", packs.len());
    assert!(v.stdout.contains(&counted), "{counted}\n{}", v.stdout);
    crate::text_snapshot!(
        "verify_a_corrupt_pack",
        v.stdout.replace(&counted, ", [N] packs,")
    );
    let b = clone_of(&a);
    let mut c = b.cmd("build", &["--format", "json"]);
    w.env(&mut c, "s6");
    let r = ran(&mut c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let s = r.json();
    assert_ne!(from(&s, "build"), "remote");
    crate::text_snapshot!(
        "corrupt_pack_warnings",
        crate::snapshots_support::remote_warnings(&s)
    );
    // What the reader did about it, as its remote lines say.
    crate::text_snapshot!(
        "corrupt_pack_reader",
        crate::snapshots_support::lines_with(&r.stderr, "remote: ")
    );
    // The next push (B's own, after its cold build) published it again.
    assert!(
        s["remote"]["published"].to_string().contains("build"),
        "{s}"
    );
    assert!(keys(&w, "s6/v1/quarantine/").is_empty());
    no_staging(&b);
    let v = remote_cmd(&w, "s6", &["verify", "--deep"]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    let c = clone_of(&a);
    let sc = build_ok(&c, &w, "s6", &[]);
    assert_eq!(from(&sc, "build"), "remote");
}

#[test]
fn an_ed25519_reader_reads_and_cannot_publish() {
    let Some(w) = Weed::start("an_ed25519_reader_reads_and_cannot_publish") else {
        return;
    };
    let k = ran(crate::common::bin().args(["remote", "keygen"]));
    assert_eq!(k.code, 0, "{}", k.stderr);
    let var = |name: &str| {
        k.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    let (private, public) = (
        var("ZEROPS_CACHE_REMOTE_SIGNING_KEY"),
        var("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS"),
    );
    let a = crate::remote::project(&[]);
    let with = |p: &Proj, sub: &str, args: &[&str], key: (&str, &str)| {
        let mut c = p.cmd(sub, args);
        w.env(&mut c, "s7");
        c.env_remove("ZEROPS_CACHE_REMOTE_SECRET").env(key.0, key.1);
        ran(&mut c)
    };
    let r = with(
        &a,
        "build",
        &["--format", "json"],
        ("ZEROPS_CACHE_REMOTE_SIGNING_KEY", &private),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["remote"]["published"],
        serde_json::json!(["base", "build"])
    );
    // A fork's CI: read-only, the public key only (a second, unrelated key
    // trusted as well, as during a rotation).
    let (_, other) = {
        let k2 = ran(crate::common::bin().args(["remote", "keygen"]));
        let v = k2
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string();
        ((), v)
    };
    let trusted = format!("{other} {public}");
    let r_ = clone_of(&a);
    let r = with(
        &r_,
        "build",
        &["--format", "json"],
        ("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS", &trusted),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.json();
    assert_eq!(from(&s, "build"), "remote");
    // It builds something new and does not publish it.
    r_.write(
        "zerops.yaml",
        &yaml(
            &[crate::remote::PREPARE],
            &[INSTALL, "true"],
            "[node_modules]",
            "",
        ),
    );
    let r = with(
        &r_,
        "build",
        &["--format", "json"],
        ("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS", &trusted),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["remote"]["published"], serde_json::json!([]));
    crate::text_snapshot!(
        "public_keys_only",
        crate::snapshots_support::lines_with(
            &format!("{}{}", r.stdout, r.stderr),
            "public keys only"
        )
    );
    let p = with(
        &r_,
        "remote",
        &["push"],
        ("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS", &trusted),
    );
    assert_eq!(p.code, 2, "{}\n{}", p.stdout, p.stderr);
    assert_eq!(keys(&w, "s7/v1/manifests/").len(), 2);
    // A key that is not trusted: refused, cold.
    let x = clone_of(&a);
    let r = with(
        &x,
        "build",
        &["--format", "json"],
        ("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS", &other),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r.json();
    assert_ne!(from(&s, "build"), "remote");
    crate::text_snapshot!(
        "untrusted_key_warnings",
        crate::snapshots_support::remote_warnings(&s)
    );
}

#[test]
fn remote_commands_exit_8_when_the_remote_fails() {
    let Some(mut w) = Weed::start("remote_commands_exit_8_when_the_remote_fails") else {
        return;
    };
    let a = crate::remote::project(&[]);
    w.stop();
    for args in [&["ls"][..], &["verify"], &["gc"]] {
        let mut all = args.to_vec();
        all.extend(["--remote-timeout", "2s"]);
        let r = remote_cmd(&w, "s8", &all);
        assert_eq!(r.code, 8, "{args:?}: {}\n{}", r.stdout, r.stderr);
    }
    for sub in ["push", "pull"] {
        let r = cmd(&a, &w, "s8", "remote", &[sub, "--remote-timeout", "2s"]);
        assert_eq!(r.code, 8, "{sub}: {}\n{}", r.stdout, r.stderr);
    }
}

#[test]
fn a_bogus_manifest_does_not_block_publishing_and_gc_removes_unreadable_ones() {
    let Some(w) = Weed::start("a_bogus_manifest_does_not_block_publishing") else {
        return;
    };
    let a = crate::remote::project(&[]);
    build_ok(&a, &w, "s9", &[]);
    // Junk where the build layer's manifest is: readers refuse it, note it,
    // and the next publish of that entry replaces it.
    let m = keys(&w, "s9/v1/manifests/");
    let build_manifest = m.iter().find(|k| k.contains("/build/")).unwrap();
    put(&w, build_manifest, b"{\"alg\":\"none\"}\nnot a manifest");
    let b = clone_of(&a);
    let mut c = b.cmd("build", &["--format", "json"]);
    w.env(&mut c, "s9");
    let r = ran(&mut c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let s = r.json();
    assert_ne!(from(&s, "build"), "remote");
    assert!(
        s["remote"]["published"].to_string().contains("build"),
        "{s}"
    );
    let c = clone_of(&a);
    let sc = build_ok(&c, &w, "s9", &[]);
    assert_eq!(from(&sc, "build"), "remote");
    // An unreadable manifest past --max-age: gc removes it and says so
    // (and it no longer holds every pack).
    let junk = build_manifest
        .replace("/build/", "/base/")
        .replace(build_manifest.rsplit('/').next().unwrap(), &"0".repeat(64));
    put(&w, &junk, b"junk");
    let g = remote_cmd(&w, "s9", &["gc", "--grace", "0s", "--max-age", "0s"]);
    assert_eq!(g.code, 0, "{}\n{}", g.stdout, g.stderr);
    assert!(
        g.stdout
            .lines()
            .any(|l| l.contains(junk.trim_start_matches("s9/")) && l.contains("unreadable")),
        "{}",
        g.stdout
    );
    assert!(!keys(&w, "s9/v1/manifests/").contains(&junk));
}

#[test]
fn remote_ls_of_50_manifests_costs_a_constant_number_of_requests() {
    let Some(w) = Weed::start("remote_ls_of_50_manifests") else {
        return;
    };
    let config = |i: usize| {
        yaml(
            &[&format!("echo base {i}")],
            &[SMALL, &format!("echo build {i}")],
            "[node_modules]",
            "",
        )
    };
    let a = Proj::new(&config(0), &[]);
    // 25 builds, each with a new base and build key: 50 manifests.
    for i in 0..25 {
        a.write("zerops.yaml", &config(i));
        let s = build_ok(&a, &w, "s10", &["--isolation", "none"]);
        assert_eq!(
            s["remote"]["published"],
            serde_json::json!(["base", "build"])
        );
    }
    let proxy = Proxy::start(w.s3_port, None);
    let mut c = crate::common::bin();
    c.args(["remote", "ls", "--format", "json"]);
    w.env(&mut c, "s10");
    c.env(
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{}", proxy.port),
    );
    let r = ran(&mut c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 50);
    assert!(
        entries
            .iter()
            .all(|e| e["error"].is_null() && e["live"] == true),
        "{v}"
    );
    // The build layers hold the 20 files of SMALL (and their directories).
    assert!(
        entries
            .iter()
            .filter(|e| e["layer"] == "build")
            .all(|e| e["entries"].as_u64().unwrap() >= 20),
        "{v}"
    );
    // A listing of manifests, one of packs, the index, the epoch (list of
    // invalidations, list of epoch directories): no GET per manifest.
    let n = proxy.requests();
    assert!(
        (3..=8).contains(&n),
        "remote ls made {n} requests for 50 manifests"
    );
    // Without the index (an older publisher's remote) it still works, by
    // reading every manifest whole: the counter sees each GET.
    for k in keys(&w, "s10/v1/index/") {
        delete(&w, &k);
    }
    proxy.reset_count();
    let r = ran(&mut c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let again: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(again["entries"].as_array().unwrap().len(), 50);
    assert!(proxy.requests() >= 50, "{}", proxy.requests());
}
