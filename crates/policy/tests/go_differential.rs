//! Differential test against Go itself: every generated (pattern, path) pair
//! goes through Go's `path/filepath.Match` (tests/go-match, built here with
//! `go build`) and through our port; the answers must be byte-identical
//! lines of the `match --batch` contract.
//!
//! Needs `go` on PATH (`apt-get install golang-go`). Set `ZEROPS_SKIP_GO=1`
//! to skip where Go cannot be installed; CI installs it. Knobs:
//! `ZEROPS_DIFF_SEED` (default fixed) and `ZEROPS_DIFF_CASES` (random cases,
//! default 120000, on top of the hand-picked cross product).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zerops_cache_policy::pattern::{self, Pattern, corpus};

const DEFAULT_SEED: u64 = 0x5EED_2026_0004;
const DEFAULT_RANDOM: usize = 120_000;

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn build_go_match(out_dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/go-match");
    let bin = out_dir.join("go-match");
    let out = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(&src)
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("run go build");
    assert!(
        out.status.success(),
        "go build in {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// Pipes all cases through the Go program; one answer line per case.
fn run_go(bin: &Path, args: &[&str], cases: &[(String, String)]) -> Vec<String> {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start go-match");
    let mut stdin = child.stdin.take().unwrap();
    let input: Vec<u8> = cases
        .iter()
        .flat_map(|(p, n)| {
            let mut line =
                serde_json::to_vec(&serde_json::json!({"pattern": p, "path": n})).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).expect("write to go-match");
    });
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .collect::<Result<_, _>>()
        .expect("read go-match output");
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "go-match failed");
    assert_eq!(
        lines.len(),
        cases.len(),
        "go-match answered a different number of lines"
    );
    lines
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn matches_go_filepath_match_exactly() {
    if !go_available() {
        if std::env::var_os("ZEROPS_SKIP_GO").is_some() {
            skip("`go` is missing (ZEROPS_SKIP_GO is set)");
            return;
        }
        panic!(
            "the Go differential test needs `go` on PATH: install it with \
             `apt-get install golang-go` (or set ZEROPS_SKIP_GO=1 to skip)"
        );
    }
    let seed = env_or("ZEROPS_DIFF_SEED", DEFAULT_SEED);
    let random = env_or("ZEROPS_DIFF_CASES", DEFAULT_RANDOM);
    let cases = corpus::cases(seed, random);
    assert!(cases.len() >= 100_000, "too few cases: {}", cases.len());

    let dir = tempfile::tempdir().unwrap();
    let bin = build_go_match(dir.path());
    let go_filepath = run_go(&bin, &[], &cases);
    let go_path = run_go(&bin, &["-path"], &cases);

    let mut disagreements = Vec::new();
    let (mut matched, mut errors, mut lazy_ok) = (0usize, 0usize, 0usize);
    for (i, (p, n)) in cases.iter().enumerate() {
        let ours = pattern::batch_line(pattern::is_match(p, n));
        let go = go_filepath[i].as_str();
        if ours != go {
            disagreements.push(format!("is_match({p:?}, {n:?}): ours {ours}, Go {go}"));
        }
        // whole-pattern validation == Go's path.Match (which never stops early)
        let go_invalid = go_path[i].starts_with(r#"{"error""#);
        let ours_invalid = pattern::validate(p).is_err();
        if go_invalid != ours_invalid {
            disagreements.push(format!(
                "validate({p:?}) (path {n:?}): ours invalid={ours_invalid}, Go path.Match {}",
                go_path[i]
            ));
        }
        // the compiled matcher agrees with Go on every valid pattern
        if let Ok(compiled) = Pattern::new(p) {
            let line = pattern::batch_line(Ok(compiled.matches(n)));
            if line != go {
                disagreements.push(format!(
                    "Pattern({p:?}).matches({n:?}): ours {line}, Go {go}"
                ));
            }
        }
        match go {
            r#"{"matched": true}"# => matched += 1,
            r#"{"matched": false}"# if go_invalid => lazy_ok += 1,
            r#"{"matched": false}"# => {}
            _ => errors += 1,
        }
    }
    eprintln!(
        "go differential: {} cases (seed {seed:#x}): {matched} matched, {errors} syntax errors, \
         {lazy_ok} malformed patterns Go's filepath.Match answered `false` for; {} disagreements",
        cases.len(),
        disagreements.len()
    );
    if !disagreements.is_empty() {
        panic!(
            "{} disagreements with Go; first 20:\n{}",
            disagreements.len(),
            disagreements
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // The generator must exercise every outcome, or it tests little.
    assert!(matched > cases.len() / 10, "too few matches: {matched}");
    assert!(errors > cases.len() / 20, "too few syntax errors: {errors}");
    assert!(
        lazy_ok > 0,
        "no case exercised filepath.Match's lazy validation"
    );
}

/// Skips visibly: a `SKIP` line on the real stderr (the harness captures
/// only the print macros). With `CI=true` a missing prerequisite fails
/// instead (tests/e2e/common.rs has the same rule for the host's tests).
fn skip(reason: &str) {
    use std::io::Write;
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("prerequisite missing under CI=true: {reason}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP matches_go_filepath_match_exactly: {reason}"
    );
}
