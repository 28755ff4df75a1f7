//! A policy diagnostic as a real error: it keeps its code, help and span
//! (and the file it is about) all the way to the renderer, instead of being
//! flattened into its message. Its exit class is [`Exit::Config`]: the
//! policy only refuses what the config says.
//!
//! [`Exit::Config`]: crate::exit::Exit::Config

use std::fmt;
use std::sync::Arc;
use zerops_cache_policy::Diagnostic;

/// A diagnostic that ended a command.
#[derive(Debug, Clone)]
pub struct DiagnosticError {
    pub diagnostic: Diagnostic,
    /// The file it is about, as shown to the user.
    pub path: Option<String>,
    /// That file's text, for the snippet.
    pub source: Option<Arc<str>>,
}

impl DiagnosticError {
    /// A diagnostic about no particular file (e.g. about the store's record).
    pub fn new(diagnostic: Diagnostic) -> DiagnosticError {
        DiagnosticError {
            diagnostic,
            path: None,
            source: None,
        }
    }

    /// A diagnostic about the file `path` whose text is `source`.
    pub fn in_file(
        diagnostic: Diagnostic,
        path: impl Into<String>,
        source: &str,
    ) -> DiagnosticError {
        DiagnosticError {
            diagnostic,
            path: Some(path.into()),
            source: Some(source.into()),
        }
    }

    /// Where it points: line and column, when the policy gave a position
    /// (line 0 means none).
    pub fn position(&self) -> Option<(u32, u32)> {
        let p = self.diagnostic.span.start;
        (p.line > 0).then_some((p.line, p.column))
    }

    pub fn code(&self) -> &str {
        &self.diagnostic.code
    }

    pub fn help(&self) -> Option<&str> {
        self.diagnostic.help.as_deref()
    }
}

/// One line: `path:line:column: message (code)`, for logs and JSON; the
/// terminal gets the snippet of [`crate::render::error`].
impl fmt::Display for DiagnosticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        match (&self.path, self.position()) {
            (Some(p), Some((l, c))) => write!(f, "{p}:{l}:{c}: ")?,
            (Some(p), None) => write!(f, "{p}: ")?,
            (None, _) => {}
        }
        write!(f, "{} ({})", d.message, d.code)
    }
}

impl std::error::Error for DiagnosticError {}

#[cfg(test)]
mod tests {
    use super::*;
    use zerops_cache_policy::{Pos, Severity, Span};

    fn diag(line: u32) -> Diagnostic {
        let mut d = Diagnostic::new(
            Severity::Error,
            "setup-unknown",
            Span::point(Pos::new(line, 3)),
            "no setup named `x`",
        );
        d.help = Some("the setups are: app".into());
        d
    }

    #[test]
    fn shows_file_line_column_and_code() {
        let e = DiagnosticError::in_file(diag(2), "zerops.yaml", "a\nb\n");
        assert_eq!(
            e.to_string(),
            "zerops.yaml:2:3: no setup named `x` (setup-unknown)"
        );
        assert_eq!(e.code(), "setup-unknown");
        assert_eq!(e.help(), Some("the setups are: app"));
        let e = DiagnosticError::in_file(diag(0), "zerops.yaml", "");
        assert_eq!(
            e.to_string(),
            "zerops.yaml: no setup named `x` (setup-unknown)"
        );
        assert_eq!(
            DiagnosticError::new(diag(0)).to_string(),
            "no setup named `x` (setup-unknown)"
        );
    }

    #[test]
    fn is_a_config_error() {
        let e = anyhow::Error::new(DiagnosticError::new(diag(1)));
        assert_eq!(crate::exit::Exit::of(&e), crate::exit::Exit::Config);
    }
}
