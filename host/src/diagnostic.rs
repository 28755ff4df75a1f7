//! A policy diagnostic as a real error: it keeps its code, help and span
//! (and the file it is about) all the way to the renderer, instead of being
//! flattened into its message. Its exit class is [`Exit::Config`]: the
//! policy only refuses what the config says.
//!
//! [`Exit::Config`]: crate::exit::Exit::Config

use std::fmt;
use std::sync::Arc;
use zerops_cache_contract::{Code, Diagnostic};

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
            diagnostic: with_cli_help(diagnostic),
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
            diagnostic: with_cli_help(diagnostic),
            path: Some(path.into()),
            source: Some(source.into()),
        }
    }

    /// Where it points: line and column, when the policy gave a position.
    pub fn position(&self) -> Option<(u32, u32)> {
        self.diagnostic.start().map(|p| (p.line, p.column))
    }

    pub fn code(&self) -> &str {
        self.diagnostic.code.as_str()
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
        // Which of two files (explain's old and new config) it is about.
        if let Some(file) = &d.file {
            write!(f, "({file} file) ")?;
        }
        write!(f, "{} ({})", d.message, d.code)
    }
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

impl std::error::Error for DiagnosticError {}

#[cfg(test)]
mod tests {
    use super::*;
    use zerops_cache_contract::{Pos, Span};

    fn diag(line: Option<u32>) -> Diagnostic {
        Diagnostic::error(
            Code::SetupUnknown,
            line.map(|l| Span::point(Pos::new(l, 3))),
            "no setup named `x`",
        )
        .with_help("the setups are: app")
    }

    #[test]
    fn shows_file_line_column_and_code() {
        let e = DiagnosticError::in_file(diag(Some(2)), "zerops.yaml", "a\nb\n");
        assert_eq!(
            e.to_string(),
            "zerops.yaml:2:3: no setup named `x` (setup-unknown)"
        );
        assert_eq!(e.code(), "setup-unknown");
        let e = DiagnosticError::in_file(diag(None), "zerops.yaml", "");
        assert_eq!(
            e.to_string(),
            "zerops.yaml: no setup named `x` (setup-unknown)"
        );
        assert_eq!(
            DiagnosticError::new(diag(None)).to_string(),
            "no setup named `x` (setup-unknown)"
        );
        let old = DiagnosticError::in_file(diag(None).in_file("old"), "zerops.yaml", "");
        assert_eq!(
            old.to_string(),
            "zerops.yaml: (old file) no setup named `x` (setup-unknown)"
        );
    }

    #[test]
    fn this_host_adds_its_own_flag_to_the_help() {
        let e = DiagnosticError::new(diag(None));
        assert_eq!(
            e.help(),
            Some("the setups are: app (pass it with --setup NAME)")
        );
        let plain = Diagnostic::error(Code::SetupNone, None, "no setups");
        assert_eq!(DiagnosticError::new(plain).help(), None);
    }

    #[test]
    fn is_a_config_error() {
        let e = anyhow::Error::new(DiagnosticError::new(diag(Some(1))));
        assert_eq!(crate::exit::Exit::of(&e), crate::exit::Exit::Config);
    }
}
