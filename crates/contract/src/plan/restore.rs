//! What restore does with one entry of the cache directory.

/// What restore does with one entry of the cache directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestoreAction {
    /// Rename the entry into the source directory, whole.
    Move,
    /// A directory on both sides: decide the entries below.
    Descend,
    /// The source has an entry of that name: the source wins.
    SourceWins,
    /// The name is not UTF-8 and the source directory exists: it stays in
    /// the cache (moved only with a parent that moves whole).
    NotUtf8,
}

impl RestoreAction {
    /// A stable word for reports and JSON.
    pub fn code(self) -> &'static str {
        match self {
            RestoreAction::Move => "move",
            RestoreAction::Descend => "descend",
            RestoreAction::SourceWins => "source-wins",
            RestoreAction::NotUtf8 => "not-utf8",
        }
    }

    /// Whether the entry is left in the cache (and so reported as skipped).
    pub fn is_skip(self) -> bool {
        matches!(self, RestoreAction::SourceWins | RestoreAction::NotUtf8)
    }
}
