//! Editor help for zerops.yaml, as pure functions of the text: hover,
//! completion, quick fixes as text edits, document symbols and
//! go-to-definition for `extends`. The language server, the page and any
//! other host get them through the component's `assist` interface.
//!
//! Positions are 1-based lines and character columns, like diagnostics.
//! Key texts come from [`docs`]; keys and values from the schema tables of
//! [`crate::lint::schema`], so editors offer exactly what the linter accepts.

pub mod docs;

mod complete;
mod context;
mod fixes;
mod hover;
mod symbols;

pub use complete::complete;
pub use fixes::{apply, fixes};
pub use hover::{hover, hover_in};
pub use symbols::{definition, symbols};

use crate::diag::{Pos, Span};

/// Replace `span` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// What to show on hover: Markdown about the thing at `span`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub span: Span,
    pub markdown: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A key of the map at the cursor.
    Key,
    /// A value for the key (or list) at the cursor.
    Value,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// One line: the value's type, or where a value comes from.
    pub detail: String,
    /// Markdown: what the key does.
    pub documentation: String,
    /// The text to put in place of `replace`.
    pub insert_text: String,
    /// The part of the line the item replaces (the word typed so far).
    pub replace: Span,
}

/// A quick fix for one diagnostic of `lint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    /// The code of the diagnostic it fixes.
    pub code: String,
    /// The span of that diagnostic.
    pub span: Span,
    pub edits: Vec<TextEdit>,
    /// Whether an editor may apply it on "fix all" (the fix is certain).
    pub preferred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Setup,
    /// `build`, `run` or `deploy` of a setup.
    Section,
}

/// One entry of the document outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: String,
    pub kind: SymbolKind,
    /// The whole entry.
    pub span: Span,
    /// The part to select when jumping to it (the name).
    pub selection: Span,
    /// Index of the enclosing symbol in the same list.
    pub parent: Option<u32>,
}

/// Whether `span` holds `at` (its end included: a cursor just after a word
/// is on it).
pub(crate) fn contains(span: Span, at: Pos) -> bool {
    span.start <= at && at <= span.end
}

/// Byte offset of a position in `src`, clamped to the text.
pub(crate) fn offset(src: &str, p: Pos) -> usize {
    let mut start = 0usize;
    for _ in 1..p.line {
        match src[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return src.len(),
        }
    }
    let rest = &src[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let col = p.column.saturating_sub(1) as usize;
    start
        + rest[..line_end]
            .char_indices()
            .nth(col)
            .map_or(line_end, |(i, _)| i)
}

/// The text of `span`.
pub(crate) fn text_of(src: &str, span: Span) -> &str {
    let a = offset(src, span.start);
    let b = offset(src, span.end).max(a);
    &src[a..b]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_text() {
        let src = "ab\nçd: x\n";
        assert_eq!(offset(src, Pos::new(2, 2)), 5);
        assert_eq!(
            text_of(src, Span::new(Pos::new(2, 1), Pos::new(2, 3))),
            "çd"
        );
        assert_eq!(offset(src, Pos::new(9, 1)), src.len());
    }
}
