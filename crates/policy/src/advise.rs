//! The `advise` report: for one setup, what the cache will hold after a
//! build, which layer holds each part, and what each part saves, with the
//! sizes the host measured in the store when one exists.
//!
//! The host passes facts (the project listing, the store's measured sizes);
//! every judgement is made here, from [`crate::managers`] and the lints.

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::lint::{self, Category, TreeFacts};
use crate::managers::{self, Effect, Place};
use crate::model::{self, Cache};
use crate::pattern::{Pattern, has_parent_component, is_absolute, normalize};

pub use zerops_cache_contract::advise::{Item, Layer, Report, StoreFacts};
/// How many components deep the host must measure the store's layers.
pub fn store_depth(src: &str) -> u32 {
    let homes = managers::MANAGERS
        .iter()
        .flat_map(|m| m.caches)
        .map(|c| c.home.split('/').count() as u32)
        .max()
        .unwrap_or(1);
    homes.max(lint::tree_depth(src))
}

/// The report for `setup` (or the only setup).
pub fn advise(
    src: &str,
    setup: Option<&str>,
    tree: &TreeFacts,
    store: Option<&StoreFacts>,
) -> Result<Report, Diagnostic> {
    let config = model::parse(src)?;
    let name = lint::select_setup(src, setup)?;
    let resolved = config.resolve(&name)?;
    let Some(build) = resolved.build.as_ref() else {
        return Err(Diagnostic::error(
            Code::BuildMissing,
            crate::Span::default(),
            format!("setup `{name}` has no `build` section (nor inherits one)"),
        ));
    };
    let mut findings: Vec<Diagnostic> = lint::lint_with(
        src,
        &lint::Options {
            setup: Some(&name),
            tree: Some(tree),
            limits: None,
        },
    )
    .into_iter()
    .filter(|d| {
        lint::CODES
            .iter()
            .any(|c| c.id == d.code && matches!(c.category, Category::Cache | Category::Tree))
    })
    .collect();
    let a = managers::analyze(build);
    let mut items = Vec::new();
    let base_of = build
        .base
        .iter()
        .map(|b| format!("`{}`", b.value))
        .collect::<Vec<_>>()
        .join(", ");
    items.push(Item {
        layer: Layer::Base,
        path: "/".into(),
        what: format!(
            "the OS{} and base {}",
            build
                .os
                .as_ref()
                .map(|o| format!(" (`{}`)", o.value))
                .unwrap_or_default(),
            if base_of.is_empty() {
                "(none)".into()
            } else {
                base_of
            }
        ),
        bytes: None,
        saves: "setting up the build container".into(),
    });
    if !build.prepare_commands.is_empty() {
        let n = build.prepare_commands.len();
        items.push(Item {
            layer: Layer::Base,
            path: "(prepareCommands)".into(),
            what: format!(
                "what the {n} prepareCommand{} anywhere outside /build/source",
                if n == 1 { " writes" } else { "s write" }
            ),
            bytes: None,
            saves: "running them: they are skipped while the base layer is reused".into(),
        });
    }
    for u in &a.caches {
        let Place::Outside(p) = &u.place else {
            continue;
        };
        let bytes = p
            .strip_prefix("~/")
            .and_then(|rel| size(store.map(|s| &s.home[..]), rel));
        items.push(Item {
            layer: Layer::Base,
            path: p.clone(),
            what: format!(
                "{}'s {}, written by `{}` (line {})",
                u.manager.name, u.cache.what, u.origin.invocation, u.origin.span.start.line
            ),
            bytes,
            saves: format!(
                "downloads: {} finds packages here, kept even with `cache: false`",
                u.manager.name
            ),
        });
    }
    let cache_facts = store.map(|s| &s.cache[..]);
    match build.cache.as_ref().map(|c| &c.value) {
        Some(Cache::Bool(true)) => items.push(Item {
            layer: Layer::Build,
            path: "./".into(),
            what: "the whole /build/source after buildCommands (`cache: true`)".into(),
            bytes: cache_facts.map(|c| {
                c.iter()
                    .filter(|(p, _)| !p.contains('/'))
                    .map(|(_, b)| b)
                    .sum()
            }),
            saves: "everything the build created; the source still wins for files it has".into(),
        }),
        None | Some(Cache::Bool(false)) => items.push(Item {
            layer: Layer::Build,
            path: "(nothing)".into(),
            what: "no `cache` paths: nothing of /build/source is kept".into(),
            bytes: None,
            saves: "nothing; tool caches outside /build/source stay in the base layer".into(),
        }),
        Some(Cache::Paths(paths)) => {
            let mut held = Vec::new();
            for p in paths {
                items.push(path_item(
                    &p.value,
                    &a,
                    tree,
                    cache_facts,
                    &findings,
                    p.span,
                ));
                if cache_facts.is_some_and(|c| held_in(c, &normalize(&p.value)) > 0) {
                    held.push(p.span);
                }
            }
            // A path the last build cached is not "nothing is cached": the
            // build moved it out of the project into the build layer.
            findings.retain(|d| {
                !(d.code == "cache-matches-nothing" && d.span.is_some_and(|s| held.contains(&s)))
            });
        }
    }
    Ok(Report {
        setup: name,
        items,
        findings,
    })
}

/// How many of the build layer's top entries the cache path `norm` (a
/// normalized, valid pattern) matches.
fn held_in(store: &[(String, u64)], norm: &str) -> usize {
    let Ok(m) = Pattern::new(norm) else {
        return 0;
    };
    let k = norm.split('/').count();
    store
        .iter()
        .filter(|(p, _)| p.split('/').count() == k && m.matches(p))
        .count()
}

fn path_item(
    pat: &str,
    a: &managers::Analysis,
    tree: &TreeFacts,
    store: Option<&[(String, u64)]>,
    findings: &[Diagnostic],
    span: crate::Span,
) -> Item {
    let norm = normalize(pat);
    let finding = |code: &str| {
        findings
            .iter()
            .find(|d| d.code == code && d.span == Some(span))
    };
    let mut item = Item {
        layer: Layer::Build,
        path: pat.to_string(),
        what: String::new(),
        bytes: None,
        saves: String::new(),
    };
    let valid = !norm.trim().is_empty()
        && !is_absolute(&norm)
        && !has_parent_component(&norm)
        && Pattern::new(&norm).is_ok();
    if !valid {
        item.what = "never applied".into();
        item.saves = findings
            .iter()
            .find(|d| d.span == Some(span))
            .map(|d| format!("nothing: {}", d.message))
            .unwrap_or_else(|| "nothing".into());
        return item;
    }
    let m = Pattern::new(&norm).expect("checked above");
    let k = norm.split('/').count();
    let now = tree
        .entries
        .iter()
        .filter(|e| e.split('/').count() == k && m.matches(e))
        .count();
    let maker = a
        .effects
        .iter()
        .find(|e| crate::lint::advice::cover(&norm, &e.path).is_some());
    item.what = match (maker, now) {
        (Some(e), _) => format!(
            "`{}` created by `{}` (line {})",
            e.path, e.origin.invocation, e.origin.span.start.line
        ),
        (None, 0) => match store.map_or(0, |c| held_in(c, &norm)) {
            0 => "matches nothing in the project now".into(),
            1 => "not in the project now: the build layer holds it from the last build".into(),
            n => format!(
                "not in the project now: the build layer holds {n} matching paths from the last build"
            ),
        },
        (None, 1) => "matches 1 path in the project now".into(),
        (None, n) => format!("matches {n} paths in the project now"),
    };
    item.bytes = store.map(|entries| {
        entries
            .iter()
            .filter(|(p, _)| p.split('/').count() == k && m.matches(p))
            .map(|(_, b)| b)
            .sum()
    });
    item.saves = if let Some(d) = finding("cache-deleted-by-build") {
        format!("nothing: {}", d.message)
    } else if let Some(d) = finding("cache-lockfile").or(finding("cache-tracked-by-git")) {
        format!("nothing: {}", d.message)
    } else if let Some(u) = a.caches.iter().find(|u| {
        matches!(&u.place, Place::Source(rel) if crate::lint::advice::cover(&norm, rel).is_some())
    }) {
        format!(
            "downloads: {}'s {} lives here",
            u.manager.name, u.cache.what
        )
    } else if let Some(e) = maker.filter(|e| e.effect == Effect::Creates) {
        format!(
            "most of `{}`: it finds what the last build installed and only updates it",
            e.origin.invocation
        )
    } else {
        "recreating it: it is back in place, by rename, before buildCommands run".into()
    };
    item
}

/// The measured size of `rel` (0 when the store has nothing there).
fn size(facts: Option<&[(String, u64)]>, rel: &str) -> Option<u64> {
    let facts = facts?;
    Some(facts.iter().find(|(p, _)| p == rel).map_or(0, |(_, b)| *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "zerops:
  - setup: api
    build:
      base: nodejs@22
      prepareCommands: [apk add git]
      buildCommands:
        - npm ci
        - cd web && npm install
      deployFiles: ./
      cache: [node_modules, web/node_modules, package-lock.json]
";

    fn tree() -> TreeFacts {
        TreeFacts {
            entries: vec![
                "package-lock.json".into(),
                "web".into(),
                "zerops.yaml".into(),
            ],
            depth: 2,
            tracked: Some(vec!["package-lock.json".into(), "zerops.yaml".into()]),
        }
    }

    #[test]
    fn layers_parts_and_savings() {
        let store = StoreFacts {
            home: vec![(".npm".into(), 5_000), (".npm/_cacache".into(), 4_900)],
            cache: vec![
                ("node_modules".into(), 70_000),
                ("web".into(), 30_000),
                ("web/node_modules".into(), 30_000),
            ],
        };
        let r = advise(SRC, None, &tree(), Some(&store)).unwrap();
        assert_eq!(r.setup, "api");
        let by_path = |p: &str| r.items.iter().find(|i| i.path == p).unwrap();
        assert_eq!(by_path("/").layer, Layer::Base);
        assert!(by_path("/").what.contains("`nodejs@22`"));
        assert!(by_path("(prepareCommands)").saves.contains("skipped"));
        let npm = by_path("~/.npm");
        assert_eq!((npm.layer, npm.bytes), (Layer::Base, Some(5_000)));
        assert!(npm.what.contains("`npm ci` (line 7)"), "{}", npm.what);
        let nm = by_path("node_modules");
        assert_eq!((nm.layer, nm.bytes), (Layer::Build, Some(70_000)));
        assert!(nm.saves.starts_with("nothing: "), "{}", nm.saves);
        let web = by_path("web/node_modules");
        assert_eq!(web.bytes, Some(30_000));
        assert!(web.saves.contains("`npm install`"), "{}", web.saves);
        assert!(by_path("package-lock.json").saves.starts_with("nothing: "));
        assert!(
            r.findings
                .iter()
                .any(|d| d.code == "cache-deleted-by-build")
        );
        assert!(r.findings.iter().all(|d| d.code != "unknown-key"));
    }

    #[test]
    fn without_a_store_sizes_are_unknown() {
        let r = advise(SRC, Some("api"), &tree(), None).unwrap();
        assert!(r.items.iter().all(|i| i.bytes.is_none()));
        let e = advise(SRC, Some("nope"), &tree(), None).unwrap_err();
        assert_eq!(e.code, "setup-unknown");
    }

    #[test]
    fn cache_false_keeps_nothing_of_the_source() {
        let src = "zerops:\n  - setup: a\n    build:\n      buildCommands: [go build]\n      deployFiles: ./\n      cache: false\n";
        let r = advise(src, None, &TreeFacts::default(), None).unwrap();
        let build: Vec<_> = r.items.iter().filter(|i| i.layer == Layer::Build).collect();
        assert_eq!(build.len(), 1);
        assert_eq!(build[0].path, "(nothing)");
        assert!(r.items.iter().any(|i| i.path == "~/go/pkg/mod"));
        assert!(store_depth(src) >= 4);
    }
}
