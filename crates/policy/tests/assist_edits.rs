//! Edits offered by the editor help are safe by construction, over every
//! real zerops.yml of the corpus and over mutants of them (the key of
//! every other line with a typo, one at a time): every quick fix, applied, leaves a file that
//! parses, has no more duplicate keys than before, and has fewer findings
//! of the fixed code; every completion, accepted, leaves a file that parses
//! (when it parsed) with no new duplicate key.

use zerops_cache_policy::assist::{self, TextEdit};
use zerops_cache_policy::lint;
use zerops_cache_policy::yaml::{self, Limits};
use zerops_cache_policy::{Diagnostic, Pos};

fn corpus() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 60, "the corpus is there");
    files
        .iter()
        .map(|f| {
            (
                f.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(f).unwrap(),
            )
        })
        .collect()
}

/// `src` with the key of line `i` misspelt (its 2nd and 3rd letters
/// swapped), when that line has a key of four letters or more.
fn typo_at(src: &str, i: usize) -> Option<String> {
    let lines: Vec<&str> = src.split('\n').collect();
    let line = lines[i];
    let body = line.trim_start().trim_start_matches("- ");
    let key = body.split_once(':')?.0;
    if key.len() < 4 || !key.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let b = key.as_bytes();
    if b[1] == b[2] {
        return None;
    }
    let typo = format!("{}{}{}{}", &key[..1], b[2] as char, b[1] as char, &key[3..]);
    let at = line.find(key)?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[i] = format!("{}{}{}", &line[..at], typo, &line[at + key.len()..]);
    Some(out.join("\n"))
}

fn count(diags: &[Diagnostic], code: &str) -> usize {
    diags.iter().filter(|d| d.code == code).count()
}

fn parses(src: &str) -> bool {
    yaml::parse(src, Limits::default()).is_ok()
}

fn check_fixes(name: &str, src: &str) -> usize {
    let before = lint::lint(src);
    let dups = count(&before, "yaml-duplicate-key");
    let mut n = 0;
    for f in assist::fixes(src) {
        n += 1;
        let out = assist::apply(src, &f.edits);
        let after = lint::lint(&out);
        let ctx = || {
            format!(
                "{name}: fix {:?}\n--- before\n{src}\n--- after\n{out}",
                f.title
            )
        };
        assert!(parses(&out), "does not parse: {}", ctx());
        assert!(
            count(&after, "yaml-duplicate-key") <= dups,
            "a new duplicate key: {}",
            ctx()
        );
        assert!(
            count(&after, f.code.as_str()) < count(&before, f.code.as_str()),
            "the finding is still there: {}",
            ctx()
        );
    }
    n
}

/// Accepts every completion on each written line: inside its first token,
/// in its middle, at its end, and inside its value.
fn check_completions(name: &str, src: &str) -> usize {
    let parsed = parses(src);
    let dups = count(&lint::lint(src), "yaml-duplicate-key");
    let mut n = 0;
    for (i, line) in src.split('\n').enumerate() {
        // A blank line takes any key at its indentation, which may
        // legitimately restructure what follows: tokens only.
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let chars = line.chars().count() as u32;
        let indent = line.len() - line.trim_start().len();
        let value = line.find(": ").map(|c| line[..c + 2].chars().count());
        let mut cols: Vec<u32> = vec![indent as u32 + 2, chars / 2 + 1, chars + 1];
        if let Some(v) = value {
            cols.push(v as u32 + 2);
        }
        for col in cols.into_iter().filter(|c| *c <= chars + 1) {
            let at = Pos::new(i as u32 + 1, col.max(1));
            for c in assist::complete(src, at) {
                n += 1;
                let edit = TextEdit {
                    span: c.replace,
                    new_text: c.insert_text.clone(),
                };
                let out = assist::apply(src, &[edit]);
                let ctx = || {
                    format!(
                        "{name}: completion {:?} at {}:{}\n--- after\n{out}",
                        c.label, at.line, at.column
                    )
                };
                if parsed {
                    assert!(parses(&out), "does not parse: {}", ctx());
                }
                assert!(
                    count(&lint::lint(&out), "yaml-duplicate-key") <= dups,
                    "a new duplicate key: {}",
                    ctx()
                );
            }
        }
    }
    n
}

#[test]
fn every_fix_on_the_corpus_and_its_mutants_is_safe() {
    let mut fixes = 0;
    for (name, src) in corpus() {
        fixes += check_fixes(&name, &src);
        // Every other line keeps the test quick in debug builds; the
        // typos still reach every section of every file.
        for i in (0..src.split('\n').count()).step_by(2) {
            if let Some(m) = typo_at(&src, i) {
                fixes += check_fixes(&format!("{name} (typo on line {})", i + 1), &m);
            }
        }
    }
    assert!(fixes > 500, "only {fixes} fixes were tried");
}

#[test]
fn every_completion_on_the_corpus_is_safe() {
    let mut accepted = 0;
    for (name, src) in corpus() {
        accepted += check_completions(&name, &src);
    }
    assert!(accepted > 1000, "only {accepted} completions were tried");
}
