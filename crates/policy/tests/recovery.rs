//! One YAML syntax error does not hide the other findings: in every corpus
//! file, a half-typed key (no colon yet) inserted above each key line gives
//! a syntax error, and every finding of the file outside that line is still
//! reported, at its (shifted) place.

use zerops_cache_policy::lint;

fn corpus() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(f).unwrap())
        })
        .collect()
}

/// (code, line) of every finding, lines after `inserted` moved up by one.
fn findings(src: &str, inserted: Option<usize>) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = lint::lint(src)
        .into_iter()
        .filter(|d| d.code != "yaml-syntax")
        .map(|d| {
            let line = d.span.map_or(0, |s| s.start.line);
            let line = match inserted {
                Some(i) if line as usize > i => line - 1,
                _ => line,
            };
            (d.code.to_string(), line)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_half_typed_key_hides_nothing_else() {
    let (mut tried, mut kept, mut before_total) = (0, 0, 0);
    for (name, src) in corpus() {
        let before = findings(&src, None);
        let lines: Vec<&str> = src.split('\n').collect();
        // The first plain `key: value` line of a build or run section.
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            if indent < 6 || t.starts_with(['-', '#']) || !t.contains(": ") {
                continue;
            }
            let mut typed = lines.clone();
            let half = format!("{}cach", " ".repeat(indent));
            typed.insert(i, &half);
            let typed = typed.join("\n");
            let all = lint::lint(&typed);
            if !all.iter().any(|d| d.code == "yaml-syntax") {
                continue; // e.g. inside a block scalar: still valid YAML
            }
            let syntax = all.iter().find(|d| d.code == "yaml-syntax").unwrap();
            assert!(
                syntax.span.is_some_and(|s| s.start.line as usize <= i + 2),
                "{name}: the syntax error is near the half-typed key (line {}): {syntax:?}",
                i + 1
            );
            let after = findings(&typed, Some(i + 1));
            for f in &before {
                assert!(
                    after.contains(f),
                    "{name}: half-typed key on line {} hid {f:?}\nbefore: {before:?}\nafter: {after:?}",
                    i + 1
                );
            }
            tried += 1;
            kept += after.len();
            before_total += before.len();
            break;
        }
    }
    assert!(tried >= 50, "only {tried} files were tried");
    eprintln!("{tried} files: {before_total} findings before, {kept} with a half-typed key");
}
