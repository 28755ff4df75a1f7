//! Editor help as data: hover, completion, quick fixes, symbols.

use crate::diag::{Code, Span};

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
    pub code: Code,
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
