//! Terminal rendering of diagnostics: rustc-style, with the source line and
//! a caret, through annotate-snippets.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use zerops_cache_contract::{Code, Diagnostic, Pos, Severity};

/// Byte offset of a 1-based line/column (columns count characters) in `src`,
/// clamped to the text.
pub fn offset(src: &str, p: Pos) -> usize {
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

/// A diagnostic of the component as an error of a command: it keeps the
/// code, help, span and file to the renderer instead of flattening them
/// into a message. Displayed as
/// `PATH[:LINE:COL]: MESSAGE [CODE]`, then `help: …` on its own line.
#[derive(Debug, thiserror::Error)]
pub struct DiagnosticError {
    /// The file the diagnostic is about, as shown to the user.
    pub path: String,
    pub diagnostic: Diagnostic,
}

impl std::fmt::Display for DiagnosticError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.diagnostic;
        f.write_str(&self.path)?;
        if let Some(file) = &d.file {
            write!(f, " ({file})")?;
        }
        if let Some(p) = d.start() {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        write!(f, ": {} [{}]", d.message, d.code)?;
        if let Some(h) = &d.help {
            write!(f, "\nhelp: {h}")?;
        }
        Ok(())
    }
}

/// [`DiagnosticError`] for `d` about the file at `path`, as an error.
pub fn error(path: impl std::fmt::Display, d: Diagnostic) -> anyhow::Error {
    DiagnosticError {
        path: path.to_string(),
        diagnostic: with_cli_help(d),
    }
    .into()
}

/// The policy's help names no host's flags; this host adds its own where
/// one answers the finding (`--setup` for a setup that cannot be chosen).
pub fn with_cli_help(mut d: Diagnostic) -> Diagnostic {
    if matches!(d.code, Code::SetupAmbiguous | Code::SetupUnknown) {
        d.help = Some(match d.help.take() {
            Some(h) => format!("{h} (pass it with --setup NAME)"),
            None => "pass the setup with --setup NAME".to_string(),
        });
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters() {
        let src = "ab\nçd\n";
        assert_eq!(offset(src, Pos::new(1, 1)), 0);
        assert_eq!(offset(src, Pos::new(2, 2)), 5);
        assert_eq!(offset(src, Pos::new(3, 1)), src.len());
        assert_eq!(offset(src, Pos::new(9, 1)), src.len());
    }
}
