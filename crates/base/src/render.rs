//! Terminal rendering of diagnostics: rustc-style, with the source line and
//! a caret, through annotate-snippets.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use zerops_cache_contract::{Diagnostic, Pos, Severity};

/// Byte offset of a 1-based line/column (columns count characters) in `src`,
/// clamped to the text.
pub(crate) fn offset(src: &str, p: Pos) -> usize {
    let mut line = 1u32;
    let mut start = 0usize;
    if p.line > 1 {
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                line += 1;
                if line == p.line {
                    start = i + 1;
                    break;
                }
            }
        }
        if line < p.line {
            return src.len();
        }
    }
    let rest = &src[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let col = p.column.saturating_sub(1) as usize;
    let within = rest[..line_end]
        .char_indices()
        .nth(col)
        .map(|(i, _)| i)
        .unwrap_or(line_end);
    start + within
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Renders one file's diagnostics, each with its code and help; with the
/// source line and a caret when it has a position, and the file name only
/// when it has none. `color` selects ANSI styling.
pub fn render(path: &str, src: &str, diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let title = level(d.severity)
            .primary_title(d.message.as_str())
            .id(d.code.as_str());
        let shown = match &d.file {
            Some(f) => format!("{path} ({f})"),
            None => path.to_string(),
        };
        let first = match d.span {
            Some(span) => {
                let start = offset(src, span.start);
                let mut end = offset(src, span.end).max(start);
                // Keep the caret on the first line of multi-line spans.
                if let Some(nl) = src[start..end].find('\n') {
                    end = start + nl;
                }
                let snippet = Snippet::source(src)
                    .path(shown)
                    .annotation(AnnotationKind::Primary.span(start..end));
                title.element(snippet)
            }
            None => title.element(Origin::path(shown)),
        };
        let mut report = vec![first];
        if let Some(help) = &d.help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_with_a_position_is_a_snippet() {
        let d = Diagnostic::error(
            zerops_cache_contract::Code::SetupUnknown,
            zerops_cache_contract::Span::new(Pos::new(2, 12), Pos::new(2, 15)),
            "no setup named `web`",
        )
        .with_help("the setups are: app");
        let src = "zerops:\n  - setup: app\n";
        let e = anyhow::Error::new(crate::diagnostic::DiagnosticError::in_file(
            d.clone(),
            "zerops.yaml",
            src,
        ));
        let out = crate::exit::report(&e, false);
        assert!(
            out.contains("error[setup-unknown]: no setup named `web`"),
            "{out}"
        );
        assert!(out.contains("zerops.yaml:2:12"), "{out}");
        assert!(out.contains("  - setup: app"), "{out}");
        assert!(
            out.contains("help: the setups are: app (pass it with --setup NAME)"),
            "{out}"
        );
        let e = anyhow::Error::new(crate::diagnostic::DiagnosticError::new(d));
        let out = crate::exit::report(&e, false);
        assert_eq!(
            out,
            "error: no setup named `web` (setup-unknown)\nhelp: the setups are: app (pass it with --setup NAME)\n"
        );
    }

    #[test]
    fn offsets_count_characters() {
        let src = "ab\nçd\n";
        assert_eq!(offset(src, Pos::new(1, 1)), 0);
        assert_eq!(offset(src, Pos::new(2, 2)), 5);
        assert_eq!(offset(src, Pos::new(3, 1)), src.len());
        assert_eq!(offset(src, Pos::new(9, 1)), src.len());
    }
}

/// A count and its noun, singular for exactly one: `count(1, "pack",
/// "packs")` is "1 pack", `count(3, "pack", "packs")` "3 packs".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(super::count(1, "pack", "packs"), "1 pack");
        assert_eq!(super::count(0, "pack", "packs"), "0 packs");
        assert_eq!(super::count(2, "entry", "entries"), "2 entries");
    }
}
