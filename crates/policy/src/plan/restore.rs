//! Restore: moving the build layer back into a fresh source directory in
//! Zerops' no-clobber mode (the source wins).
//!
//! The host walks the cache and the source side by side. For one directory
//! pair it lists both and asks [`restore_dir`], which decides every cache
//! entry:
//! - the source has nothing of that name: **move** the entry whole (one
//!   rename, however large the subtree is);
//! - both sides have a real directory of that name: **descend** and decide
//!   the pair of directories below;
//! - anything else (a file, a symlink, or a directory against a
//!   non-directory): **skip**, the source wins; the cache entry is dropped
//!   when the build succeeds and is reported.
//!
//! Symlinks are leaves on both sides: a link is never followed, so a source
//! symlink to a directory wins against a cache directory. A cache entry
//! whose name is not UTF-8 is never decided on its own: it moves only with
//! a parent that moves whole, and is otherwise skipped and reported.

use super::{Entry, EntryKind};

pub use zerops_cache_contract::walk::{SkipReason, Step};

/// Decides every entry of one cache directory against the listing of the
/// source directory at the same relative path. The result is in the order
/// of `cache`. Names are compared exactly (byte for byte, as the host
/// passes them); entries of `source` whose names are not UTF-8 still
/// occupy their (lossy) name, so a cache entry never lands on them.
///
/// ```
/// use zerops_cache_policy::plan::{Entry, restore::{restore_dir, SkipReason, Step}};
///
/// let cache = [Entry::dir("node_modules"), Entry::file("package-lock.json"), Entry::dir("src")];
/// let source = [Entry::file("package-lock.json"), Entry::dir("src")];
/// assert_eq!(
///     restore_dir(&cache, &source),
///     [Step::Take, Step::Skip(SkipReason::SourceWins), Step::Descend]
/// );
/// ```
pub fn restore_dir(cache: &[Entry], source: &[Entry]) -> Vec<Step> {
    let mut names: Vec<(&str, EntryKind)> =
        source.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    names.sort_unstable();
    let lookup = |name: &str| -> Option<EntryKind> {
        let i = names.partition_point(|(n, _)| *n < name);
        names.get(i).filter(|(n, _)| *n == name).map(|(_, k)| *k)
    };
    cache
        .iter()
        .map(|e| {
            if !e.utf8 {
                return Step::Skip(SkipReason::NotUtf8);
            }
            match lookup(&e.name) {
                None => Step::Take,
                Some(EntryKind::Dir) if e.kind == EntryKind::Dir => Step::Descend,
                Some(_) => Step::Skip(SkipReason::SourceWins),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::{Descend, Take as Move};
    const SOURCE_WINS: Step = Step::Skip(SkipReason::SourceWins);
    const NOT_UTF8: Step = Step::Skip(SkipReason::NotUtf8);

    #[test]
    fn source_wins_at_every_kind_of_conflict() {
        let cache = [
            Entry::dir("a"),
            Entry::dir("b"),
            Entry::file("c"),
            Entry::symlink("d"),
            Entry::dir("e"),
            Entry::file("f"),
        ];
        let source = [
            Entry::file("a"),    // dir vs file
            Entry::symlink("b"), // dir vs symlink to anything: never followed
            Entry::dir("c"),     // file vs dir
            Entry::file("d"),
            Entry::dir("e"),
        ];
        assert_eq!(
            restore_dir(&cache, &source),
            [
                SOURCE_WINS,
                SOURCE_WINS,
                SOURCE_WINS,
                SOURCE_WINS,
                Descend,
                Move
            ]
        );
    }

    #[test]
    fn empty_source_moves_everything() {
        let cache = [Entry::dir("node_modules"), Entry::symlink(".bin")];
        assert_eq!(restore_dir(&cache, &[]), [Move, Move]);
    }

    #[test]
    fn non_utf8_names_never_move_on_their_own() {
        let mut odd = Entry::file("x\u{fffd}");
        odd.utf8 = false;
        assert_eq!(restore_dir(&[odd], &[]), [NOT_UTF8]);
    }

    #[test]
    fn names_are_exact() {
        let cache = [Entry::dir("Node_modules")];
        let source = [Entry::dir("node_modules")];
        assert_eq!(restore_dir(&cache, &source), [Move]);
    }
}
