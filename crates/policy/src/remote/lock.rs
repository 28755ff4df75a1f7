//! gc and publishing cannot race: restic's lock protocol. A publish writes
//! a *shared* lock before it looks at what the remote holds (the packs it
//! will reuse) and removes it after its manifest is written; `remote gc`
//! writes an *exclusive* lock before it lists anything and removes it after
//! its sweep. Each writes its own lock first and then lists the locks: of
//! two that overlap, the later one always sees the earlier one's lock, so a
//! sweep never runs while a publish is between "this pack exists" and "my
//! manifest references it". A lock not refreshed for [`STALE_MS`] (a
//! crashed holder) is ignored, and gc removes it.
//!
//! Ages are measured on the object store's own clock: the listed
//! modification time of one's own lock against the others', so builders'
//! clocks do not matter.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-lock/1";
/// A lock older than this (on the store's clock) is stale.
pub const STALE_MS: u64 = 30 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Shared,
    Exclusive,
}

/// The body of a lock object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub format: String,
    pub kind: Kind,
    /// Who holds it (for messages): `publish <project>/<setup>` or `gc`.
    pub holder: String,
}

pub fn body(kind: Kind, holder: &str) -> String {
    serde_json::to_string(&Lock {
        format: FORMAT.into(),
        kind,
        holder: holder.into(),
    })
    .unwrap_or_default()
}

/// Another lock, as listed and read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other {
    pub name: String,
    /// Its body (an unreadable lock counts as exclusive: it blocks both).
    pub json: Option<String>,
    pub modified_ms: u64,
}

/// Whether the lock of `kind` this holder wrote (listed at `mine_ms` on the
/// store's clock) may proceed given the other locks; else who blocks it.
pub fn verdict(kind: Kind, mine_ms: u64, others: &[Other]) -> Result<(), String> {
    for o in others {
        if mine_ms.saturating_sub(o.modified_ms) >= STALE_MS {
            continue;
        }
        let theirs = o
            .json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Lock>(j).ok())
            .filter(|l| l.format == FORMAT);
        let (their_kind, who) = match &theirs {
            Some(l) => (l.kind, l.holder.as_str()),
            None => (Kind::Exclusive, "an unreadable lock"),
        };
        if kind == Kind::Exclusive || their_kind == Kind::Exclusive {
            return Err(format!(
                "the remote is locked by {who} ({}, {} s old)",
                o.name,
                mine_ms.saturating_sub(o.modified_ms) / 1000
            ));
        }
    }
    Ok(())
}

/// The stale locks (their holders crashed), for gc to remove.
pub fn stale(mine_ms: u64, others: &[Other]) -> Vec<String> {
    others
        .iter()
        .filter(|o| mine_ms.saturating_sub(o.modified_ms) >= STALE_MS)
        .map(|o| o.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(kind: Option<Kind>, age_ms: u64) -> Other {
        Other {
            name: "v1/locks/x".into(),
            json: kind.map(|k| body(k, "someone")),
            modified_ms: 10_000_000 - age_ms,
        }
    }

    #[test]
    fn shared_locks_share_and_exclusive_excludes() {
        let now = 10_000_000;
        assert_eq!(
            verdict(Kind::Shared, now, &[other(Some(Kind::Shared), 5)]),
            Ok(())
        );
        assert!(verdict(Kind::Shared, now, &[other(Some(Kind::Exclusive), 5)]).is_err());
        assert!(verdict(Kind::Exclusive, now, &[other(Some(Kind::Shared), 5)]).is_err());
        assert!(verdict(Kind::Shared, now, &[other(None, 5)]).is_err());
        // Stale locks are ignored, and listed for removal.
        let old = other(Some(Kind::Exclusive), STALE_MS);
        assert_eq!(
            verdict(Kind::Shared, now, std::slice::from_ref(&old)),
            Ok(())
        );
        assert_eq!(stale(now, &[old, other(Some(Kind::Shared), 1)]).len(), 1);
    }
}
