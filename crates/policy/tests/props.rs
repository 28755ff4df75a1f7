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
        assert!(w[0].span.start <= w[1].span.start, "not sorted: {d:#?}");
    }
    for x in d {
        let info = lint::codes::info(&x.code).unwrap_or_else(|| panic!("unknown code {}", x.code));
        assert_eq!(info.severity, x.severity, "{}", x.code);
        assert!(x.span.start >= Pos::START, "{x:?}");
        assert!(
            x.span.start.line <= lines && x.span.end.line <= lines,
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
