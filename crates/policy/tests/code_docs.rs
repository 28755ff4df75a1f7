//! The documentation of the codes (docs/codes/*.md, web/src/codes/*.html) is
//! generated from the code table and committed; this test regenerates it and
//! fails on any difference, stale file or missing page.
//! `UPDATE_CODE_DOCS=1 cargo test -p zerops-cache-policy --test code_docs`
//! rewrites the files. Every example on a page is linted and must report
//! its code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use zerops_cache_contract::lint::{CODES, docs, explain};
use zerops_cache_policy::lint;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_docs_are_up_to_date() {
    let update = std::env::var_os("UPDATE_CODE_DOCS").is_some();
    let files = docs::files();
    let mut stale = Vec::new();
    for (rel, want) in &files {
        let p = repo().join(rel);
        let have = std::fs::read_to_string(&p).unwrap_or_default();
        if have != *want {
            if update {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, want).unwrap();
            } else {
                stale.push(rel.clone());
            }
        }
    }
    // No page for a code that is gone.
    let known: BTreeSet<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    for (dir, ext) in [("docs/codes", "md"), ("web/src/codes", "html")] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            let rel = format!("{dir}/{name}");
            if name.ends_with(&format!(".{ext}")) && !known.contains(rel.as_str()) {
                if update {
                    std::fs::remove_file(repo().join(&rel)).unwrap();
                } else {
                    stale.push(rel);
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated code docs differ from the code table: {stale:?}\n\
         run `UPDATE_CODE_DOCS=1 cargo test -p zerops-cache-policy --test code_docs` and commit"
    );
}

#[test]
fn every_example_reports_its_code() {
    let mut with_example = 0;
    let mut wrong = Vec::new();
    for c in CODES {
        let Some(ex) = explain(c.id).example else {
            continue;
        };
        with_example += 1;
        let found = lint::lint(ex);
        if !found
            .iter()
            .any(|d| d.code == c.id && d.severity == c.severity)
        {
            wrong.push(format!(
                "the example of `{}` does not report it; it reports {:?}",
                c.code,
                found
                    .iter()
                    .map(|d| (d.code.as_str(), &d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        with_example >= 40,
        "only {with_example} codes have an example"
    );
}
