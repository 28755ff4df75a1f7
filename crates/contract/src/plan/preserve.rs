//! What preserve does with one source entry.

use crate::select::{Decision, SkipReason};

/// What preserve does with one source entry (a [`Decision`] without the
/// pattern index, as the component reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PreserveAction {
    Take,
    Descend,
    Skip,
    NotUtf8,
    SymlinkNotFollowed,
    NotADirectory,
}

impl PreserveAction {
    pub fn from_decision(d: Decision) -> PreserveAction {
        match d {
            Decision::Take { .. } => PreserveAction::Take,
            Decision::Descend { .. } => PreserveAction::Descend,
            Decision::Skip { reason } => match reason {
                SkipReason::NoMatch => PreserveAction::Skip,
                SkipReason::NotUtf8 => PreserveAction::NotUtf8,
                SkipReason::SymlinkNotFollowed { .. } => PreserveAction::SymlinkNotFollowed,
                SkipReason::NotADirectory { .. } => PreserveAction::NotADirectory,
            },
        }
    }

    /// A stable word for reports and JSON.
    pub fn code(self) -> &'static str {
        match self {
            PreserveAction::Take => "take",
            PreserveAction::Descend => "descend",
            PreserveAction::Skip => "skip",
            PreserveAction::NotUtf8 => "not-utf8",
            PreserveAction::SymlinkNotFollowed => "symlink-not-followed",
            PreserveAction::NotADirectory => "not-a-directory",
        }
    }
}
