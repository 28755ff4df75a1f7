//! Error recovery: one YAML syntax error must not hide the other findings
//! while the user types. The broken lines are blanked (the line count stays,
//! so every other finding keeps its position) until the text parses, and
//! that text is linted; findings on a blanked line are dropped.

use crate::diag::{Code, Diagnostic};
use crate::yaml::{self, Limits};

/// At most this many lines are blanked before giving up.
const MAX_BLANKED: usize = 8;

/// Where the parse of `lines` stops: `None` when it parses, the 1-based
/// line of the syntax error otherwise, `Some(0)` for any other failure
/// (a limit), which recovery does not try to get around.
fn stop(lines: &[&str], limits: Limits) -> Option<usize> {
    match yaml::parse(&lines.join("\n"), limits) {
        Ok(_) => None,
        Err(d) if d.code == Code::YamlSyntax => Some(d.span.map_or(0, |s| s.start.line as usize)),
        Err(_) => Some(0),
    }
}

/// A copy of `src` with the fewest broken lines blanked (the error's line
/// or the one above it, whichever lets the parse go further), and the
/// 1-based lines blanked; `None` when that does not make it parse.
pub fn recover(src: &str, limits: Limits) -> Option<(String, Vec<usize>)> {
    let mut lines: Vec<&str> = src.split('\n').collect();
    let mut blanked = Vec::new();
    let mut at = stop(&lines, limits)?;
    while blanked.len() < MAX_BLANKED {
        if at == 0 {
            return None;
        }
        // Try the error's line and the one above; keep what goes furthest.
        let mut best: Option<(usize, Option<usize>)> = None;
        let reach = |n: Option<usize>| n.unwrap_or(usize::MAX);
        for cand in [at, at - 1] {
            if cand == 0 || cand > lines.len() || lines[cand - 1].trim().is_empty() {
                continue;
            }
            let mut trial = lines.clone();
            trial[cand - 1] = "";
            let next = stop(&trial, limits);
            if best.is_none_or(|(_, b)| reach(next) > reach(b)) {
                best = Some((cand, next));
            }
        }
        let (line, next) = best?;
        lines[line - 1] = "";
        blanked.push(line);
        match next {
            None => return Some((lines.join("\n"), blanked)),
            Some(n) => at = n,
        }
    }
    None
}

/// The key a line writes (`key:` or `- key:`), if any.
fn key_on(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").map_or(t, str::trim_start);
    let (k, _) = t.split_once(':')?;
    let k = k.trim().trim_matches(|c| c == '"' || c == '\'');
    (!k.is_empty() && !k.contains(char::is_whitespace)).then_some(k)
}

/// The findings of the recovered text that are not on a blanked line, nor
/// "missing" findings for a key written on a blanked line after them (the
/// user is typing it: `deployFiles: [dist` is not a missing `deployFiles`).
pub fn findings_outside(src: &str, diags: Vec<Diagnostic>, blanked: &[usize]) -> Vec<Diagnostic> {
    let lines: Vec<&str> = src.split('\n').collect();
    let keys: Vec<(usize, &str)> = blanked
        .iter()
        .filter_map(|&n| Some((n, key_on(lines.get(n - 1)?)?)))
        .collect();
    diags
        .into_iter()
        .filter(|d| {
            let Some(s) = d.span else { return true };
            let line = s.start.line as usize;
            if blanked.contains(&line) {
                return false;
            }
            let missing = matches!(d.code, Code::MissingKey | Code::RootMissingZerops);
            !(missing
                && keys
                    .iter()
                    .any(|&(n, k)| n > line && d.message.contains(&format!("`{k}`"))))
        })
        .collect()
}

/// The syntax error, saying which lines were left out to lint the rest.
pub fn mark(d: Diagnostic, blanked: &[usize]) -> Diagnostic {
    let mut lines = blanked.to_vec();
    lines.sort_unstable();
    let list = lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let left_out = format!(
        "the rest of the file is linted without line{} {list}, so findings there are missing until this is fixed",
        if lines.len() == 1 { "" } else { "s" }
    );
    let help = match d.help {
        Some(ref h) => format!("{h}; {left_out}"),
        None => left_out,
    };
    d.with_help(help)
}
