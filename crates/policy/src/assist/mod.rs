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

pub use zerops_cache_contract::assist::{
    Completion, CompletionKind, Fix, Hover, Symbol, SymbolKind, TextEdit,
};
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
