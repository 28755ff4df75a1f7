//! How the build cache will treat what `build.cache` says.
//!
//! Cache paths are Go `filepath.Match` patterns relative to /build/source;
//! restore is no-clobber (the source wins); `true` keeps the whole source
//! directory, `false` keeps nothing of it (files outside it stay cached with
//! the base layer either way).

use crate::diag::Code;
use crate::diag::{Diagnostic, Pos, Span};
use crate::model::{Build, Cache, Sp};
use crate::pattern::{
    Pattern, has_double_star, has_empty_component, has_parent_component, has_tilde, is_absolute,
    is_literal, normalize, validate,
};
use std::collections::BTreeMap;

/// Lockfiles of common package managers. The cache never wins over a
/// committed file, so caching these does nothing.
pub const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    "deno.lock",
    "composer.lock",
    "Gemfile.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "Cargo.lock",
    "go.sum",
    "mix.lock",
    "rebar.lock",
    "packages.lock.json",
    "gradle.lockfile",
    "pubspec.lock",
    "Podfile.lock",
    "Package.resolved",
    "flake.lock",
    "shard.lock",
];

/// Lints one `build` section's `cache`.
pub fn check(build: &Build, out: &mut Vec<Diagnostic>) {
    let Some(cache) = &build.cache else { return };
    match &cache.value {
        Cache::Bool(true) => out.push(
            Diagnostic::note(
                Code::CacheTrue,
                cache.span,
                "`cache: true` keeps the whole /build/source: every build gets all of it back, \
                 including files since deleted from the repository (the source only wins for \
                 files it still has)",
            )
            .with_help(
                "list what is worth keeping instead, e.g. `cache: [node_modules]`, unless the \
                 build really needs everything",
            ),
        ),
        Cache::Bool(false) => out.push(
            Diagnostic::note(
                Code::CacheFalse,
                cache.span,
                "`cache: false` keeps nothing of /build/source, but files outside it (e.g. \
                 ~/go/pkg/mod, ~/.m2, global package caches) stay cached with the base layer \
                 until `os`, `base`, `prepareCommands` or `cache` change",
            )
            .with_help(
                "to start from a clean container, change `prepareCommands` or invalidate the \
                 build cache of the service",
            ),
        ),
        Cache::Paths(paths) => {
            let single_string = cache
                .span
                .eq(&paths.first().map(|p| p.span).unwrap_or_default())
                && paths.len() == 1;
            let mut seen: BTreeMap<String, &Sp<String>> = BTreeMap::new();
            for p in paths {
                check_pattern(p, single_string, out);
                let norm = normalize(&p.value);
                if let Some(first) = seen.get(&norm) {
                    out.push(
                        Diagnostic::warning(
                            Code::CacheDuplicate,
                            p.span,
                            format!(
                                "`{}` names the same path as `{}` above; it adds nothing",
                                p.value, first.value
                            ),
                        )
                        .with_help(format!(
                            "remove it (`./x`, `x` and `x/` are the same path); the first is at line {}",
                            first.span.start.line
                        )),
                    );
                } else {
                    seen.insert(norm, p);
                }
            }
        }
    }
}

/// The `cache-outside-source` error for an absolute path or one with
/// `..`. The build refuses such a setup with the same diagnostic, so lint
/// and build agree.
pub(crate) fn outside_source(p: &Sp<String>) -> Option<Diagnostic> {
    let pat = p.value.as_str();
    if !(is_absolute(pat) || has_parent_component(pat)) {
        return None;
    }
    let what = if is_absolute(pat) {
        "an absolute path"
    } else {
        "a path with `..`"
    };
    Some(
        Diagnostic::error(
            Code::CacheOutsideSource,
            p.span,
            format!(
                "`{pat}` is {what}: cache paths are relative to /build/source, so this points \
                     outside it; it is never cached, and the build refuses it"
            ),
        )
        .with_help(
            "files outside /build/source (like ~/go/pkg/mod) already stay cached with the \
                 base layer; remove this entry, or make the tool write inside /build/source",
        ),
    )
}

fn check_pattern(p: &Sp<String>, single_string: bool, out: &mut Vec<Diagnostic>) {
    let pat = p.value.as_str();
    if pat.trim().is_empty() {
        out.push(
            Diagnostic::warning(
                Code::CachePatternEmpty,
                p.span,
                "an empty cache path matches nothing, so nothing is cached for it",
            )
            .with_help("remove it, or write the directory to keep, e.g. `node_modules`"),
        );
        return;
    }
    if let Some(d) = super::advice::in_base_layer(p) {
        out.push(d);
        return;
    }
    if let Some(d) = outside_source(p) {
        out.push(d);
        return;
    }
    if let Err(bad) = validate(pat) {
        out.push(
            Diagnostic::error(
                Code::CachePatternInvalid,
                sub_span(p, bad.offset),
                format!(
                    "`{pat}` is not a valid Go filepath.Match pattern, so it matches nothing: {}",
                    bad.explain(pat)
                ),
            )
            .with_help("escape `[`, `]`, `-` or `\\` with a `\\`, or close the `[...]` class"),
        );
        return;
    }
    if has_empty_component(&normalize(pat)) {
        out.push(
            Diagnostic::warning(
                Code::CachePatternEmptyComponent,
                p.span,
                format!(
                    "`{pat}` has an empty or `.` component (`//` or `/./`), so it never matches \
                     a real path as written and nothing is cached for it"
                ),
            )
            .with_help("write the path with single slashes and without `./` in the middle"),
        );
    }
    if Pattern::new(pat).is_ok_and(|m| m.class_matches_slash()) {
        out.push(
            Diagnostic::warning(
                Code::CacheClassMatchesSlash,
                p.span,
                format!(
                    "a `[...]` class in `{pat}` can match `/`, so this pattern can cross a \
                     directory boundary, unlike `*` and `?`"
                ),
            )
            .with_help("exclude `/` from the class, e.g. `[^a/]` instead of `[^a]`"),
        );
    }
    if has_double_star(pat) {
        let at = pat.find("**").unwrap_or(0);
        out.push(
            Diagnostic::warning(
                Code::CacheDoubleStar,
                sub_span(p, at),
                format!(
                    "{} is not a recursive wildcard: Go's filepath.Match has none, `**` acts as \
                     `*`, and `*` never crosses `/`",
                    if pat == "**" {
                        "`**`".to_string()
                    } else {
                        format!("`**` in `{pat}`")
                    }
                ),
            )
            .with_help(
                "name each directory, e.g. `node_modules` and `frontend/node_modules`; a matched \
                 directory is kept whole, with everything below it",
            ),
        );
    }
    if has_tilde(pat) {
        let at = pat.find('~').unwrap_or(0);
        let home = pat.starts_with("~/") || pat == "~";
        out.push(
            Diagnostic::warning(
                Code::CacheTilde,
                sub_span(p, at),
                if home {
                    format!(
                        "`{pat}` does not mean the home directory: cache paths are relative to \
                         /build/source, and `~` in them is undocumented (filepath.Match reads it \
                         as a plain character)"
                    )
                } else {
                    format!(
                        "`~` in the cache path `{pat}` is undocumented: the docs mention it, but \
                         filepath.Match reads it as a plain character"
                    )
                },
            )
            .with_help(if home {
                "files in the home directory already stay cached with the base layer; remove it"
            } else {
                "write the path without `~`"
            }),
        );
    }
    if pat.contains(',') || (single_string && pat.trim().contains(char::is_whitespace)) {
        let parts: Vec<&str> = pat
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if parts.len() > 1 {
            out.push(
                Diagnostic::warning(
                    Code::CacheListInString,
                    p.span,
                    format!(
                        "`{pat}` is one path with a {} in it, not {} paths; it probably matches nothing",
                        if pat.contains(',') { "comma" } else { "space" },
                        parts.len()
                    ),
                )
                .with_help(format!("write a list: `cache: [{}]`", parts.join(", "))),
            );
        }
    }
    let last = normalize(pat);
    let last = last.rsplit('/').next().unwrap_or("");
    let locks: Vec<&str> = if is_literal(last) {
        LOCKFILES.iter().copied().filter(|l| *l == last).collect()
    } else if last.to_ascii_lowercase().contains("lock") || last.contains("shrinkwrap") {
        match Pattern::new(last) {
            Ok(m) => LOCKFILES.iter().copied().filter(|l| m.matches(l)).collect(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    if !locks.is_empty() {
        out.push(
            Diagnostic::warning(
                Code::CacheLockfile,
                p.span,
                format!(
                    "`{pat}` caches {}: restore never overwrites a file the source has \
                     (no-clobber), so the committed lockfile always wins and caching it does \
                     nothing",
                    if locks.len() == 1 && locks[0] == last {
                        "a lockfile".to_string()
                    } else {
                        format!("lockfiles ({})", locks.join(", "))
                    }
                ),
            )
            .with_help(
                "remove it from `cache`; commit the lockfile and run the install command \
                 (e.g. `npm ci`, `composer install`) in buildCommands",
            ),
        );
    }
}

/// A one-character span at byte `offset` of the pattern, when the scalar is
/// written on one line as plain or simply quoted text; otherwise the whole
/// scalar.
pub(crate) fn sub_span(p: &Sp<String>, offset: usize) -> Span {
    let s = p.span;
    let chars = p.value.chars().count() as u32;
    if s.start.line != s.end.line || p.value.contains(['\\', '\'', '"', '\n']) {
        return s;
    }
    let width = s.end.column.saturating_sub(s.start.column);
    let lead = if width == chars {
        0
    } else if width == chars + 2 {
        1
    } else {
        return s;
    };
    let col = p.value[..offset.min(p.value.len())].chars().count() as u32;
    let start = Pos::new(s.start.line, s.start.column + lead + col);
    let len = p.value[offset.min(p.value.len())..]
        .chars()
        .next()
        .map_or(0, |_| 1);
    Span::new(start, Pos::new(start.line, start.column + len))
}

#[cfg(test)]
mod tests {
    use crate::lint::lint;

    fn find(src: &str, code: &str) -> Vec<(u32, u32, crate::Severity)> {
        lint(src)
            .into_iter()
            .filter(|d| d.code == code)
            .map(|d| {
                (
                    d.span.unwrap().start.line,
                    d.span.unwrap().start.column,
                    d.severity,
                )
            })
            .collect()
    }

    fn build(cache: &str) -> String {
        format!(
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cache: {cache}\n"
        )
    }

    #[test]
    fn double_star_points_at_the_stars() {
        let f = find(&build("[\"**/node_modules\"]"), "cache-double-star");
        assert_eq!(f, [(5, 16, crate::Severity::Warning)]);
        let f = find(&build("frontend/**"), "cache-double-star");
        assert_eq!(f, [(5, 23, crate::Severity::Warning)]);
    }

    #[test]
    fn invalid_syntax_is_an_error_at_the_bracket() {
        let f = find(&build("node_modules["), "cache-pattern-invalid");
        assert_eq!(f, [(5, 26, crate::Severity::Error)]);
    }

    #[test]
    fn outside_source() {
        let f = find(
            &build("[/opt/go/pkg/mod, ../x, a/../b]"),
            "cache-outside-source",
        );
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|x| x.2 == crate::Severity::Error));
        assert_eq!(f[0].1, 15);
        // A tool cache outside the source gets the more precise finding.
        assert_eq!(
            find(&build("[/root/go/pkg/mod]"), "cache-in-base-layer"),
            [(5, 15, crate::Severity::Error)]
        );
    }

    #[test]
    fn true_false_tilde_lockfile_duplicate() {
        assert_eq!(find(&build("true"), "cache-true").len(), 1);
        assert_eq!(find(&build("false"), "cache-false").len(), 1);
        assert_eq!(find(&build("\"false\""), "cache-false").len(), 0);
        assert_eq!(
            find(&build("~/m2"), "cache-tilde"),
            [(5, 14, crate::Severity::Warning)]
        );
        let src = build("\n        - vendor\n        - composer.lock\n        - ./vendor/\n");
        assert_eq!(
            find(&src, "cache-lockfile"),
            [(7, 11, crate::Severity::Warning)]
        );
        assert_eq!(
            find(&src, "cache-duplicate"),
            [(8, 11, crate::Severity::Warning)]
        );
        assert_eq!(
            find(&build("frontend/yarn.lock"), "cache-lockfile").len(),
            1
        );
        assert_eq!(find(&build("\"*.lock\""), "cache-lockfile").len(), 1);
        assert_eq!(find(&build("node_modules"), "cache-lockfile").len(), 0);
    }

    #[test]
    fn empty_components_and_classes_that_cross_slash() {
        let f = find(
            &build("[a//b, ./x/./y, a/b/]"),
            "cache-pattern-empty-component",
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].1, 15);
        assert_eq!(
            find(&build("\"src[^x]lib\""), "cache-class-matches-slash").len(),
            1
        );
        assert_eq!(
            find(&build("\"[a-z]*\""), "cache-class-matches-slash").len(),
            0
        );
    }

    #[test]
    fn list_written_as_string() {
        assert_eq!(
            find(&build("node_modules, vendor"), "cache-list-in-string").len(),
            1
        );
        assert_eq!(
            find(&build("node_modules vendor"), "cache-list-in-string").len(),
            1
        );
        assert_eq!(
            find(&build("[node_modules]"), "cache-list-in-string").len(),
            0
        );
    }

    #[test]
    fn corpus_style_lists_are_quiet() {
        let d = lint(&build(
            "\n        - node_modules\n        - frontend/node_modules\n        - .bun/install/cache\n",
        ));
        assert!(d.is_empty(), "{d:#?}");
    }
}
