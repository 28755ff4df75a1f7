//! Messages users read where the wording was wrong: checked whole, so a
//! change of wording is a reviewed change. Messages carry no line numbers
//! (CI fingerprints hash them, and must not change when lines move).

use zerops_cache_policy::lint;

fn messages(src: &str, code: &str) -> Vec<String> {
    lint::lint(src)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| format!("{}\nhelp: {}", d.message, d.help.unwrap_or_default()))
        .collect()
}

const HEAD: &str =
    "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: ./\n";

#[test]
fn a_lone_double_star_is_named_once() {
    let m = messages(
        &format!("{HEAD}      cache: [\"**\"]\n"),
        "cache-double-star",
    );
    assert_eq!(
        m,
        [
            "`**` is not a recursive wildcard: Go's filepath.Match has none, `**` acts as `*`, and `*` \
          never crosses `/`\nhelp: name each directory, e.g. `node_modules` and \
          `frontend/node_modules`; a matched directory is kept whole, with everything below it"
        ]
    );
    let m = messages(&format!("{HEAD}      cache: [a/**]\n"), "cache-double-star");
    assert!(m[0].starts_with("`**` in `a/**` is not"), "{m:?}");
}

#[test]
fn a_big_file_without_aliases_is_no_alias_bomb() {
    // Over the node limit (200,000) with plain list items, under 4 MB.
    let mut src = String::from(HEAD);
    src.push_str("      buildCommands:\n");
    while src.len() < 3_000_000 {
        src.push_str("        - x\n");
    }
    let d = lint::lint(&src);
    let help = d[0].help.clone().unwrap_or_default();
    assert_eq!(d[0].code, "yaml-too-large", "{d:#?}");
    assert!(!help.contains("alias"), "{help}");
    assert_eq!(
        help,
        "a zerops.yaml is a few hundred nodes; check that this is the right file"
    );
    // With aliases it still says so.
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    let d = lint::lint(bomb);
    assert!(
        d[0].help.as_deref().unwrap().contains("alias bomb"),
        "{d:#?}"
    );
}

#[test]
fn messages_name_no_line_numbers() {
    let src =
        format!("{HEAD}      buildCommands:\n        - npm ci\n      cache: [node_modules]\n");
    let m = messages(&src, "cache-deleted-by-build");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].starts_with(
        "`node_modules` is restored from the cache before buildCommands run, then `npm ci` deletes \
         it and installs it again before anything uses it"
    ), "{m:?}");
    assert!(!m[0].contains("line"), "{m:?}");
}

/// CI fingerprints hash the path, code and message: adding lines above a
/// finding must not change its message. Checked on every corpus file and on
/// a file with a duplicate setup, with three lines inserted at the top.
#[test]
fn messages_do_not_move_with_lines() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
    let mut texts: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    texts.push(format!(
        "{HEAD}  - setup: app\n    build:\n      deployFiles: ./\n"
    ));
    let mut checked = 0;
    for src in texts {
        let key = |s: &str| {
            let mut m: Vec<(String, String)> = lint::lint(s)
                .into_iter()
                .map(|d| (d.code.to_string(), d.message))
                .collect();
            m.sort();
            m
        };
        let before = key(&src);
        checked += before.len();
        assert_eq!(before, key(&format!("# a\n# b\n\n{src}")), "{src}");
    }
    assert!(checked > 50, "only {checked} findings compared");
}
