//! The linter entry point: config text in, diagnostics out.

use crate::diag::{self, Diagnostic, Pos, Span};
use crate::yaml::{self, Limits};

/// Lints the text of a zerops.yaml. The result is sorted by position.
pub fn lint(src: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    match yaml::parse(src, Limits::default()) {
        Err(d) => out.push(d),
        Ok(doc) => {
            out.extend(doc.warnings);
            check_root(src, doc.root.as_ref(), &mut out);
        }
    }
    diag::sort(&mut out);
    out
}

/// Lints raw file bytes: text that is not UTF-8 gets one `invalid-utf8`
/// error at the first bad byte (line and column count the valid text before it).
pub fn lint_bytes(bytes: &[u8]) -> Vec<Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(src) => lint(src),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let at = yaml::end_of(valid);
            vec![
                Diagnostic::error(
                    "invalid-utf8",
                    Span::point(at),
                    format!(
                        "the file is not valid UTF-8 (bad byte 0x{:02x} at offset {})",
                        bytes[e.valid_up_to()],
                        e.valid_up_to()
                    ),
                )
                .with_help("save the file as UTF-8; YAML files must be Unicode text"),
            ]
        }
    }
}

fn check_root(src: &str, root: Option<&yaml::Node>, out: &mut Vec<Diagnostic>) {
    let whole = Span::new(Pos::START, yaml::end_of(src));
    let Some(root) = root.filter(|r| !r.is_null()) else {
        out.push(
            Diagnostic::error(
                "empty-file",
                whole,
                "the file is empty; Zerops needs a `zerops:` list of setups",
            )
            .with_help("start with `zerops:` followed by `- setup: <service hostname>`"),
        );
        return;
    };
    let Some(map) = root.as_map() else {
        out.push(
            Diagnostic::error(
                "root-not-map",
                root.span,
                format!(
                    "the top level is {}; it must be a map with the single key `zerops`",
                    root.type_name()
                ),
            )
            .with_help("start the file with `zerops:` followed by a list of setups"),
        );
        return;
    };
    match root.get("zerops") {
        None => out.push(
            Diagnostic::error(
                "root-missing-zerops",
                root.span,
                "the top-level key `zerops` is missing",
            )
            .with_help("put the setups under `zerops:` as a list: `zerops:\\n  - setup: app`"),
        ),
        Some(z) if z.as_seq().is_none() => out.push(
            Diagnostic::error(
                "zerops-not-list",
                z.span,
                format!("`zerops` is {}; it must be a list of setups", z.type_name()),
            )
            .with_help("write each setup as a list item: `- setup: app`"),
        ),
        Some(_) => {}
    }
    for (k, _) in map {
        if k.as_scalar().is_none_or(|s| s.text != "zerops") {
            let name = k.as_scalar().map(|s| s.text.as_str()).unwrap_or("?");
            out.push(
                Diagnostic::error(
                    "root-unknown-key",
                    k.span,
                    format!("unknown top-level key `{name}`; only `zerops` is allowed"),
                )
                .with_help("move this under a setup in the `zerops` list, or remove it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_file_has_no_errors() {
        let d = lint("zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n");
        assert!(
            d.iter().all(|d| d.severity != crate::Severity::Error),
            "{d:?}"
        );
    }

    #[test]
    fn syntax_error_line_and_column() {
        let d = lint("zerops:\n  - setup: app\n    build: a: b\n");
        assert_eq!(d[0].code, "yaml-syntax");
        assert_eq!(d[0].span.start.line, 3, "{:?}", d[0]);
    }

    #[test]
    fn invalid_utf8_position() {
        let d = lint_bytes(b"zerops:\n  - setup: a\xff\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "invalid-utf8");
        assert_eq!(d[0].span.start, Pos::new(2, 13));
    }

    #[test]
    fn wrong_root() {
        let d = lint("- a\n- b\n");
        assert_eq!(d[0].code, "root-not-map");
        assert_eq!(d[0].span.start, Pos::new(1, 1));
        let d = lint("app:\n  build: {}\n");
        assert!(d.iter().any(|d| d.code == "root-missing-zerops"));
    }
}
