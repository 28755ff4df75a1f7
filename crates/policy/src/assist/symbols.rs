//! The document outline (setups and their sections) and go-to-definition
//! from an `extends` value to the setup it names.

use super::{Symbol, SymbolKind, contains};
use crate::diag::{Pos, Span};
use crate::model;
use crate::yaml::{self, Node};

/// One symbol per setup, with its `build`, `run` and `deploy` sections as
/// children. Empty when the file does not parse.
pub fn symbols(src: &str) -> Vec<Symbol> {
    let Ok(doc) = yaml::parse(src, yaml::Limits::default()) else {
        return Vec::new();
    };
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in root.get("zerops").and_then(Node::as_seq).unwrap_or(&[]) {
        let Some(entries) = item.as_map() else {
            continue;
        };
        let Some((_, name)) = entries
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "setup"))
        else {
            continue;
        };
        let Some(n) = name.as_scalar() else { continue };
        let extends: Vec<String> = match item.get("extends") {
            Some(e) => match e.as_seq() {
                Some(items) => items
                    .iter()
                    .filter_map(|i| i.as_scalar().map(|s| s.text.clone()))
                    .collect(),
                None => e
                    .as_scalar()
                    .map(|s| vec![s.text.clone()])
                    .unwrap_or_default(),
            },
            None => Vec::new(),
        };
        let parent = out.len() as u32;
        out.push(Symbol {
            name: n.text.clone(),
            detail: if extends.is_empty() {
                String::new()
            } else {
                format!("extends {}", extends.join(", "))
            },
            kind: SymbolKind::Setup,
            span: item.span,
            selection: name.span,
            parent: None,
        });
        for (k, v) in entries {
            let Some(key) = k.as_scalar().map(|s| s.text.as_str()) else {
                continue;
            };
            if matches!(key, "build" | "run" | "deploy") {
                out.push(Symbol {
                    name: key.to_string(),
                    detail: String::new(),
                    kind: SymbolKind::Section,
                    span: Span::new(k.span.start, v.span.end.max(k.span.end)),
                    selection: k.span,
                    parent: Some(parent),
                });
            }
        }
    }
    out
}

/// The `setup:` name that the `extends` value at `at` refers to.
pub fn definition(src: &str, at: Pos) -> Option<Span> {
    let config = model::parse(src).ok()?;
    let target = config
        .setups
        .iter()
        .flat_map(|s| &s.extends)
        .find(|e| contains(e.span, at))?;
    config.setup(&target.value).map(|s| s.name.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "zerops:
  - setup: base
    build:
      deployFiles: ./
  - setup: app
    extends: [base]
    run:
      start: node index.js
";

    #[test]
    fn setups_with_their_sections() {
        let s = symbols(SRC);
        let names: Vec<(&str, Option<u32>)> =
            s.iter().map(|x| (x.name.as_str(), x.parent)).collect();
        assert_eq!(
            names,
            [
                ("base", None),
                ("build", Some(0)),
                ("app", None),
                ("run", Some(2))
            ]
        );
        assert_eq!(s[2].detail, "extends base");
        assert_eq!(s[2].selection, Span::new(Pos::new(5, 12), Pos::new(5, 15)));
        assert_eq!(s[0].span.start.line, 2);
        assert!(symbols("zerops: [").is_empty());
    }

    #[test]
    fn extends_goes_to_the_setup() {
        assert_eq!(
            definition(SRC, Pos::new(6, 15)),
            Some(Span::new(Pos::new(2, 12), Pos::new(2, 16)))
        );
        assert_eq!(definition(SRC, Pos::new(8, 10)), None);
        assert_eq!(
            definition(
                "zerops:\n  - setup: a\n    extends: nope\n",
                Pos::new(3, 15)
            ),
            None
        );
    }
}
