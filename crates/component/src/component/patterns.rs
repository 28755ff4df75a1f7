//! Typed questions to the component's `patterns` interface, converted to the
//! contract's data types.

use anyhow::Result;
use zerops_cache_contract::pattern::{BadPattern, BadPatternKind};

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
}
