//! Hover: what the key under the cursor does (from [`super::docs`] and the
//! schema tables), and for values of `cache`, `base`, `os`,
//! `prepareCommands` and `extends` what they mean for the build cache.

use super::context::{map_at, rule_path};
use super::{Hover, contains, docs};
use crate::diag::{Pos, Span};
use crate::lint::schema::describe;
use crate::lint::{BUILD_BASES, RUN_BASES, TreeFacts};
use crate::pattern::{Pattern, normalize};
use crate::yaml::{self, Node, Value};

/// What the cursor is on in the parsed tree.
enum Hit<'a> {
    Key {
        path: Vec<String>,
        key: String,
        span: Span,
    },
    /// A scalar; `path` ends with the key that holds it.
    Scalar { path: Vec<String>, node: &'a Node },
}

fn locate<'a>(node: &'a Node, at: Pos, path: &mut Vec<String>) -> Option<Hit<'a>> {
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = k.as_scalar().map(|s| s.text.clone()).unwrap_or_default();
                if contains(k.span, at) && k.as_scalar().is_some() {
                    return Some(Hit::Key {
                        path: path.clone(),
                        key,
                        span: k.span,
                    });
                }
                if contains(v.span, at) {
                    path.push(key);
                    if let Some(h) = locate(v, at, path) {
                        return Some(h);
                    }
                    path.pop();
                }
            }
            None
        }
        Value::Seq(items) => items
            .iter()
            .filter(|n| contains(n.span, at))
            .find_map(|n| locate(n, at, path)),
        Value::Scalar(_) => Some(Hit::Scalar {
            path: path.clone(),
            node,
        }),
    }
}

/// The key's documentation: its path, its type, its text.
pub(crate) fn key_markdown(path: &[String], key: &str) -> Option<String> {
    let shape = map_at(path)?.prop(key)?;
    let rule = rule_path(path, Some(key));
    let shown = if rule.is_empty() { key } else { &rule };
    let mut md = format!("**`{shown}`** · {}", describe(shape));
    if let Some(text) = docs::text(&rule) {
        md.push_str("\n\n");
        md.push_str(text);
    }
    if let Some(note) = layer_note(&rule) {
        md.push_str("\n\n");
        md.push_str(note);
    }
    Some(md)
}

const BOTH_LAYERS: &str = "**Build cache:** part of the base layer's key. Changing it \
invalidates both layers of this setup (base and build): the next build starts from a fresh \
base, runs `prepareCommands` again and restores no cached files.";

fn layer_note(rule: &str) -> Option<&'static str> {
    match rule {
        "build.os" | "build.base" | "build.prepareCommands" | "build.cache" => Some(BOTH_LAYERS),
        "build.buildCommands" => Some(
            "**Build cache:** not part of any layer key; changing the commands keeps both \
             layers.",
        ),
        "run.os" | "run.base" | "run.prepareCommands" => Some(
            "**Build cache:** this is the runtime's setting; the build cache's keys use only \
             `build.os`, `build.base`, `build.prepareCommands` and `build.cache`.",
        ),
        "extends" => Some(
            "**Build cache:** a setup that inherits `build` uses the parent's `build` \
             section, so its layer keys are the parent's.",
        ),
        _ => None,
    }
}

/// What a cache path matches in the project directory now, from the
/// host's listing (the same judgement as the tree lints).
fn in_tree(norm: &str, p: &Pattern, tree: &TreeFacts) -> String {
    let k = norm.split('/').count();
    let found: Vec<&str> = tree
        .entries
        .iter()
        .filter(|e| e.split('/').count() == k && p.matches(e))
        .map(String::as_str)
        .collect();
    let tracked = tree
        .tracked
        .iter()
        .flatten()
        .filter(|t| {
            let pre: Vec<&str> = t.split('/').take(k).collect();
            pre.len() == k && p.matches(&pre.join("/"))
        })
        .count();
    let mut md = match found.as_slice() {
        [] if k as u32 > tree.depth => String::new(),
        [] => "In the project directory now it matches nothing; unless `buildCommands` create it, \
               nothing is cached for it."
            .to_string(),
        some => {
            let shown: Vec<String> = some.iter().take(5).map(|e| format!("`{e}`")).collect();
            let more = if some.len() > 5 {
                format!(" and {} more", some.len() - 5)
            } else {
                String::new()
            };
            format!(
                "In the project directory now it matches {}{more}.",
                shown.join(", ")
            )
        }
    };
    if tracked > 0 {
        md.push_str(&format!(
            " It matches {tracked} file{} tracked by git: the source wins on restore, so {} \
             from the cache.",
            if tracked == 1 { "" } else { "s" },
            if tracked == 1 {
                "it never comes"
            } else {
                "they never come"
            }
        ));
    }
    md
}

fn cache_entry(text: &str, tree: Option<&TreeFacts>) -> String {
    let norm = normalize(text);
    let shown = if norm == text {
        format!("`{text}`")
    } else {
        format!("`{text}` (normalized: `{norm}`)")
    };
    let parsed = Pattern::new(&norm);
    let what = match &parsed {
        Err(e) => format!("{}; nothing is cached for it.", e.explain(&norm)),
        Ok(_) if norm.starts_with('/') || norm.split('/').any(|c| c == "..") => {
            "outside `/build/source`: cache paths are relative to the source directory.".into()
        }
        Ok(p) if p.is_literal() => format!(
            "keeps `/build/source/{norm}` (the file, or the directory with everything below \
             it) in the build layer: moved out after the build and back before the next one."
        ),
        Ok(p) => format!(
            "a Go `filepath.Match` pattern over paths with {} component{} below \
             `/build/source` (`*`, `?` and `[...]` never cross `/`, and `**` is `*`); every \
             match is kept whole in the build layer, with everything below it.",
            p.max_slashes() + 1,
            if p.max_slashes() == 0 { "" } else { "s" }
        ),
    };
    let now = match (&parsed, tree) {
        (Ok(p), Some(t)) if !norm.starts_with('/') && !norm.split('/').any(|c| c == "..") => {
            in_tree(&norm, p, t)
        }
        _ => String::new(),
    };
    let now = if now.is_empty() {
        now
    } else {
        format!("\n\n{}", now.trim_start())
    };
    format!(
        "**Cache path** {shown}: {what}{now}\n\nChanging `cache` changes the base layer's key, \
         so it invalidates both layers (base and build): the next build runs `prepareCommands` \
         again and restores no cached files."
    )
}

fn base_value(section: &str, value: &str) -> String {
    let known = if section == "build" {
        BUILD_BASES
    } else {
        RUN_BASES
    };
    let listed = if known.contains(&value) {
        "in the official schema's list"
    } else {
        "not in the official schema's list (the platform's list changes, so it may still exist)"
    };
    let mut md = format!(
        "**`{section}.base`** `{value}`: the stack and version of the {} environment, {listed}.",
        if section == "build" {
            "build"
        } else {
            "runtime"
        }
    );
    if section == "build" {
        md.push_str("\n\n");
        md.push_str(BOTH_LAYERS);
    }
    md
}

fn scalar_markdown(
    src: &str,
    path: &[String],
    node: &Node,
    tree: Option<&TreeFacts>,
) -> Option<String> {
    let (key, parent) = path.split_last()?;
    let rule = rule_path(parent, Some(key));
    let text = node.as_scalar()?.text.as_str();
    Some(match rule.as_str() {
        "build.cache" => match text {
            "true" => {
                "**`cache: true`**: the whole `/build/source` is kept in the build layer \
                       and restored before the next build, files the source deleted included.\n\n"
                    .to_string()
                    + BOTH_LAYERS
            }
            "false" => {
                "**`cache: false`**: nothing under `/build/source` is kept; files \
                        outside it (the home directory, system packages) stay with the base \
                        layer.\n\n"
                    .to_string()
                    + BOTH_LAYERS
            }
            _ => cache_entry(text, tree),
        },
        "build.base" | "run.base" => base_value(&rule[..rule.len() - 5], text),
        "build.os" | "run.os" => {
            let mut md = format!(
                "**`{rule}`** `{text}`: the Linux distribution of the {} container (`alpine` \
                 when unset).",
                if rule.starts_with("build") {
                    "build"
                } else {
                    "runtime"
                }
            );
            if rule.starts_with("build") {
                md.push_str("\n\n");
                md.push_str(BOTH_LAYERS);
            }
            md
        }
        "build.prepareCommands" => format!(
            "**Prepare command** of the build environment: runs when the base layer is built, \
             before the build; what it leaves outside `/build/source` is kept in the base layer \
             and reused while `os`, `base`, `prepareCommands` and `cache` stay the same.\n\n{BOTH_LAYERS}"
        ),
        "extends" => {
            let config = crate::model::parse(src).ok()?;
            match config.setup(text) {
                Some(s) => format!(
                    "**extends** `{text}`: inherits the sections of setup `{text}` (line {}) \
                     that this setup does not write; a section written here replaces the \
                     parent's whole.",
                    s.name.span.start.line
                ),
                None => format!("**extends** `{text}`: no setup of this name in the file."),
            }
        }
        _ => key_markdown(parent, key)?,
    })
}

/// The hover at `at`, if the file parses and the cursor is on a key or a
/// value the schema knows.
pub fn hover(src: &str, at: Pos) -> Option<Hover> {
    hover_in(src, at, None)
}

/// [`hover`] with the host's listing of the project directory: a cache
/// path's hover then also says what it matches there now.
pub fn hover_in(src: &str, at: Pos, tree: Option<&TreeFacts>) -> Option<Hover> {
    let doc = yaml::parse(src, yaml::Limits::default()).ok()?;
    let root = doc.root?;
    match locate(&root, at, &mut Vec::new())? {
        Hit::Key { path, key, span } => Some(Hover {
            span,
            markdown: key_markdown(&path, &key)?,
        }),
        Hit::Scalar { path, node } => Some(Hover {
            span: node.span,
            markdown: scalar_markdown(src, &path, node, tree)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "zerops:
  - setup: base
    build:
      os: ubuntu
      base: nodejs@22
      prepareCommands:
        - apt-get install -y jq
      buildCommands: [npm ci]
      deployFiles: ./
      cache: [./node_modules/, \"*.log\"]
  - setup: app
    extends: base
";

    fn at(line: u32, column: u32) -> String {
        hover(SRC, Pos::new(line, column))
            .expect("a hover")
            .markdown
    }

    #[test]
    fn keys_say_what_they_do_and_what_changing_them_does() {
        let h = at(10, 8);
        assert!(
            h.starts_with("**`build.cache`** · a boolean, a string or a list of strings"),
            "{h}"
        );
        assert!(
            h.contains("Defines which files or folders will be cached"),
            "{h}"
        );
        assert!(h.contains("invalidates both layers"), "{h}");
        let h = at(8, 8);
        assert!(h.contains("not part of any layer key"), "{h}");
        let h = at(12, 6);
        assert!(h.starts_with("**`extends`**"), "{h}");
        let span = hover(SRC, Pos::new(10, 8)).unwrap().span;
        assert_eq!(span, Span::new(Pos::new(10, 7), Pos::new(10, 12)));
    }

    #[test]
    fn cache_entries_say_what_they_match() {
        let h = at(10, 16);
        assert!(
            h.contains("`./node_modules/` (normalized: `node_modules`)"),
            "{h}"
        );
        assert!(h.contains("keeps `/build/source/node_modules`"), "{h}");
        assert!(
            h.contains("invalidates both layers (base and build)"),
            "{h}"
        );
        let h = at(10, 33);
        assert!(h.contains("pattern over paths with 1 component"), "{h}");
    }

    #[test]
    fn cache_entries_say_what_they_match_in_the_tree() {
        let tree = TreeFacts {
            entries: vec![
                "node_modules".into(),
                "a.log".into(),
                "b.log".into(),
                "src".into(),
            ],
            depth: 1,
            tracked: Some(vec!["a.log".into(), "src/x.js".into()]),
        };
        let h = hover_in(SRC, Pos::new(10, 16), Some(&tree))
            .unwrap()
            .markdown;
        assert!(
            h.contains("In the project directory now it matches `node_modules`."),
            "{h}"
        );
        let h = hover_in(SRC, Pos::new(10, 33), Some(&tree))
            .unwrap()
            .markdown;
        assert!(h.contains("matches `a.log`, `b.log`."), "{h}");
        assert!(h.contains("It matches 1 file tracked by git"), "{h}");
        let empty = TreeFacts {
            depth: 1,
            ..TreeFacts::default()
        };
        let h = hover_in(SRC, Pos::new(10, 16), Some(&empty))
            .unwrap()
            .markdown;
        assert!(h.contains("it matches nothing"), "{h}");
        assert!(!at(10, 16).contains("project directory now"));
    }

    #[test]
    fn base_os_prepare_and_extends_values() {
        assert!(at(5, 14).contains("in the official schema's list"));
        assert!(at(4, 12).contains("Linux distribution of the build container"));
        assert!(at(7, 14).contains("runs when the base layer is built"));
        let h = at(12, 15);
        assert!(
            h.contains("inherits the sections of setup `base` (line 2)"),
            "{h}"
        );
    }

    #[test]
    fn nothing_for_unknown_keys_or_broken_files() {
        assert!(hover("zerops:\n  - setup: a\n    bogus: 1\n", Pos::new(3, 6)).is_none());
        assert!(hover("zerops: [\n", Pos::new(1, 2)).is_none());
    }
}
