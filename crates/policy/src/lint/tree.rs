//! Lints that need to know the project directory. The host gathers the
//! facts (a listing and `git ls-files`) and passes them in as data; every
//! decision stays here.

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::model::{Build, Cache};
use crate::pattern::{Pattern, has_parent_component, is_absolute, normalize};

pub use zerops_cache_contract::lint::TreeFacts;

/// How deep the host must list for [`check`] to judge every cache pattern of
/// the file: the largest number of components of any cache path (at least 1).
pub fn depth_needed(builds: &[&Build]) -> u32 {
    builds
        .iter()
        .filter_map(|b| match &b.cache.as_ref()?.value {
            Cache::Paths(p) => Some(p),
            Cache::Bool(_) => None,
        })
        .flatten()
        .map(|p| components(&normalize(&p.value)) as u32)
        .max()
        .unwrap_or(1)
        .clamp(1, 16)
}

fn components(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.split('/').count()
    }
}

/// The first `k` components of `path`, if it has that many.
fn prefix(path: &str, k: usize) -> Option<&str> {
    if k == 0 {
        return None;
    }
    let mut end = 0;
    for (n, part) in path.split('/').enumerate() {
        end += part.len() + usize::from(n > 0);
        if n + 1 == k {
            return Some(&path[..end]);
        }
    }
    None
}

/// Lints one (resolved) build's cache paths against the tree.
pub fn check(build: &Build, facts: &TreeFacts, out: &mut Vec<Diagnostic>) {
    let Some(Cache::Paths(paths)) = build.cache.as_ref().map(|c| &c.value) else {
        return;
    };
    // Read the commands once for every pattern of the section.
    let analysis = crate::managers::analyze(build);
    for p in paths {
        let norm = normalize(&p.value);
        if norm.trim().is_empty() || is_absolute(&norm) || has_parent_component(&norm) {
            continue; // reported by the cache lints
        }
        let Ok(m) = Pattern::new(&norm) else { continue };
        let k = components(&norm);
        let tracked: Vec<&str> = facts
            .tracked
            .iter()
            .flatten()
            .filter(|t| prefix(t, k).is_some_and(|pre| m.matches(pre)))
            .map(String::as_str)
            .collect();
        let exists = !tracked.is_empty()
            || facts
                .entries
                .iter()
                .any(|e| components(e) == k && m.matches(e));
        if !exists && k as u32 <= facts.depth && !super::advice::created_by_build(&analysis, &norm)
        {
            let names: Vec<&str> = facts
                .entries
                .iter()
                .filter(|e| components(e) == k)
                .map(String::as_str)
                .collect();
            let help = match super::schema::suggest(&norm, &names) {
                Some(s) => format!("did you mean `{s}`? paths are relative to the project root"),
                None => "check the spelling; paths are relative to the project root (where \
                         zerops.yaml is), and `*` never crosses `/`"
                    .to_string(),
            };
            out.push(
                Diagnostic::note(
                    Code::CacheMatchesNothing,
                    p.span,
                    format!(
                        "`{}` matches nothing in the project directory now; unless buildCommands \
                         create it, nothing is cached for it",
                        p.value
                    ),
                )
                .with_help(help),
            );
        }
        if !tracked.is_empty() {
            let shown: Vec<&str> = tracked.iter().copied().take(3).collect();
            let more = if tracked.len() > 3 {
                format!(" and {} more", tracked.len() - 3)
            } else {
                String::new()
            };
            out.push(
                Diagnostic::warning(
                    Code::CacheTrackedByGit,
                    p.span,
                    format!(
                        "`{}` matches {} tracked by git ({}{more}); the source always wins on \
                         restore, so {} never come from the cache",
                        p.value,
                        if tracked.len() == 1 {
                            "a file".to_string()
                        } else {
                            format!("{} files", tracked.len())
                        },
                        shown.join(", "),
                        if tracked.len() == 1 { "it" } else { "they" },
                    ),
                )
                .with_help(
                    "cache only what the build creates (untracked), or stop tracking those files",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::lint_with_tree;

    fn facts(entries: &[&str], depth: u32, tracked: &[&str]) -> TreeFacts {
        TreeFacts {
            entries: entries.iter().map(|s| s.to_string()).collect(),
            depth,
            tracked: Some(tracked.iter().map(|s| s.to_string()).collect()),
        }
    }

    const SRC: &str = "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cache:\n        - node_module\n        - vendor\n        - composer.lock\n        - frontend/node_modules\n";

    #[test]
    fn matches_nothing_and_tracked() {
        let f = facts(
            &[
                "node_modules",
                "vendor",
                "composer.lock",
                "frontend",
                "zerops.yaml",
            ],
            1,
            &[
                "composer.lock",
                "vendor/a/b.php",
                "vendor/c.php",
                "zerops.yaml",
            ],
        );
        let d = lint_with_tree(SRC, None, &f);
        let nothing: Vec<_> = d
            .iter()
            .filter(|d| d.code == "cache-matches-nothing")
            .collect();
        assert_eq!(nothing.len(), 1, "{d:#?}");
        assert_eq!(nothing[0].span.unwrap().start.line, 6);
        assert!(
            nothing[0]
                .help
                .as_deref()
                .unwrap()
                .contains("`node_modules`")
        );
        let tracked: Vec<_> = d
            .iter()
            .filter(|d| d.code == "cache-tracked-by-git")
            .collect();
        assert_eq!(tracked.len(), 2, "{d:#?}");
        assert_eq!(tracked[0].span.unwrap().start.line, 7);
        assert!(
            tracked[0].message.contains("2 files"),
            "{}",
            tracked[0].message
        );
        assert_eq!(tracked[1].span.unwrap().start.line, 8);
        // frontend/node_modules has 2 components; depth 1 cannot judge it.
        assert!(nothing.iter().all(|d| d.span.unwrap().start.line != 9));
    }

    #[test]
    fn deeper_listing_judges_nested_paths() {
        let f = facts(&["frontend", "frontend/src"], 2, &[]);
        let d = lint_with_tree(SRC, None, &f);
        assert!(
            d.iter()
                .any(|d| d.code == "cache-matches-nothing" && d.span.unwrap().start.line == 9)
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix("a/b/c", 2), Some("a/b"));
        assert_eq!(prefix("a", 2), None);
        assert_eq!(prefix("a/b", 2), Some("a/b"));
    }
}
