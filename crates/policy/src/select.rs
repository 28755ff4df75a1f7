//! Tree selection: which entries of one directory listing the cache
//! patterns take whole, which directories must be opened because a pattern
//! could match below them, and which are skipped, each with its reason.
//!
//! `*` and `?` never match `/`, so a pattern with k components matches only
//! paths with k components, and a directory needs listing only while some
//! pattern's first components match its path. The walk therefore never lists
//! a directory deeper than the longest pattern can reach, and never one that
//! no pattern prefix matches.
//!
//! Exactness comes first, economy second:
//! - *Take* is decided by the exact matcher (Go's `filepath.Match`) on the
//!   full relative path, so a taken entry is exactly what Zerops matches.
//! - *Descend* must never miss a match (a missed match is a silently empty
//!   cache). For ordinary patterns, whose `/` are all literal, it compares
//!   the directory's components with the pattern's components one by one,
//!   which is exact. A class that can match `/` (`[^a]`, `[/]`) lets a single
//!   pattern component span directories; for those rare patterns the
//!   decision uses an automaton that accepts a superset of Go's matches, so
//!   it may open a directory in vain but never skips one that holds a match.
//! - A matched directory is taken whole and not opened; symlinks are leaves
//!   (taken as links, never followed); names that are not UTF-8 are never
//!   matched on their own (they move with their parent) and are reported.

/// The walk protocol and its driver (the contract's): [`walk`] runs on it.
use zerops_cache_contract::walk as drive;

use crate::pattern::{self, BadPattern, Compiled, Pattern, Tok};

pub use zerops_cache_contract::select::{Entry, EntryKind, Selection};
pub use zerops_cache_contract::walk::{SkipReason, Step};
/// How a pattern of the set is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternStatus {
    /// Normalized, valid, and applied.
    Applied,
    /// Malformed: never applied.
    Invalid(BadPattern),
    /// Starts with `/`: outside the source directory, never applied.
    Absolute,
    /// Has a `..` component: outside the source directory, never applied.
    ParentComponent,
    /// Empty after normalization (`""`, `.`, `./`): names no entry.
    Empty,
}

#[derive(Debug, Clone)]
struct Applied {
    index: usize,
    pattern: Pattern,
    /// One pattern per component when every `/` the pattern can match is a
    /// literal one (the usual case); `None` when a class can match `/`.
    segments: Option<Vec<Pattern>>,
    /// The automaton used when `segments` is `None`.
    nfa: Vec<Elem>,
}

/// The cache patterns of one setup, normalized and compiled once.
#[derive(Debug, Clone)]
pub struct PatternSet {
    sources: Vec<String>,
    normalized: Vec<String>,
    statuses: Vec<PatternStatus>,
    applied: Vec<Applied>,
    max_depth: usize,
}

impl PatternSet {
    /// Normalizes (see [`pattern::normalize`]) and compiles each pattern.
    /// Patterns that cannot apply are kept with their status, so reports
    /// can say why they select nothing.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> PatternSet {
        let mut set = PatternSet {
            sources: Vec::new(),
            normalized: Vec::new(),
            statuses: Vec::new(),
            applied: Vec::new(),
            max_depth: 0,
        };
        for (index, p) in patterns.iter().enumerate() {
            let src = p.as_ref();
            let norm = pattern::normalize(src);
            let status = match Pattern::new(&norm) {
                Err(e) => PatternStatus::Invalid(e),
                Ok(_) if norm.is_empty() => PatternStatus::Empty,
                Ok(_) if pattern::is_absolute(&norm) => PatternStatus::Absolute,
                Ok(_) if pattern::has_parent_component(&norm) => PatternStatus::ParentComponent,
                Ok(compiled) => {
                    let segments = if compiled.class_matches_slash() {
                        None
                    } else {
                        Some(
                            pattern::segments(&norm)
                                .iter()
                                .map(|s| {
                                    Pattern::new(s.text)
                                        .expect("a component of a valid pattern is valid")
                                })
                                .collect(),
                        )
                    };
                    set.max_depth = set.max_depth.max(compiled.max_slashes() + 1);
                    let nfa = flatten(compiled.compiled());
                    set.applied.push(Applied {
                        index,
                        pattern: compiled,
                        segments,
                        nfa,
                    });
                    PatternStatus::Applied
                }
            };
            set.sources.push(src.to_string());
            set.normalized.push(norm);
            set.statuses.push(status);
        }
        set
    }

    /// The patterns as given.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The patterns after Zerops normalization.
    pub fn normalized(&self) -> &[String] {
        &self.normalized
    }

    /// Whether and why each pattern is applied.
    pub fn statuses(&self) -> &[PatternStatus] {
        &self.statuses
    }

    /// The largest number of components a selected path can have: the walk
    /// lists directories of fewer components only (0: list nothing).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Whether the relative path `path` (components joined by `/`, no
    /// leading `./`) is matched by an applied pattern; the first one's index.
    pub fn matching(&self, path: &str) -> Option<usize> {
        self.applied
            .iter()
            .find(|a| a.pattern.matches(path))
            .map(|a| a.index)
    }

    /// Decides every entry of the listing of directory `dir` (relative to the
    /// source root: `""` for the root, `"frontend"`, `"a/b"`). The result is
    /// in the order of `entries`.
    pub fn select(&self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        let comps: Vec<&str> = if dir.is_empty() {
            Vec::new()
        } else {
            dir.split('/').collect()
        };
        let d = comps.len();
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        // Patterns that could still match something inside `dir`.
        let alive: Vec<&Applied> = self
            .applied
            .iter()
            .filter(|a| match &a.segments {
                Some(segs) => segs.len() > d && segs.iter().zip(&comps).all(|(s, c)| s.matches(c)),
                None => d == 0 || nfa_viable(a.pattern.compiled(), &a.nfa, prefix.as_bytes()),
            })
            .collect();
        let mut full = String::new();
        entries
            .iter()
            .map(|e| {
                if !e.utf8 {
                    return Selection::NotUtf8;
                }
                if alive.is_empty() {
                    return Selection::NoMatch;
                }
                full.clear();
                full.push_str(&prefix);
                full.push_str(&e.name);
                if let Some(a) = alive.iter().find(|a| a.pattern.matches(&full)) {
                    return Selection::Take { pattern: a.index };
                }
                let below = alive.iter().find(|a| match &a.segments {
                    Some(segs) => segs.len() > d + 1 && segs[d].matches(&e.name),
                    None => {
                        let mut s = Vec::with_capacity(full.len() + 1);
                        s.extend_from_slice(full.as_bytes());
                        s.push(b'/');
                        nfa_viable(a.pattern.compiled(), &a.nfa, &s)
                    }
                });
                match (below, e.kind) {
                    (None, _) => Selection::NoMatch,
                    (Some(a), EntryKind::Dir) => Selection::Descend { pattern: a.index },
                    (Some(a), EntryKind::Symlink) => {
                        Selection::SymlinkNotFollowed { pattern: a.index }
                    }
                    // Worth reporting only where the pattern names this very
                    // path (`vendor/bin` with a file `vendor`), not for every
                    // file a `*` component happens to match.
                    (Some(a), EntryKind::File | EntryKind::Other)
                        if a.segments.as_ref().is_some_and(|s| s[d].is_literal()) =>
                    {
                        Selection::NotADirectory { pattern: a.index }
                    }
                    (Some(_), EntryKind::File | EntryKind::Other) => Selection::NoMatch,
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// The over-approximating automaton for patterns whose classes can match `/`.

#[derive(Debug, Clone, Copy)]
enum Elem {
    /// `*`: any number of non-`/` bytes.
    Star,
    Byte(u8),
    /// `?` or a class: one rune (decoded as Go does).
    Rune(Tok),
}

fn flatten(c: &Compiled) -> Vec<Elem> {
    let mut out = Vec::new();
    for ch in &c.chunks {
        if ch.star {
            out.push(Elem::Star);
        }
        for &t in &c.toks[ch.start as usize..ch.end as usize] {
            match t {
                Tok::Lit { at, len } => out.extend(
                    c.lits[at as usize..(at + len) as usize]
                        .iter()
                        .map(|&b| Elem::Byte(b)),
                ),
                t => out.push(Elem::Rune(t)),
            }
        }
    }
    out
}

/// Whether some non-empty continuation `t` makes `s ++ t` accepted by the
/// automaton that reads the pattern as a regular expression (`*` = any run
/// of non-`/` bytes, `?` = one rune but `/`, a class = one rune in it). Every
/// name Go's `filepath.Match` accepts is accepted by this automaton (Go's
/// chunk algorithm finds one particular such reading), so `false` is proof
/// that nothing below `s` can match.
fn nfa_viable(c: &Compiled, elems: &[Elem], s: &[u8]) -> bool {
    let m = elems.len();
    // reach[pos][i]: element i can start reading at byte pos.
    let mut reach = vec![vec![false; m + 1]; s.len() + 1];
    let add = |reach: &mut Vec<Vec<bool>>, pos: usize, mut i: usize| {
        loop {
            reach[pos][i] = true;
            // a star may also match nothing
            if i < m && matches!(elems[i], Elem::Star) {
                i += 1;
                continue;
            }
            break;
        }
    };
    add(&mut reach, 0, 0);
    for pos in 0..s.len() {
        for i in 0..m {
            if !reach[pos][i] {
                continue;
            }
            match elems[i] {
                Elem::Star => {
                    if s[pos] != b'/' {
                        add(&mut reach, pos + 1, i);
                    }
                }
                Elem::Byte(b) => {
                    if s[pos] == b {
                        add(&mut reach, pos + 1, i + 1);
                    }
                }
                Elem::Rune(t) => {
                    let (r, n) = crate::pattern::decode_rune(&s[pos..]);
                    let ok = match t {
                        Tok::Any => s[pos] != b'/',
                        t => c.class_has(t, r),
                    };
                    if ok {
                        add(&mut reach, pos + n, i + 1);
                    }
                }
            }
        }
    }
    // Something must remain to read: an element not yet used.
    reach[s.len()][..m].iter().any(|&r| r)
}

// ---------------------------------------------------------------------------
// The walk driver.

/// Lists one directory, given its path relative to the source root (`""`
/// for the root). Implemented for closures.
pub trait Lister {
    type Error;
    fn list(&mut self, dir: &str) -> Result<Vec<Entry>, Self::Error>;
}

impl<E, F: FnMut(&str) -> Result<Vec<Entry>, E>> Lister for F {
    type Error = E;
    fn list(&mut self, dir: &str) -> Result<Vec<Entry>, E> {
        self(dir)
    }
}

/// Decides the entries of one listing: [`PatternSet`] natively, or a host's
/// call into the WebAssembly component.
pub trait Selector {
    /// The largest number of components a selected path can have.
    fn max_depth(&self) -> usize;
    /// One decision per entry, in order.
    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Selection>;
}

impl Selector for PatternSet {
    fn max_depth(&self) -> usize {
        PatternSet::max_depth(self)
    }
    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        PatternSet::select(self, dir, entries)
    }
}

impl<S: Selector + ?Sized> Selector for &mut S {
    fn max_depth(&self) -> usize {
        (**self).max_depth()
    }
    fn select(&mut self, dir: &str, entries: &[Entry]) -> Vec<Selection> {
        (**self).select(dir, entries)
    }
}

/// An entry the walk took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub path: String,
    pub kind: EntryKind,
    pub pattern: usize,
}

/// A skipped entry worth reporting (not UTF-8, a symlink or a
/// non-directory in the way of a pattern).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub path: String,
    pub kind: EntryKind,
    pub reason: SkipReason,
    /// The pattern in the way (a symlink or a non-directory), if any.
    pub pattern: Option<usize>,
}

/// What a walk found, in a deterministic order (depth first, names sorted
/// by bytes within each directory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkResult {
    pub taken: Vec<Taken>,
    pub noted: Vec<Noted>,
    /// The directories listed, in order (`""` is the root).
    pub listed: Vec<String>,
}

/// Why a walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError<E> {
    /// The lister failed.
    List(E),
    /// The selector did not decide every entry of a listing.
    Short(drive::ShortAnswer),
}

impl<E: std::fmt::Display> std::fmt::Display for WalkError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::List(e) => e.fmt(f),
            WalkError::Short(s) => s.fmt(f),
        }
    }
}

/// Walks from the source root with [`drive::drive`]: lists a directory
/// only when the selector says a pattern could match below it, and never a
/// directory whose entries would be deeper than [`Selector::max_depth`] (a
/// hard stop even if a selector asked for more). A selector answer shorter
/// than its listing is an error.
pub fn walk<S: Selector, L: Lister>(
    selector: &mut S,
    lister: &mut L,
) -> Result<WalkResult, WalkError<L::Error>> {
    let max_depth = selector.max_depth();
    let walked = drive::drive(
        "",
        Some(max_depth),
        |dir| {
            let mut entries = lister.list(dir).map_err(WalkError::List)?;
            entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            Ok(Some(drive::Listing {
                dir: dir.to_string(),
                entries,
                against: Vec::new(),
            }))
        },
        |batch| {
            Ok(batch
                .iter()
                .map(|l| selector.select(&l.dir, &l.entries))
                .collect())
        },
        WalkError::Short,
    )?;
    Ok(WalkResult {
        taken: walked
            .taken
            .into_iter()
            .filter_map(|f| match f.decision {
                Selection::Take { pattern } => Some(Taken {
                    path: f.path,
                    kind: f.kind,
                    pattern,
                }),
                _ => None,
            })
            .collect(),
        noted: walked
            .noted
            .into_iter()
            .filter_map(|f| {
                Some(Noted {
                    reason: f.decision.step().skip_reason()?,
                    pattern: f.decision.pattern(),
                    path: f.path,
                    kind: f.kind,
                })
            })
            .collect(),
        listed: walked.listed,
    })
}

#[cfg(test)]
mod tests;
