//! Malformed patterns, as data.

use std::fmt;

/// The `zerops-cache match --batch` answer for one request, without the
/// newline: exactly one of `{"matched": true}`, `{"matched": false}` or
/// `{"error": "syntax error in pattern"}`. Other tools parse these lines;
/// the bytes are a contract.
pub fn batch_line(result: Result<bool, BadPattern>) -> &'static str {
    match result {
        Ok(true) => r#"{"matched": true}"#,
        Ok(false) => r#"{"matched": false}"#,
        Err(_) => r#"{"error": "syntax error in pattern"}"#,
    }
}

/// Go's `ErrBadPattern` text, which the `match --batch` contract repeats.
pub const SYNTAX_ERROR: &str = "syntax error in pattern";

/// Why a pattern is malformed. Go only says "syntax error in pattern"; we
/// also say what and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadPatternKind {
    /// A `\` with nothing after it.
    TrailingBackslash,
    /// A `[` whose class never ends with `]`.
    UnclosedClass,
    /// `[]` or `[^]`: a class must name at least one character (so `]`
    /// cannot be the first character of a class; escape it as `\]`).
    EmptyClass,
    /// A `-` where a class character is expected (`[-a]`, `[a-b-c]`);
    /// escape it as `\-`.
    MisplacedDash,
    /// A range with no upper end (`[a-]`).
    RangeWithoutEnd,
}

impl BadPatternKind {
    /// A stable identifier, for JSON and diagnostics.
    pub fn code(self) -> &'static str {
        match self {
            BadPatternKind::TrailingBackslash => "trailing-backslash",
            BadPatternKind::UnclosedClass => "unclosed-class",
            BadPatternKind::EmptyClass => "empty-class",
            BadPatternKind::MisplacedDash => "misplaced-dash",
            BadPatternKind::RangeWithoutEnd => "range-without-end",
        }
    }

    /// One sentence for humans.
    pub fn describe(self) -> &'static str {
        match self {
            BadPatternKind::TrailingBackslash => "`\\` at the end escapes nothing",
            BadPatternKind::UnclosedClass => "this `[` is never closed by `]`",
            BadPatternKind::EmptyClass => {
                "a character class cannot be empty; `]` right after `[` or `[^` does not \
                 count as a member (write `\\]`)"
            }
            BadPatternKind::MisplacedDash => {
                "`-` is only allowed between two characters of a range (write `\\-`)"
            }
            BadPatternKind::RangeWithoutEnd => "this range has no upper end",
        }
    }
}

/// A malformed pattern. `Display` is exactly Go's message; [`BadPattern::kind`]
/// and [`BadPattern::offset`] explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BadPattern {
    pub kind: BadPatternKind,
    /// Byte offset in the pattern of the offending character.
    pub offset: usize,
}

impl BadPattern {
    pub fn new(kind: BadPatternKind, offset: usize) -> BadPattern {
        BadPattern { kind, offset }
    }

    /// The 1-based column (in characters) of the offending character.
    pub fn column(&self, pattern: &str) -> usize {
        let at = self.offset.min(pattern.len());
        pattern.char_indices().take_while(|&(i, _)| i < at).count() + 1
    }

    /// A full explanation, e.g. ``syntax error in pattern `a[b` at column 2: this `[` is never closed by `]` ``.
    pub fn explain(&self, pattern: &str) -> String {
        format!(
            "{SYNTAX_ERROR} `{pattern}` at column {}: {}",
            self.column(pattern),
            self.kind.describe()
        )
    }
}

impl fmt::Display for BadPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SYNTAX_ERROR)
    }
}

impl std::error::Error for BadPattern {}
