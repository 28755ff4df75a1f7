//! The phases of a build that move or copy files, each asking the
//! component one directory at a time and applying its answers.

pub mod artifact;
pub mod checkout;
pub mod checkout_baseline;
pub(crate) mod list_ahead;
pub(crate) mod object_check;
pub(crate) mod objects;
pub mod preserve;
pub mod restore;
pub mod retention;
pub(crate) mod version_record;
pub mod version_repair;
pub(crate) mod version_tree;
pub mod version_verify;
pub mod version_view;
pub mod versions;

use zerops_cache_component::component::walk::{Found, SkipReason, Step};

/// A path left where it was, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    /// Serialized as its code (`"source-wins"`), as JSON readers know it.
    pub reason: Left,
}

/// Why a path was left where it was: the walk's verdict (the policy's one
/// [`SkipReason`]), or one of the two of the in-place checkout, which
/// narrows what preserve takes after the walk has decided
/// ([`checkout`]: only this host knows what was in the checkout before the
/// build). A pair rather than two more skip reasons because the walk's
/// reasons are the WIT `walk.why` cases and these two are never the
/// walker's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Left {
    /// The walk left it (restore, preserve).
    Walk(SkipReason),
    /// Inside `.git`: an in-place build never preserves the repository.
    GitDirectory,
    /// Part of the checkout before the build (in place): the checkout's
    /// file stays where it is.
    InCheckout,
}

impl Left {
    /// A stable word for reports and JSON.
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Left::Walk(r) => r.code(),
            Left::GitDirectory => "git-directory",
            Left::InCheckout => "in-checkout",
        }
    }
}

impl From<SkipReason> for Left {
    fn from(r: SkipReason) -> Left {
        Left::Walk(r)
    }
}

impl std::fmt::Display for Left {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Left {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The skips among a walk's noted entries, for reports. The driver notes
/// only steps it classed as notes, which are skips by construction
/// (`walk::Classify`), so nothing is dropped here.
pub(crate) fn noted_skips(noted: Vec<Found<Step>>) -> Vec<Skipped> {
    noted
        .into_iter()
        .filter_map(|f| {
            Some(Skipped {
                reason: Left::Walk(f.decision.skip_reason()?),
                path: f.path,
            })
        })
        .collect()
}

pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
