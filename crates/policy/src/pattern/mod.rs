//! Cache path patterns: exactly Go's `path/filepath.Match` (Unix), plus the
//! Zerops normalization on top.
//!
//! Zerops documents that `cache:` paths use Go's `filepath.Match` syntax:
//!
//! | term       | matches                                                        |
//! |------------|----------------------------------------------------------------|
//! | `*`        | any run of bytes without `/` (never crosses a directory)       |
//! | `?`        | one rune (not byte) that is not `/`                            |
//! | `[a-z]`    | one rune in the class; `[^...]` negates; `\` escapes inside    |
//! | `\c`       | the character `c` itself                                       |
//! | anything else | itself                                                      |
//!
//! There is no `**`: `**` is two stars and still stops at `/`. A class *can*
//! match `/` (`[^a]` matches `/`, as in Go). A pattern must match the whole
//! path. `]` cannot come first in a class, `[]` and `[^]` are errors, and
//! `-` must be escaped unless it forms a range.
//!
//! Three layers, each a pure function:
//! - [`is_match`]: Go's `filepath.Match` itself, result for result and error
//!   for error, including Go's laziness (a malformed chunk after a chunk that
//!   already failed is not reported).
//! - [`validate`] / [`Pattern::new`]: the whole pattern is checked up front;
//!   a bad pattern is an error whatever the path, with a position and reason.
//! - [`normalize`]: Zerops' spelling equivalences (`./x` = `x` = `x/`), kept
//!   out of the matcher so the matcher stays exactly Go.
//!
//! ```
//! use zerops_cache_policy::pattern::{is_match, Pattern};
//!
//! assert_eq!(is_match("subdir/*.txt", "subdir/file1.txt"), Ok(true));
//! assert_eq!(is_match("*.txt", "subdir/file1.txt"), Ok(false)); // `*` stops at `/`
//! assert_eq!(is_match("package*", "package-lock.json"), Ok(true));
//!
//! let p = Pattern::new("[a-z]*.lock").unwrap();
//! assert!(p.matches("yarn.lock"));
//! let err = Pattern::new("node_modules[").unwrap_err();
//! assert_eq!(err.to_string(), "syntax error in pattern"); // Go's message
//! assert_eq!(err.offset, 12); // and where
//! ```

mod compile;
#[doc(hidden)]
pub mod corpus;
mod go;
mod normalize;

use std::fmt;

pub use normalize::{
    Segment, Shape, has_double_star, has_empty_component, has_parent_component, has_tilde,
    is_absolute, is_literal, literal_value, normalize, segments, shape,
};

pub(crate) use compile::{Compiled, Tok};
pub(crate) use go::decode_rune;

pub use zerops_cache_contract::pattern::{BadPattern, BadPatternKind, SYNTAX_ERROR};
/// Exactly Go's `filepath.Match(pattern, name)` on Unix.
///
/// The error, when Go returns one, carries the first syntax error of the
/// pattern (the same place Go stopped). Like Go, a syntax error in a chunk
/// after a chunk that already failed is not reported: `is_match("a*[", "b")`
/// is `Ok(false)`. Use [`validate`] to reject such patterns up front.
pub fn is_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    match go::go_match(pattern.as_bytes(), name.as_bytes()) {
        Ok(m) => Ok(m),
        Err(go::GoBadPattern) => Err(validate(pattern)
            .expect_err("Go reported a syntax error, so the full validation must find one")),
    }
}

/// Why `pattern` does not match `path`, in one sentence, when there is
/// something useful to say: a different number of components (`*` and `?`
/// never match `/`, and `**` is not recursive), or the first component that
/// differs. `None` when the pattern is malformed or does match.
///
/// ```
/// use zerops_cache_policy::pattern::explain_mismatch;
/// let why = explain_mismatch("**/*.js", "src/lib/a.js").unwrap();
/// assert!(why.contains("2 components"), "{why}");
/// ```
pub fn explain_mismatch(pattern: &str, path: &str) -> Option<String> {
    let p = Pattern::new(pattern).ok()?;
    if p.matches(path) {
        return None;
    }
    let segs = segments(pattern);
    let comps: Vec<&str> = path.split('/').collect();
    let plural = |n: usize| if n == 1 { "component" } else { "components" };
    if !p.class_matches_slash() && segs.len() != comps.len() {
        let mut why = format!(
            "`{pattern}` has {} {} and `{path}` has {} {}: `*` and `?` never match `/`, so a \
             pattern only matches paths with as many components",
            segs.len(),
            plural(segs.len()),
            comps.len(),
            plural(comps.len()),
        );
        if has_double_star(pattern) {
            why.push_str("; `**` is not recursive in Go's filepath.Match, it is two `*`");
        }
        return Some(why);
    }
    if !p.class_matches_slash() {
        for (i, (s, c)) in segs.iter().zip(&comps).enumerate() {
            if is_match(s.text, c) != Ok(true) {
                return Some(format!(
                    "component {} of the pattern, `{}`, does not match `{c}`",
                    i + 1,
                    s.text
                ));
            }
        }
    }
    None
}

pub use zerops_cache_contract::pattern::batch_line;

/// Checks the whole pattern: `Ok` if and only if Go's `filepath.Match`
/// never returns `ErrBadPattern` for it, whatever the name. (This is what
/// Go's `path.Match(pattern, "")` reports.)
pub fn validate(pattern: &str) -> Result<(), BadPattern> {
    Compiled::new(pattern).map(|_| ())
}

/// A validated, parsed pattern. Matching is Go's `filepath.Match` without
/// re-parsing the pattern for every name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    compiled: Compiled,
    literal: bool,
}

impl Pattern {
    /// Parses `pattern` as written (no normalization: see [`normalize`]).
    pub fn new(pattern: &str) -> Result<Pattern, BadPattern> {
        let compiled = Compiled::new(pattern)?;
        let literal = compiled.chunks.len() <= 1
            && compiled.chunks.iter().all(|c| !c.star)
            && compiled.toks.iter().all(|t| matches!(t, Tok::Lit { .. }));
        Ok(Pattern {
            text: pattern.to_string(),
            compiled,
            literal,
        })
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `name` matches (same answer as Go's `filepath.Match`).
    #[inline]
    pub fn matches(&self, name: &str) -> bool {
        self.matches_bytes(name.as_bytes())
    }

    #[inline]
    pub(crate) fn matches_bytes(&self, name: &[u8]) -> bool {
        if self.literal {
            return self.compiled.lits == name;
        }
        self.compiled.matches(name)
    }

    /// Whether the pattern has no wildcard at all (escapes resolved).
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// The largest number of `/` a matching path can contain: one per
    /// token that can match `/` (literal slashes, and classes such as
    /// `[^a]` that include `/`). `*` and `?` never match `/`.
    pub fn max_slashes(&self) -> usize {
        self.compiled
            .toks
            .iter()
            .map(|&t| match t {
                Tok::Lit { at, len } => self.compiled.lits[at as usize..(at + len) as usize]
                    .iter()
                    .filter(|&&b| b == b'/')
                    .count(),
                t if self.compiled.tok_can_match_slash(t) => 1,
                _ => 0,
            })
            .sum()
    }

    /// Whether some character class of the pattern can match `/` (e.g.
    /// `[^a]`, `[!-~]`, `[/]`). Such patterns can cross directories in ways
    /// their authors rarely intend; the linter reports them.
    pub fn class_matches_slash(&self) -> bool {
        self.compiled
            .toks
            .iter()
            .any(|&t| matches!(t, Tok::Class { .. }) && self.compiled.tok_can_match_slash(t))
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.compiled
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Pattern {
    type Err = BadPattern;
    fn from_str(s: &str) -> Result<Pattern, BadPattern> {
        Pattern::new(s)
    }
}

#[cfg(test)]
mod tests;
