//! Setups and `extends`: names, links, cycles, and choosing a setup.

use crate::diag::{Diagnostic, Span};
use crate::model::{Config, MAX_EXTENDS_DEPTH, SelectError, Setup};
use std::collections::BTreeMap;

/// Duplicate names, an empty list, and every `extends` link.
pub fn check(config: &Config, zerops: Option<&crate::yaml::Node>, out: &mut Vec<Diagnostic>) {
    if let Some(z) = zerops
        && z.as_seq().is_some_and(<[_]>::is_empty)
    {
        out.push(
            Diagnostic::warning(
                "setup-none",
                z.span,
                "`zerops` lists no setups; nothing can be built or deployed",
            )
            .with_help("add a setup: `- setup: <service hostname>`"),
        );
    }
    let mut first: BTreeMap<&str, &Setup> = BTreeMap::new();
    for s in &config.setups {
        if let Some(prev) = first.get(s.name.value.as_str()) {
            out.push(
                Diagnostic::warning(
                    "setup-duplicate",
                    s.name.span,
                    format!(
                        "a setup named `{}` is already defined at line {}; zcli uses the first one, so this one is never built",
                        s.name.value, prev.name.span.start.line
                    ),
                )
                .with_help("rename or remove one of the two"),
            );
        } else {
            first.insert(&s.name.value, s);
        }
    }
    let names = config.names().join(", ");
    for s in &config.setups {
        for parent in &s.extends {
            if !first.contains_key(parent.value.as_str()) {
                out.push(
                    Diagnostic::error(
                        "extends-unknown",
                        parent.span,
                        format!(
                            "`extends` names `{}`, which is not a setup in this file, so `{}` cannot be resolved",
                            parent.value, s.name.value
                        ),
                    )
                    .with_help(format!("setups in this file: {names}")),
                );
            }
        }
    }
    // Cycles: depth-first over setups in file order; an edge back to a setup
    // still on the stack closes a cycle and is reported once, where written.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 = on stack, 2 = done
    for s in first.values() {
        visit(s, &first, &mut state, &mut Vec::new(), out);
    }
    // Chain length, once the graph is known to be a DAG along this path.
    for s in &config.setups {
        if let Err(e) = config.resolve(&s.name.value)
            && e.code == "extends-too-deep"
        {
            out.push(e.with_help(format!(
                "Zerops limits `extends` chains (its error `zeropsYamlTooManyExtends`); this one \
                 is longer than {MAX_EXTENDS_DEPTH}: flatten it"
            )));
        }
    }
}

fn visit<'a>(
    s: &'a Setup,
    by_name: &BTreeMap<&'a str, &'a Setup>,
    state: &mut BTreeMap<&'a str, u8>,
    stack: &mut Vec<&'a str>,
    out: &mut Vec<Diagnostic>,
) {
    if state.contains_key(s.name.value.as_str()) {
        return;
    }
    state.insert(&s.name.value, 1);
    stack.push(&s.name.value);
    for parent in &s.extends {
        let Some(p) = by_name.get(parent.value.as_str()) else {
            continue;
        };
        match state.get(parent.value.as_str()) {
            Some(1) => {
                let from = stack.iter().position(|n| *n == parent.value).unwrap_or(0);
                let mut chain: Vec<&str> = stack[from..].to_vec();
                chain.push(&parent.value);
                out.push(
                    Diagnostic::error(
                        "extends-cycle",
                        parent.span,
                        format!(
                            "`extends` forms a cycle: {}; none of these setups can be resolved",
                            chain.join(" -> ")
                        ),
                    )
                    .with_help("remove one of the `extends` links so the chain ends"),
                );
            }
            Some(_) => {}
            None => visit(p, by_name, state, stack, out),
        }
    }
    stack.pop();
    state.insert(&s.name.value, 2);
}

/// Chooses the setup as zcli does: the one named, or the only one. The
/// error lists the setups the file defines.
pub fn select<'a>(config: &'a Config, name: Option<&str>) -> Result<&'a Setup, Diagnostic> {
    config.select(name).map_err(|e| {
        let code = match e {
            SelectError::Ambiguous { .. } => "setup-ambiguous",
            SelectError::Unknown { .. } | SelectError::None => "setup-unknown",
        };
        let help = match &e {
            SelectError::None => "add a setup: `- setup: <service hostname>`".to_string(),
            SelectError::Unknown { available, .. } | SelectError::Ambiguous { available } => {
                format!("choose one with --setup: {}", available.join(", "))
            }
        };
        Diagnostic::error(code, Span::point(crate::diag::Pos::START), e.to_string()).with_help(help)
    })
}

#[cfg(test)]
mod tests {
    use crate::Pos;
    use crate::lint::lint;

    fn codes(src: &str) -> Vec<(String, u32, u32)> {
        lint(src)
            .into_iter()
            .map(|d| (d.code, d.span.start.line, d.span.start.column))
            .collect()
    }

    #[test]
    fn cycle_is_reported_once_where_it_closes() {
        let c = codes(
            "zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: [c, a]\n  - setup: c\n",
        );
        let cycles: Vec<_> = c.iter().filter(|c| c.0 == "extends-cycle").collect();
        assert_eq!(cycles, [&("extends-cycle".to_string(), 5, 18)], "{c:?}");
    }

    #[test]
    fn self_extends_and_unknown() {
        let c = codes(
            "zerops:\n  - setup: a\n    extends: a\n  - setup: b\n    extends:\n      - nope\n",
        );
        assert!(c.contains(&("extends-cycle".into(), 3, 14)), "{c:?}");
        assert!(c.contains(&("extends-unknown".into(), 6, 9)), "{c:?}");
    }

    #[test]
    fn duplicates_and_empty() {
        let c = codes("zerops:\n  - setup: a\n  - setup: a\n");
        assert!(c.contains(&("setup-duplicate".into(), 3, 12)), "{c:?}");
        let c = codes("zerops: []\n");
        assert!(c.contains(&("setup-none".into(), 1, 9)), "{c:?}");
    }

    #[test]
    fn too_deep() {
        let mut src = String::from("zerops:\n  - setup: s0\n");
        for i in 1..20 {
            src.push_str(&format!("  - setup: s{i}\n    extends: s{}\n", i - 1));
        }
        let d = lint(&src);
        assert!(d.iter().any(|d| d.code == "extends-too-deep"), "{d:#?}");
    }

    #[test]
    fn selection_lists_setups() {
        let c = crate::model::parse("zerops:\n  - setup: a\n  - setup: b\n").unwrap();
        let e = super::select(&c, None).unwrap_err();
        assert_eq!(e.code, "setup-ambiguous");
        assert!(e.help.unwrap().contains("a, b"));
        assert_eq!(e.span.start, Pos::START);
        let e = super::select(&c, Some("x")).unwrap_err();
        assert_eq!(e.code, "setup-unknown");
        assert_eq!(super::select(&c, Some("b")).unwrap().name.value, "b");
    }
}
