//! Zerops' spelling equivalences on top of the pure matcher, and pure
//! classification helpers for the linter.
//!
//! All functions here accept any string, including malformed patterns: they
//! read the pattern with the same escape and class rules as the matcher, and
//! treat an unterminated class or a trailing `\` as running to the end.

/// Zerops' normalization: `./node_modules`, `node_modules` and
/// `node_modules/` are the same path (documented). Applied before matching:
///
/// - leading `./` is removed, repeatedly and with any extra slashes
///   (`././x`, `.//x` → `x`); `.` and `./` alone become `""`;
/// - trailing `/` is removed, repeatedly (`x//` → `x`), also when escaped
///   (`x\/` → `x`, since `\/` matches `/`); a lone `/` stays `/`.
///
/// Nothing else changes: `a//b`, `a/./b` and `..` stay as written (the
/// linter reports them), and the result is a pattern for the exact matcher.
///
/// ```
/// use zerops_cache_policy::pattern::normalize;
/// assert_eq!(normalize("./node_modules/"), "node_modules");
/// assert_eq!(normalize("././.next/cache//"), ".next/cache");
/// assert_eq!(normalize("/"), "/");
/// ```
pub fn normalize(pattern: &str) -> String {
    let mut s = pattern;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s == "." {
        s = "";
    }
    loop {
        let b = s.as_bytes();
        if b.len() < 2 || b[b.len() - 1] != b'/' {
            break;
        }
        let backslashes = b[..b.len() - 1]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if backslashes % 2 == 0 {
            s = &s[..s.len() - 1];
        } else if b.len() > 2 {
            // `x\/`: the escaped slash still names a directory separator.
            s = &s[..s.len() - 2];
        } else {
            break;
        }
    }
    s.to_string()
}

/// One lexical element of a pattern, read with Go's escape and class rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Star,
    Any,
    /// A `/` outside a class, escaped or not: a directory separator.
    Slash,
    /// A literal character (escaped or not).
    Char(char),
    /// A `[...]` class (or an unterminated one running to the end).
    Class,
    /// A trailing `\`.
    Dangling,
}

fn lex(p: &str) -> Vec<(usize, Lex)> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let at = i;
        match b[i] {
            b'*' => {
                out.push((at, Lex::Star));
                i += 1;
            }
            b'?' => {
                out.push((at, Lex::Any));
                i += 1;
            }
            b'/' => {
                out.push((at, Lex::Slash));
                i += 1;
            }
            b'\\' => {
                let Some(c) = p[i + 1..].chars().next() else {
                    out.push((at, Lex::Dangling));
                    break;
                };
                out.push((at, if c == '/' { Lex::Slash } else { Lex::Char(c) }));
                i += 1 + c.len_utf8();
            }
            b'[' => {
                out.push((at, Lex::Class));
                i = class_end(p, i);
            }
            _ => {
                let c = p[i..].chars().next().expect("in bounds");
                out.push((at, Lex::Char(c)));
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The index just after the class that starts at `p[open] == '['`, following
/// Go's class grammar; the end of the string if it never closes.
fn class_end(p: &str, open: usize) -> usize {
    let b = p.as_bytes();
    let mut j = open + 1;
    if b.get(j) == Some(&b'^') {
        j += 1;
    }
    let mut n = 0;
    let char_at = |j: usize| -> usize {
        // one possibly escaped character; returns the index after it
        let mut j = j;
        if b.get(j) == Some(&b'\\') {
            j += 1;
        }
        j + p[j.min(p.len())..].chars().next().map_or(1, char::len_utf8)
    };
    loop {
        match b.get(j) {
            None => return p.len(),
            Some(b']') if n > 0 => return j + 1,
            Some(b']') | Some(b'-') => return p.len(), // malformed: runs to the end
            _ => {}
        }
        j = char_at(j);
        if b.get(j) == Some(&b'-') {
            j = char_at(j + 1);
        }
        n += 1;
        if j > p.len() {
            return p.len();
        }
    }
}

/// The pattern's components, split at each `/` outside a class (escaped or
/// not). `a/*.txt` → `["a", "*.txt"]`; `a[/]b` has one component.
pub fn segments(pattern: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (at, l) in lex(pattern) {
        if l == Lex::Slash {
            out.push(Segment {
                text: &pattern[start..at],
                offset: start,
            });
            start = at
                + if pattern.as_bytes()[at] == b'\\' {
                    2
                } else {
                    1
                };
        }
    }
    out.push(Segment {
        text: &pattern[start..],
        offset: start,
    });
    out
}

/// One `/`-separated component of a pattern, with its byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub text: &'a str,
    pub offset: usize,
}

/// A summary of the pattern's shape, for explanations and the linter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Number of `/`-separated components.
    pub components: usize,
    pub absolute: bool,
    pub parent_component: bool,
    pub double_star: bool,
    pub tilde: bool,
    pub empty_component: bool,
    pub literal: bool,
}

/// All classifications at once.
pub fn shape(pattern: &str) -> Shape {
    Shape {
        components: segments(pattern).len(),
        absolute: is_absolute(pattern),
        parent_component: has_parent_component(pattern),
        double_star: has_double_star(pattern),
        tilde: has_tilde(pattern),
        empty_component: has_empty_component(pattern),
        literal: is_literal(pattern),
    }
}

/// Starts at the filesystem root (`/root/go/pkg/mod`). Zerops paths are
/// relative to `/build/source`; such patterns are never applied.
pub fn is_absolute(pattern: &str) -> bool {
    matches!(lex(pattern).first(), Some((_, Lex::Slash)))
}

/// Has a `..` component (`../x`, `a/../b`). Never applied: the cache cannot
/// reach outside the source directory.
pub fn has_parent_component(pattern: &str) -> bool {
    let lexes = lex(pattern);
    lexes
        .split(|(_, l)| *l == Lex::Slash)
        .any(|c| matches!(c, [(_, Lex::Char('.')), (_, Lex::Char('.'))]))
}

/// Contains `**` outside a class and not escaped. Go has no `**`: it is two
/// `*` and still stops at `/` (the GitLab runner's silent empty caches).
pub fn has_double_star(pattern: &str) -> bool {
    lex(pattern)
        .windows(2)
        .any(|w| w[0].1 == Lex::Star && w[1].1 == Lex::Star)
}

/// Contains `~` (escaped or not). Zerops mentions a `~` for `cache` without
/// defining it; `filepath.Match` treats it as a plain character.
pub fn has_tilde(pattern: &str) -> bool {
    lex(pattern).iter().any(|(_, l)| *l == Lex::Char('~'))
}

/// Has an empty or `.` component after the first (`a//b`, `a/./b`, `a/`):
/// such a pattern never matches a real path as written.
pub fn has_empty_component(pattern: &str) -> bool {
    let lexes = lex(pattern);
    lexes
        .split(|(_, l)| *l == Lex::Slash)
        .enumerate()
        .any(|(i, c)| (i > 0 && c.is_empty()) || matches!(c, [(_, Lex::Char('.'))]))
}

/// Has no wildcard: no `*`, `?` or class (escapes are fine).
pub fn is_literal(pattern: &str) -> bool {
    lex(pattern)
        .iter()
        .all(|(_, l)| matches!(l, Lex::Char(_) | Lex::Slash))
}

/// The path a literal pattern names, escapes resolved (`a\*b` → `a*b`);
/// `None` if the pattern has a wildcard or a trailing `\`.
pub fn literal_value(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    for (_, l) in lex(pattern) {
        match l {
            Lex::Char(c) => out.push(c),
            Lex::Slash => out.push('/'),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_zerops_spellings() {
        for p in [
            "node_modules",
            "./node_modules",
            "node_modules/",
            "./node_modules/",
        ] {
            assert_eq!(normalize(p), "node_modules", "{p}");
        }
        assert_eq!(normalize("././x"), "x");
        assert_eq!(normalize(".//x"), "x");
        assert_eq!(normalize("x//"), "x");
        assert_eq!(normalize("x\\/"), "x");
        assert_eq!(normalize("x\\\\/"), "x\\\\");
        assert_eq!(normalize("."), "");
        assert_eq!(normalize("./"), "");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("//"), "/");
        assert_eq!(normalize("/root/go/"), "/root/go");
        assert_eq!(normalize("a/./b"), "a/./b");
        assert_eq!(normalize(".next"), ".next");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn classification() {
        assert!(is_absolute("/root/go/pkg/mod"));
        assert!(is_absolute("\\/x"));
        assert!(!is_absolute("x/y"));
        assert!(has_parent_component("../x"));
        assert!(has_parent_component("a/../b"));
        assert!(has_parent_component("a/.\\."));
        assert!(!has_parent_component("..x"));
        assert!(!has_parent_component("[.][.]"));
        assert!(has_double_star("**/node_modules"));
        assert!(has_double_star("a/**"));
        assert!(!has_double_star("a\\**"));
        assert!(!has_double_star("[**]"));
        assert!(!has_double_star("*/*"));
        assert!(has_tilde("dist/~"));
        assert!(!has_tilde("dist"));
        assert!(has_empty_component("a//b"));
        assert!(has_empty_component("a/./b"));
        assert!(!has_empty_component("a/b"));
        assert!(is_literal("node_modules/.cache"));
        assert!(is_literal("a\\*b"));
        assert!(!is_literal("a*b"));
        assert!(!is_literal("a[b]"));
        assert_eq!(literal_value("a\\*b/c").as_deref(), Some("a*b/c"));
        assert_eq!(literal_value("a?"), None);
        assert_eq!(literal_value("a\\"), None);
    }

    #[test]
    fn segments_split_outside_classes() {
        fn t(p: &str) -> Vec<&str> {
            segments(p).iter().map(|s| s.text).collect()
        }
        assert_eq!(t("a/*.txt"), ["a", "*.txt"]);
        assert_eq!(t("a[/]b"), ["a[/]b"]);
        assert_eq!(t("a\\/b"), ["a", "b"]);
        assert_eq!(t("a[\\]/]b/c"), ["a[\\]/]b", "c"]);
        assert_eq!(t(""), [""]);
        assert_eq!(t("/x"), ["", "x"]);
        assert_eq!(segments("ab/cd")[1].offset, 3);
        // malformed: the class runs to the end
        assert_eq!(t("a[/b"), ["a[/b"]);
    }
}
