//! Positions between the policy (1-based lines, character columns) and
//! LSP (0-based lines, columns in the negotiated encoding: UTF-16 code
//! units unless the client offers UTF-32 or UTF-8).

use lsp_types::{Position, PositionEncodingKind, Range};
use zerops_cache_contract::{Pos, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The client's preference among what we support; UTF-16 when it says
    /// nothing (the protocol's default).
    pub(crate) fn choose(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        for k in offered.unwrap_or(&[]) {
            if *k == PositionEncodingKind::UTF32 {
                return Encoding::Utf32;
            }
            if *k == PositionEncodingKind::UTF8 {
                return Encoding::Utf8;
            }
            if *k == PositionEncodingKind::UTF16 {
                return Encoding::Utf16;
            }
        }
        Encoding::Utf16
    }

    pub(crate) fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

fn line(text: &str, n: u32) -> &str {
    text.split('\n')
        .nth(n as usize)
        .unwrap_or("")
        .trim_end_matches('\r')
}

/// A policy position as an LSP one.
pub(crate) fn to_lsp(text: &str, enc: Encoding, p: Pos) -> Position {
    let l = p.line.saturating_sub(1);
    let chars = p.column.saturating_sub(1) as usize;
    let character = line(text, l)
        .chars()
        .take(chars)
        .map(|c| enc.units(c))
        .sum::<u32>()
        // A column past the end (a point after the last character) stays there.
        + chars.saturating_sub(line(text, l).chars().count()) as u32;
    Position { line: l, character }
}

/// An LSP position as a policy one (a column inside a character's units
/// counts as that character).
pub(crate) fn from_lsp(text: &str, enc: Encoding, p: Position) -> Pos {
    let mut units = 0u32;
    let mut chars = 0u32;
    for c in line(text, p.line).chars() {
        if units >= p.character {
            break;
        }
        units += enc.units(c);
        chars += 1;
    }
    chars += p.character.saturating_sub(units);
    Pos::new(p.line + 1, chars + 1)
}

/// The byte offset of an LSP position in `text`: a character past the end
/// of its line is the line's end (before `\r\n`), a line past the end is
/// the end of the text, a position inside a character's units is that
/// character's start.
pub(crate) fn byte_offset(text: &str, enc: Encoding, p: Position) -> usize {
    let mut start = 0usize;
    for _ in 0..p.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[start..];
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= p.character {
            return start + i;
        }
        units += enc.units(c);
        if units > p.character {
            return start + i;
        }
    }
    start + line.len()
}

/// Applies one `didChange` content change: a range and its new text, or
/// (without a range) the whole new text.
pub(crate) fn apply_change(text: &mut String, enc: Encoding, range: Option<Range>, new_text: &str) {
    match range {
        None => *text = new_text.to_string(),
        Some(r) => {
            let a = byte_offset(text, enc, r.start);
            let b = byte_offset(text, enc, r.end).max(a);
            text.replace_range(a..b, new_text);
        }
    }
}

pub(crate) fn range(text: &str, enc: Encoding, s: Span) -> Range {
    Range {
        start: to_lsp(text, enc, s.start),
        end: to_lsp(text, enc, s.end),
    }
}

pub(crate) fn span(text: &str, enc: Encoding, r: Range) -> Span {
    Span::new(from_lsp(text, enc, r.start), from_lsp(text, enc, r.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs() {
        let text = "a\n😀é: x\n";
        let p = Pos::new(2, 3);
        let l = to_lsp(text, Encoding::Utf16, p);
        assert_eq!(l, Position::new(1, 3));
        assert_eq!(from_lsp(text, Encoding::Utf16, l), p);
        assert_eq!(to_lsp(text, Encoding::Utf32, p), Position::new(1, 2));
        assert_eq!(to_lsp(text, Encoding::Utf8, p), Position::new(1, 6));
        assert_eq!(from_lsp(text, Encoding::Utf8, Position::new(1, 6)), p);
    }

    #[test]
    fn incremental_changes() {
        let mut t = String::from("a😀b\r\nxy\n");
        let at = |l, c| Range::new(Position::new(l, c), Position::new(l, c));
        apply_change(&mut t, Encoding::Utf16, Some(at(0, 3)), "!");
        assert_eq!(t, "a😀!b\r\nxy\n");
        // Past the end of a line: its end, before \r\n.
        apply_change(&mut t, Encoding::Utf16, Some(at(0, 99)), "?");
        assert_eq!(t, "a😀!b?\r\nxy\n");
        let r = Range::new(Position::new(0, 5), Position::new(1, 1));
        apply_change(&mut t, Encoding::Utf16, Some(r), "");
        assert_eq!(t, "a😀!by\n");
        apply_change(&mut t, Encoding::Utf8, Some(at(9, 0)), "end");
        assert_eq!(t, "a😀!by\nend");
        apply_change(&mut t, Encoding::Utf8, None, "new");
        assert_eq!(t, "new");
    }

    #[test]
    fn past_the_end_and_choice() {
        let text = "ab";
        assert_eq!(
            to_lsp(text, Encoding::Utf16, Pos::new(1, 5)),
            Position::new(0, 4)
        );
        assert_eq!(
            from_lsp(text, Encoding::Utf16, Position::new(0, 4)),
            Pos::new(1, 5)
        );
        assert_eq!(Encoding::choose(None), Encoding::Utf16);
        assert_eq!(
            Encoding::choose(Some(&[
                PositionEncodingKind::UTF32,
                PositionEncodingKind::UTF16
            ])),
            Encoding::Utf32
        );
    }
}
