//! Cache advice from what package managers do (see [`crate::managers`]):
//! a cached path that buildCommands throw away, a tool cache inside
//! /build/source that `cache` does not keep, and a cache entry for a tool
//! cache that the base layer keeps anyway.

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::managers::{self, Analysis, Effect, Place};
use crate::model::{Build, Cache, Sp};
use crate::pattern::{Pattern, has_parent_component, is_absolute, normalize};

/// How a path relates to what a cache pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// The path is what the pattern matches, or a directory holding it.
    Holds,
    /// The path lies inside something the pattern matches.
    Inside,
}

/// How `path` (relative, `/`-separated) relates to the normalized cache
/// pattern `norm`, if at all.
pub fn cover(norm: &str, path: &str) -> Option<Cover> {
    let k = norm.split('/').count();
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() <= k {
        let head: Vec<&str> = norm.split('/').take(parts.len()).collect();
        Pattern::new(&head.join("/"))
            .is_ok_and(|p| p.matches(path))
            .then_some(Cover::Holds)
    } else {
        Pattern::new(norm)
            .is_ok_and(|p| p.matches(&parts[..k].join("/")))
            .then_some(Cover::Inside)
    }
}

/// The cache patterns of a build that the cache applies (relative, valid).
fn patterns(build: &Build) -> Vec<(&Sp<String>, String)> {
    let Some(Cache::Paths(paths)) = build.cache.as_ref().map(|c| &c.value) else {
        return Vec::new();
    };
    paths
        .iter()
        .map(|p| (p, normalize(&p.value)))
        .filter(|(_, n)| {
            !n.trim().is_empty()
                && !is_absolute(n)
                && !has_parent_component(n)
                && Pattern::new(n).is_ok()
        })
        .collect()
}

/// The advice lints of one build section.
pub fn check(build: &Build, out: &mut Vec<Diagnostic>) {
    let a = managers::analyze(build);
    thrown_away(build, &a, out);
    uncached_tool_caches(build, &a, out);
}

/// `cache-deleted-by-build`: the first thing buildCommands do to a cached
/// path is delete it.
fn thrown_away(build: &Build, a: &Analysis, out: &mut Vec<Diagnostic>) {
    for (p, norm) in patterns(build) {
        let Some(first) = a
            .effects
            .iter()
            .find(|e| cover(&norm, &e.path) == Some(Cover::Holds))
        else {
            continue;
        };
        if first.effect == Effect::Creates {
            continue;
        }
        let how = match first.effect {
            Effect::Recreates => "deletes it and installs it again",
            _ => "deletes it",
        };
        out.push(
            Diagnostic::warning(
                Code::CacheDeletedByBuild,
                p.span,
                format!(
                    "`{}` is restored from the cache before buildCommands run, then `{}` \
                     {how} before anything uses it, so the restore and the save only add work",
                    p.value, first.origin.invocation
                ),
            )
            .with_help(first.rule.advice),
        );
    }
}

/// `tool-cache-uncached`: a tool keeps its cache inside /build/source
/// (moved there by a variable) and `cache` does not keep it.
fn uncached_tool_caches(build: &Build, a: &Analysis, out: &mut Vec<Diagnostic>) {
    if matches!(
        build.cache.as_ref().map(|c| &c.value),
        Some(Cache::Bool(true))
    ) {
        return;
    }
    let pats = patterns(build);
    for u in &a.caches {
        let Place::Source(rel) = &u.place else {
            continue;
        };
        if rel.is_empty()
            || pats.iter().any(|(_, n)| match cover(n, rel) {
                Some(Cover::Inside) => true,
                Some(Cover::Holds) => n.split('/').count() == rel.split('/').count(),
                None => false,
            })
        {
            continue;
        }
        let (span, via) = match &u.via {
            Some((var, Some(span))) => (*span, format!(" ({var} in envVariables)")),
            Some((var, None)) => (u.origin.span, format!(" ({var})")),
            None => (u.origin.span, String::new()),
        };
        out.push(
            Diagnostic::warning(
                Code::ToolCacheUncached,
                span,
                format!(
                    "{}'s {} is `{rel}`{via}, inside /build/source, and `cache` does not keep \
                     it, so every build downloads again what the last one had",
                    u.manager.name, u.cache.what
                ),
            )
            .with_help(format!(
                "add `{rel}` to `cache`; or leave the variable out so that the {} stays in \
                 ~/{}, which the base layer keeps",
                u.cache.what, u.cache.home
            )),
        );
    }
}

/// `cache-in-base-layer` for a cache entry that names a tool cache outside
/// /build/source, if `pat` is one.
pub fn in_base_layer(p: &Sp<String>) -> Option<Diagnostic> {
    let (m, c) = managers::outside_cache(&p.value)?;
    Some(
        Diagnostic::error(
            Code::CacheInBaseLayer,
            p.span,
            format!(
                "`{}` is outside /build/source, where {}'s {} (~/{}) lives: cache paths never \
                 reach it, and the base layer already keeps it across builds",
                p.value, m.name, c.what, c.home
            ),
        )
        .with_help(
            "remove this entry; everything written outside /build/source stays in the base \
             layer until `os`, `base`, `prepareCommands` or `cache` change",
        ),
    )
}

/// Whether buildCommands (as `a` read them) create something that `norm`
/// names, so a pattern that matches nothing yet will match after the build.
pub fn created_by_build(a: &Analysis, norm: &str) -> bool {
    a.created().any(|c| cover(norm, c).is_some())
}

#[cfg(test)]
mod tests {
    use crate::lint::{TreeFacts, lint, lint_with_tree};

    fn codes(src: &str) -> Vec<(String, u32)> {
        lint(src)
            .into_iter()
            .filter(|d| {
                [
                    "cache-deleted-by-build",
                    "tool-cache-uncached",
                    "cache-in-base-layer",
                ]
                .contains(&d.code.as_str())
            })
            .map(|d| (d.code.to_string(), d.span.unwrap().start.line))
            .collect()
    }

    fn build(cmds: &str, cache: &str, env: &str) -> String {
        format!(
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      buildCommands:\n{cmds}      cache: {cache}\n{env}"
        )
    }

    #[test]
    fn npm_ci_throws_the_restore_away_npm_install_does_not() {
        let src = build(
            "        - npm ci\n        - npm run build\n",
            "[node_modules]",
            "",
        );
        let d = lint(&src);
        let hit: Vec<_> = d
            .iter()
            .filter(|d| d.code == "cache-deleted-by-build")
            .collect();
        assert_eq!(hit.len(), 1, "{d:#?}");
        assert_eq!(hit[0].span.unwrap().start.line, 8);
        assert!(
            hit[0].message.contains("then `npm ci` deletes it") && !hit[0].message.contains("line"),
            "{}",
            hit[0].message
        );
        assert!(hit[0].help.as_deref().unwrap().contains("npm install"));
        let src = build("        - npm install\n", "[node_modules]", "");
        assert_eq!(codes(&src), []);
        // Used first, deleted later: the restore was used.
        let src = build(
            "        - npm install\n        - rm -rf node_modules\n",
            "[node_modules]",
            "",
        );
        assert_eq!(codes(&src), []);
        let src = build(
            "        - cd web && npm ci\n",
            "[node_modules, web/node_modules]",
            "",
        );
        assert_eq!(codes(&src), [("cache-deleted-by-build".to_string(), 7)]);
        let src = build("        - ./mvnw clean install\n", "[target]", "");
        assert_eq!(codes(&src), [("cache-deleted-by-build".to_string(), 7)]);
        // `cache: true` keeps everything; the advice is about listed paths.
        assert_eq!(codes(&build("        - npm ci\n", "true", "")), []);
    }

    #[test]
    fn tool_cache_inside_the_source() {
        let env = "      envVariables:\n        BUN_INSTALL: ./.bun\n";
        let src = build("        - bun install\n", "[node_modules]", env);
        assert_eq!(codes(&src), [("tool-cache-uncached".to_string(), 9)]);
        let src = build(
            "        - bun install\n",
            "[node_modules, .bun/install/cache]",
            env,
        );
        assert_eq!(codes(&src), []);
        let src = build("        - bun install\n", "[node_modules, .bun]", env);
        assert_eq!(codes(&src), []);
        let src = build("        - DENO_DIR=.deno deno cache main.ts\n", "false", "");
        let d = lint(&src);
        let hit = d.iter().find(|d| d.code == "tool-cache-uncached").unwrap();
        assert_eq!(hit.span.unwrap().start.line, 6);
        assert!(
            hit.message.contains("`.deno` (DENO_DIR)"),
            "{}",
            hit.message
        );
        assert_eq!(codes(&build("        - bun install\n", "true", env)), []);
        assert_eq!(
            codes(&build("        - bun install\n", "[node_modules]", "")),
            []
        );
    }

    #[test]
    fn tool_cache_entry_outside_the_source() {
        let src = build(
            "        - go build\n",
            "[node_modules, /root/go/pkg/mod]",
            "",
        );
        let d = lint(&src);
        assert!(d.iter().any(|d| d.code == "cache-in-base-layer"), "{d:#?}");
        assert!(
            !d.iter().any(|d| d.code == "cache-outside-source"),
            "{d:#?}"
        );
        let src = build("        - true\n", "[\"~/.m2\"]", "");
        assert_eq!(codes(&src), [("cache-in-base-layer".to_string(), 7)]);
        let d = lint(&build("        - true\n", "[/etc/x]", ""));
        assert!(d.iter().any(|d| d.code == "cache-outside-source"), "{d:#?}");
    }

    #[test]
    fn created_paths_match_something() {
        let src = build(
            "        - composer install\n        - cd frontend && npm install\n        - mkdir -p out\n",
            "[vendor, frontend/node_modules, \"out/*\", node_modules, dist]",
            "",
        );
        let facts = TreeFacts {
            entries: vec!["zerops.yaml".into(), "frontend".into()],
            depth: 2,
            tracked: Some(vec!["zerops.yaml".into()]),
        };
        let nothing: Vec<u32> = lint_with_tree(&src, None, &facts)
            .iter()
            .filter(|d| d.code == "cache-matches-nothing")
            .map(|d| d.span.unwrap().start.line)
            .collect();
        // node_modules and dist: nothing creates them.
        assert_eq!(nothing.len(), 2, "{nothing:?}");
    }
}
