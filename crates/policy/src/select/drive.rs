//! The one walk driver of every tree walk of a build (preserve, restore,
//! the artifact's `.deployignore` filter, and [`super::walk`]), and the
//! stateful [`Walker`] that decides its listings.
//!
//! The driver goes level by level: it lists every directory of the current
//! frontier, asks for all of their decisions in **one** batch, and the
//! directories the answers say to descend into become the next frontier.
//! Across the WebAssembly boundary a walk is then a handful of calls (one
//! per depth level), not one per directory, and the [`Walker`] keeps its
//! compiled patterns (or parsed `.deployignore`) for the whole walk.
//!
//! An answer that does not decide every entry of every listing is an error
//! ([`ShortAnswer`]), never silently zipped away.
//!
//! Results come back in depth-first order with names sorted by bytes within
//! each directory, whatever order the levels were listed in.

use super::{Decision, Entry, EntryKind, SkipReason};
use crate::plan::gitignore::Ignore;
use crate::plan::preserve::{CacheSpec, Preserve};

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

/// Why an entry is left where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Why {
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

impl Why {
    /// A stable word for reports and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Why::NoMatch => "no-match",
            Why::NotUtf8 => "not-utf8",
            Why::SymlinkNotFollowed => "symlink-not-followed",
            Why::NotADirectory => "not-a-directory",
            Why::SourceWins => "source-wins",
            Why::Ignored => "ignored",
        }
    }

    /// Whether the walk reports it (everything but "nothing matches" and
    /// "ignored on purpose").
    pub fn is_noted(self) -> bool {
        !matches!(self, Why::NoMatch | Why::Ignored)
    }
}

/// The decision for one entry of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Take the entry whole (move it, or copy it into the artifact).
    Take,
    /// A directory to list next.
    Descend,
    /// Leave it.
    Skip(Why),
}

impl From<Decision> for Step {
    fn from(d: Decision) -> Step {
        match d {
            Decision::Take { .. } => Step::Take,
            Decision::Descend { .. } => Step::Descend,
            Decision::Skip { reason } => Step::Skip(match reason {
                SkipReason::NoMatch => Why::NoMatch,
                SkipReason::NotUtf8 => Why::NotUtf8,
                SkipReason::SymlinkNotFollowed { .. } => Why::SymlinkNotFollowed,
                SkipReason::NotADirectory { .. } => Why::NotADirectory,
            }),
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

/// The rules of one walk, built once (patterns compiled, `.deployignore`
/// parsed) and applied to every listing of it.
#[derive(Debug, Clone)]
pub struct Walker {
    rule: Rule,
}

#[derive(Debug, Clone)]
enum Rule {
    Preserve(Preserve),
    Restore,
    Deploy(Ignore),
}

/// The number of components of a relative directory path.
fn depth(dir: &str) -> usize {
    if dir.is_empty() {
        0
    } else {
        dir.split('/').count()
    }
}

impl Walker {
    pub fn new(purpose: &Purpose) -> Walker {
        let rule = match purpose {
            Purpose::Preserve(spec) => Rule::Preserve(Preserve::new(spec)),
            Purpose::Restore => Rule::Restore,
            Purpose::Deploy(text) => Rule::Deploy(Ignore::parse(text.as_deref().unwrap_or(""))),
        };
        Walker { rule }
    }

    /// The largest number of components a taken path can have (`None`: no
    /// bound); the walk never lists a directory whose entries would be
    /// deeper. `Some(0)`: list nothing.
    pub fn max_depth(&self) -> Option<usize> {
        match &self.rule {
            Rule::Preserve(p) => Some(p.max_depth()),
            Rule::Restore | Rule::Deploy(_) => None,
        }
    }

    /// Decides every entry of one listing, in its order.
    pub fn decide(&self, l: &Listing) -> Vec<Step> {
        match &self.rule {
            Rule::Preserve(p) => {
                let d = depth(&l.dir);
                let deeper_ok = d + 2 <= p.max_depth();
                p.select(&l.dir, &l.entries)
                    .into_iter()
                    .map(|x| match Step::from(x) {
                        Step::Descend if !deeper_ok => Step::Skip(Why::NoMatch),
                        s => s,
                    })
                    .collect()
            }
            Rule::Restore => crate::plan::restore::restore_dir(&l.entries, &l.against)
                .into_iter()
                .map(|a| {
                    use crate::plan::restore::RestoreAction as A;
                    match a {
                        A::Move => Step::Take,
                        A::Descend => Step::Descend,
                        A::SourceWins => Step::Skip(Why::SourceWins),
                        A::NotUtf8 => Step::Skip(Why::NotUtf8),
                    }
                })
                .collect(),
            Rule::Deploy(ignore) => crate::plan::deploy::deploy_filter(ignore, &l.dir, &l.entries)
                .into_iter()
                .zip(&l.entries)
                .map(|(keep, e)| match (keep, e.kind) {
                    (false, _) => Step::Skip(Why::Ignored),
                    // Not UTF-8: copied whole, never matched on its own.
                    (true, EntryKind::Dir) if e.utf8 => Step::Descend,
                    (true, _) => Step::Take,
                })
                .collect(),
        }
    }

    /// Decides a batch of listings: one answer per listing, in order.
    pub fn decide_all(&self, batch: &[Listing]) -> Vec<Vec<Step>> {
        batch.iter().map(|l| self.decide(l)).collect()
    }
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
                "internal error: the policy answered for {} of {} directories",
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

/// A decision the driver can classify: [`Step`], or [`Decision`] for
/// [`super::walk`].
pub trait Classify: Copy {
    fn class(&self) -> Class;
}

impl Classify for Step {
    fn class(&self) -> Class {
        match self {
            Step::Take => Class::Take,
            Step::Descend => Class::Descend,
            Step::Skip(w) if w.is_noted() => Class::Note,
            Step::Skip(_) => Class::Skip,
        }
    }
}

impl Classify for Decision {
    fn class(&self) -> Class {
        match self {
            Decision::Take { .. } => Class::Take,
            Decision::Descend { .. } => Class::Descend,
            Decision::Skip {
                reason: SkipReason::NoMatch,
            } => Class::Skip,
            Decision::Skip { .. } => Class::Note,
        }
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
    mut decide: impl FnMut(&[Listing]) -> Result<Vec<Vec<D>>, E>,
    short: impl Fn(ShortAnswer) -> E,
) -> Result<Walked<D>, E> {
    let mut out = Walked::default();
    if max_depth == Some(0) {
        return Ok(out);
    }
    let mut frontier = vec![root.to_string()];
    let mut level = 0usize;
    while !frontier.is_empty() {
        let mut next = Vec::new();
        let mut pending = frontier.into_iter().peekable();
        while pending.peek().is_some() {
            let mut batch: Vec<Listing> = Vec::new();
            let mut size = 0;
            while size < BATCH_ENTRIES {
                let Some(dir) = pending.next() else { break };
                let l = list(&dir)?;
                out.listed.push(dir);
                if let Some(l) = l.filter(|l| !l.entries.is_empty()) {
                    size += l.entries.len();
                    batch.push(l);
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
    use super::*;
    use std::collections::BTreeMap;

    fn tree() -> BTreeMap<&'static str, Vec<Entry>> {
        BTreeMap::from([
            (
                "",
                vec![
                    Entry::dir("node_modules"),
                    Entry::dir("app"),
                    Entry::file("package.json"),
                    Entry::dir(".git"),
                ],
            ),
            (
                "app",
                vec![Entry::dir("node_modules"), Entry::file("x.log")],
            ),
            ("app/node_modules", vec![Entry::file("a.js")]),
            ("node_modules", vec![Entry::file("b.js")]),
        ])
    }

    fn run(w: &Walker, t: &BTreeMap<&str, Vec<Entry>>) -> Walked<Step> {
        drive(
            "",
            w.max_depth(),
            |d| {
                Ok::<_, ShortAnswer>(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |b| Ok(w.decide_all(b)),
            |s| s,
        )
        .unwrap()
    }

    fn paths(f: &[Found<Step>]) -> Vec<&str> {
        f.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn preserve_batches_one_call_per_level() {
        let w = Walker::new(&Purpose::Preserve(CacheSpec::Patterns(vec![
            "node_modules".into(),
            "*/node_modules".into(),
        ])));
        let r = run(&w, &tree());
        assert_eq!(paths(&r.taken), ["node_modules", "app/node_modules"]);
        // `*/node_modules` opens every top-level directory (`.git` is not
        // in the tree: its listing is `None`)
        assert_eq!(r.listed, ["", ".git", "app"]);
        assert_eq!(r.batches, 2);
    }

    #[test]
    fn deploy_keeps_what_deployignore_does_not_name() {
        let w = Walker::new(&Purpose::Deploy(Some("*.log\n".into())));
        let r = run(&w, &tree());
        assert_eq!(
            paths(&r.taken),
            ["package.json", "app/node_modules/a.js", "node_modules/b.js"]
        );
        assert!(r.noted.is_empty(), "ignored entries are not reported");
        assert_eq!(r.listed, ["", "app", "app/node_modules", "node_modules"]);
    }

    #[test]
    fn restore_descends_where_both_sides_have_a_directory() {
        let w = Walker::new(&Purpose::Restore);
        let cache = tree();
        let r = drive(
            "",
            None,
            |d| {
                Ok::<_, ShortAnswer>(cache.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: if d.is_empty() {
                        vec![Entry::dir("app"), Entry::file("package.json")]
                    } else {
                        Vec::new()
                    },
                }))
            },
            |b| Ok(w.decide_all(b)),
            |s| s,
        )
        .unwrap();
        assert_eq!(
            paths(&r.taken),
            [".git", "node_modules", "app/node_modules", "app/x.log"]
        );
        assert_eq!(paths(&r.noted), ["package.json"]);
        assert_eq!(r.noted[0].decision, Step::Skip(Why::SourceWins));
    }

    #[test]
    fn a_short_answer_is_an_error() {
        let t = tree();
        let r = drive(
            "",
            None,
            |d| {
                Ok(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |b: &[Listing]| {
                Ok(b.iter()
                    .map(|l| vec![Step::Take; l.entries.len() - 1])
                    .collect())
            },
            |s| s,
        );
        assert_eq!(
            r.unwrap_err(),
            ShortAnswer {
                dir: Some(String::new()),
                expected: 4,
                got: 3
            }
        );
        let r = drive(
            "",
            None,
            |d| {
                Ok(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |_: &[Listing]| Ok(Vec::<Vec<Step>>::new()),
            |s| s,
        );
        assert_eq!(r.unwrap_err().dir, None);
    }

    #[test]
    fn depth_first_order() {
        let mut v = vec!["a-c", "a/b", "a", "b"];
        v.sort_by(|a, b| dfs_order(a, b));
        assert_eq!(v, ["a", "a/b", "a-c", "b"]);
    }

    #[test]
    fn preserve_never_descends_past_the_patterns() {
        let w = Walker::new(&Purpose::Preserve(CacheSpec::Patterns(vec![
            "app/*".into(),
        ])));
        let l = Listing {
            dir: "app".into(),
            entries: vec![Entry::dir("node_modules")],
            against: Vec::new(),
        };
        assert_eq!(w.decide(&l), [Step::Take]);
        assert_eq!(w.max_depth(), Some(2));
    }
}
