//! Typed questions to the component's `patterns` interface, converted to the
//! policy crate's data types, and a [`Selector`] that lets the policy's walk
//! driver ask the component (one call per directory).

use anyhow::Result;
use zerops_cache_policy::pattern::{BadPattern, BadPatternKind};
use zerops_cache_policy::select::{Decision, Entry, EntryKind, Selector, SkipReason};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::patterns as wit;

/// A malformed pattern as the component explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub error: BadPattern,
    /// 1-based column in characters.
    pub column: u32,
    pub message: String,
}

fn pattern_error(e: wit::BadPattern) -> PatternError {
    PatternError {
        error: BadPattern {
            kind: match e.kind {
                wit::BadPatternKind::TrailingBackslash => BadPatternKind::TrailingBackslash,
                wit::BadPatternKind::UnclosedClass => BadPatternKind::UnclosedClass,
                wit::BadPatternKind::EmptyClass => BadPatternKind::EmptyClass,
                wit::BadPatternKind::MisplacedDash => BadPatternKind::MisplacedDash,
                wit::BadPatternKind::RangeWithoutEnd => BadPatternKind::RangeWithoutEnd,
            },
            offset: e.offset as usize,
        },
        column: e.column,
        message: e.message,
    }
}

/// A directory entry as the WIT `patterns.entry` (which `plan` shares).
pub(crate) fn wit_entry(e: &Entry) -> wit::Entry {
    wit::Entry {
        name: e.name.clone(),
        kind: match e.kind {
            EntryKind::Dir => wit::EntryKind::Dir,
            EntryKind::File => wit::EntryKind::File,
            EntryKind::Symlink => wit::EntryKind::Symlink,
            EntryKind::Other => wit::EntryKind::Other,
        },
        utf8: e.utf8,
    }
}

fn decision(d: wit::Decision) -> Decision {
    match d {
        wit::Decision::Take(p) => Decision::Take {
            pattern: p as usize,
        },
        wit::Decision::Descend(p) => Decision::Descend {
            pattern: p as usize,
        },
        wit::Decision::Skip(r) => Decision::Skip {
            reason: match r {
                wit::SkipReason::NoMatch => SkipReason::NoMatch,
                wit::SkipReason::NotUtf8 => SkipReason::NotUtf8,
                wit::SkipReason::SymlinkNotFollowed(p) => SkipReason::SymlinkNotFollowed {
                    pattern: p as usize,
                },
                wit::SkipReason::NotADirectory(p) => SkipReason::NotADirectory {
                    pattern: p as usize,
                },
            },
        },
    }
}

impl PolicyHost {
    /// Checks a whole pattern.
    pub fn validate_pattern(&self, pattern: &str) -> Result<Result<(), PatternError>> {
        let r = self.call("checking a pattern", |p, s| {
            p.zerops_build_cache_patterns().call_validate(s, pattern)
        })?;
        Ok(r.map_err(pattern_error))
    }

    /// Go's `filepath.Match` for each (pattern, path) pair, in one call.
    pub fn is_match_many(
        &self,
        requests: &[(String, String)],
    ) -> Result<Vec<Result<bool, PatternError>>> {
        let out = self.call("matching patterns", |p, s| {
            p.zerops_build_cache_patterns()
                .call_is_match_many(s, requests)
        })?;
        Ok(out.into_iter().map(|r| r.map_err(pattern_error)).collect())
    }

    /// The Zerops normalization of a pattern.
    pub fn normalize_pattern(&self, pattern: &str) -> Result<String> {
        self.call("normalizing a pattern", |p, s| {
            p.zerops_build_cache_patterns().call_normalize(s, pattern)
        })
    }

    /// Why a pattern does not match a path, when there is something to say.
    pub fn explain_mismatch(&self, pattern: &str, path: &str) -> Result<Option<String>> {
        self.call("explaining a mismatch", |p, s| {
            p.zerops_build_cache_patterns()
                .call_explain_mismatch(s, pattern, path)
        })
    }

    /// The largest number of components a path selected by `patterns` can
    /// have.
    pub fn pattern_max_depth(&self, patterns: &[String]) -> Result<usize> {
        let set = self.call("reading cache patterns", |p, s| {
            p.zerops_build_cache_patterns()
                .call_describe_set(s, patterns)
        })?;
        Ok(set.max_depth as usize)
    }

    /// Decides the entries of one directory listing.
    pub fn select_entries(
        &self,
        patterns: &[String],
        dir: &str,
        entries: &[Entry],
    ) -> Result<Vec<Decision>> {
        let entries: Vec<wit::Entry> = entries.iter().map(wit_entry).collect();
        let out = self.call("selecting cache entries", |p, s| {
            p.zerops_build_cache_patterns()
                .call_select_entries(s, patterns, dir, &entries)
        })?;
        Ok(out.into_iter().map(decision).collect())
    }
}

/// The component as a [`Selector`] for the policy's walk driver: one
/// component call per listed directory, never one per file.
pub struct ComponentSelector<'h> {
    host: &'h PolicyHost,
    patterns: Vec<String>,
    max_depth: usize,
    /// The first component error, if any; the walk then sees "skip all".
    pub error: Option<anyhow::Error>,
}

impl<'h> ComponentSelector<'h> {
    pub fn new(host: &'h PolicyHost, patterns: Vec<String>) -> Result<ComponentSelector<'h>> {
        let max_depth = host.pattern_max_depth(&patterns)?;
        Ok(ComponentSelector {
            host,
            patterns,
            max_depth,
            error: None,
        })
    }
}

impl Selector for ComponentSelector<'_> {
    fn max_depth(&self) -> usize {
        self.max_depth
    }

    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Decision> {
        if self.error.is_none() {
            match self.host.select_entries(&self.patterns, dir, entries) {
                Ok(d) if d.len() == entries.len() => return d,
                Ok(d) => {
                    self.error = Some(anyhow::anyhow!(
                        "internal error: the policy decided {} of {} entries in {dir:?}",
                        d.len(),
                        entries.len()
                    ))
                }
                Err(e) => self.error = Some(e),
            }
        }
        entries
            .iter()
            .map(|_| Decision::Skip {
                reason: SkipReason::NoMatch,
            })
            .collect()
    }
}
