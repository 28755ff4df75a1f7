//! A stand-in for `crate::pattern` (issue 4, branch `patterns`) with the
//! same names and signatures the linter uses, so the merge is a one-line
//! change of the `use` in the lint modules and the deletion of this file.
//!
//! TODO(merge): use `crate::pattern::{validate, Pattern, normalize,
//! is_absolute, has_parent_component, has_double_star, has_tilde,
//! is_literal, has_empty_component}` and delete this file.

/// A malformed pattern: where, and what Go's parser objects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern {
    /// Byte offset in the pattern of the offending character.
    pub offset: usize,
    pub reason: &'static str,
}

impl BadPattern {
    /// The 1-based column (in characters) of the offending character.
    pub fn column(&self, pattern: &str) -> usize {
        let at = self.offset.min(pattern.len());
        pattern.char_indices().take_while(|&(i, _)| i < at).count() + 1
    }

    pub fn explain(&self, pattern: &str) -> String {
        format!(
            "syntax error in pattern `{pattern}` at column {}: {}",
            self.column(pattern),
            self.reason
        )
    }
}

/// Checks the whole pattern the way Go's `filepath.Match` parses it.
pub fn validate(pattern: &str) -> Result<(), BadPattern> {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Err(BadPattern {
                        offset: i,
                        reason: "`\\` at the end escapes nothing",
                    });
                }
                i += 2;
            }
            b'[' => {
                let open = i;
                i += 1;
                if i < b.len() && b[i] == b'^' {
                    i += 1;
                }
                let mut n = 0;
                loop {
                    if i < b.len() && b[i] == b']' && n > 0 {
                        i += 1;
                        break;
                    }
                    i = class_char(b, i, open)?;
                    if b[i] == b'-' {
                        i = class_char(b, i + 1, open)?;
                    }
                    n += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Go's `getEsc`: one (possibly escaped) class character at `i`; returns
/// the index after it, which must not be the end of the pattern.
fn class_char(b: &[u8], mut i: usize, open: usize) -> Result<usize, BadPattern> {
    let unclosed = BadPattern {
        offset: open,
        reason: "this `[` is never closed by `]`",
    };
    if i >= b.len() {
        return Err(unclosed);
    }
    if b[i] == b'-' {
        return Err(BadPattern {
            offset: i,
            reason: "`-` is only allowed between two characters of a range (write `\\-`)",
        });
    }
    if b[i] == b']' {
        return Err(BadPattern {
            offset: i,
            reason: "a character class cannot be empty (write `\\]` for a literal `]`)",
        });
    }
    if b[i] == b'\\' {
        i += 1;
        if i >= b.len() {
            return Err(unclosed);
        }
    }
    i += utf8_len(b[i]);
    if i >= b.len() {
        return Err(unclosed);
    }
    Ok(i)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// A validated pattern; matching is Go's `filepath.Match`.
#[derive(Debug, Clone)]
pub struct Pattern {
    chars: Vec<char>,
}

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern, BadPattern> {
        validate(pattern)?;
        Ok(Pattern {
            chars: pattern.chars().collect(),
        })
    }

    pub fn matches(&self, name: &str) -> bool {
        let n: Vec<char> = name.chars().collect();
        glob(&self.chars, &n)
    }
}

/// Backtracking match with Go's semantics: `*` and `?` never match `/`.
fn glob(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            let mut i = 0;
            loop {
                if glob(rest, &n[i..]) {
                    return true;
                }
                if i >= n.len() || n[i] == '/' {
                    return false;
                }
                i += 1;
            }
        }
        Some('?') => !n.is_empty() && n[0] != '/' && glob(&p[1..], &n[1..]),
        Some('[') => {
            let Some(&c) = n.first() else { return false };
            let mut i = 1;
            let negated = p.get(i) == Some(&'^');
            if negated {
                i += 1;
            }
            let mut hit = false;
            let mut first = true;
            while i < p.len() && (p[i] != ']' || first) {
                first = false;
                let mut lo = p[i];
                if lo == '\\' {
                    i += 1;
                    lo = p[i];
                }
                i += 1;
                let mut hi = lo;
                if p.get(i) == Some(&'-') {
                    i += 1;
                    hi = p[i];
                    if hi == '\\' {
                        i += 1;
                        hi = p[i];
                    }
                    i += 1;
                }
                if lo <= c && c <= hi {
                    hit = true;
                }
            }
            hit != negated && glob(&p[(i + 1).min(p.len())..], &n[1..])
        }
        Some('\\') => n.first() == p.get(1) && glob(&p[2..], &n[1..]),
        Some(&c) => n.first() == Some(&c) && glob(&p[1..], &n[1..]),
    }
}

/// `./x`, `x` and `x/` are the same path.
pub fn normalize(pattern: &str) -> String {
    let mut s = pattern;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s == "." {
        s = "";
    }
    while s.len() >= 2 && s.ends_with('/') {
        s = &s[..s.len() - 1];
    }
    s.to_string()
}

pub fn is_absolute(pattern: &str) -> bool {
    pattern.starts_with('/')
}

pub fn has_parent_component(pattern: &str) -> bool {
    pattern.split('/').any(|c| c == "..")
}

pub fn has_double_star(pattern: &str) -> bool {
    pattern.contains("**")
}

pub fn has_tilde(pattern: &str) -> bool {
    pattern.contains('~')
}

pub fn is_literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '['])
}

/// An empty or `.` component after the first (`a//b`, `a/./b`).
pub fn has_empty_component(pattern: &str) -> bool {
    pattern
        .split('/')
        .enumerate()
        .any(|(i, c)| (i > 0 && c.is_empty()) || c == ".")
}

impl Pattern {
    /// Whether some character class can match `/` (`[^a]`, `[!-~]`).
    pub fn class_matches_slash(&self) -> bool {
        let p = &self.chars;
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                '\\' => i += 2,
                '[' => {
                    i += 1;
                    let negated = p.get(i) == Some(&'^');
                    if negated {
                        i += 1;
                    }
                    let mut hit = false;
                    let mut first = true;
                    while i < p.len() && (p[i] != ']' || first) {
                        first = false;
                        let mut lo = p[i];
                        if lo == '\\' {
                            i += 1;
                            lo = p[i];
                        }
                        i += 1;
                        let mut hi = lo;
                        if p.get(i) == Some(&'-') {
                            hi = p[i + 1];
                            if hi == '\\' {
                                i += 1;
                                hi = p[i + 1];
                            }
                            i += 2;
                        }
                        hit |= lo <= '/' && '/' <= hi;
                    }
                    if hit != negated {
                        return true;
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_errors() {
        for bad in ["a[", "[]", "[^]", "[-a]", "[a-]", "a\\", "[a", "[a-b"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
        for good in [
            "a",
            "*.txt",
            "[a-z]*",
            "[^a]",
            "a\\*",
            "[\\]]",
            "node_modules",
        ] {
            assert!(validate(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn matching() {
        let m = |p: &str, n: &str| Pattern::new(p).unwrap().matches(n);
        assert!(m("subdir/*.txt", "subdir/file1.txt"));
        assert!(!m("*.txt", "subdir/file1.txt"));
        assert!(m("package*", "package-lock.json"));
        assert!(!m("**/x", "a/b/x"));
        assert!(m("**/x", "a/x"));
        assert!(m("[a-c]?", "bz"));
        assert!(!m("[^a-c]?", "bz"));
        let slash = |p: &str| Pattern::new(p).unwrap().class_matches_slash();
        assert!(slash("a[^b]c") && slash("[!-~]") && slash("[/]"));
        assert!(!slash("[a-z]") && !slash("[^/]") && !slash("a*b") && !slash("\\[^a]"));
        assert!(has_empty_component("a//b") && has_empty_component("a/./b"));
        assert!(!has_empty_component("a/b") && !has_empty_component(".next/cache"));
    }
}
