//! Where the cursor is, read from the lines above it by indentation, so it
//! works while the file is half written and does not parse.

use crate::diag::{Pos, Span};
use crate::lint::schema::{Object, ROOT, Shape};

/// One line, as far as block structure goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub indent: usize,
    /// The column (0-based, characters) of `- ` when the line is a list item.
    pub dash: Option<usize>,
    /// The column where the content after indentation and dash starts.
    pub content_col: usize,
    pub content: &'a str,
    /// `key` of `key:` / `key: value`, unquoted.
    pub key: Option<&'a str>,
}

pub fn parse_line(l: &str) -> Option<Line<'_>> {
    let indent = l.len() - l.trim_start_matches(' ').len();
    let mut rest = &l[indent..];
    if rest.is_empty() || rest.starts_with('#') {
        return None;
    }
    let mut dash = None;
    let mut col = indent;
    if rest == "-" || rest.starts_with("- ") {
        dash = Some(indent);
        let after = &rest[1..];
        let spaces = after.len() - after.trim_start_matches(' ').len();
        col = indent + 1 + spaces;
        rest = &after[spaces..];
    }
    Some(Line {
        indent,
        dash,
        content_col: col,
        content: rest,
        key: key_of(rest),
    })
}

/// `cache` of `cache: [a]`, `"cache"` of `"cache":`; none for a plain value.
pub fn key_of(content: &str) -> Option<&str> {
    if content.starts_with(['[', '{', '|', '>', '#', '&', '*', '!']) {
        return None;
    }
    let (quoted, body) = match content.chars().next() {
        Some(q @ ('"' | '\'')) => (Some(q), &content[1..]),
        _ => (None, content),
    };
    let colon = match quoted {
        Some(q) => {
            let end = body.find(q)?;
            body[end + 1..].starts_with(':').then_some(end)?
        }
        None => body
            .find(": ")
            .or_else(|| body.strip_suffix(':').map(str::len))?,
    };
    let key = body[..colon].trim_end();
    (!key.is_empty() && !key.contains(" #")).then_some(key)
}

/// What the cursor is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Typing a key of the map at `path`.
    Key,
    /// Typing the value of `key`, in the map at `path`.
    Value { key: String },
    /// Typing an item of the list at `path` (a scalar, or the first key of
    /// a map item).
    Item,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Keys from the root to the map or list holding the cursor line
    /// (list items are not counted): `["zerops", "build"]`.
    pub path: Vec<String>,
    pub slot: Slot,
    /// The word typed so far (up to the cursor).
    pub partial: String,
    /// The whole token under the cursor, the part after it included: what
    /// accepting a completion replaces.
    pub replace: Span,
    /// A `:` follows the token (`ca|che: x`): a key completion then
    /// replaces the key alone.
    pub colon_after: bool,
    /// The cursor is right after a key's colon (`base:|`): a value needs a
    /// space before it.
    pub space_before: bool,
    /// Keys already written in the map at the cursor.
    pub siblings: Vec<String>,
}

/// The cursor context at `at` (1-based line and character column).
pub fn cursor(src: &str, at: Pos) -> Option<Cursor> {
    let lines: Vec<&str> = src.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let li = (at.line as usize).checked_sub(1)?;
    let line = *lines.get(li)?;
    let col = (at.column as usize).saturating_sub(1);
    let cut = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
    let prefix = &line[..cut];
    let indent = prefix.len() - prefix.trim_start_matches(' ').len();
    let mut rest = &prefix[indent..];
    let mut dash = None;
    let mut content_col = indent;
    if rest.is_empty() && !line[cut..].trim().is_empty() {
        return None; // in the indentation of a written line
    }
    if rest == "-" {
        return None; // right after a dash: an item needs its space first
    }
    if rest.starts_with("- ") {
        dash = Some(indent);
        let after = &rest[1..];
        let spaces = after.len() - after.trim_start_matches(' ').len();
        content_col = indent + 1 + spaces;
        rest = &after[spaces..];
    }
    if rest.starts_with('#') {
        return None;
    }
    let mut in_flow = false;
    let mut space_before = false;
    let (slot, partial_start) = match key_of(rest) {
        Some(key) => {
            // After the colon: the value, or an item of a flow list.
            let after = rest.rfind([':', '[', ',']).map_or(0, |i| i + 1);
            in_flow = after > 0 && matches!(rest.as_bytes()[after - 1], b'[' | b',');
            space_before = after == rest.len() && rest.ends_with(':');
            let lead = rest[after..].len() - rest[after..].trim_start().len();
            (
                Slot::Value {
                    key: key.trim_matches(['"', '\'']).to_string(),
                },
                content_col + rest[..after + lead].chars().count(),
            )
        }
        None if dash.is_some() => (Slot::Item, content_col),
        None => (Slot::Key, content_col),
    };
    // `key:|` over a block (`  - a` or `  sub: x` below it): the value
    // is written already, and a scalar here would break it.
    if matches!(slot, Slot::Value { .. })
        && !in_flow
        && line[cut..].trim().is_empty()
        && rest[rest.rfind(':').map_or(0, |i| i + 1)..]
            .trim()
            .is_empty()
        && let Some(next) = lines[li + 1..].iter().find_map(|l| parse_line(l))
        && (next.indent > content_col || (next.dash.is_some() && next.indent == content_col))
    {
        return None;
    }
    let partial: String = line
        .chars()
        .skip(partial_start)
        .take(col.saturating_sub(partial_start))
        .collect::<String>()
        .trim_matches(['"', '\''])
        .to_string();
    // The rest of the token after the cursor: a key up to its colon, a
    // flow item up to `,`/`]`/`}`, a block value or item up to a comment.
    let tail = &line[cut..];
    let token_len = match slot {
        _ if tail.starts_with([' ', '\t']) => 0, // the cursor is not in a token
        Slot::Key => tail.find([':', ' ', '\t']).unwrap_or(tail.len()),
        Slot::Value { .. } if in_flow => tail.find([',', ']', '}']).unwrap_or(tail.len()),
        Slot::Value { .. } => tail.find(" #").unwrap_or(tail.len()),
        Slot::Item => tail
            .find(':')
            .into_iter()
            .chain(tail.find(" #"))
            .min()
            .unwrap_or(tail.len()),
    };
    let token = tail[..token_len].trim_end();
    let colon_after =
        matches!(slot, Slot::Key | Slot::Item) && tail[token.len()..].starts_with(':');
    let end_col = col.max(partial_start) + token.chars().count();
    let replace = Span::new(
        Pos::new(at.line, partial_start as u32 + 1),
        Pos::new(at.line, end_col as u32 + 1),
    );
    let want = match dash {
        Some(d) if slot == Slot::Item => Want::Seq(d),
        _ => Want::Map(content_col),
    };
    let path = parents(&lines[..li], want);
    // For an item, the keys below it in a map item (`- |` over `port: 80`).
    let siblings = siblings(&lines, li, content_col, dash);
    Some(Cursor {
        path,
        slot,
        partial,
        replace,
        colon_after,
        space_before,
        siblings,
    })
}

#[derive(Debug, Clone, Copy)]
enum Want {
    /// The owner of a map whose keys are at this column.
    Map(usize),
    /// The owner of a list whose dashes are at this column.
    Seq(usize),
}

/// The keys that own the block at `want`, from the root down.
fn parents(above: &[&str], mut want: Want) -> Vec<String> {
    let mut path = Vec::new();
    for l in above.iter().rev().filter_map(|l| parse_line(l)) {
        match want {
            Want::Map(c) => {
                if let Some(d) = l.dash
                    && l.content_col == c
                {
                    want = Want::Seq(d);
                    continue;
                }
                if let Some(k) = l.key
                    && l.content_col < c
                {
                    path.push(k.trim_matches(['"', '\'']).to_string());
                    want = match l.dash {
                        Some(d) => Want::Seq(d),
                        None => Want::Map(l.content_col),
                    };
                }
            }
            Want::Seq(d) => {
                if l.indent > d || (l.dash == Some(d)) {
                    continue;
                }
                if let Some(k) = l.key
                    && l.content_col <= d
                {
                    path.push(k.trim_matches(['"', '\'']).to_string());
                    want = match l.dash {
                        Some(d2) => Want::Seq(d2),
                        None => Want::Map(l.content_col),
                    };
                }
            }
        }
    }
    path.reverse();
    path
}

/// The keys written at column `c` in the same map as line `li`.
fn siblings(lines: &[&str], li: usize, c: usize, dash: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    if dash.is_none() {
        // Up to the start of the map: its item's dash, or a line left of it.
        for l in lines[..li].iter().rev().filter_map(|l| parse_line(l)) {
            if l.content_col == c {
                out.extend(l.key.map(str::to_string));
                if l.dash.is_some() {
                    break;
                }
            } else if l.indent < c {
                break;
            }
        }
    }
    for l in lines[li + 1..].iter().filter_map(|l| parse_line(l)) {
        if l.content_col == c && l.dash.is_none() {
            out.extend(l.key.map(str::to_string));
        } else if l.indent < c {
            break;
        }
    }
    out
}

/// The shape of the value at `path` from the root, stepping through lists.
pub fn shape_at(path: &[String]) -> Option<&'static Shape> {
    let mut obj: &'static Object = &ROOT;
    let mut shape: Option<&'static Shape> = None;
    for (i, key) in path.iter().enumerate() {
        if i > 0 {
            obj = object_of(shape?)?;
        }
        shape = Some(obj.prop(key)?);
    }
    shape
}

/// The map a shape holds: itself, its list's items, or its map branch.
pub fn object_of(shape: &'static Shape) -> Option<&'static Object> {
    match shape {
        Shape::Object(o) => Some(o),
        Shape::Array(item) => object_of(item),
        Shape::OneOf(branches) => branches.iter().find_map(object_of),
        _ => None,
    }
}

/// The map at `path` (the root map for an empty path).
pub fn map_at(path: &[String]) -> Option<&'static Object> {
    if path.is_empty() {
        return Some(&ROOT);
    }
    object_of(shape_at(path)?)
}

/// The setup-relative rule path of `path` + `key`: `build.cache`,
/// `run.ports[].port` (the form of [`super::docs::KEY_DOCS`]).
pub fn rule_path(path: &[String], key: Option<&str>) -> String {
    let mut out = String::new();
    let mut shape: Option<&'static Shape> = None;
    for (i, k) in path.iter().map(String::as_str).chain(key).enumerate() {
        if i == 0 {
            shape = ROOT.prop(k);
            continue;
        }
        if i > 1 {
            if matches!(shape, Some(Shape::Array(_))) {
                out.push_str("[]");
            }
            out.push('.');
        }
        out.push_str(k);
        shape = shape.and_then(object_of).and_then(|o| o.prop(k));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str) -> Cursor {
        let (line, col) = src
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find('|').map(|c| (i + 1, l[..c].chars().count() + 1)))
            .expect("a | marks the cursor");
        let clean = src.replacen('|', "", 1);
        cursor(&clean, Pos::new(line as u32, col as u32)).unwrap()
    }

    #[test]
    fn key_in_build() {
        let c = at("zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cac|\n");
        assert_eq!(c.path, ["zerops", "build"]);
        assert_eq!(c.slot, Slot::Key);
        assert_eq!(c.partial, "cac");
        assert_eq!(c.replace, Span::new(Pos::new(5, 7), Pos::new(5, 10)));
        assert_eq!(c.siblings, ["base"]);
    }

    #[test]
    fn compact_lists_and_items() {
        let c = at("zerops:\n- setup: app\n  build:\n    base:\n    - node|\n");
        assert_eq!(c.path, ["zerops", "build", "base"]);
        assert_eq!(c.slot, Slot::Item);
        assert_eq!(c.partial, "node");
        let c = at("zerops:\n  - setup: a\n  - |\n");
        assert_eq!(c.path, ["zerops"]);
        assert_eq!(c.slot, Slot::Item);
        let c = at("zerops:\n  - setup: a\n    bu|\n");
        assert_eq!(c.path, ["zerops"]);
        assert_eq!(c.slot, Slot::Key);
        assert_eq!(c.siblings, ["setup"]);
    }

    #[test]
    fn values_and_flow_lists() {
        let c = at("zerops:\n  - setup: a\n    build:\n      os: al|\n");
        assert_eq!(c.slot, Slot::Value { key: "os".into() });
        assert_eq!(c.partial, "al");
        assert_eq!(c.replace.start, Pos::new(4, 11));
        let c = at("zerops:\n  - setup: a\n    build:\n      base: [nodejs@22, go|]\n");
        assert_eq!(c.slot, Slot::Value { key: "base".into() });
        assert_eq!(c.partial, "go");
        let c = at(
            "zerops:\n  - setup: a\n    run:\n      ports:\n        - port: 80\n          proto|\n",
        );
        assert_eq!(c.path, ["zerops", "run", "ports"]);
        assert_eq!(rule_path(&c.path, Some("protocol")), "run.ports[].protocol");
    }

    #[test]
    fn schema_navigation() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(
            map_at(&p(&["zerops", "build"]))
                .unwrap()
                .prop("cache")
                .is_some()
        );
        assert!(map_at(&p(&["zerops"])).unwrap().prop("setup").is_some());
        assert!(map_at(&p(&["zerops", "nope"])).is_none());
        assert_eq!(
            rule_path(&p(&["zerops", "build"]), Some("cache")),
            "build.cache"
        );
        assert_eq!(rule_path(&p(&["zerops"]), Some("extends")), "extends");
    }
}
