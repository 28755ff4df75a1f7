//! Completion: the keys the schema allows in the map at the cursor, and the
//! values of enumerated keys (`base`, `os`, ...), `extends` (the file's
//! setups) and booleans.

use super::context::{Slot, cursor, map_at, object_of, rule_path, shape_at};
use super::hover::key_markdown;
use super::{Completion, CompletionKind};
use crate::diag::Pos;
use crate::lint::schema::{Shape, describe};

/// The values a shape allows, when it lists them.
fn values(shape: &Shape, out: &mut Vec<&'static str>) {
    match shape {
        Shape::Enum(list) => out.extend(list.iter().copied()),
        Shape::Boolean => out.extend(["true", "false"]),
        Shape::Array(item) => values(item, out),
        Shape::OneOf(branches) => branches.iter().for_each(|b| values(b, out)),
        _ => {}
    }
}

/// The setups named in the file, read line by line (the file may not parse).
fn setup_names(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            let v = t.strip_prefix("setup:")?.trim();
            let v = v
                .split(" #")
                .next()
                .unwrap_or(v)
                .trim()
                .trim_matches(['"', '\'']);
            (!v.is_empty()).then(|| v.to_string())
        })
        .collect()
}

/// Completions at `at`, filtered by the word typed so far (a prefix,
/// ignoring case); editors filter and sort further.
pub fn complete(src: &str, at: Pos) -> Vec<Completion> {
    let Some(c) = cursor(src, at) else {
        return Vec::new();
    };
    let lower = c.partial.to_ascii_lowercase();
    let keep = |label: &str| label.to_ascii_lowercase().starts_with(&lower);
    let mut out = Vec::new();
    let mut keys = |path: &[String]| {
        let Some(obj) = map_at(path) else { return };
        for (key, shape) in obj.props {
            if !keep(key) || c.siblings.iter().any(|s| s == key) {
                continue;
            }
            // The deprecated alias of `deployFiles` is accepted, not offered.
            if *key == "deploy" && rule_path(path, Some(key)) == "build.deploy" {
                continue;
            }
            out.push(Completion {
                label: key.to_string(),
                kind: CompletionKind::Key,
                detail: describe(shape),
                documentation: key_markdown(path, key).unwrap_or_default(),
                insert_text: if c.colon_after {
                    key.to_string() // the colon is already there
                } else {
                    section_snippet(key, shape, c.replace.start.column)
                },
                replace: c.replace,
            });
        }
    };
    let value_items = |path: &[String], key: &str, out: &mut Vec<Completion>| {
        let rule = rule_path(path, Some(key));
        let mut list: Vec<String> = Vec::new();
        if rule == "extends" {
            list = setup_names(src);
        } else if let Some(shape) = map_at(path).and_then(|o| o.prop(key)) {
            let mut v = Vec::new();
            values(shape, &mut v);
            list = v.into_iter().map(str::to_string).collect();
        }
        let detail = if rule == "extends" {
            "a setup of this file".to_string()
        } else {
            format!("a value of `{rule}`")
        };
        for v in list.into_iter().filter(|v| keep(v)) {
            // A value reachable through two branches of the schema (`base:
            // x` and `base: [x]`) is offered once.
            if out.iter().any(|o| o.label == v) {
                continue;
            }
            out.push(Completion {
                label: v.clone(),
                kind: CompletionKind::Value,
                detail: detail.clone(),
                documentation: String::new(),
                insert_text: if c.space_before { format!(" {v}") } else { v },
                replace: c.replace,
            });
        }
    };
    match &c.slot {
        Slot::Key => keys(&c.path),
        Slot::Value { key } => value_items(&c.path, key, &mut out),
        Slot::Item => match shape_at(&c.path) {
            // `- ` in a list of maps starts a map item: its keys.
            Some(shape) if object_of(shape).is_some() && !is_scalar_list(shape) => keys(&c.path),
            Some(_) => {
                if let Some((key, parent)) = c.path.split_last() {
                    value_items(parent, key, &mut out);
                }
            }
            None => {}
        },
    }
    out
}

/// What accepting key `key` (at 1-based `column`) inserts: a section opens
/// its block on the next line, indented below the key (a list with its
/// first `- `), as yaml-language-server's snippets do; any other key its
/// `key: `.
fn section_snippet(key: &str, shape: &Shape, column: u32) -> String {
    let indent = " ".repeat(column.saturating_sub(1) as usize + 2);
    match shape {
        Shape::Object(_) => format!("{key}:\n{indent}"),
        Shape::Array(_) => format!("{key}:\n{indent}- "),
        _ => format!("{key}: "),
    }
}

fn is_scalar_list(shape: &Shape) -> bool {
    match shape {
        Shape::Array(item) => !matches!(item, Shape::Object(_)),
        Shape::OneOf(b) => b.iter().any(is_scalar_list),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(src: &str) -> Vec<String> {
        let (line, col) = src
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find('|').map(|c| (i + 1, l[..c].chars().count() + 1)))
            .unwrap();
        let clean = src.replacen('|', "", 1);
        complete(&clean, Pos::new(line as u32, col as u32))
            .into_iter()
            .map(|c| c.label)
            .collect()
    }

    #[test]
    fn keys_of_the_section_at_the_cursor() {
        let l = labels("zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      |\n");
        assert!(l.contains(&"cache".to_string()), "{l:?}");
        assert!(l.contains(&"deployFiles".to_string()), "{l:?}");
        assert!(!l.contains(&"base".to_string()), "already written: {l:?}");
        assert!(!l.contains(&"start".to_string()), "a run key: {l:?}");
        let l = labels("zerops:\n  - setup: app\n    build:\n      ca|\n");
        assert_eq!(l, ["cache"]);
        let l = labels("zerops:\n  - setup: app\n    |\n");
        assert_eq!(l, ["build", "deploy", "run", "extends"]);
        let l = labels("zerops:\n  - setup: app\n    run:\n      ports:\n        - p|\n");
        assert_eq!(l, ["protocol", "port"]);
    }

    #[test]
    fn values_of_base_os_extends_and_booleans() {
        let l = labels("zerops:\n  - setup: app\n    build:\n      os: |\n");
        assert_eq!(l, ["alpine", "ubuntu"]);
        let l = labels("zerops:\n  - setup: app\n    build:\n      base: nodejs@2|\n");
        assert!(l.contains(&"nodejs@22".to_string()), "{l:?}");
        assert!(l.iter().all(|b| b.starts_with("nodejs@2")), "{l:?}");
        let l = labels("zerops:\n  - setup: app\n    build:\n      base:\n        - go|\n");
        assert!(!l.is_empty(), "{l:?}");
        assert!(l.iter().all(|b| b.starts_with("go")), "{l:?}");
        let l = labels("zerops:\n  - setup: base\n  - setup: app\n    extends: |\n");
        assert_eq!(l, ["base", "app"]);
        let l = labels("zerops:\n  - setup: app\n    build:\n      cache: t|\n");
        assert_eq!(l, ["true"]);
    }

    /// The text after accepting the completion `label` at `|`.
    fn accept(src: &str, label: &str) -> String {
        let (line, col) = src
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find('|').map(|c| (i + 1, l[..c].chars().count() + 1)))
            .unwrap();
        let clean = src.replacen('|', "", 1);
        let items = complete(&clean, Pos::new(line as u32, col as u32));
        let c = items
            .iter()
            .find(|c| c.label == label)
            .unwrap_or_else(|| panic!("no {label}: {items:#?}"));
        crate::assist::apply(
            &clean,
            &[super::super::TextEdit {
                span: c.replace,
                new_text: c.insert_text.clone(),
            }],
        )
    }

    #[test]
    fn accepting_replaces_the_whole_token() {
        let head = "zerops:\n  - setup: app\n    build:\n";
        let out = accept(&format!("{head}      base: no|dejs@22\n"), "nodejs@20");
        assert_eq!(out, format!("{head}      base: nodejs@20\n"));
        let out = accept(
            &format!("{head}      base: no|dejs@22 # pin\n"),
            "nodejs@20",
        );
        assert_eq!(out, format!("{head}      base: nodejs@20 # pin\n"));
        let out = accept(
            &format!("{head}      base: [go@1, no|dejs@22]\n"),
            "nodejs@20",
        );
        assert_eq!(out, format!("{head}      base: [go@1, nodejs@20]\n"));
        let out = accept(
            &format!("{head}      base:\n        - no|dejs@22\n"),
            "nodejs@20",
        );
        assert_eq!(out, format!("{head}      base:\n        - nodejs@20\n"));
        let out = accept(&format!("{head}      ca|che: [x]\n"), "cache");
        assert_eq!(out, format!("{head}      cache: [x]\n"));
        let out = accept(&format!("{head}      os:|\n"), "alpine");
        assert_eq!(out, format!("{head}      os: alpine\n"));
        let out = accept(&format!("{head}      os: al|\n"), "alpine");
        assert_eq!(out, format!("{head}      os: alpine\n"));
    }

    #[test]
    fn sections_open_their_block_below_the_key() {
        let src = "zerops:\n  - setup: app\n    bui\n";
        let c = complete(src, Pos::new(3, 8));
        let build = c.iter().find(|c| c.label == "build").unwrap();
        assert_eq!(build.insert_text, "build:\n      ");
        let src = "zerops:\n  - setup: app\n    build:\n      buildC\n";
        let c = complete(src, Pos::new(4, 13));
        let cmds = c.iter().find(|c| c.label == "buildCommands").unwrap();
        assert_eq!(cmds.insert_text, "buildCommands:\n        - ");
        let after = accept(
            "zerops:\n  - setup: app\n    build:\n      buildC|\n",
            "buildCommands",
        );
        assert_eq!(
            after,
            "zerops:\n  - setup: app\n    build:\n      buildCommands:\n        - \n"
        );
        assert!(crate::model::parse(&after).is_ok(), "{after}");
    }

    #[test]
    fn items_are_unique() {
        for src in [
            "zerops:\n  - setup: app\n    build:\n      base: |\n",
            "zerops:\n  - setup: app\n    build:\n      base:\n        - |\n",
            "zerops:\n  - setup: app\n    run:\n      base: |\n",
            "zerops:\n  - setup: app\n    build:\n      |\n",
            "zerops:\n  - setup: app\n    |\n",
        ] {
            let l = labels(src);
            let mut unique = l.clone();
            unique.sort();
            unique.dedup();
            assert!(!l.is_empty(), "{src}");
            assert_eq!(l.len(), unique.len(), "duplicates at {src:?}: {l:?}");
        }
    }

    #[test]
    fn completion_items_carry_docs_and_the_range() {
        let src = "zerops:\n  - setup: app\n    build:\n      cac\n";
        let c = complete(src, Pos::new(4, 10));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].insert_text, "cache: ");
        assert_eq!(c[0].replace.start, Pos::new(4, 7));
        assert!(c[0].documentation.contains("invalidates both layers"));
    }
}
