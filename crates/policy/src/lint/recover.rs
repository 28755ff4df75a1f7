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

/// The findings of the recovered text that are not on a blanked line.
pub fn findings_outside(diags: Vec<Diagnostic>, blanked: &[usize]) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter(|d| {
            d.span
                .is_none_or(|s| !blanked.contains(&(s.start.line as usize)))
        })
        .collect()
}
