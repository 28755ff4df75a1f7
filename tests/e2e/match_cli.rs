//! `zerops-cache match`: exit codes, and the exact `--batch` contract
//! (checked byte for byte against Go's own filepath.Match when `go` exists).

use crate::common::{bin, repo_root, run};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use zerops_cache_policy::pattern::corpus;

fn batch(input: &str) -> (i32, String, String) {
    let mut child = bin()
        .args(["match", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let w = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    w.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_0_when_a_path_matches_and_prints_the_matches() {
    let (code, out, err) = run(bin().args([
        "match",
        "subdir/*.txt",
        "subdir/file1.txt",
        "subdir/a.js",
        "subdir/file2.txt",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "subdir/file1.txt\nsubdir/file2.txt\n");
}

#[test]
fn exit_1_when_nothing_matches_and_explain_says_why() {
    let (code, out, _) = run(bin().args(["match", "*.txt", "subdir/file1.txt"]));
    assert_eq!(code, 1);
    assert_eq!(out, "");
    let (code, out, _) =
        run(bin().args(["match", "--explain", "**/*.js", "src/lib/a.js", "src/a.js"]));
    assert_eq!(code, 0, "src/a.js matches");
    assert!(out.contains("match     src/a.js"), "{out}");
    assert!(
        out.contains("no match  src/lib/a.js: `**/*.js` has 2 components"),
        "{out}"
    );
    assert!(out.contains("`**` is not recursive"), "{out}");
}

#[test]
fn exit_2_on_a_bad_pattern_with_its_position() {
    // Go's filepath.Match answers `false` for ("a*[", "b") because it stops
    // at the first failed part; the CLI checks the whole pattern first.
    let (code, out, err) = run(bin().args(["match", "a*[", "b"]));
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("syntax error in pattern `a*[` at column 3: this `[` is never closed by `]`"),
        "{err}"
    );
    let (code, _, err) = run(bin().args(["match", "[]a]", "]"]));
    assert_eq!(code, 2);
    assert!(err.contains("column 1"), "{err}");
}

#[test]
fn zerops_normalization_is_opt_in() {
    let (code, _, _) = run(bin().args(["match", "./node_modules/", "node_modules"]));
    assert_eq!(code, 1, "Go itself does not normalize");
    let (code, out, _) = run(bin().args(["match", "--zerops", "./node_modules/", "node_modules"]));
    assert_eq!(code, 0);
    assert_eq!(out, "node_modules\n");
}

#[test]
fn batch_contract_is_exact() {
    let input = concat!(
        r#"{"pattern": "subdir/*.txt", "path": "subdir/file1.txt"}"#,
        "\n",
        r#"{"pattern":"*.txt","path":"subdir/file1.txt"}"#,
        "\n",
        r#"{"pattern": "a[", "path": "ab"}"#,
        "\n",
        // Go: a malformed chunk after a failed one is not reported
        r#"{"pattern": "a*[", "path": "b"}"#,
        "\n",
        r#"{"path": "é", "pattern": "?", "extra": 1}"#,
        "\n",
        r#"{"pattern": "", "path": ""}"#, // no trailing newline on the last line
    );
    let (code, out, err) = batch(input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        concat!(
            "{\"matched\": true}\n",
            "{\"matched\": false}\n",
            "{\"error\": \"syntax error in pattern\"}\n",
            "{\"matched\": false}\n",
            "{\"matched\": true}\n",
            "{\"matched\": true}\n",
        )
    );
    let (code, out, _) = batch("");
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn batch_answers_every_line_even_invalid_ones() {
    let (code, out, _) =
        batch("{\"pattern\": \"a\"}\nnot json\n\n{\"pattern\": \"a\", \"path\": \"a\"}\n");
    assert_eq!(code, 2, "invalid request lines make the exit code 2");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for l in &lines[..3] {
        assert!(l.starts_with(r#"{"error": "invalid request: "#), "{l}");
        let v: serde_json::Value = serde_json::from_str(l).expect("valid JSON");
        assert!(v["error"].is_string());
    }
    assert_eq!(lines[3], r#"{"matched": true}"#);
}

#[test]
fn batch_streams_one_answer_per_line() {
    let mut child = bin()
        .args(["match", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for (req, want) in [
        (
            r#"{"pattern": "package*", "path": "package.json"}"#,
            r#"{"matched": true}"#,
        ),
        (
            r#"{"pattern": "vendor", "path": "vendor/x"}"#,
            r#"{"matched": false}"#,
        ),
    ] {
        // the answer arrives while stdin is still open
        writeln!(stdin, "{req}").unwrap();
        stdin.flush().unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), want);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// `match --batch` against Go's filepath.Match, byte for byte.
#[test]
fn batch_equals_go_filepath_match() {
    let go_ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !crate::common::prerequisite(
        go_ok,
        "`go` on PATH",
        "ZEROPS_SKIP_GO",
        "install it with `apt-get install golang-go`",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let go_bin = tmp.path().join("go-match");
    let st = Command::new("go")
        .args(["build", "-o"])
        .arg(&go_bin)
        .arg(".")
        .current_dir(repo_root().join("tests/go-match"))
        .env("GOTOOLCHAIN", "local")
        .status()
        .unwrap();
    assert!(st.success(), "go build failed");

    let cases = corpus::cases(0xC11, 4000);
    let input: String = cases
        .iter()
        .map(|(p, n)| format!("{}\n", serde_json::json!({"pattern": p, "path": n})))
        .collect();
    let (code, ours, err) = batch(&input);
    assert_eq!(code, 0, "{err}");

    let mut go = Command::new(&go_bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = go.stdin.take().unwrap();
    let w = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let go_out = go.wait_with_output().unwrap();
    w.join().unwrap();
    let theirs = String::from_utf8(go_out.stdout).unwrap();

    let diffs: Vec<String> = cases
        .iter()
        .zip(ours.lines().zip(theirs.lines()))
        .filter(|(_, (a, b))| a != b)
        .take(20)
        .map(|((p, n), (a, b))| format!("({p:?}, {n:?}): ours {a}, Go {b}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "disagreements with Go:\n{}",
        diffs.join("\n")
    );
    assert_eq!(ours, theirs, "same bytes, same number of lines");
    assert_eq!(ours.lines().count(), cases.len());
}
