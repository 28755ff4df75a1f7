//! What the JSON outputs of several commands share (`lint`, `keys`,
//! `explain`): one place, so no command borrows from another.

use serde::Serialize;
use zerops_cache_contract::Diagnostic;

/// One diagnostic in `--format json`.
#[derive(Debug, Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    pub(crate) severity: &'static str,
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
    /// Null when the finding has no position.
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
    pub(crate) end_line: Option<u32>,
    pub(crate) end_column: Option<u32>,
    pub(crate) help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            severity: d.severity.as_str(),
            code: d.code.as_str(),
            message: &d.message,
            line: d.span.map(|s| s.start.line),
            column: d.span.map(|s| s.start.column),
            end_line: d.span.map(|s| s.end.line),
            end_column: d.span.map(|s| s.end.column),
            help: d.help.as_deref(),
        }
    }
}
