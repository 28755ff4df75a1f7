//! Directory listings and the selection for one entry, as data.

use crate::walk::{SkipReason, Step};

/// What an entry of a listing is. Symlinks are reported as symlinks, never
/// by what they point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
    /// Sockets, FIFOs, devices: moved like files when matched.
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    /// The name; when it is not valid UTF-8, a lossy rendering for reports.
    pub name: String,
    pub kind: EntryKind,
    /// Whether the real name is valid UTF-8.
    pub utf8: bool,
}

impl Entry {
    pub fn new(name: impl Into<String>, kind: EntryKind) -> Entry {
        Entry {
            name: name.into(),
            kind,
            utf8: true,
        }
    }
    pub fn dir(name: impl Into<String>) -> Entry {
        Entry::new(name, EntryKind::Dir)
    }
    pub fn file(name: impl Into<String>) -> Entry {
        Entry::new(name, EntryKind::File)
    }
    pub fn symlink(name: impl Into<String>) -> Entry {
        Entry::new(name, EntryKind::Symlink)
    }
}

/// What the cache patterns select for one entry, with the pattern that
/// decided (`pattern`: the index of the first applying pattern in the list
/// given to `PatternSet::new`). This is the answer of the per-directory
/// `patterns.select-entries` (the web page shows which pattern took or
/// blocked a path); [`Selection::step`] is the walk's verdict on the same
/// entry, which is all a walk needs. It is a step with attribution, not a
/// second verdict: every case maps to exactly one [`Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selection {
    /// The entry's path matches: take it whole (a directory with all of its
    /// contents, a symlink as a link).
    Take { pattern: usize },
    /// A directory that is not matched itself, but a pattern could match
    /// something below it: list it.
    Descend { pattern: usize },
    /// No pattern matches it or anything below it.
    NoMatch,
    /// The name is not valid UTF-8: never matched on its own; it moves only
    /// with a taken parent.
    NotUtf8,
    /// A pattern could match below this path, but it is a symlink, and
    /// symlinks are never followed.
    SymlinkNotFollowed { pattern: usize },
    /// A pattern could match below this path, but it is not a directory.
    NotADirectory { pattern: usize },
}

impl Selection {
    /// The walk's verdict on the entry (the pattern dropped).
    pub fn step(self) -> Step {
        match self {
            Selection::Take { .. } => Step::Take,
            Selection::Descend { .. } => Step::Descend,
            Selection::NoMatch => Step::Skip(SkipReason::NoMatch),
            Selection::NotUtf8 => Step::Skip(SkipReason::NotUtf8),
            Selection::SymlinkNotFollowed { .. } => Step::Skip(SkipReason::SymlinkNotFollowed),
            Selection::NotADirectory { .. } => Step::Skip(SkipReason::NotADirectory),
        }
    }

    /// The pattern that decided, if one did.
    pub fn pattern(self) -> Option<usize> {
        match self {
            Selection::Take { pattern }
            | Selection::Descend { pattern }
            | Selection::SymlinkNotFollowed { pattern }
            | Selection::NotADirectory { pattern } => Some(pattern),
            Selection::NoMatch | Selection::NotUtf8 => None,
        }
    }
}
