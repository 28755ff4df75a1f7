//! A small gitignore matcher for `.deployignore` (gitignore syntax, at the
//! repository root, as documented by Zerops).
//!
//! Supported, as git does: blank lines and `#` comments; `\#` and `\!` to
//! start a pattern with those characters; trailing spaces trimmed unless
//! escaped; `!` re-includes; a trailing `/` matches directories only; a `/`
//! at the start or in the middle anchors the pattern to the root, otherwise
//! it matches a name at any depth; `*`, `?`, `[...]` (with `!`/`^`
//! negation and ranges) never match `/`; `**` as a whole component matches
//! any number of directories (`**/x`, `a/**/b`, `a/**`). The last matching
//! line wins. A file below an ignored directory is ignored whatever later
//! lines say (the walk never enters the directory), also as in git.

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    negate: bool,
    dir_only: bool,
    /// Components of the pattern; an unanchored pattern starts with `**`.
    parts: Vec<String>,
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
            if match_parts(&r.parts, &comps) {
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
    let mut dir_only = false;
    if let Some(rest) = s.strip_suffix('/') {
        dir_only = true;
        s = rest;
    }
    let anchored = s.starts_with('/') || s.trim_start_matches('/').contains('/');
    let s = s.trim_start_matches('/');
    if s.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    if !anchored {
        parts.push("**".to_string());
    }
    for c in s.split('/').filter(|c| !c.is_empty()) {
        // `**/**` is `**`: repeated globstars collapse to one.
        if c == "**" && parts.last().is_some_and(|l| l == "**") {
            continue;
        }
        parts.push(c.to_string());
    }
    Some(Rule {
        negate,
        dir_only,
        parts,
    })
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

/// fnmatch of one component: `*`, `?`, `[...]`, `\` escapes.
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
                b'[' => {
                    if let Some((ok, next)) = class(p, pi, s[si]) {
                        if ok {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == s[si] {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                }
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

/// Matches byte `c` against the class starting at `p[start] == b'['`.
/// Returns whether it matched and the index after the class, or `None` when
/// the class is not closed (then `[` is literal).
fn class(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == b'!' || p[i] == b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let mut lo = p[i];
        if lo == b'\\' && i + 1 < p.len() {
            i += 1;
            lo = p[i];
        }
        i += 1;
        if i + 1 < p.len() && p[i] == b'-' && p[i + 1] != b']' {
            let mut hi = p[i + 1];
            i += 2;
            if hi == b'\\' && i < p.len() {
                hi = p[i];
                i += 1;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
        } else if lo == c {
            matched = true;
        }
    }
    None
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
            Ignore::parse("a/**/**/**/b").rules[0].parts,
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
        assert!(ig("[unclosed", "[unclosed", false));
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
    fn dir_only() {
        assert!(ig("logs/", "logs", true));
        assert!(!ig("logs/", "logs", false));
        assert!(ig("logs/", "a/logs", true));
    }
}
