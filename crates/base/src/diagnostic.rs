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
    pub(crate) diagnostic: Diagnostic,
    /// The file it is about, as shown to the user.
    pub(crate) path: Option<String>,
    /// That file's text, for the snippet.
    pub(crate) source: Option<Arc<str>>,
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
    pub(crate) fn position(&self) -> Option<(u32, u32)> {
        self.diagnostic.start().map(|p| (p.line, p.column))
    }

    pub(crate) fn help(&self) -> Option<&str> {
        self.diagnostic.help.as_deref()
    }
}

/// One line: `path:line:column: message (code)`, for logs and JSON; the
/// terminal gets the snippet of [`crate::exit::report`].
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
pub(crate) fn with_cli_help(mut d: Diagnostic) -> Diagnostic {
    if matches!(d.code, Code::SetupAmbiguous | Code::SetupUnknown) {
        d.help = Some(match d.help.take() {
            Some(h) => format!("{h} (pass it with --setup NAME)"),
            None => "pass the setup with --setup NAME".to_string(),
        });
    }
    d
}

impl std::error::Error for DiagnosticError {}

/// The platform's verdict on a file for one command, with the texts its
/// findings point into.
#[derive(Debug, Clone)]
pub struct FileVerdict {
    /// The command's name (`build`, `plan`, ...).
    pub command: &'static str,
    /// The config file, as shown to the user.
    pub config: String,
    pub config_text: String,
    /// The project's `.deployignore`, if it was read.
    pub deployignore_text: Option<String>,
    pub verdict: zerops_cache_contract::lint::GateVerdict,
}

impl FileVerdict {
    /// The findings, each with its snippet, code and help, as `lint`
    /// renders them.
    pub fn render_findings(&self, color: bool) -> String {
        let mut out = crate::render::render(
            &self.config,
            &self.config_text,
            &self.verdict.findings,
            color,
        );
        if !self.verdict.deployignore.is_empty() {
            let path = std::path::Path::new(&self.config)
                .with_file_name(".deployignore")
                .display()
                .to_string();
            let text = self.deployignore_text.as_deref().unwrap_or("");
            out.push_str(&crate::render::render(
                &path,
                text,
                &self.verdict.deployignore,
                color,
            ));
        }
        out
    }

    /// `N error(s)`.
    pub fn errors_shown(&self) -> String {
        let n = self.verdict.errors();
        format!("{n} {}", if n == 1 { "error" } else { "errors" })
    }
}

/// A command that the platform's verdict stopped before it ran anything:
/// it renders every finding of the config (and of `.deployignore`) as
/// `lint` does. Its exit class is [`Exit::Config`].
///
/// [`Exit::Config`]: crate::exit::Exit::Config
#[derive(Debug, Clone)]
pub struct Refused(pub FileVerdict);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` refused before running anything: {} has {} that the platform rejects; fix {} (`zerops-cache lint` shows the same)",
            self.0.command,
            self.0.config,
            self.0.errors_shown(),
            if self.0.verdict.errors() == 1 {
                "it"
            } else {
                "them"
            }
        )
    }
}

impl std::error::Error for Refused {}

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
        assert_eq!(e.diagnostic.code.as_str(), "setup-unknown");
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
