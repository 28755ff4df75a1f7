//! Preserve: which entries of the source directory go into the build layer
//! after a successful build, per Zerops' `cache` semantics:
//! - `cache: true` keeps the whole source directory: every top-level entry
//!   is taken whole;
//! - `cache: false`, an absent `cache` or an empty list keep nothing of the
//!   source directory (the container home, the base layer, stays anyway);
//! - patterns select with Go's `filepath.Match` after Zerops normalization,
//!   directory by directory, through [`crate::select::PatternSet`]: a
//!   matched directory is taken whole, symlinks are leaves, names that are
//!   not UTF-8 move only with a taken parent.

use super::Entry;
use crate::select::{PatternSet, Selection};

/// The `cache` field, normalized: one definition and one normalization,
/// shared with the layer keys, so keys and preserve cannot disagree about
/// what it selects.
pub use crate::keys::cache_spec;
pub use zerops_cache_contract::keys::CacheSpec;

/// The preserve selector of one setup.
#[derive(Debug, Clone)]
pub enum Preserve {
    Nothing,
    Everything,
    Patterns(PatternSet),
}

impl Preserve {
    pub fn new(spec: &CacheSpec) -> Preserve {
        match spec {
            CacheSpec::All(false) => Preserve::Nothing,
            CacheSpec::All(true) => Preserve::Everything,
            CacheSpec::Patterns(p) => Preserve::Patterns(PatternSet::new(p)),
        }
    }

    /// The deepest path (in components) preserve can take: the host never
    /// lists a directory whose entries would be deeper. 0: list nothing.
    pub fn max_depth(&self) -> usize {
        match self {
            Preserve::Nothing => 0,
            Preserve::Everything => 1,
            Preserve::Patterns(set) => set.max_depth(),
        }
    }

    /// Decides every entry of the source directory `dir` (relative to the
    /// source root, `""` for the root), in the order of `entries`.
    ///
    /// ```
    /// use zerops_cache_policy::plan::{Entry, preserve::{CacheSpec, Preserve}};
    /// use zerops_cache_policy::select::{Selection, Step};
    ///
    /// let p = Preserve::new(&CacheSpec::Patterns(vec!["./node_modules/".into()]));
    /// let d = p.select("", &[Entry::dir("node_modules"), Entry::file("index.js")]);
    /// assert!(matches!(d[0], Selection::Take { .. }));
    /// assert!(matches!(d[1].step(), Step::Skip(_)));
    /// ```
    pub fn select(&self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        match self {
            Preserve::Nothing => entries.iter().map(|_| Selection::NoMatch).collect(),
            Preserve::Everything => entries
                .iter()
                .map(|e| {
                    if !dir.is_empty() {
                        Selection::NoMatch
                    } else if !e.utf8 {
                        Selection::NotUtf8
                    } else {
                        Selection::Take { pattern: 0 }
                    }
                })
                .collect(),
            Preserve::Patterns(set) => set.select(dir, entries),
        }
    }
}

impl crate::select::Selector for Preserve {
    fn max_depth(&self) -> usize {
        Preserve::max_depth(self)
    }
    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        Preserve::select(self, dir, entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::walk;
    use std::collections::BTreeMap;

    fn tree() -> BTreeMap<&'static str, Vec<Entry>> {
        BTreeMap::from([
            (
                "",
                vec![
                    Entry::dir("node_modules"),
                    Entry::dir("frontend"),
                    Entry::file("package.json"),
                    Entry::file("package-lock.json"),
                ],
            ),
            (
                "frontend",
                vec![Entry::dir("node_modules"), Entry::file("x.js")],
            ),
        ])
    }

    fn taken(spec: CacheSpec) -> Vec<String> {
        let t = tree();
        let mut p = Preserve::new(&spec);
        let mut lister =
            |d: &str| -> Result<Vec<Entry>, ()> { Ok(t.get(d).cloned().unwrap_or_default()) };
        walk(&mut p, &mut lister)
            .unwrap()
            .taken
            .into_iter()
            .map(|t| t.path)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    #[test]
    fn cache_values() {
        assert!(taken(CacheSpec::All(false)).is_empty());
        assert_eq!(
            taken(CacheSpec::All(true)),
            [
                "frontend",
                "node_modules",
                "package-lock.json",
                "package.json"
            ]
        );
        assert_eq!(
            taken(CacheSpec::Patterns(vec![
                "node_modules".into(),
                "*/node_modules".into(),
                "package*".into()
            ])),
            [
                "frontend/node_modules",
                "node_modules",
                "package-lock.json",
                "package.json"
            ]
        );
    }

    #[test]
    fn from_model() {
        use crate::model::Cache;
        assert_eq!(cache_spec(None), CacheSpec::All(false));
        assert_eq!(
            cache_spec(Some(&Cache::Paths(vec![]))),
            CacheSpec::All(false)
        );
    }

    #[test]
    fn everything_skips_non_utf8_root_names() {
        let mut odd = Entry::file("a\u{fffd}");
        odd.utf8 = false;
        let d = Preserve::new(&CacheSpec::All(true)).select("", &[odd]);
        assert_eq!(d, [Selection::NotUtf8]);
    }
}
