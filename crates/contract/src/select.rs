//! Directory listings and the selection decision for one entry, as data.

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

/// The decision for one entry. `pattern` is the index of the deciding
/// pattern in the list given to [`PatternSet::new`] (the first one that
/// applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The entry's path matches: take it whole (a directory with all of its
    /// contents, a symlink as a link).
    Take { pattern: usize },
    /// A directory that is not matched itself, but a pattern could match
    /// something below it: list it.
    Descend { pattern: usize },
    /// Leave it where it is.
    Skip { reason: SkipReason },
}

/// Why an entry is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
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

impl Decision {
    /// A short stable word: `take`, `descend` or `skip`.
    pub fn action(&self) -> &'static str {
        match self {
            Decision::Take { .. } => "take",
            Decision::Descend { .. } => "descend",
            Decision::Skip { .. } => "skip",
        }
    }
}

impl SkipReason {
    /// A stable identifier, for JSON and reports.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::NoMatch => "no-match",
            SkipReason::NotUtf8 => "not-utf8",
            SkipReason::SymlinkNotFollowed { .. } => "symlink-not-followed",
            SkipReason::NotADirectory { .. } => "not-a-directory",
        }
    }
}
