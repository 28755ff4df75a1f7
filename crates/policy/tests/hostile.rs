//! Hostile inputs get one clear error, quickly, with bounded memory.
//!
//! Time bounds are loose on purpose (debug build, shared CI cores); the
//! measured figures are printed with `--nocapture`. Memory is bounded by
//! construction: the size limit is checked before parsing, and aliases are
//! charged for every node and byte they copy.

use std::time::{Duration, Instant};
use zerops_cache_policy::lint::{self, lint, lint_bytes};
use zerops_cache_policy::{Diagnostic, Pos, Severity};

/// Generous: a debug build on a loaded 2-core machine. Through the component
/// (optimized) every limit case below takes under 0.15 s.
const BOUND: Duration = Duration::from_secs(3);
/// For the big-but-legal inputs (tens of thousands of keys or setups).
const THROUGHPUT_BOUND: Duration = Duration::from_secs(15);

fn timed(name: &str, f: impl FnOnce() -> Vec<Diagnostic>) -> Vec<Diagnostic> {
    timed_within(name, BOUND, f)
}

fn timed_within(
    name: &str,
    bound: Duration,
    f: impl FnOnce() -> Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let t = Instant::now();
    let d = f();
    let took = t.elapsed();
    let mut codes = std::collections::BTreeMap::new();
    for x in &d {
        *codes.entry(x.code.as_str()).or_insert(0) += 1;
    }
    eprintln!(
        "{name}: {took:?} -> {codes:?} {:?}",
        d.first().map(|d| &d.message)
    );
    assert!(took < bound, "{name} took {took:?}");
    d
}

fn only_error(d: &[Diagnostic], code: &str) {
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, code, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Error);
    assert!(d[0].help.is_some(), "a clear error says what to do: {d:#?}");
}

#[test]
fn billion_laughs() {
    let mut src = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (p, n) = (w[0], w[1]);
        src.push_str(&format!(
            "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    let d = timed("billion laughs", || lint(&src));
    only_error(&d, "yaml-too-large");
    assert!(
        d[0].span.unwrap().start.line > 1,
        "points at the alias that crossed the limit"
    );
}

#[test]
fn merge_key_bomb() {
    let mut src = String::from("a0: &a0 {k0: 1, k1: 2, k2: 3, k3: 4}\n");
    for i in 1..40 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} {{<<: [*a{p}, *a{p}], x{i}: [*a{p}, *a{p}, *a{p}]}}\n"
        ));
    }
    let d = timed("merge bomb", || lint(&src));
    only_error(&d, "yaml-too-large");
}

#[test]
fn long_string_aliased_many_times() {
    // Few nodes, many bytes: 1 MB aliased 2,000 times would be 2 GB.
    let mut src = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
    src.push_str(&"*a, ".repeat(2000));
    src.push_str("*a]\n");
    let d = timed("aliased long string", || lint(&src));
    only_error(&d, "yaml-too-large");
}

#[test]
fn fifty_megabytes_is_refused_before_parsing() {
    let big = "a".repeat(50 << 20);
    let d = timed("50 MB str", || lint(&big));
    only_error(&d, "input-too-large");
    assert_eq!(d[0].span.unwrap().start, Pos::START);
    let mut bytes = big.into_bytes();
    bytes[10] = 0xff; // not even UTF-8: the size is checked first
    let d = timed("50 MB bytes", || lint_bytes(&bytes));
    only_error(&d, "input-too-large");
}

#[test]
fn ten_thousand_deep() {
    let n = 10_000;
    let cases = [
        ("flow lists", format!("{}{}", "[".repeat(n), "]".repeat(n))),
        (
            "flow maps",
            format!("{}1{}", "{a: ".repeat(n), "}".repeat(n)),
        ),
        ("block lists", format!("{}x\n", "- ".repeat(n))),
        ("unclosed", "[".repeat(n)),
        (
            "block maps",
            (0..2000)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
        ),
    ];
    for (name, src) in cases {
        let d = timed(name, || lint(&src));
        only_error(&d, "yaml-too-deep");
    }
}

#[test]
fn wide_maps_and_many_setups_stay_fast() {
    // 90,000 keys in one map: building the map is O(n log n).
    let src: String = (0..90_000).map(|i| format!("k{i}: {i}\n")).collect();
    let d = timed_within("90k keys", THROUGHPUT_BOUND, || lint(&src));
    assert!(d.iter().any(|d| d.code == "root-missing-zerops"));
    assert!(d.len() <= lint::MAX_DIAGNOSTICS + 1, "{}", d.len());
    assert_eq!(d.last().unwrap().code, "diagnostics-truncated");
    // 60,000 setups with an unknown key each and unknown parents.
    let mut src = String::from("zerops:\n");
    for i in 0..20_000 {
        src.push_str(&format!(
            "  - setup: s{i}\n    extends: nope{i}\n    x: 1\n"
        ));
    }
    let d = timed_within("20k setups", THROUGHPUT_BOUND, || lint(&src));
    assert_eq!(d.len(), lint::MAX_DIAGNOSTICS + 1);
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let cases: [(&[u8], Pos); 4] = [
        (b"zerops:\n  - setup: a\xff\n", Pos::new(2, 13)),
        (b"\xfe", Pos::new(1, 1)),
        (
            "zerops:\n  - setup: \u{e9}t\u{e9}".as_bytes(),
            Pos::new(0, 0),
        ), // valid: no error
        (b"zerops: # caf\xc3", Pos::new(1, 14)), // truncated sequence
    ];
    for (bytes, at) in cases {
        let d = timed("invalid utf-8", || lint_bytes(bytes));
        if at == Pos::new(0, 0) {
            assert!(d.iter().all(|d| d.code != "invalid-utf8"), "{d:#?}");
            continue;
        }
        only_error(&d, "invalid-utf8");
        assert_eq!(d[0].span.unwrap().start, at, "{d:#?}");
    }
    // Columns count characters, not bytes: é is one column.
    let d = lint_bytes(
        "zerops: \u{e9}\u{e9}\u{ff}\n"
            .as_bytes()
            .iter()
            .copied()
            .chain([0x80])
            .collect::<Vec<_>>()
            .as_slice(),
    );
    assert_eq!(d[0].span.unwrap().start, Pos::new(2, 1));
    let d = lint_bytes(b"a: \xc3\xa9\xc3\xa9\xff");
    assert_eq!(d[0].span.unwrap().start, Pos::new(1, 6));
}

#[test]
fn empty_and_blank_files() {
    for src in [
        "",
        "\n",
        "   \n\n",
        "# only a comment\n",
        "---\n",
        "~\n",
        "null",
    ] {
        let d = timed("empty", || lint(src));
        only_error(&d, "empty-file");
    }
    only_error(&lint_bytes(b""), "empty-file");
}

#[test]
fn odd_but_valid_text() {
    // A BOM, CRLF line endings, and tabs inside values are fine.
    let src = "\u{feff}zerops:\r\n  - setup: app\r\n    build:\r\n      deployFiles: ./\r\n      cache: [node_modules, \"**\"]\r\n";
    let d = lint(src);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, "cache-double-star");
    assert_eq!(
        (
            d[0].span.unwrap().start.line,
            d[0].span.unwrap().start.column
        ),
        (5, 30)
    );
    // Control characters and NUL are YAML errors, not panics.
    for src in ["zerops:\0\n", "a: \u{7}\n", "\t- x\n"] {
        let d = lint(src);
        assert!(
            d.iter().any(|d| d.severity == Severity::Error),
            "{src:?}: {d:#?}"
        );
    }
}
