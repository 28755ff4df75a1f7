//! `lint --format github|sarif|gitlab` on real files: SARIF validates
//! against the official 2.1.0 schema, and each format carries the findings
//! with the same exit codes as the other formats.

use crate::common::{bin, corpus_files, repo_root, run};
use serde_json::Value;

fn sarif_validator() -> jsonschema::Validator {
    let p = repo_root().join("tests/corpus/sarif-schema/sarif-2.1.0-rtm.5.json");
    let text = std::fs::read_to_string(&p).unwrap();
    // The schema's patterns for `language` have a stray `]` that the
    // crate's check of the schema itself (`format: regex`) rejects; escape
    // it here, leaving the copy verbatim. We never emit `language`.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2, "the known defect");
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    // Formats are checked too: `uri` matters for artifact locations.
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn project(text: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("zerops.yaml"), text).unwrap();
    d
}

const BAD: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n      cahce: [\"node_modules/**\"]\n";

#[test]
fn sarif_of_the_corpus_is_valid_sarif_2_1_0() {
    let v = sarif_validator();
    let (code, out, err) = run(bin()
        .args(["lint", "--no-tree", "--format", "sarif"])
        .args(corpus_files()));
    assert!(code == 0 || code == 1, "{err}");
    let log: Value = serde_json::from_str(&out).expect("one JSON document");
    let errors: Vec<String> = v
        .iter_errors(&log)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&broken), "the validator does reject");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.len() > 10,
        "the corpus has findings: {}",
        results.len()
    );
}

#[test]
fn sarif_with_an_unreadable_file_is_valid_and_says_so() {
    let d = project(BAD);
    let missing = d.path().join("missing/zerops.yaml");
    let (code, out, _) = run(bin()
        .args(["lint", "--format", "sarif"])
        .arg(d.path().join("zerops.yaml"))
        .arg(&missing));
    assert_eq!(code, 3, "a file that cannot be read is a config error");
    let log: Value = serde_json::from_str(&out).unwrap();
    assert!(sarif_validator().is_valid(&log));
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let note = inv["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(note.contains("missing"), "{note}");
    let r = &log["runs"][0]["results"];
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "unknown-key" && r["level"] == "error"),
        "{r}"
    );
}

#[test]
fn github_annotates_the_span_and_exits_like_human() {
    let d = project(BAD);
    let (code, out, _) = run(bin()
        .args(["lint", "--format", "github"])
        .current_dir(d.path()));
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("title=unknown-key"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with("::error file=zerops.yaml,line=6,col=7,endLine=6,endColumn=12,"),
        "{line}"
    );
    assert!(
        out.lines().all(|l| l.starts_with("::")),
        "only workflow commands: {out}"
    );
}

#[test]
fn gitlab_is_a_code_quality_array() {
    let d = project(BAD);
    let (code, out, _) = run(bin()
        .args(["lint", "--format", "gitlab"])
        .current_dir(d.path()));
    assert_eq!(code, 1);
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(!issues.is_empty());
    for i in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].is_string(), "{key} in {i}");
        }
        assert_eq!(i["location"]["path"], "zerops.yaml");
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
    }
    let again: Vec<Value> = serde_json::from_str(
        &run(bin()
            .args(["lint", "--format", "gitlab"])
            .current_dir(d.path()))
        .1,
    )
    .unwrap();
    assert_eq!(issues, again, "fingerprints are stable across runs");
    let clean = project(
        "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n",
    );
    let (code, out, _) = run(bin()
        .args(["lint", "--format", "gitlab", "--no-tree"])
        .current_dir(clean.path()));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]");
}
