//! A small gitignore matcher for `.deployignore` (gitignore syntax, at the
//! repository root, as documented by Zerops).
//!
//! Supported, as git does: a UTF-8 byte order mark at the start is
//! skipped; blank lines and `#` comments; `\#` and `\!` to start a pattern
//! with those characters; trailing spaces trimmed unless escaped; `!`
//! re-includes; one trailing `/` matches directories only; a `/` at the
//! start or in the middle anchors the pattern to the root, otherwise it
//! matches a name at any depth; `*`, `?` (one byte), `[...]` (with `!`/`^`
//! negation, ranges and `[:alpha:]`-style classes; a class may hold a `/`)
//! never match `/`; `**` as a whole component matches any number of
//! directories (`**/x`, `a/**/b`, `a/**`), and so do stars glued to the
//! literal start of an anchored pattern (`a**/b`, git's quirk). A pattern
//! git's wildmatch gives up on (an unclosed `[`, a trailing `\`, `a//b`)
//! matches nothing. The last matching line wins. A file below an ignored
//! directory is ignored whatever later lines say (the walk never enters the
//! directory), also as in git. `tests/gitignore_differential.rs` checks all
//! of it against `git check-ignore`.

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    negate: bool,
    dir_only: bool,
    /// The component sequences the line matches (one, except for git's
    /// glued `a**/` form, see [`glued_globstar`]); an unanchored pattern
    /// starts with `**`.
    alts: Vec<Vec<String>>,
}

/// A parsed `.deployignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignore {
    rules: Vec<Rule>,
}

impl Ignore {
    /// Parses the text of an ignore file. Never fails: a line that cannot
    /// match anything simply matches nothing.
    ///
    /// ```
    /// use zerops_cache_policy::plan::gitignore::Ignore;
    ///
    /// let ig = Ignore::parse("*.log\n/build/\n!keep.log\n");
    /// assert!(ig.is_ignored("a/b/x.log", false));
    /// assert!(!ig.is_ignored("keep.log", false));
    /// assert!(ig.is_ignored("build", true));
    /// assert!(!ig.is_ignored("build", false)); // `build/` names directories
    /// assert!(!ig.is_ignored("src/build", true)); // `/build` is anchored
    /// ```
    pub fn parse(text: &str) -> Ignore {
        // git skips a UTF-8 byte order mark at the start of the file.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rules = text.lines().filter_map(parse_line).collect();
        Ignore { rules }
    }

    /// Whether `path` (relative to the root, components joined by `/`) is
    /// ignored; `is_dir` says whether it is a directory.
    pub fn is_ignored(&self, path: &str, is_dir: bool) -> bool {
        if self.rules.is_empty() {
            return false;
        }
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut ignored = false;
        for r in &self.rules {
            if r.dir_only && !is_dir {
                continue;
            }
            if r.alts.iter().any(|parts| match_parts(parts, &comps)) {
                ignored = !r.negate;
            }
        }
        ignored
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn parse_line(line: &str) -> Option<Rule> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    // Trailing spaces go, unless escaped with a backslash.
    let mut end = line.len();
    while end > 0 && line.as_bytes()[end - 1] == b' ' {
        let backslashes = line.as_bytes()[..end - 1]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    let mut s = &line[..end];
    if s.is_empty() || s.starts_with('#') {
        return None;
    }
    let mut negate = false;
    if let Some(rest) = s.strip_prefix('!') {
        negate = true;
        s = rest;
    }
    // One trailing `/` makes the pattern name directories; a second one
    // stays part of the pattern (and matches nothing, as in git).
    let mut dir_only = false;
    if let Some(rest) = s.strip_suffix('/') {
        dir_only = true;
        s = rest;
    }
    let anchored = s.contains('/');
    // One leading `/` anchors; a second one is part of the pattern.
    let s = s.strip_prefix('/').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let patterns = if anchored {
        glued_globstar(s).unwrap_or_else(|| vec![s.to_string()])
    } else {
        vec![s.to_string()]
    };
    let alts: Vec<Vec<String>> = patterns.iter().filter_map(|p| parts(p, anchored)).collect();
    if alts.is_empty() {
        return None;
    }
    Some(Rule {
        negate,
        dir_only,
        alts,
    })
}

/// The components of one pattern (its leading `/` gone); `None` when it
/// matches nothing.
fn parts(s: &str, anchored: bool) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    if !anchored {
        parts.push("**".to_string());
    }
    for c in components(s)? {
        // An empty component (`a//b`) matches no path: git compares it
        // with a path that never has two slashes in a row.
        if c.is_empty() {
            return None;
        }
        // `**`, `***`, …: a whole component of stars crosses directories.
        let c = if c.len() >= 2 && c.bytes().all(|b| b == b'*') {
            "**".to_string()
        } else {
            c
        };
        // `**/**` is `**`: repeated globstars collapse to one.
        if c == "**" && parts.last().is_some_and(|l| l == "**") {
            continue;
        }
        parts.push(c);
    }
    Some(parts)
}

/// git compares the literal start of an anchored pattern (up to its first
/// `*`, `?`, `[` or `\\`) before it runs wildmatch on the rest, so stars
/// glued to a name and followed by `/` or the end (`a**/b`, `x/a**`) start
/// wildmatch's pattern and cross directories there: `a**/b` matches `ab`
/// (`**/` as no directory) and `ax/y/b`. The equivalent patterns, or
/// `None` when the pattern has no such stars.
fn glued_globstar(s: &str) -> Option<Vec<String>> {
    let b = s.as_bytes();
    let k = b.iter().position(|c| b"*?[\\".contains(c))?;
    if b[k] != b'*' || k == 0 || b[k - 1] == b'/' {
        return None;
    }
    let j = k + b[k..].iter().take_while(|&&c| c == b'*').count();
    if j - k < 2 {
        return None;
    }
    let rest = &s[j..];
    let after = if rest.is_empty() {
        None
    } else if let Some(r) = rest.strip_prefix('/').or_else(|| rest.strip_prefix("\\/")) {
        Some(r)
    } else {
        return None;
    };
    let head = &s[..k]; // literal: the directories and the glued name
    Some(match after {
        // `a**` at the end: anything after `a`, at any depth.
        None => vec![format!("{head}*"), format!("{head}*/**")],
        // `a**/r`: `a` glued to `r`, or `a…/…/r`.
        Some(r) => vec![format!("{head}{r}"), format!("{head}*/**/{r}")],
    })
}

/// The components of a pattern: split at each `/` (or `\\/`, an escaped
/// slash is a slash) outside a bracket class; `[/a]` is one class, as in
/// git's wildmatch. `None`: the pattern has a malformed class and matches
/// nothing.
fn components(s: &str) -> Option<Vec<String>> {
    let p = s.as_bytes();
    let mut out = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'/' => {
                out.push(std::mem::take(&mut cur));
                i += 1;
            }
            b'\\' if p.get(i + 1) == Some(&b'/') => {
                out.push(std::mem::take(&mut cur));
                i += 2;
            }
            b'\\' => {
                let end = (i + 2).min(p.len());
                cur.extend_from_slice(&p[i..end]);
                i = end;
            }
            b'[' => {
                let (_, end) = class(p, i, 0)?;
                cur.extend_from_slice(&p[i..end]);
                i = end;
            }
            b => {
                cur.push(b);
                i += 1;
            }
        }
    }
    out.push(cur);
    // Splitting at ASCII bytes keeps every part valid UTF-8.
    out.into_iter().map(|c| String::from_utf8(c).ok()).collect()
}

/// Whether the pattern components match the path components: a table of
/// "pattern from `i` matches path from `j`", filled from the ends, so the
/// cost is bounded by (pattern components + 1) × (path components + 1)
/// component matches whatever the `**` (no backtracking, no recursion).
fn match_parts(pat: &[String], path: &[&str]) -> bool {
    let (n, m) = (pat.len(), path.len());
    let w = m + 1;
    // Row `i` is pattern suffix `i`; row `n` (the empty pattern) matches
    // only the empty path.
    let mut next: Vec<bool> = (0..w).map(|j| j == m).collect();
    let mut row = vec![false; w];
    for i in (0..n).rev() {
        let p = &pat[i];
        if p == "**" {
            // `a/**` matches everything inside `a`, not `a` itself.
            let last = i + 1 == n;
            row[m] = !last && next[m];
            for j in (0..m).rev() {
                row[j] = if last { true } else { next[j] || row[j + 1] };
            }
        } else {
            row[m] = false;
            for j in (0..m).rev() {
                row[j] = next[j + 1] && match_component(p.as_bytes(), path[j].as_bytes());
            }
        }
        std::mem::swap(&mut next, &mut row);
    }
    next[0]
}

/// wildmatch of one component, as git's: `*`, `?` (one byte), `[...]`,
/// `\\` escapes. A pattern git aborts on (an unclosed class, a trailing
/// backslash, an unknown `[:name:]`) matches nothing.
fn match_component(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => match class(p, pi, s[si]) {
                    None => return false,
                    Some((true, next)) => {
                        pi = next;
                        si += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                },
                b'\\' => match p.get(pi + 1) {
                    None => return false,
                    Some(&c) if c == s[si] => {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                    Some(_) => {}
                },
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Matches byte `c` against the class starting at `p[start] == b'['`, as
/// git's wildmatch: `!` or `^` negates, a `]` first is literal, `a-z`
/// ranges, `\\` escapes, `[:alpha:]` and the other POSIX classes.
/// Returns whether it matched and the index after the class; `None` when
/// the class is malformed (not closed, a trailing backslash, an unknown
/// `[:name:]`), where git's wildmatch gives up on the whole pattern.
fn class(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == b'!' || p[i] == b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    // The previous single character, the start of a possible range.
    let mut prev: Option<u8> = None;
    let mut first = true;
    loop {
        let &ch = p.get(i)?;
        if ch == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if ch == b'\\' {
            let &e = p.get(i + 1)?;
            matched |= e == c;
            prev = Some(e);
            i += 2;
        } else if let (b'-', Some(lo), Some(&hi)) = (ch, prev, p.get(i + 1))
            && hi != b']'
        {
            let (hi, next) = if hi == b'\\' {
                match p.get(i + 2) {
                    Some(&e) => (e, i + 3),
                    None => return None,
                }
            } else {
                (hi, i + 2)
            };
            matched |= lo <= c && c <= hi;
            prev = None;
            i = next;
        } else if ch == b'[' && p.get(i + 1) == Some(&b':') {
            // `[:name:]`, or, without its `:]`, a literal `[`.
            let close = p[i + 2..].iter().position(|&b| b == b']')?;
            let name = &p[i + 2..i + 2 + close];
            match name.strip_suffix(b":") {
                Some(name) => {
                    let found = posix_class(name, c)?;
                    matched |= found;
                    prev = None;
                    i += 2 + close + 1;
                }
                None => {
                    matched |= c == b'[';
                    prev = Some(b'[');
                    i += 1;
                }
            }
        } else {
            matched |= ch == c;
            prev = Some(ch);
            i += 1;
        }
    }
}

/// Whether `c` is in the POSIX class `name` (ASCII, as git's wildmatch);
/// `None` for a name git does not know.
fn posix_class(name: &[u8], c: u8) -> Option<bool> {
    Some(match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str, path: &str, dir: bool) -> bool {
        Ignore::parse(text).is_ignored(path, dir)
    }

    #[test]
    fn anchoring() {
        assert!(ig("node_modules", "node_modules", true));
        assert!(ig("node_modules", "a/b/node_modules", true));
        assert!(ig("/node_modules", "node_modules", true));
        assert!(!ig("/node_modules", "a/node_modules", true));
        assert!(ig("a/b", "a/b", false));
        assert!(!ig("a/b", "x/a/b", false));
    }

    /// The matcher as it was: recursive, exponential in repeated `**`.
    fn reference(pat: &[String], path: &[&str]) -> bool {
        match pat.split_first() {
            None => path.is_empty(),
            Some((p, rest)) if p == "**" => {
                if rest.is_empty() {
                    return !path.is_empty();
                }
                (0..=path.len()).any(|i| reference(rest, &path[i..]))
            }
            Some((p, rest)) => match path.split_first() {
                Some((c, tail)) => {
                    match_component(p.as_bytes(), c.as_bytes()) && reference(rest, tail)
                }
                None => false,
            },
        }
    }

    #[test]
    fn the_table_agrees_with_the_recursive_matcher() {
        let pats = [
            "**", "a", "*", "b*", "**/a", "a/**", "a/**/b", "**/**/b", "a/*/b", "*/**/*",
        ];
        let paths = ["", "a", "b", "a/b", "a/a/b", "x/a/y/b", "b/a", "a/b/c/b"];
        for p in pats {
            let parts: Vec<String> = p.split('/').map(str::to_string).collect();
            for q in paths {
                let comps: Vec<&str> = q.split('/').filter(|c| !c.is_empty()).collect();
                assert_eq!(
                    match_parts(&parts, &comps),
                    reference(&parts, &comps),
                    "{p} on {q}"
                );
            }
        }
    }

    #[test]
    fn repeated_double_stars_are_bounded() {
        let deep: Vec<String> = (0..25).map(|i| format!("d{i}")).collect();
        let path = format!("{}/y", deep.join("/"));
        let t = std::time::Instant::now();
        assert!(!ig("**/**/**/**/**/**/**/**/**/**/z", &path, false));
        assert!(ig("**/**/**/**/**/**/**/**/**/**/y", &path, false));
        let many = format!("{}z", "**/".repeat(2000));
        assert!(!ig(&many, &path, false));
        assert!(ig(&format!("{}y", "**/".repeat(2000)), &path, false));
        // Not collapsible: `*` components between the globstars.
        let mixed = format!("{}z", "**/*/".repeat(1000));
        assert!(!ig(&mixed, &path, false));
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(
            Ignore::parse("a/**/**/**/b").rules[0].alts[0],
            ["a", "**", "b"]
        );
    }

    #[test]
    fn double_star() {
        assert!(ig("**/x.txt", "x.txt", false));
        assert!(ig("**/x.txt", "a/b/x.txt", false));
        assert!(ig("a/**/b", "a/b", false));
        assert!(ig("a/**/b", "a/x/y/b", false));
        assert!(ig("a/**", "a/x", false));
        assert!(!ig("a/**", "a", true));
    }

    #[test]
    fn globs_and_escapes() {
        assert!(ig("*.md", "docs/README.md", false));
        assert!(!ig("*.md", "docs/READMEmd", false));
        assert!(ig("file?.txt", "file1.txt", false));
        assert!(ig("[a-c].js", "b.js", false));
        assert!(!ig("[!a-c].js", "b.js", false));
        assert!(ig("\\#notes", "#notes", false));
        assert!(ig("\\!bang", "!bang", false));
        assert!(ig("trail\\ ", "trail ", false));
        assert!(ig("sp   ", "sp", false));
        // git's wildmatch gives up on an unclosed class: nothing matches.
        assert!(!ig("[unclosed", "[unclosed", false));
        assert!(ig("[[:digit:]].js", "7.js", false));
        assert!(!ig("trail\\", "trail\\", false));
    }

    #[test]
    fn last_match_wins_and_comments() {
        let t = "# comment\n*.log\n!important.log\n\n";
        assert!(ig(t, "x.log", false));
        assert!(!ig(t, "important.log", false));
        assert!(!ig(t, "# comment", false));
        assert!(Ignore::parse("# only\n\n").is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_skipped_as_git_does() {
        assert!(ig("\u{feff}*.log\n", "a.log", false));
        assert!(ig("\u{feff}/*.log", "a.log", true));
    }

    #[test]
    fn dir_only() {
        assert!(ig("logs/", "logs", true));
        assert!(!ig("logs/", "logs", false));
        assert!(ig("logs/", "a/logs", true));
    }
}
