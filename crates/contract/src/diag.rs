//! Diagnostics are data: the policy produces them, hosts render them.

pub use crate::lint::Code;
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The platform rejects the file, or the cache cannot work as written.
    Error,
    /// The file works, but probably not the way its author thinks.
    Warning,
    /// Worth knowing; nothing is wrong.
    Note,
}

impl Severity {
    /// The lowercase name used in JSON output and by renderers.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A position in the source text. Both numbers are 1-based; `column` counts
/// Unicode scalar values (characters), not bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }
}

/// A half-open range of the source text: `start` is the first character,
/// `end` the position just after the last one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Span {
        Span { start, end }
    }

    /// A span of length zero at `at`.
    pub fn point(at: Pos) -> Span {
        Span { start: at, end: at }
    }
}

/// One finding of the linter, or the error of a question to the policy:
/// a real error (`std::error::Error`) that keeps its code, help, span and
/// file all the way to the renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// Stable identifier, e.g. `yaml-syntax` or `cache-double-star`; every
    /// code is a row of [`crate::lint::CODES`].
    pub code: Code,
    pub severity: Severity,
    /// What is wrong and what it causes, in one sentence.
    pub message: String,
    /// Where in the file; `None` when the finding concerns no position
    /// (an unknown setup, a record, a time given by the host).
    pub span: Option<Span>,
    /// Which of several files the finding is about, when a question reads
    /// more than one (`old` or `new` for `explain`); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: Code,
        span: impl Into<Option<Span>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            span: span.into(),
            file: None,
            help: None,
        }
    }

    pub fn error(
        code: Code,
        span: impl Into<Option<Span>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, span, message)
    }

    pub fn warning(
        code: Code,
        span: impl Into<Option<Span>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, span, message)
    }

    pub fn note(
        code: Code,
        span: impl Into<Option<Span>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(Severity::Note, code, span, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic, said to concern `file` (e.g. `old`).
    pub fn in_file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    /// Its span, or, for a renderer that needs one (CI annotations, SARIF),
    /// the start of the file when the finding has no position.
    pub fn span_or_start(&self) -> Span {
        self.span.unwrap_or(Span::point(Pos::START))
    }

    /// Where it starts, when it has a position.
    pub fn start(&self) -> Option<Pos> {
        self.span.map(|s| s.start)
    }
}

/// Sorts diagnostics by position, then severity, then code, so every host
/// shows them in the same order.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.start(), a.severity, a.code.as_str(), &a.message).cmp(&(
            b.start(),
            b.severity,
            b.code.as_str(),
            &b.message,
        ))
    });
}
