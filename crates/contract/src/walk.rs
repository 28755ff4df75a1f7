//! The walk protocol shared by the policy and every host: what a walk is
//! for ([`Purpose`]), one listing ([`Listing`]), the decision about each
//! entry ([`Step`]), and [`drive`], the one level-by-level driver of every
//! tree walk (preserve, restore, the artifact, `select::walk`).
//!
//! The driver decides nothing: it lists what an answer said to descend
//! into, asks for each level's decisions in **one** batch, and checks that
//! every entry was decided ([`ShortAnswer`] otherwise, never silently
//! zipped away). What to take, descend into or skip is the rules' answer:
//! the policy's `Walker`, inside the component behind `wit/walk.wit`.
//!
//! Results come back in depth-first order with names sorted by bytes within
//! each directory, whatever order the levels were listed in.

use crate::keys::CacheSpec;
use crate::select::{Entry, EntryKind, Selection};

/// What a walk is for: the walker's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Preserve: which source entries the `cache` field takes.
    Preserve(CacheSpec),
    /// Restore: which build-layer entries move into the source (a listing's
    /// `against` is the source directory at the same path; the source wins).
    Restore,
    /// The artifact: which project entries `.deployignore` (its text, if
    /// any) keeps; kept directories are descended into, kept files taken.
    Deploy(Option<String>),
}

/// Why an entry is left where it is: the one skip reason of every walk
/// (preserve, restore, the artifact) and of the cache selection
/// ([`crate::select::Selection::step`]). Its [`code`](SkipReason::code) is
/// what users read (JSON `reason`, the build's lines); the WIT name is
/// `walk.why` (kept until the next breaking WIT release), mapped in
/// `wit_map.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// No pattern matches it or anything below it (not reported).
    NoMatch,
    /// The name is not UTF-8: it moves only with a parent taken whole.
    NotUtf8,
    /// A pattern could match below it, but it is a symlink (never followed).
    SymlinkNotFollowed,
    /// A pattern names a path below it, but it is not a directory.
    NotADirectory,
    /// Restore: the source has an entry of that name.
    SourceWins,
    /// The artifact: `.deployignore` (or the rule that `.git` never
    /// deploys) leaves it out.
    Ignored,
}

impl SkipReason {
    /// Every reason, in declaration order.
    pub const ALL: [SkipReason; 6] = [
        SkipReason::NoMatch,
        SkipReason::NotUtf8,
        SkipReason::SymlinkNotFollowed,
        SkipReason::NotADirectory,
        SkipReason::SourceWins,
        SkipReason::Ignored,
    ];

    /// A stable word for reports and JSON.
    pub const fn code(self) -> &'static str {
        match self {
            SkipReason::NoMatch => "no-match",
            SkipReason::NotUtf8 => "not-utf8",
            SkipReason::SymlinkNotFollowed => "symlink-not-followed",
            SkipReason::NotADirectory => "not-a-directory",
            SkipReason::SourceWins => "source-wins",
            SkipReason::Ignored => "ignored",
        }
    }

    /// The reason a code names, if any.
    pub fn of_code(code: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether the walk reports it (everything but "nothing matches" and
    /// "ignored on purpose").
    pub fn is_noted(self) -> bool {
        !matches!(self, SkipReason::NoMatch | SkipReason::Ignored)
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Serialized as its code (`"not-utf8"`), the JSON contract's text.
impl serde::Serialize for SkipReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The verdict on one entry of a listing: the one per-entry verdict of
/// every walk (the WIT `walk.step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Take the entry whole (move it, or copy it into the artifact).
    Take,
    /// A directory to list next.
    Descend,
    /// Leave it.
    Skip(SkipReason),
}

impl Step {
    /// The skip reason, if the entry is left.
    pub fn skip_reason(self) -> Option<SkipReason> {
        match self {
            Step::Skip(r) => Some(r),
            Step::Take | Step::Descend => None,
        }
    }
}

/// One directory listing to decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The directory, relative to the walk's root (`""` for the root).
    pub dir: String,
    pub entries: Vec<Entry>,
    /// Restore only: the source directory at the same path.
    pub against: Vec<Entry>,
}

/// An answer that does not decide every entry: a bug in whoever answered
/// (the component, or a host's adapter), reported instead of dropping the
/// undecided entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortAnswer {
    /// The directory whose answer was short (`None`: listings were missing).
    pub dir: Option<String>,
    pub expected: usize,
    pub got: usize,
}

impl std::fmt::Display for ShortAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.dir {
            Some(d) => write!(
                f,
                "internal error: the policy decided {} of the {} entries of {:?}",
                self.got, self.expected, d
            ),
            None => write!(
                f,
                "internal error: {} answers (listings or decisions) for {} directories",
                self.got, self.expected
            ),
        }
    }
}

impl std::error::Error for ShortAnswer {}

/// Checks that `answers` decides every entry of every listing of `batch`.
pub fn check<T>(batch: &[Listing], answers: &[Vec<T>]) -> Result<(), ShortAnswer> {
    if answers.len() != batch.len() {
        return Err(ShortAnswer {
            dir: None,
            expected: batch.len(),
            got: answers.len(),
        });
    }
    for (l, a) in batch.iter().zip(answers) {
        if a.len() != l.entries.len() {
            return Err(ShortAnswer {
                dir: Some(l.dir.clone()),
                expected: l.entries.len(),
                got: a.len(),
            });
        }
    }
    Ok(())
}

/// How the driver treats one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Take,
    Descend,
    /// Skipped, and worth reporting.
    Note,
    Skip,
}

/// A decision the driver can classify: [`Step`], or [`Selection`] (a step
/// with the pattern that decided it) for the policy's `select::walk`.
pub trait Classify: Copy {
    fn class(&self) -> Class;
}

impl Classify for Step {
    fn class(&self) -> Class {
        match self {
            Step::Take => Class::Take,
            Step::Descend => Class::Descend,
            Step::Skip(r) if r.is_noted() => Class::Note,
            Step::Skip(_) => Class::Skip,
        }
    }
}

impl Classify for Selection {
    fn class(&self) -> Class {
        self.step().class()
    }
}

/// An entry the walk took or noted, with the decision about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<D> {
    /// The path relative to the walk's root.
    pub path: String,
    pub kind: EntryKind,
    pub decision: D,
}

/// What a walk found, in depth-first order (names sorted by bytes within
/// each directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked<D> {
    pub taken: Vec<Found<D>>,
    pub noted: Vec<Found<D>>,
    /// The directories listed (`""` is the root).
    pub listed: Vec<String>,
    /// How many batches were decided (calls into the component).
    pub batches: usize,
}

impl<D> Default for Walked<D> {
    fn default() -> Self {
        Walked {
            taken: Vec::new(),
            noted: Vec::new(),
            listed: Vec::new(),
            batches: 0,
        }
    }
}

/// At most this many entries go into one batch (bounds the memory of one
/// call; a level with more is decided in several batches).
pub const BATCH_ENTRIES: usize = 50_000;

/// Joins a directory and a name into a relative path.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Depth-first order of relative paths: by components, names by bytes.
pub fn dfs_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/')
        .map(str::as_bytes)
        .cmp(b.split('/').map(str::as_bytes))
}

/// Walks from `root` (a directory relative to the tree's root, `""` for
/// the root itself; listings and found paths are relative to the tree's
/// root, `max_depth` counts from `root`), level by level. `list` lists one directory (`None`
/// or an empty listing: nothing to decide there); `decide` answers a batch
/// of listings, and must decide every entry of each ([`ShortAnswer`]
/// otherwise, converted by `short`). A directory is listed only when an
/// answer said to descend into it (a real, UTF-8-named directory), and
/// never one whose entries would be deeper than `max_depth`.
pub fn drive<D: Classify, E>(
    root: &str,
    max_depth: Option<usize>,
    mut list: impl FnMut(&str) -> Result<Option<Listing>, E>,
    decide: impl FnMut(&[Listing]) -> Result<Vec<Vec<D>>, E>,
    short: impl Fn(ShortAnswer) -> E,
) -> Result<Walked<D>, E> {
    drive_listing_many(
        root,
        max_depth,
        1,
        |dirs| dirs.iter().map(|d| list(d)).collect(),
        decide,
        short,
    )
}

/// [`drive`], with the directories to list handed over `many` at a time
/// (at most; in walk order), so that a host can list them in parallel:
/// `list_many` answers one listing per directory, in order. What is
/// listed, decided and found is the same as with [`drive`].
pub fn drive_listing_many<D: Classify, E>(
    root: &str,
    max_depth: Option<usize>,
    many: usize,
    mut list_many: impl FnMut(&[String]) -> Result<Vec<Option<Listing>>, E>,
    mut decide: impl FnMut(&[Listing]) -> Result<Vec<Vec<D>>, E>,
    short: impl Fn(ShortAnswer) -> E,
) -> Result<Walked<D>, E> {
    let mut out = Walked::default();
    if max_depth == Some(0) {
        return Ok(out);
    }
    let many = many.max(1);
    let mut frontier = vec![root.to_string()];
    let mut level = 0usize;
    while !frontier.is_empty() {
        let mut next = Vec::new();
        let mut pending = frontier.into_iter().peekable();
        while pending.peek().is_some() {
            let mut batch: Vec<Listing> = Vec::new();
            let mut size = 0;
            while size < BATCH_ENTRIES && pending.peek().is_some() {
                let dirs: Vec<String> = pending.by_ref().take(many).collect();
                let listings = list_many(&dirs)?;
                if listings.len() != dirs.len() {
                    return Err(short(ShortAnswer {
                        dir: None,
                        expected: dirs.len(),
                        got: listings.len(),
                    }));
                }
                for (dir, l) in dirs.into_iter().zip(listings) {
                    out.listed.push(dir);
                    if let Some(l) = l.filter(|l| !l.entries.is_empty()) {
                        size += l.entries.len();
                        batch.push(l);
                    }
                }
            }
            if batch.is_empty() {
                continue;
            }
            let answers = decide(&batch)?;
            out.batches += 1;
            check(&batch, &answers).map_err(&short)?;
            let may_descend = max_depth.is_none_or(|m| level + 2 <= m);
            for (l, a) in batch.iter().zip(answers) {
                for (e, d) in l.entries.iter().zip(a) {
                    let found = || Found {
                        path: join(&l.dir, &e.name),
                        kind: e.kind,
                        decision: d,
                    };
                    match d.class() {
                        Class::Take => out.taken.push(found()),
                        Class::Descend if may_descend && e.kind == EntryKind::Dir && e.utf8 => {
                            next.push(join(&l.dir, &e.name))
                        }
                        Class::Descend | Class::Skip => {}
                        Class::Note => out.noted.push(found()),
                    }
                }
            }
        }
        frontier = next;
        level += 1;
    }
    // Depth-first: the directories in preorder, and within each its own
    // entries (by name) before those of its subdirectories.
    out.listed.sort_by(|a, b| dfs_order(a, b));
    let at: std::collections::HashMap<&str, usize> = out
        .listed
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let key = |f: &Found<D>| {
        let (parent, name) = f.path.rsplit_once('/').unwrap_or(("", &f.path));
        (
            at.get(parent).copied().unwrap_or(usize::MAX),
            name.as_bytes().to_vec(),
        )
    };
    out.taken.sort_by_cached_key(key);
    out.noted.sort_by_cached_key(key);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{SkipReason, Step};
    use crate::select::Selection;

    #[test]
    fn skip_reasons_serialize_as_their_codes_and_read_back() {
        for r in SkipReason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.code())
            );
            assert_eq!(SkipReason::of_code(r.code()), Some(r));
            assert_eq!(r.to_string(), r.code());
        }
        // The words users read, which JSON readers match on.
        assert_eq!(SkipReason::SourceWins.code(), "source-wins");
        assert_eq!(SkipReason::NotUtf8.code(), "not-utf8");
        assert_eq!(SkipReason::of_code("noted"), None);
    }

    #[test]
    fn a_selection_is_a_step_with_its_pattern() {
        let cases = [
            (Selection::Take { pattern: 1 }, Step::Take, Some(1)),
            (Selection::Descend { pattern: 2 }, Step::Descend, Some(2)),
            (Selection::NoMatch, Step::Skip(SkipReason::NoMatch), None),
            (Selection::NotUtf8, Step::Skip(SkipReason::NotUtf8), None),
            (
                Selection::SymlinkNotFollowed { pattern: 3 },
                Step::Skip(SkipReason::SymlinkNotFollowed),
                Some(3),
            ),
            (
                Selection::NotADirectory { pattern: 4 },
                Step::Skip(SkipReason::NotADirectory),
                Some(4),
            ),
        ];
        for (s, step, pattern) in cases {
            assert_eq!((s.step(), s.pattern()), (step, pattern), "{s:?}");
        }
    }
}
