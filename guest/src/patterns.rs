//! `patterns`: WIT types <-> `zerops_cache_policy::{pattern, select}`.

use crate::Component;
use crate::exports::zerops::build_cache::patterns::{self as wit, Guest};
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

pub(crate) fn entry(e: wit::Entry) -> select::Entry {
    select::Entry {
        name: e.name,
        kind: match e.kind {
            wit::EntryKind::Dir => select::EntryKind::Dir,
            wit::EntryKind::File => select::EntryKind::File,
            wit::EntryKind::Symlink => select::EntryKind::Symlink,
            wit::EntryKind::Other => select::EntryKind::Other,
        },
        utf8: e.utf8,
    }
}

fn decision(d: select::Decision) -> wit::Decision {
    use select::{Decision as D, SkipReason as R};
    match d {
        D::Take { pattern } => wit::Decision::Take(pattern as u32),
        D::Descend { pattern } => wit::Decision::Descend(pattern as u32),
        D::Skip { reason } => wit::Decision::Skip(match reason {
            R::NoMatch => wit::SkipReason::NoMatch,
            R::NotUtf8 => wit::SkipReason::NotUtf8,
            R::SymlinkNotFollowed { pattern } => {
                wit::SkipReason::SymlinkNotFollowed(pattern as u32)
            }
            R::NotADirectory { pattern } => wit::SkipReason::NotADirectory(pattern as u32),
        }),
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
        let entries: Vec<select::Entry> = entries.into_iter().map(entry).collect();
        set.select(&dir, &entries)
            .into_iter()
            .map(decision)
            .collect()
    }
}
