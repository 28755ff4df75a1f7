use super::*;
use proptest::prelude::*;

const BAD: Option<bool> = None;

/// Go's own table from `src/path/filepath/match_test.go` (Go 1.19, same in
/// later releases), then cases we checked against real Go where `filepath`
/// behaves in ways a reimplementation easily gets wrong.
const CASES: &[(&str, &str, Option<bool>)] = &[
    ("abc", "abc", Some(true)),
    ("*", "abc", Some(true)),
    ("*c", "abc", Some(true)),
    ("a*", "a", Some(true)),
    ("a*", "abc", Some(true)),
    ("a*", "ab/c", Some(false)),
    ("a*/b", "abc/b", Some(true)),
    ("a*/b", "a/c/b", Some(false)),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true)),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Some(true)),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Some(false)),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Some(false)),
    ("a*b?c*x", "abxbbxdbxebxczzx", Some(true)),
    ("a*b?c*x", "abxbbxdbxebxczzy", Some(false)),
    ("ab[c]", "abc", Some(true)),
    ("ab[b-d]", "abc", Some(true)),
    ("ab[e-g]", "abc", Some(false)),
    ("ab[^c]", "abc", Some(false)),
    ("ab[^b-d]", "abc", Some(false)),
    ("ab[^e-g]", "abc", Some(true)),
    ("a\\*b", "a*b", Some(true)),
    ("a\\*b", "ab", Some(false)),
    ("a?b", "a☺b", Some(true)),
    ("a[^a]b", "a☺b", Some(true)),
    ("a???b", "a☺b", Some(false)),
    ("a[^a][^a][^a]b", "a☺b", Some(false)),
    ("[a-ζ]*", "α", Some(true)),
    ("*[a-ζ]", "A", Some(false)),
    ("a?b", "a/b", Some(false)),
    ("a*b", "a/b", Some(false)),
    ("[\\]a]", "]", Some(true)),
    ("[\\-]", "-", Some(true)),
    ("[x\\-]", "x", Some(true)),
    ("[x\\-]", "-", Some(true)),
    ("[x\\-]", "z", Some(false)),
    ("[\\-x]", "x", Some(true)),
    ("[\\-x]", "-", Some(true)),
    ("[\\-x]", "a", Some(false)),
    ("[]a]", "]", BAD),
    ("[-]", "-", BAD),
    ("[x-]", "x", BAD),
    ("[x-]", "-", BAD),
    ("[x-]", "z", BAD),
    ("[-x]", "x", BAD),
    ("[-x]", "-", BAD),
    ("[-x]", "a", BAD),
    ("\\", "a", BAD),
    ("[a-b-c]", "a", BAD),
    ("[", "a", BAD),
    ("[^", "a", BAD),
    ("[^bc", "a", BAD),
    ("a[", "a", BAD),
    ("a[", "ab", BAD),
    ("a[", "x", BAD),
    ("a/b[", "x", BAD),
    ("*x", "xxx", Some(true)),
    // --- checked against go1.19.8 filepath.Match ---
    // filepath.Match does not validate chunks after a failed one ...
    ("a*[", "b", Some(false)),
    // ... but does when it gets there.
    ("a*[", "a", BAD),
    ("a*b[", "ab", BAD),
    // Go's chunk algorithm is not regex semantics: the first chunk commits.
    ("*[a/]*b", "a/b", Some(false)),
    // classes may match `/`; `\/` is a literal slash
    ("a[^x]b", "a/b", Some(true)),
    ("a[/]b", "a/b", Some(true)),
    ("a\\/b", "a/b", Some(true)),
    // the star loop restarts inside a multi-byte rune
    ("*[\u{FFFD}]", "é", Some(true)),
    ("*?", "é", Some(true)),
    ("[é]", "é", Some(true)),
    ("?", "é", Some(true)),
    ("??", "é", Some(false)),
    // empty pattern and empty name
    ("", "", Some(true)),
    ("", "a", Some(false)),
    ("*", "", Some(true)),
    ("?", "", Some(false)),
    ("[a]", "", Some(false)),
    // `**` is just two stars
    ("**", "a/b", Some(false)),
    ("**/x", "a/x", Some(true)),
    ("**/x", "a/b/x", Some(false)),
    ("a/**", "a/b", Some(true)),
    // trailing backslash, escapes in classes, ranges with escapes
    ("a\\", "a", BAD),
    ("a\\", "b", BAD), // same chunk: matchChunk keeps scanning
    ("[\\", "a", BAD),
    ("[\\]]", "]", Some(true)),
    ("[\\\\]", "\\", Some(true)),
    ("[\\a-\\c]", "b", Some(true)),
    ("[a-\\]]", "]", Some(false)),
    ("[z-a]", "m", Some(false)),
    ("[^]", "a", BAD),
    ("[]", "a", BAD),
    ("[]]", "]", BAD),
    ("[a-]", "a", BAD),
    ("[a--]", "a", BAD),
    ("[*]", "*", Some(true)),
    ("[*", "*", BAD),
    ("\\*", "*", Some(true)),
    ("\\[", "[", Some(true)),
    ("x[a]*[", "y", Some(false)),
    ("x[", "y", BAD),
];

#[test]
fn go_table() {
    for &(p, name, want) in CASES {
        let got = is_match(p, name);
        match want {
            Some(m) => assert_eq!(got, Ok(m), "is_match({p:?}, {name:?})"),
            None => assert!(
                got.is_err(),
                "is_match({p:?}, {name:?}) = {got:?}, want error"
            ),
        }
        // The compiled matcher agrees whenever the whole pattern is valid.
        if let Ok(pat) = Pattern::new(p) {
            assert_eq!(
                Ok(pat.matches(name)),
                got,
                "Pattern({p:?}).matches({name:?})"
            );
        }
    }
}

#[test]
fn whole_pattern_validation() {
    assert!(validate("a*[").is_err());
    assert!(validate("x[a]*[").is_err());
    assert!(validate("").is_ok());
    assert!(validate("**").is_ok());
    assert!(validate("[\\]a]").is_ok());
}

#[test]
fn errors_explain_themselves() {
    let e = |p: &str| validate(p).unwrap_err();
    assert_eq!(e("a[bc"), BadPattern::new(BadPatternKind::UnclosedClass, 1));
    assert_eq!(
        e("ab\\"),
        BadPattern::new(BadPatternKind::TrailingBackslash, 2)
    );
    assert_eq!(e("x/[]a]"), BadPattern::new(BadPatternKind::EmptyClass, 2));
    assert_eq!(e("[^]"), BadPattern::new(BadPatternKind::EmptyClass, 0));
    assert_eq!(e("[-a]"), BadPattern::new(BadPatternKind::MisplacedDash, 1));
    assert_eq!(
        e("[a-b-c]"),
        BadPattern::new(BadPatternKind::MisplacedDash, 4)
    );
    assert_eq!(
        e("[a-]"),
        BadPattern::new(BadPatternKind::RangeWithoutEnd, 2)
    );
    assert_eq!(
        e("*.js*["),
        BadPattern::new(BadPatternKind::UnclosedClass, 5)
    );
    assert_eq!(
        e("[\\"),
        BadPattern::new(BadPatternKind::TrailingBackslash, 1)
    );
    let err = e("é[");
    assert_eq!(err.to_string(), "syntax error in pattern");
    assert_eq!(err.column("é["), 2);
    assert_eq!(
        err.explain("é["),
        "syntax error in pattern `é[` at column 2: this `[` is never closed by `]`"
    );
    // is_match's error carries the same detail
    assert_eq!(
        is_match("a[bc", "a"),
        Err(BadPattern::new(BadPatternKind::UnclosedClass, 1))
    );
}

#[test]
fn mismatches_explain_themselves() {
    let why = explain_mismatch("*.txt", "subdir/file1.txt").unwrap();
    assert_eq!(
        why,
        "`*.txt` has 1 component and `subdir/file1.txt` has 2 components: `*` and `?` never \
         match `/`, so a pattern only matches paths with as many components"
    );
    assert!(
        explain_mismatch("**/x", "a/b/x")
            .unwrap()
            .contains("`**` is not recursive")
    );
    assert_eq!(
        explain_mismatch("frontend/node_modules", "frontend/node_module").unwrap(),
        "component 2 of the pattern, `node_modules`, does not match `node_module`"
    );
    assert_eq!(explain_mismatch("*.txt", "a.txt"), None);
    assert_eq!(explain_mismatch("a[", "b"), None);
}

#[test]
fn pattern_facts() {
    let p = |s: &str| Pattern::new(s).unwrap();
    assert!(p("node_modules").is_literal());
    assert!(p("a\\*b").is_literal());
    assert!(!p("a*b").is_literal());
    assert!(p("a\\*b").matches("a*b"));
    assert_eq!(p("node_modules").max_slashes(), 0);
    assert_eq!(p(".next/cache").max_slashes(), 1);
    assert_eq!(p("a[^x]b/c").max_slashes(), 2);
    assert!(p("a[^x]b").class_matches_slash());
    assert!(p("[!-~]").class_matches_slash());
    assert!(!p("[^/]").class_matches_slash());
    assert!(!p("[a-z]*").class_matches_slash());
}

/// Characters that exercise every branch: meta characters, escapes, `/`,
/// multi-byte runes and U+FFFD.
fn pattern_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        'a', 'b', '/', '*', '?', '[', ']', '^', '-', '\\', '.', 'é', '☺', '\u{FFFD}', '𝄞',
    ])
}

fn small_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(pattern_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, .. ProptestConfig::default() })]

    /// Never panics, and the compiled matcher equals the port on every
    /// valid pattern; on invalid ones the port's error is the validator's.
    #[test]
    fn port_and_compiled_agree(p in small_string(10), name in small_string(8)) {
        let port = is_match(&p, &name);
        match Pattern::new(&p) {
            Ok(pat) => prop_assert_eq!(Ok(pat.matches(&name)), port),
            Err(e) => {
                if let Err(pe) = port { prop_assert_eq!(pe, e) }
            }
        }
    }

    /// Arbitrary unicode never panics either.
    #[test]
    fn never_panics(p in ".{0,12}", name in ".{0,12}") {
        let _ = is_match(&p, &name);
        let _ = validate(&p);
        let _ = normalize(&p);
        let _ = shape(&p);
        if let Ok(pat) = Pattern::new(&p) { let _ = pat.matches(&name); }
    }

    /// A pattern with no wildcard matches exactly its own literal value.
    #[test]
    fn literal_patterns_match_themselves(s in "[a-z./_-]{0,12}") {
        if let Ok(p) = Pattern::new(&s) {
            prop_assert!(p.matches(&s));
        }
    }
}
