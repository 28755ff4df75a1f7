//! The platform's verdict gates every command that acts on the file
//! (issue 32): `build`, `plan`, `keys` and `advise` stop before anything
//! runs on any finding that `lint` reports as an error, show lint's own
//! rendering and exit 3; `status` shows the errors and says the next build
//! will refuse; `invalidate` and `activate` need only the setup's name.

use std::path::Path;

use crate::build_support::{Proj, git, yaml};
use crate::cli_snapshot;
use crate::common::bin;
use crate::snapshots_support::host_cmd;
use zerops_cache_policy::Severity;
use zerops_cache_policy::lint::{CODES, Category};

/// A project whose zerops.yaml is `text` (bytes, so it may be invalid
/// UTF-8), plus `files`, committed.
fn project(text: &[u8], files: &[(&str, &[u8])]) -> Proj {
    let p = Proj::new("zerops: []\n", &[]);
    std::fs::write(p.path().join("zerops.yaml"), text).unwrap();
    for (rel, bytes) in files {
        std::fs::write(p.path().join(rel), bytes).unwrap();
    }
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "case", "--allow-empty"]);
    p
}

/// Nothing ran: the store was never created, and the marker every
/// command of the cases writes is nowhere.
fn nothing_ran(p: &Proj, what: &str) {
    let left: Vec<_> = std::fs::read_dir(p.store.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "{what}: the store was touched: {left:?}");
    assert!(!p.path().join("ran.txt").exists(), "{what}: a command ran");
}

/// The cases of the issue, as quoted: each a file that `lint` rejects and
/// that `build` used to run.
const TYPO: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildComands:\n        - echo ran > ran.txt\n      deployFiles: ./\n";
const MAP_ITEM: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - echo ran > ran.txt\n        - echo note: this line is dropped > dropped.txt\n      deployFiles: ./\n";
const ENV: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      envVariable:\n        FOO: bar\n      buildCommands:\n        - echo \"$FOO\" > ran.txt\n      deployFiles: ./\n";
const CACHE: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - echo ran > ran.txt\n      deployFiles: ./\n      chache: node_modules\n";
const DEPLOY: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - echo ran > ran.txt\n      deployFile: ./\n";

#[test]
fn the_issues_cases_stop_before_any_command() {
    for (name, text, code) in [
        ("typo", TYPO, "unknown-key"),
        ("map item", MAP_ITEM, "wrong-type"),
        ("envVariable", ENV, "unknown-key"),
        ("chache", CACHE, "unknown-key"),
        ("deployFile", DEPLOY, "unknown-key"),
    ] {
        let p = project(text.as_bytes(), &[]);
        for sub in ["build", "plan", "keys", "advise"] {
            let r = match sub {
                "keys" => {
                    let (code, stdout, stderr) =
                        crate::common::run(bin().current_dir(p.path()).arg("keys"));
                    crate::build_support::Ran {
                        code,
                        stdout,
                        stderr,
                    }
                }
                "advise" => p.run(sub, &[]),
                _ => p.run(sub, &["--isolation", "none"]),
            };
            assert_eq!(r.code, 3, "{name}: {sub}:\n{}\n{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains(&format!("error[{code}]")),
                "{name}: {sub}: {}",
                r.stderr
            );
            assert!(
                r.stderr
                    .contains(&format!("`{sub}` refused before running anything")),
                "{name}: {sub}: {}",
                r.stderr
            );
            nothing_ran(&p, name);
        }
    }
}

#[test]
fn a_refused_build_shows_lints_rendering() {
    let p = project(TYPO.as_bytes(), &[]);
    cli_snapshot!("gate_refused_build", &mut host_cmd(&p, "build", &[]));
    // The message says where the way out is: lint's own snippet and help.
    let mut lint = bin();
    lint.current_dir(p.path()).args(["lint", "--no-tree"]);
    let (_, out, _) = crate::common::run(&mut lint);
    let r = p.run("build", &["--isolation", "none"]);
    let first = out.lines().next().unwrap();
    assert!(
        r.stderr.contains(first),
        "lint says {first}, build:\n{}",
        r.stderr
    );
}

#[test]
fn warnings_are_shown_and_do_not_stop() {
    let p = Proj::new(&yaml(&[], &["true"], "\"**/x\"", ""), &[]);
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning[cache-double-star]"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["ok"], true);
}

#[test]
fn status_says_the_next_build_will_refuse() {
    let p = project(TYPO.as_bytes(), &[]);
    cli_snapshot!("gate_status", &mut host_cmd(&p, "status", &[]));
    let r = p.run("status", &["--isolation", "none", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(j["build_refuses"], true);
    assert_eq!(j["findings"][0]["code"], "unknown-key");
    let clean = Proj::new(&yaml(&[], &["true"], "false", ""), &[]);
    let r = clean.run("status", &["--isolation", "none", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(j["build_refuses"], false, "{}", r.stdout);
}

#[test]
fn invalidate_and_activate_work_on_a_broken_file() {
    let p = Proj::new(&yaml(&[], &["echo v > v.txt"], "false", ""), &[]);
    assert_eq!(p.build(&["--isolation", "none"]).code, 0);
    // Broken in every way: not even YAML.
    p.write("zerops.yaml", "zerops:\n  - setup: app\n    build: [\n");
    for (sub, args) in [
        ("invalidate", &["--setup", "app"][..]),
        ("activate", &["1", "--setup", "app"][..]),
    ] {
        let r = p.run(sub, args);
        assert_eq!(r.code, 0, "{sub}:\n{}\n{}", r.stdout, r.stderr);
    }
    // Without the name, they say which is missing.
    let r = p.run("invalidate", &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("yaml-syntax"), "{}", r.stderr);
}

/// A case: the config's bytes, the build's extra arguments, more files.
type Case = (Vec<u8>, Vec<&'static str>, Vec<(&'static str, Vec<u8>)>);

/// A file giving each error-severity code, or how the build meets it.
fn case_of(code: &str) -> Option<Case> {
    let ok = |build: &str| -> Vec<u8> {
        format!("zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - echo ran > ran.txt\n{build}")
            .into_bytes()
    };
    let deploy = |d: &str| ok(&format!("      deployFiles: {d}\n"));
    let bomb = {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..7 {
            let prev = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        s.push_str("zerops: []\n");
        s.into_bytes()
    };
    let deep = format!("zerops: {}{}\n", "[".repeat(80), "]".repeat(80)).into_bytes();
    let chain: String = (0..20)
        .map(|i| format!("  - setup: s{i}\n    extends: s{}\n", i + 1))
        .chain(std::iter::once(
            "  - setup: s20\n    build:\n      buildCommands: [echo ran > ran.txt]\n      deployFiles: ./\n".to_string(),
        ))
        .collect();
    let none: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let case = |text: Vec<u8>| Some((text, Vec::new(), Vec::new()));
    match code {
        "input-too-large" => case(vec![b'#'; 9 << 20]),
        "invalid-utf8" => case(b"zerops:\n  - setup: app\xff\n".to_vec()),
        "yaml-syntax" => case(b"zerops:\n  - setup: app\n    build: [\n".to_vec()),
        "yaml-too-large" => case(bomb),
        "yaml-too-deep" => case(deep),
        "yaml-merge" => case(b"zerops:\n  - <<: 5\n    setup: app\n".to_vec()),
        "empty-file" => case(b"# nothing\n".to_vec()),
        "root-not-map" => case(b"- a\n".to_vec()),
        "root-missing-zerops" => case(b"project:\n  name: x\n".to_vec()),
        "root-unknown-key" => {
            let mut t = deploy("./");
            t.extend_from_slice(b"extra: 1\n");
            case(t)
        }
        "zerops-not-list" => case(b"zerops: 5\n".to_vec()),
        "unknown-key" => case(ok("      deployFiles: ./\n      bogus: 1\n")),
        "wrong-type" => case(ok("      deployFiles: ./\n      cache: 5\n")),
        "invalid-value" => case(
            b"zerops:\n  - setup: app\n    build:\n      os: windows\n      buildCommands: [echo ran > ran.txt]\n      deployFiles: ./\n".to_vec(),
        ),
        "missing-key" => case(b"zerops:\n  - build:\n      deployFiles: ./\n".to_vec()),
        "key-not-string" => case(ok("      deployFiles: ./\n      [a]: 1\n")),
        "legacy-format" => case(b"api:\n  build:\n    base: [nodejs@18]\n".to_vec()),
        "setup-unknown" => Some((deploy("./"), vec!["--setup", "web"], none)),
        "setup-ambiguous" => {
            let mut t = deploy("./");
            t.extend_from_slice(b"  - setup: other\n    build:\n      deployFiles: ./\n");
            case(t)
        }
        "extends-unknown" => case(
            b"zerops:\n  - setup: app\n    extends: nope\n    build:\n      deployFiles: ./\n".to_vec(),
        ),
        "extends-cycle" => Some((
            b"zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: a\n".to_vec(),
            vec!["--setup", "a"],
            none,
        )),
        "extends-too-deep" => Some((
            format!("zerops:\n{chain}").into_bytes(),
            vec!["--setup", "s0"],
            none,
        )),
        "cache-pattern-invalid" => case(ok("      deployFiles: ./\n      cache: \"[\"\n")),
        "cache-outside-source" => case(ok("      deployFiles: ./\n      cache: ../x\n")),
        "cache-in-base-layer" => case(ok("      deployFiles: ./\n      cache: ~/.npm\n")),
        "deploy-files-multiple-tilde" => case(deploy("a/~/b/~/c")),
        "deploy-files-outside-source" => case(deploy("../x")),
        "deployignore-too-large" => Some((
            deploy("./"),
            Vec::new(),
            vec![(".deployignore", vec![b'#'; (1 << 20) + 1])],
        )),
        "deployignore-invalid-utf8" => Some((
            deploy("./"),
            Vec::new(),
            vec![(".deployignore", b"*.log\n\xff\n".to_vec())],
        )),
        "build-missing" => case(b"zerops:\n  - setup: app\n    run:\n      start: x\n".to_vec()),
        "deploy-files-missing" => case(ok("")),
        "deploy-files-invalid" => case(deploy("/abs")),
        // Errors of questions no file asks: a time or a layer record the
        // host passes, a code from a component of another version.
        "invalid-time" | "record-unreadable" | "unknown-code" => None,
        other => panic!("no case for the error code {other}: add one here"),
    }
}

#[test]
fn every_error_code_stops_the_build_before_anything_runs() {
    let errors = CODES
        .iter()
        .filter(|c| c.severity == Severity::Error && c.category != Category::Question)
        .map(|c| c.code)
        .chain([
            "build-missing",
            "deploy-files-missing",
            "deploy-files-invalid",
        ]);
    let mut checked = 0;
    for code in errors {
        let Some((text, args, files)) = case_of(code) else {
            continue;
        };
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let p = project(&text, &files);
        let mut a = vec!["--isolation", "none"];
        a.extend(args);
        let r = p.build(&a);
        assert_eq!(r.code, 3, "{code}:\n{}\n{}", r.stdout, r.stderr);
        // The questions' own codes come after lint's: lint names the same
        // fault first (a missing `deployFiles` is its `missing-key`).
        let question = matches!(
            code,
            "build-missing" | "deploy-files-missing" | "deploy-files-invalid"
        );
        assert!(
            question
                || r.stderr.contains(&format!("[{code}]"))
                || r.stderr.contains(&format!("({code})")),
            "{code}: {}",
            r.stderr
        );
        nothing_ran(&p, code);
        assert!(!Path::new(&p.path().join("ran.txt")).exists());
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} codes checked");
}
