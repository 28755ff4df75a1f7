//! Setups and `extends`: names, links, cycles, and choosing a setup.

use crate::diag::Code;
use crate::diag::{Diagnostic, Span};
use crate::model::{Config, MAX_EXTENDS_DEPTH, MAX_EXTENDS_STEPS, Setup};
use std::collections::BTreeMap;

/// Duplicate names, an empty list, and every `extends` link.
pub fn check(config: &Config, zerops: Option<&crate::yaml::Node>, out: &mut Vec<Diagnostic>) {
    if let Some(z) = zerops
        && z.as_seq().is_some_and(<[_]>::is_empty)
    {
        out.push(
            Diagnostic::warning(
                Code::SetupNone,
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
                    Code::SetupDuplicate,
                    s.name.span,
                    format!(
                        "a setup named `{}` is already defined; zcli uses the first one, so this one is never built",
                        s.name.value
                    ),
                )
                .with_help(format!(
                    "rename or remove one of the two; the first is at line {}",
                    prev.name.span.start.line
                )),
            );
        } else {
            first.insert(&s.name.value, s);
        }
    }
    let all = config.names();
    let mut names = all.iter().take(20).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 20 {
        names.push_str(&format!(", … ({} in all)", all.len()));
    }
    for s in &config.setups {
        for parent in &s.extends {
            if !first.contains_key(parent.value.as_str()) {
                out.push(
                    Diagnostic::error(
                        Code::ExtendsUnknown,
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
    let graph = Graph::new(config);
    for (at, chain) in &graph.cycles {
        out.push(
            Diagnostic::error(
                Code::ExtendsCycle,
                *at,
                format!(
                    "`extends` forms a cycle: {}; none of these setups can be resolved",
                    chain.join(" -> ")
                ),
            )
            .with_help("remove one of the `extends` links so the chain ends"),
        );
    }
    for s in first.values() {
        let name = s.name.value.as_str();
        let steps = graph.steps.get(name).copied().unwrap_or(0);
        let parents_ok = s.extends.iter().all(|p| {
            graph
                .steps
                .get(p.value.as_str())
                .is_none_or(|n| *n <= MAX_EXTENDS_STEPS)
        });
        if steps > MAX_EXTENDS_STEPS
            && parents_ok
            && graph
                .height
                .get(name)
                .is_some_and(|h| *h < MAX_EXTENDS_DEPTH)
            && let Some(link) = s.extends.first()
        {
            out.push(
                Diagnostic::error(
                    Code::ExtendsTooDeep,
                    link.span,
                    format!(
                        "resolving `{name}` visits {steps} setups through its `extends` lists; \
                         the limit is {MAX_EXTENDS_STEPS}, so it cannot be resolved"
                    ),
                )
                .with_help("extend fewer setups, or flatten shared parents into one"),
            );
        }
        if graph.height.get(s.name.value.as_str()) == Some(&MAX_EXTENDS_DEPTH)
            && let Some(link) = s.extends.first()
        {
            out.push(
                Diagnostic::error(
                    Code::ExtendsTooDeep,
                    link.span,
                    format!(
                        "the `extends` chain from `{}` is {MAX_EXTENDS_DEPTH} links long; Zerops \
                         limits chains (its error `zeropsYamlTooManyExtends`), so it cannot be resolved",
                        s.name.value
                    ),
                )
                .with_help(format!("flatten the chain to fewer than {MAX_EXTENDS_DEPTH} links")),
            );
        }
    }
}

/// The `extends` graph, walked once without recursion (a file may chain
/// thousands of setups): cycles, chain heights, and where each setup's
/// `build` comes from after section-level resolution.
pub(crate) struct Graph<'a> {
    /// Longest chain of `extends` links from each setup that is not on or
    /// above a cycle (unknown parents do not count).
    pub height: BTreeMap<&'a str, usize>,
    /// How many setups resolving each one visits (a setup reached by two
    /// paths counts twice), as `Config::resolve` counts them.
    pub steps: BTreeMap<&'a str, usize>,
    /// For every setup that resolves as `Config::resolve` would (known
    /// parents, no cycle, chain shorter than the limit): the setup whose
    /// `build` section applies (itself or the parent that defines it last);
    /// `None`: no build at all.
    pub build_from: BTreeMap<&'a str, Option<&'a Setup>>,
    /// Back edges: where the cycle closes, and the chain.
    pub cycles: Vec<(Span, Vec<String>)>,
}

impl<'a> Graph<'a> {
    pub fn new(config: &'a Config) -> Graph<'a> {
        let mut by_name: BTreeMap<&str, &Setup> = BTreeMap::new();
        for s in &config.setups {
            by_name.entry(s.name.value.as_str()).or_insert(s);
        }
        let mut g = Graph {
            height: BTreeMap::new(),
            steps: BTreeMap::new(),
            build_from: BTreeMap::new(),
            cycles: Vec::new(),
        };
        let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 on stack, 2 done
        for s in by_name.values() {
            if state.contains_key(s.name.value.as_str()) {
                continue;
            }
            // Explicit stack of (setup, index of the next parent to visit).
            let mut stack: Vec<(&Setup, usize)> = vec![(s, 0)];
            state.insert(&s.name.value, 1);
            while let Some((cur, next)) = stack.last_mut() {
                let cur: &Setup = cur;
                if let Some(parent) = cur.extends.get(*next) {
                    *next += 1;
                    let Some(p) = by_name.get(parent.value.as_str()) else {
                        continue;
                    };
                    match state.get(parent.value.as_str()) {
                        Some(1) => {
                            let from = stack
                                .iter()
                                .position(|(x, _)| x.name.value == parent.value)
                                .unwrap_or(0);
                            let mut chain: Vec<String> = stack[from..]
                                .iter()
                                .map(|(x, _)| x.name.value.clone())
                                .collect();
                            chain.push(parent.value.clone());
                            g.cycles.push((parent.span, chain));
                        }
                        Some(_) => {}
                        None => {
                            state.insert(&p.name.value, 1);
                            stack.push((p, 0));
                        }
                    }
                    continue;
                }
                // All parents done: resolve `cur` from them.
                stack.pop();
                state.insert(&cur.name.value, 2);
                let mut height = 0;
                let mut steps = 0usize;
                let mut cyclic = false;
                let mut resolvable = true;
                let mut inherited = None;
                for parent in &cur.extends {
                    match g.height.get(parent.value.as_str()) {
                        Some(h) => {
                            height = height.max(h + 1);
                            let below = g.steps.get(parent.value.as_str()).copied().unwrap_or(0);
                            steps = steps.saturating_add(1).saturating_add(below);
                        }
                        None if by_name.contains_key(parent.value.as_str()) => cyclic = true,
                        None => {}
                    }
                    match g.build_from.get(parent.value.as_str()) {
                        Some(Some(b)) => inherited = Some(*b),
                        Some(None) => {}
                        None => resolvable = false,
                    }
                }
                if cyclic {
                    continue;
                }
                g.height.insert(&cur.name.value, height);
                g.steps.insert(&cur.name.value, steps);
                if resolvable && height < MAX_EXTENDS_DEPTH && steps <= MAX_EXTENDS_STEPS {
                    let own = cur.build.as_ref().map(|_| cur);
                    g.build_from.insert(&cur.name.value, own.or(inherited));
                }
            }
        }
        g
    }
}

/// Chooses the setup as zcli does: the one named, or the only one. The
/// error lists the setups the file defines.
pub fn select<'a>(config: &'a Config, name: Option<&str>) -> Result<&'a Setup, Diagnostic> {
    config
        .select(name)
        .map_err(|e| e.diagnostic(Some(Span::point(crate::diag::Pos::START))))
}

#[cfg(test)]
mod tests {
    use crate::Pos;
    use crate::lint::{lint, lint_with_tree};

    fn codes(src: &str) -> Vec<(String, u32, u32)> {
        lint(src)
            .into_iter()
            .map(|d| {
                (
                    d.code.to_string(),
                    d.span.unwrap().start.line,
                    d.span.unwrap().start.column,
                )
            })
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

    /// The graph must resolve exactly like `Config::resolve`.
    fn agrees_with_resolve(src: &str) {
        let c = crate::model::parse(src).unwrap();
        let g = super::Graph::new(&c);
        for s in &c.setups {
            let name = s.name.value.as_str();
            if c.setup(name).map(|f| f.span) != Some(s.span) {
                continue; // a later duplicate: never resolved by name
            }
            match (c.resolve(name), g.build_from.get(name)) {
                (Ok(r), Some(from)) => {
                    assert_eq!(
                        r.build_from.as_deref(),
                        from.map(|f| f.name.value.as_str()),
                        "{name}\n{src}"
                    )
                }
                (Err(_), None) => {}
                (r, g) => panic!(
                    "{name}: resolve {:?} vs graph {:?}\n{src}",
                    r.map(|r| r.build_from),
                    g.map(|f| f.map(|s| &s.name.value))
                ),
            }
        }
    }

    #[test]
    fn graph_resolves_like_the_model() {
        agrees_with_resolve(
            "zerops:\n  - setup: a\n    build: {deployFiles: x}\n  - setup: b\n    extends: a\n  - setup: c\n    extends: [b, d]\n  - setup: d\n    build: {deployFiles: y}\n  - setup: e\n    extends: [d, b]\n  - setup: f\n    extends: [e, nope]\n  - setup: g\n    extends: [h]\n  - setup: h\n    extends: g\n  - setup: i\n    extends: h\n  - setup: b\n    extends: d\n",
        );
        for n in [14, 15, 16, 17, 30] {
            let mut src = String::from("zerops:\n  - setup: s0\n    build: {deployFiles: x}\n");
            for i in 1..=n {
                src.push_str(&format!("  - setup: s{i}\n    extends: s{}\n", i - 1));
            }
            agrees_with_resolve(&src);
        }
        for width in ["[a{p}, b{p}]", "[a{p}, b{p}, c{p}]"] {
            let mut src = String::from(
                "zerops:\n  - setup: a0\n    build: {deployFiles: x}\n  - setup: b0\n  - setup: c0\n",
            );
            for i in 1..15 {
                for x in ["a", "b", "c"] {
                    let parents = width.replace("{p}", &(i - 1).to_string());
                    src.push_str(&format!("  - setup: {x}{i}\n    extends: {parents}\n"));
                }
            }
            agrees_with_resolve(&src);
            if width.contains('c') {
                assert!(lint(&src).iter().any(|d| d.code == "extends-too-deep"));
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                agrees_with_resolve(&std::fs::read_to_string(p).unwrap());
            }
        }
    }

    #[test]
    fn long_chains_and_wide_diamonds_are_cheap() {
        // 20,000 chained setups: no recursion (a recursive walk would
        // overflow the test thread's 2 MiB stack), one pass. Speed is the
        // benchmarks' business, not a wall-clock bound here.
        let mut src = String::from("zerops:\n  - setup: s0\n");
        for i in 1..20_000 {
            src.push_str(&format!("  - setup: s{i}\n    extends: s{}\n", i - 1));
        }
        let d = lint(&src);
        assert!(d.iter().any(|d| d.code == "extends-too-deep"));
        // A lattice: every setup extends both setups of the level below.
        let mut src = String::from("zerops:\n  - setup: a0\n  - setup: b0\n");
        for i in 1..15 {
            for x in ["a", "b"] {
                src.push_str(&format!(
                    "  - setup: {x}{i}\n    extends: [a{p}, b{p}]\n",
                    p = i - 1
                ));
            }
        }
        let d = lint_with_tree(&src, None, &Default::default());
        // 2^11 - 2 visits at level 10 exceed the model's step limit: the
        // limit, not the clock, bounds the work.
        assert!(
            !d.is_empty() && d.iter().all(|d| d.code == "extends-too-deep"),
            "{d:#?}"
        );
    }

    #[test]
    fn selection_lists_setups() {
        let c = crate::model::parse("zerops:\n  - setup: a\n  - setup: b\n").unwrap();
        let e = super::select(&c, None).unwrap_err();
        assert_eq!(e.code, "setup-ambiguous");
        assert!(e.help.unwrap().contains("a, b"));
        assert_eq!(e.span.unwrap().start, Pos::START);
        let e = super::select(&c, Some("x")).unwrap_err();
        assert_eq!(e.code, "setup-unknown");
        assert_eq!(super::select(&c, Some("b")).unwrap().name.value, "b");
    }
}
