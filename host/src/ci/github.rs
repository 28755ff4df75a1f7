//! `lint --format github`: GitHub Actions workflow commands, one
//! `::error`/`::warning`/`::notice` line per finding, which GitHub shows as
//! annotations on the file and line of the pull request.

use super::{FileReport, ci_path, message_with_help};
use zerops_cache_contract::Severity;

/// Escapes a command's message, as `@actions/core` does.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=`, `title=`): the message
/// escapes plus `:` and `,`, which delimit properties.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// The workflow commands for all files, one per line.
pub(crate) fn render(files: &[FileReport<'_>]) -> String {
    let mut out = String::new();
    for f in files {
        let file = escape_property(&ci_path(f.path));
        if let Some(e) = f.error {
            out.push_str(&format!(
                "::error file={file},title=zerops-cache::{}\n",
                escape_data(&format!("not linted: {e}"))
            ));
        }
        for d in f.diags {
            out.push_str(&format!(
                "::{} file={file},line={},col={},endLine={},endColumn={},title={}::{}\n",
                command(d.severity),
                d.span_or_start().start.line,
                d.span_or_start().start.column,
                d.span_or_start().end.line,
                d.span_or_start().end.column,
                escape_property(d.code.as_str()),
                escape_data(&message_with_help(d)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::fixture;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn snapshot() {
        let diags = fixture::diags();
        let out = render(&[
            FileReport {
                path: "./api/zerops.yaml",
                diags: &diags,
                error: None,
            },
            FileReport {
                path: "web,1/zerops.yml",
                diags: &[],
                error: Some("reading web,1/zerops.yml: No such file or directory (os error 2)"),
            },
        ]);
        insta::assert_snapshot!(out);
    }
}
