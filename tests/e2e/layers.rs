//! Layer keys, decisions and `explain`: the component agrees with the
//! native policy on the invalidation table and on the fixed digests, and
//! the `keys` / `explain` commands keep their output contracts.

use crate::common::{bin, host};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use zerops_cache_policy as policy;
use zerops_cache_policy::decide::{BaseAction, BuildAction};
use zerops_cache_policy::record::Event;
use zerops_cache_policy::time::Timestamp;

const BASE: &str = "zerops:
  - setup: app
    build:
      os: alpine
      base: nodejs@20
      prepareCommands:
        - apk add git
        - apk add curl
      buildCommands:
        - npm ci
      deployFiles: [dist, package.json]
      cache: [node_modules, .next]
      addToRunPrepare: [package.json]
      envVariables:
        NODE_ENV: production
    run:
      start: npm start
  - setup: api
    extends: app
    run:
      start: node api.js
  - setup: other
    build:
      base: go@1
      cache: true
";

/// (what changes, from, to, invalidates the cache)
const TABLE: &[(&str, &str, &str, bool)] = &[
    ("os", "os: alpine", "os: ubuntu", true),
    ("base", "base: nodejs@20", "base: nodejs@22", true),
    (
        "prepareCommands",
        "        - apk add curl\n",
        "        - apk add curl\n        - apk add vim\n",
        true,
    ),
    (
        "prepareCommands order",
        "        - apk add git\n        - apk add curl\n",
        "        - apk add curl\n        - apk add git\n",
        true,
    ),
    (
        "cache",
        "cache: [node_modules, .next]",
        "cache: [node_modules]",
        true,
    ),
    (
        "cache spelling",
        "cache: [node_modules, .next]",
        "cache: [./node_modules/, .next/]",
        false,
    ),
    ("os default", "      os: alpine\n", "", false),
    ("buildCommands", "- npm ci", "- npm install", false),
    (
        "envVariables",
        "NODE_ENV: production",
        "NODE_ENV: dev",
        false,
    ),
    (
        "deployFiles",
        "deployFiles: [dist, package.json]",
        "deployFiles: [dist]",
        false,
    ),
    (
        "addToRunPrepare",
        "addToRunPrepare: [package.json]",
        "addToRunPrepare: []",
        false,
    ),
    ("run", "start: npm start", "start: node server.js", false),
    ("other setup", "base: go@1", "base: go@2", false),
];

#[test]
fn component_matches_native_on_the_table() {
    let host = host();
    for &(what, from, to, invalidates) in TABLE {
        let new = BASE.replacen(from, to, 1);
        assert_ne!(new, BASE, "{what}");
        // `api` extends `app`, so a change to app's build reaches it too.
        for setup in ["app", "api"] {
            let native = policy::api::explain(BASE, &new, Some(setup)).unwrap();
            let component = host.explain(BASE, &new, Some(setup)).unwrap().unwrap();
            assert_eq!(native, component, "{what} / {setup}");
            let (base, build) = if invalidates {
                (BaseAction::Rebuild, BuildAction::Drop)
            } else {
                (BaseAction::Reuse, BuildAction::Reuse)
            };
            assert_eq!(component.base_action(), base, "{what} / {setup}");
            assert_eq!(component.build_action(), build, "{what} / {setup}");
        }
    }
}

/// Must equal the constants in crates/policy/tests/keys_table.rs; they must
/// never change without bumping the key version.
const FIXED: &str = "zerops:
  - setup: api
    build:
      base: [php@8.4, nodejs@22]
      prepareCommands:
        - apk add --no-cache vim
        - |
          curl -fsSL https://example.com/install.sh | sh
          echo \"done\"
      cache: ./vendor/
      deployFiles: ./
  - setup: web
    build:
      os: ubuntu
      base: nodejs@22
      cache: true
      deployFiles: ./
";

#[test]
fn fixed_digests_through_the_component() {
    let all = host().keys(FIXED, None).unwrap().unwrap();
    let keys: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|(n, r)| {
            let s = r.as_ref().unwrap();
            (n.as_str(), s.keys.base.as_str(), s.keys.build.as_str())
        })
        .collect();
    assert_eq!(
        keys,
        [
            (
                "api",
                "b14ed0ebd6942ef560cb50c0501d96ea221dbad5f6a31d692f1066d9ed7ae70f",
                "c629ee3c24c65117616b06384d5b20a66c0762bc7a2ce6fada7fa386293bcaad"
            ),
            (
                "web",
                "400cb6d57fdc32dda62af525a4c56e8ce8d48052dec5bc9ef398c2da5d2b723c",
                "82ab51b7dd16e5124523a8415bffc953056306f0758de19b79bc8cbe4e2524b3"
            ),
        ]
    );
    let native: Vec<_> = policy::api::keys(FIXED, None)
        .unwrap()
        .into_iter()
        .map(|(n, r)| (n, r.unwrap().inputs))
        .collect();
    let component: Vec<_> = all
        .into_iter()
        .map(|(n, r)| (n, r.unwrap().inputs))
        .collect();
    assert_eq!(native, component);
}

#[test]
fn records_and_events_through_the_component() {
    let host = host();
    let now = "2026-11-25T10:00:00Z";
    let rec = host
        .record_after_build_in_image(BASE, Some("app"), None, "img", now)
        .unwrap()
        .unwrap();
    let native =
        policy::record::after_build_in_image_json(BASE, Some("app"), None, Some("img"), now);
    assert_eq!(rec, native.unwrap());
    let d = host
        .decide_in_image(BASE, Some("app"), Some(&rec), "img")
        .unwrap()
        .unwrap();
    assert_eq!(d.base_action(), BaseAction::Reuse);
    let ev = Event::VersionActivated {
        version: 7,
        at: Timestamp::parse("2026-11-25T11:00:00Z").unwrap(),
    };
    let rec = host.record_add_event(&rec, &ev).unwrap().unwrap();
    let d = host.decide(BASE, Some("app"), Some(&rec)).unwrap().unwrap();
    assert_eq!(
        d,
        policy::api::decide_for(BASE, Some("app"), Some(&rec)).unwrap()
    );
    assert_eq!(d.build_action(), BuildAction::Drop);
    assert_eq!(
        d.base.reasons[0].message,
        "version 7 activated at 2026-11-25T11:00:00Z"
    );
    let d = host.decide(BASE, Some("app"), None).unwrap().unwrap();
    assert_eq!(d.base.reasons[0].message, "no previous cache");
    let d = host.decide(BASE, Some("app"), Some("{")).unwrap().unwrap();
    assert_eq!(
        d.base.reasons[0].kind,
        policy::decide::ReasonKind::RecordUnreadable
    );
    let bad = host
        .record_after_build_in_image(BASE, Some("app"), None, "img", "yesterday")
        .unwrap()
        .unwrap_err();
    assert_eq!(bad.code, "invalid-time");
}

// ---- the CLI ----

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn keys_command() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "zerops.yaml", FIXED);
    let o = run(t.path(), &["keys", "--setup", "api"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // The human output is the contract: the whole of it, as a snapshot.
    insta::assert_snapshot!("keys_api_human", stdout(&o));

    let o = run(t.path(), &["keys", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    insta::assert_json_snapshot!("keys_json", j);
    assert_eq!(j["setups"][1]["setup"], "web");
    assert_eq!(
        j["setups"][1]["keys"]["base"],
        "400cb6d57fdc32dda62af525a4c56e8ce8d48052dec5bc9ef398c2da5d2b723c"
    );
    assert_eq!(j["setups"][1]["inputs"]["cache"], true);
    assert_eq!(j["setups"][0]["inputs"]["cache"][0], "vendor");

    let o = run(t.path(), &["keys", "--setup", "nope"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no setup named `nope`"));
    let o = run(t.path(), &["keys", "missing.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    write(
        t.path(),
        "cycle.yaml",
        "zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: a\n",
    );
    // A file the platform rejects gets no keys: the gate refuses it
    // before anything is computed, with lint's rendering (issue 32).
    let o = run(t.path(), &["keys", "cycle.yaml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o), "");
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[extends-cycle]"));
}

#[test]
fn explain_command_human_and_json() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "old.yaml", BASE);
    let new = BASE
        .replacen(
            "        - apk add curl\n",
            "        - apk add curl\n        - apk add vim\n",
            1,
        )
        .replacen("- npm ci", "- npm install", 1);
    write(t.path(), "new.yaml", &new);
    let o = run(
        t.path(),
        &["explain", "old.yaml", "new.yaml", "--setup", "app"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // What the user reads is the contract: the whole output, as snapshots
    // (without -v the change of buildCommands, which keeps the cache, is
    // not listed; with -v it is).
    insta::assert_snapshot!("explain_app_human", stdout(&o));
    let o = run(
        t.path(),
        &["explain", "old.yaml", "new.yaml", "--setup", "app", "-v"],
    );
    insta::assert_snapshot!("explain_app_human_verbose", stdout(&o));

    let o = run(
        t.path(),
        &[
            "explain", "old.yaml", "new.yaml", "--setup", "api", "--format", "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The contract: exactly these keys.
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&j), ["advice", "layers", "setup"]);
    assert!(
        j["advice"].is_array(),
        "the cache advice for the new config: {j}"
    );
    assert_eq!(keys(&j["layers"]), ["base", "build"]);
    for layer in ["base", "build"] {
        assert_eq!(keys(&j["layers"][layer]), ["invalidated", "reasons"]);
        assert_eq!(j["layers"][layer]["invalidated"], true);
    }
    assert_eq!(j["setup"], "api");
    let r = &j["layers"]["base"]["reasons"][0];
    assert_eq!(r["kind"], "added");
    assert_eq!(r["field"], "prepareCommands");
    assert_eq!(r["index"], 2);
    assert_eq!(r["new"], "apk add vim");
    assert_eq!(r["message"], "prepareCommands[2] added \"apk add vim\"");
    assert_eq!(j["layers"]["build"]["reasons"][0]["kind"], "base-rebuilt");
    let o = run(
        t.path(),
        &[
            "explain", "old.yaml", "new.yaml", "--setup", "other", "--format", "json", "-v",
        ],
    );
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["layers"]["base"]["invalidated"], false);
    assert_eq!(j["layers"]["base"]["reasons"], Value::Array(vec![]));
    assert_eq!(j["unaffected"], Value::Array(vec![]));
}

#[test]
fn explain_command_errors_exit_with_their_class() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "old.yaml", BASE);
    write(t.path(), "bad.yaml", "zerops: [\n");
    // 2: a bad command line; 3: a config that cannot be used.
    for (args, code) in [
        (&["explain", "old.yaml"][..], 2),
        (&["explain", "old.yaml", "missing.yaml"], 3),
        (&["explain", "old.yaml", "old.yaml"], 3),
        (&["explain", "old.yaml", "old.yaml", "--setup", "nope"], 3),
        (&["explain", "bad.yaml", "old.yaml", "--setup", "app"], 3),
        (&["explain", "--git", "HEAD", "a.yaml", "b.yaml"], 2),
    ] {
        let o = run(t.path(), args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {o:?}");
    }
    let o = run(
        t.path(),
        &["explain", "bad.yaml", "old.yaml", "--setup", "app"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    // The policy says the error is about the old file; the renderer shows
    // that file with the code.
    assert!(err.contains("flow sequence must end with `]`"), "{err}");
    assert!(err.contains("bad.yaml (old)"), "{err}");
    assert!(err.contains("yaml-syntax"), "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {o:?}");
}

#[test]
fn explain_against_a_git_revision() {
    let t = tempfile::tempdir().unwrap();
    let sub = t.path().join("svc");
    std::fs::create_dir(&sub).unwrap();
    git(t.path(), &["init", "-q"]);
    write(&sub, "zerops.yml", BASE);
    git(t.path(), &["add", "."]);
    git(t.path(), &["commit", "-qm", "one"]);
    write(
        &sub,
        "zerops.yml",
        &BASE.replacen("base: nodejs@20", "base: nodejs@22", 1),
    );
    // From the service directory, finding zerops.yml by itself...
    let o = run(&sub, &["explain", "--git", "HEAD", "--setup", "app"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("zerops.yml at HEAD → zerops.yml"), "{out}");
    assert!(out.contains("  - base nodejs@20 → nodejs@22"), "{out}");
    // ...and from the repository root, with a path.
    let o = run(
        t.path(),
        &[
            "explain",
            "--git",
            "HEAD",
            "svc/zerops.yml",
            "--setup",
            "app",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        j["layers"]["base"]["reasons"][0]["message"],
        "base nodejs@20 → nodejs@22"
    );
    let o = run(t.path(), &["explain", "--git", "nope", "svc/zerops.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`nope` is not a git revision"));
    // A config that did not exist at the revision has no previous cache.
    write(&sub, "new.yml", BASE);
    let o = run(
        &sub,
        &["explain", "--git", "HEAD", "new.yml", "--setup", "app"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("new.yml at HEAD (absent) → new.yml"), "{out}");
    assert!(out.contains("  - no previous cache"), "{out}");
}

#[test]
fn corpus_keys_and_decisions_match_native() {
    let host = host();
    let mut setups = 0;
    for f in crate::common::corpus_files() {
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f.display();
        let native = policy::api::keys(&src, None);
        let component = host.keys(&src, None).unwrap();
        let (native, component) = match (native, component) {
            (Ok(n), Ok(c)) => (n, c),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{name}");
                continue;
            }
            (a, b) => panic!("{name}: native {a:?} vs component {b:?}"),
        };
        assert_eq!(native.len(), component.len(), "{name}");
        for ((n1, r1), (n2, r2)) in native.iter().zip(&component) {
            assert_eq!(n1, n2, "{name}");
            match (r1, r2) {
                (Ok(a), Ok(b)) => {
                    setups += 1;
                    assert_eq!(
                        (&a.build_from, &a.inputs, &a.keys),
                        (&b.build_from, &b.inputs, &b.keys),
                        "{name}: {n1}"
                    );
                    // With no previous cache, both layers are (re)built.
                    let d = host.decide(&src, Some(n1), None).unwrap().unwrap();
                    assert_eq!(
                        d,
                        policy::api::decide_for(&src, Some(n1), None).unwrap(),
                        "{name}: {n1}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{name}: {n1}"),
                (a, b) => panic!("{name}: {n1}: native {a:?} vs component {b:?}"),
            }
        }
    }
    assert!(setups >= 100, "only {setups} setups");
}
