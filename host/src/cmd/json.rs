//! What the JSON outputs of several commands share (`lint`, `keys`,
//! `explain`): one place, so no command borrows from another.

use serde::Serialize;
use zerops_cache_policy::Diagnostic;

/// One diagnostic in `--format json`.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: &'static str,
    pub code: &'a str,
    pub message: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            severity: d.severity.as_str(),
            code: &d.code,
            message: &d.message,
            line: d.span.start.line,
            column: d.span.start.column,
            end_line: d.span.end.line,
            end_column: d.span.end.column,
            help: d.help.as_deref(),
        }
    }
}
