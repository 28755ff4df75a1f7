//! The package-manager advice over every real zerops.yml of the corpus,
//! against a list reviewed by hand (tests/corpus/advice-reviewed.txt): a new
//! finding or a lost one fails until the list is reviewed again.
//! `ZEROPS_CACHE_BLESS=1` rewrites the list for review.

use zerops_cache_policy::lint;

const CODES: &[&str] = &[
    "cache-deleted-by-build",
    "cache-in-base-layer",
    "tool-cache-uncached",
];

#[test]
fn corpus_advice_is_the_reviewed_list() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/zerops-yml"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 67, "the corpus has 67 files");
    let mut got = String::new();
    for f in &files {
        let src = std::fs::read(f).unwrap();
        for d in lint::lint_bytes(&src) {
            if CODES.contains(&d.code.as_str()) {
                got.push_str(&format!(
                    "{}:{}: {}: {}\n",
                    f.file_name().unwrap().to_string_lossy(),
                    d.span.unwrap().start.line,
                    d.code,
                    d.message
                ));
            }
        }
    }
    let path = format!("{root}/advice-reviewed.txt");
    if std::env::var_os("ZEROPS_CACHE_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "advice over the corpus changed; review it and bless"
    );
}
