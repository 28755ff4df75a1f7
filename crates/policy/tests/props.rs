//! Property tests: the linter never panics, on arbitrary text and on
//! randomly edited corpus files, and its output keeps its invariants.

use proptest::prelude::*;
use zerops_cache_policy::lint::{self, TreeFacts};
use zerops_cache_policy::{Diagnostic, Pos};

fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    v.sort();
    v.into_iter().map(|(_, s)| s).collect()
}

/// Sorted, known codes with their table severity, positions inside the text.
fn check_invariants(src: &str, d: &[Diagnostic]) {
    // YAML line breaks: `\n`, `\r\n` and a lone `\r`.
    let lines = src
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .count() as u32
        + 1;
    for w in d.windows(2) {
        assert!(w[0].start() <= w[1].start(), "not sorted: {d:#?}");
    }
    for x in d {
        let info = x.code.info();
        assert_eq!(info.severity, x.severity, "{}", x.code);
        let span = x.span.expect("a lint finding has a position");
        assert!(span.start >= Pos::START, "{x:?}");
        assert!(
            span.start.line <= lines && span.end.line <= lines,
            "{x:?} beyond {lines} lines"
        );
        assert!(!x.message.is_empty());
    }
}

/// Characters that make YAML interesting.
fn yamlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "zerops:",
        "\n",
        "  ",
        "- ",
        "setup: ",
        "build:",
        "cache:",
        "deployFiles:",
        "extends:",
        "run:",
        "base:",
        "&a ",
        "*a",
        "<<: ",
        "[",
        "]",
        "{",
        "}",
        ",",
        ": ",
        "\"",
        "'",
        "|",
        ">",
        "#",
        "~",
        "**",
        "../",
        "/",
        "true",
        "12",
        "---",
        "\t",
        "?",
        "!!str ",
        "é",
        "\u{feff}",
    ]);
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

fn facts() -> TreeFacts {
    TreeFacts {
        entries: vec![
            "node_modules".into(),
            "vendor".into(),
            "src".into(),
            "src/a".into(),
        ],
        depth: 2,
        tracked: Some(vec!["src/a".into(), "composer.lock".into()]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(src in any::<String>()) {
        let d = lint::lint(&src);
        check_invariants(&src, &d);
    }

    #[test]
    fn never_panics_on_yamlish_text(src in yamlish()) {
        let d = lint::lint_with_tree(&src, None, &facts());
        check_invariants(&src, &d);
        let _ = lint::select_setup(&src, Some("app"));
        let _ = lint::tree_depth(&src);
    }

    #[test]
    fn never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let d = lint::lint_bytes(&bytes);
        if let Ok(src) = std::str::from_utf8(&bytes) {
            check_invariants(src, &d);
        } else {
            prop_assert_eq!(d.len(), 1);
            prop_assert_eq!(d[0].code.as_str(), "invalid-utf8");
        }
    }

    #[test]
    fn never_panics_on_edited_corpus_files(
        file in 0usize..67,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, yamlish()), 1..6),
    ) {
        let files = corpus();
        let mut src = files[file % files.len()].clone();
        for (at, op, text) in edits {
            let mut i = at.index(src.len() + 1);
            while !src.is_char_boundary(i) { i -= 1; }
            match op {
                0 => src.insert_str(i, &text),
                1 => { let end = (i + text.len()).min(src.len()); let mut e = end; while !src.is_char_boundary(e) { e -= 1; } src.replace_range(i..e.max(i), ""); }
                2 => { let mut e = (i + 3).min(src.len()); while !src.is_char_boundary(e) { e -= 1; } src.replace_range(i..e.max(i), &text); }
                _ => src.insert(i, ' '),
            }
        }
        let d = lint::lint_with_tree(&src, None, &facts());
        check_invariants(&src, &d);
        let d = lint::lint_with_tree(&src, Some("app"), &facts());
        check_invariants(&src, &d);
    }
}

/// A record as a build writes it, for the reader properties below.
fn a_record() -> String {
    let src =
        "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cache: [node_modules]\n";
    zerops_cache_policy::record::after_build_json(src, None, None, "2026-11-25T10:00:00Z").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The record reader and the decision over any text: no panic (a
    /// panic is a trap in the component).
    #[test]
    fn record_reader_takes_any_text(text in any::<String>()) {
        let src = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n";
        let snap = zerops_cache_policy::api::current_of(src, None).unwrap();
        let _ = zerops_cache_policy::record::LayerRecord::from_json(&text);
        let _ = zerops_cache_policy::decide::decide_json(Some(&text), &snap);
    }

    /// Any string in any field of a real record: the decision reads it
    /// and its messages are well formed (multi-byte keys included).
    #[test]
    fn record_fields_take_any_string(
        field in prop::sample::select(vec!["keys.base", "keys.build", "setup", "keyVersion", "builtAt", "inputs.os"]),
        value in any::<String>(),
    ) {
        let mut v: serde_json::Value = serde_json::from_str(&a_record()).unwrap();
        let (a, b) = field.split_once('.').unwrap_or((field, ""));
        if b.is_empty() { v[a] = value.clone().into(); } else { v[a][b] = value.clone().into(); }
        let src = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cache: [node_modules]\n";
        let snap = zerops_cache_policy::api::current_of(src, None).unwrap();
        let d = zerops_cache_policy::decide::decide_json(Some(&v.to_string()), &snap);
        for r in d.base.reasons.iter().chain(&d.build.reasons) {
            prop_assert!(!r.message.is_empty());
        }
    }
}
