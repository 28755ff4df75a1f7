//! Quick fixes as text edits, for diagnostics of `lint`: did-you-mean for
//! unknown keys and values, `deploy` → `deployFiles`, `**` → the named
//! path, and the rewrite of a legacy v1 file into a `zerops:` list.

use super::{Fix, TextEdit, contains, text_of};
use crate::diag::{Code, Diagnostic, Pos, Span};
use crate::lint::legacy::RENAMES;
use crate::yaml::{self, Node, Value};

/// The fixes for the diagnostics of `lint(src)`, in their order. A
/// diagnostic may have none.
pub fn fixes(src: &str) -> Vec<Fix> {
    let diags = crate::lint::lint(src);
    let root = yaml::parse(src, yaml::Limits::default())
        .ok()
        .and_then(|d| d.root);
    diags
        .iter()
        .filter_map(|d| fix_for(src, root.as_ref(), d))
        .collect()
}

fn fix_for(src: &str, root: Option<&Node>, d: &Diagnostic) -> Option<Fix> {
    let span = d.span?;
    let fix = |title: String, edits: Vec<TextEdit>, preferred: bool| Fix {
        title,
        code: d.code,
        span,
        edits,
        preferred,
    };
    match d.code {
        Code::UnknownKey | Code::InvalidValue => {
            let help = d.help.as_deref()?;
            let to = help.strip_prefix("did you mean `")?.strip_suffix("`?")?;
            let from = text_of(src, span);
            // Renaming a key to one its map already has would write a
            // duplicate key (and the later one would win): not offered.
            if d.code == Code::UnknownKey
                && siblings_of(root?, span).is_some_and(|keys| keys.contains(&to))
            {
                return None;
            }
            Some(fix(
                format!("Change `{from}` to `{to}`"),
                vec![edit(span, to)],
                true,
            ))
        }
        Code::BuildDeployDeprecated
            if d.help.as_deref() == Some("rename `deploy` to `deployFiles`") =>
        {
            Some(fix(
                "Rename `deploy` to `deployFiles`".into(),
                vec![edit(span, "deployFiles")],
                true,
            ))
        }
        Code::CacheDoubleStar => {
            let node = scalar_at(root?, span.start)?;
            let text = &node.as_scalar()?.text;
            let named = without_double_star(text)?;
            let written = text_of(src, node.span);
            let quote = written.chars().next().filter(|c| matches!(c, '"' | '\''));
            let new_text = match quote {
                Some(q) => format!("{q}{named}{q}"),
                None => named.clone(),
            };
            Some(fix(
                format!("Replace `{text}` with `{named}` (kept whole, with everything below it)"),
                vec![edit(node.span, &new_text)],
                false,
            ))
        }
        Code::LegacyFormat => Some(fix(
            "Rewrite as a `zerops:` list of setups".into(),
            legacy_rewrite(src, root?)?,
            false,
        )),
        _ => None,
    }
}

fn edit(span: Span, new_text: &str) -> TextEdit {
    TextEdit {
        span,
        new_text: new_text.to_string(),
    }
}

/// The keys of the map that has a key written at `key`.
fn siblings_of(node: &Node, key: Span) -> Option<Vec<&str>> {
    match &node.value {
        Value::Scalar(_) => None,
        Value::Seq(items) => items.iter().find_map(|n| siblings_of(n, key)),
        Value::Map(entries) => {
            if entries.iter().any(|(k, _)| k.span == key) {
                return Some(
                    entries
                        .iter()
                        .filter_map(|(k, _)| k.as_scalar().map(|s| s.text.as_str()))
                        .collect(),
                );
            }
            entries.iter().find_map(|(_, v)| siblings_of(v, key))
        }
    }
}

/// The deepest scalar whose span holds `at`.
fn scalar_at(node: &Node, at: Pos) -> Option<&Node> {
    match &node.value {
        Value::Scalar(_) => contains(node.span, at).then_some(node),
        Value::Seq(items) => items.iter().find_map(|n| scalar_at(n, at)),
        Value::Map(entries) => entries.iter().find_map(|(_, v)| scalar_at(v, at)),
    }
}

/// `node_modules/**`, `**/node_modules`, `**/node_modules/**` →
/// `node_modules`: a matched directory is cached whole, so the leading and
/// trailing `**` components add nothing but a wrong depth. `None` when
/// `**` sits in the middle or nothing would be left.
pub(crate) fn without_double_star(pattern: &str) -> Option<String> {
    let mut parts: Vec<&str> = pattern.split('/').collect();
    while parts.first() == Some(&"**") {
        parts.remove(0);
    }
    while parts.last() == Some(&"**") || parts.last() == Some(&"") {
        parts.pop();
    }
    let named = parts.join("/");
    (!named.is_empty() && !named.contains("**")).then_some(named)
}

/// The v1 file (`<hostname>: {build, run}`) as a `zerops:` list: a
/// `zerops:` line first, each hostname key becomes `- setup: <hostname>`,
/// the lines of its block move right by two, and the renamed keys
/// (`build.build` → `buildCommands`, ...) get their new names.
fn legacy_rewrite(src: &str, root: &Node) -> Option<Vec<TextEdit>> {
    if root.get("use").is_some() {
        return None; // the oldest format has no mechanical rewrite
    }
    let services: Vec<(&Node, &Node)> = root
        .as_map()?
        .iter()
        .filter(|(_, v)| v.get("build").is_some() || v.get("run").is_some())
        .map(|(k, v)| (k, v))
        .collect();
    let mut edits = vec![edit(Span::point(Pos::START), "zerops:\n")];
    let lines: Vec<&str> = src.split('\n').collect();
    for (k, v) in &services {
        let name = k.as_scalar()?.text.as_str();
        if k.span.start.column != 1 || v.as_map().is_none() {
            return None;
        }
        // `app:` → `  - setup: app` (the key and its colon).
        let colon = Pos::new(k.span.end.line, k.span.end.column + 1);
        edits.push(edit(
            Span::new(k.span.start, colon),
            &format!("  - setup: {name}"),
        ));
        let first = k.span.start.line as usize; // 1-based line of the key
        let last = v.span.end.line as usize;
        for (i, l) in lines.iter().enumerate().take(last).skip(first) {
            if !l.trim().is_empty() && l.starts_with(' ') {
                edits.push(edit(Span::point(Pos::new(i as u32 + 1, 1)), "  "));
            }
        }
        for (section, old, new) in RENAMES {
            let Some(sec) = v.get(section) else { continue };
            if let Some((key, _)) = sec
                .as_map()
                .into_iter()
                .flatten()
                .find(|(key, _)| key.as_scalar().is_some_and(|s| s.text == *old))
            {
                edits.push(edit(key.span, new));
            }
        }
    }
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    Some(edits)
}

/// Applies edits that do not overlap (any order) to `src`.
pub fn apply(src: &str, edits: &[TextEdit]) -> String {
    let mut at: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let a = super::offset(src, e.span.start);
            (
                a,
                super::offset(src, e.span.end).max(a),
                e.new_text.as_str(),
            )
        })
        .collect();
    at.sort_by_key(|&(a, b, _)| (a, b));
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for (a, b, t) in at {
        out.push_str(&src[last..a.max(last)]);
        out.push_str(t);
        last = b.max(last);
    }
    out.push_str(&src[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::lint;

    fn fixed(src: &str, code: &str) -> String {
        let f = fixes(src);
        let f = f
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no fix for {code}: {f:#?}"));
        apply(src, &f.edits)
    }

    #[test]
    fn did_you_mean_keys_and_values() {
        let src = "zerops:\n  - setup: app\n    build:\n      os: alpin\n      deployFiles: ./\n      cahce: [node_modules]\n";
        let f = fixes(src);
        assert_eq!(f[0].title, "Change `alpin` to `alpine`");
        assert_eq!(f[1].title, "Change `cahce` to `cache`");
        let out = fixed(src, "unknown-key");
        assert!(out.contains("      cache: [node_modules]\n"), "{out}");
        assert!(lint(&fixed(&out, "invalid-value")).is_empty());
    }

    #[test]
    fn no_rename_into_a_duplicate_key() {
        let src = "zerops:\n  - setup: app\n    build:\n      bsae: nodejs@22\n      base: nodjs@99\n      deployFiles: ./\n";
        let f = fixes(src);
        assert!(
            f.iter().all(|f| !f.title.contains("to `base`")),
            "renaming `bsae` would write a second `base`: {f:#?}"
        );
        // Renaming is offered where the map has no `base` yet.
        let alone = src.replace("      base: nodjs@99\n", "");
        assert!(
            fixes(&alone)
                .iter()
                .any(|f| f.title == "Change `bsae` to `base`")
        );
    }

    #[test]
    fn deploy_to_deploy_files() {
        let src = "zerops:\n  - setup: app\n    build:\n      deploy: ./\n";
        let out = fixed(src, "build-deploy-deprecated");
        assert_eq!(
            out,
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n"
        );
    }

    #[test]
    fn double_star_to_named_paths() {
        let src = "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cache: [\"**/node_modules\", vendor/**]\n";
        let once = fixed(src, "cache-double-star");
        assert!(
            once.contains("cache: [\"node_modules\", vendor/**]"),
            "{once}"
        );
        let twice = fixed(&once, "cache-double-star");
        assert!(
            twice.contains("cache: [\"node_modules\", vendor]"),
            "{twice}"
        );
        assert!(lint(&twice).iter().all(|d| d.code != "cache-double-star"));
        assert_eq!(without_double_star("a/**/b"), None);
        assert_eq!(without_double_star("**"), None);
        assert_eq!(without_double_star("**/x/**/"), Some("x".into()));
    }

    #[test]
    fn legacy_v1_rewrite() {
        let src = "app:\n  build:\n    base: [nodejs@22]\n    build:\n      - npm i\n    deploy: [.]\n  run:\n    start: npm start\n";
        let out = fixed(src, "legacy-format");
        assert_eq!(
            out,
            "zerops:\n  - setup: app\n    build:\n      base: [nodejs@22]\n      buildCommands:\n        - npm i\n      deployFiles: [.]\n    run:\n      start: npm start\n"
        );
        let left = lint(&out);
        assert!(
            left.iter().all(|d| d.severity != crate::Severity::Error),
            "{left:#?}"
        );
        assert!(fixes("use: [ ]\nrun:\n  - x\n").is_empty());
    }
}
