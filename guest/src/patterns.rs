//! `patterns`: WIT types <-> `zerops_cache_policy::{pattern, select}`.

use crate::Component;
use crate::exports::zerops::build_cache::patterns::{self as wit, Guest};
use crate::map::Convert;
use zerops_cache_policy::pattern::{self, BadPattern, BadPatternKind};
use zerops_cache_policy::select::{self, PatternSet, PatternStatus};

fn bad_pattern(pattern: &str, e: BadPattern) -> wit::BadPattern {
    wit::BadPattern {
        kind: match e.kind {
            BadPatternKind::TrailingBackslash => wit::BadPatternKind::TrailingBackslash,
            BadPatternKind::UnclosedClass => wit::BadPatternKind::UnclosedClass,
            BadPatternKind::EmptyClass => wit::BadPatternKind::EmptyClass,
            BadPatternKind::MisplacedDash => wit::BadPatternKind::MisplacedDash,
            BadPatternKind::RangeWithoutEnd => wit::BadPatternKind::RangeWithoutEnd,
        },
        offset: e.offset as u32,
        column: e.column(pattern) as u32,
        message: e.kind.describe().to_string(),
    }
}

impl Guest for Component {
    fn validate(p: String) -> Result<(), wit::BadPattern> {
        pattern::validate(&p).map_err(|e| bad_pattern(&p, e))
    }

    fn is_match(p: String, path: String) -> Result<bool, wit::BadPattern> {
        pattern::is_match(&p, &path).map_err(|e| bad_pattern(&p, e))
    }

    fn is_match_many(requests: Vec<(String, String)>) -> Vec<Result<bool, wit::BadPattern>> {
        requests
            .into_iter()
            .map(|(p, path)| pattern::is_match(&p, &path).map_err(|e| bad_pattern(&p, e)))
            .collect()
    }

    fn normalize(p: String) -> String {
        pattern::normalize(&p)
    }

    fn explain_mismatch(p: String, path: String) -> Option<String> {
        pattern::explain_mismatch(&p, &path)
    }

    fn describe_set(patterns: Vec<String>) -> wit::PatternSet {
        let set = PatternSet::new(&patterns);
        wit::PatternSet {
            normalized: set.normalized().to_vec(),
            statuses: set
                .statuses()
                .iter()
                .zip(set.normalized())
                .map(|(s, norm)| match s {
                    PatternStatus::Applied => wit::PatternStatus::Applied,
                    PatternStatus::Invalid(e) => wit::PatternStatus::Invalid(bad_pattern(norm, *e)),
                    PatternStatus::Absolute => wit::PatternStatus::Absolute,
                    PatternStatus::ParentComponent => wit::PatternStatus::ParentComponent,
                    PatternStatus::Empty => wit::PatternStatus::Empty,
                })
                .collect(),
            max_depth: set.max_depth() as u32,
        }
    }

    fn select_entries(
        patterns: Vec<String>,
        dir: String,
        entries: Vec<wit::Entry>,
    ) -> Vec<wit::Decision> {
        let set = PatternSet::new(&patterns);
        let entries: Vec<select::Entry> = entries.convert();
        set.select(&dir, &entries).convert()
    }
}
