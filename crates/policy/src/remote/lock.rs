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

pub use zerops_cache_contract::remote::lock::{FORMAT, Lock, LockFacts, LockKind};

/// A lock older than this (on the store's clock) is stale.
pub const STALE_MS: u64 = 30 * 60 * 1000;

/// The body of this holder's lock.
pub fn body(kind: LockKind, holder: &str) -> Lock {
    Lock {
        format: FORMAT.into(),
        kind,
        holder: holder.into(),
    }
}

/// Whether the lock of `kind` this holder wrote (listed at `mine_ms` on the
/// store's clock) may proceed given the other locks; else who blocks it.
pub fn verdict(kind: LockKind, mine_ms: u64, others: &[LockFacts]) -> Result<(), String> {
    for o in others {
        if mine_ms.saturating_sub(o.modified_ms) >= STALE_MS {
            continue;
        }
        let theirs = o.body.as_ref().filter(|l| l.format == FORMAT);
        let (their_kind, who) = match theirs {
            Some(l) => (l.kind, l.holder.as_str()),
            None => (LockKind::Exclusive, "an unreadable lock"),
        };
        if kind == LockKind::Exclusive || their_kind == LockKind::Exclusive {
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
pub fn stale(mine_ms: u64, others: &[LockFacts]) -> Vec<String> {
    others
        .iter()
        .filter(|o| mine_ms.saturating_sub(o.modified_ms) >= STALE_MS)
        .map(|o| o.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(kind: Option<LockKind>, age_ms: u64) -> LockFacts {
        LockFacts {
            name: "v1/locks/x".into(),
            body: kind.map(|k| body(k, "someone")),
            modified_ms: 10_000_000 - age_ms,
        }
    }

    #[test]
    fn shared_locks_share_and_exclusive_excludes() {
        let now = 10_000_000;
        assert_eq!(
            verdict(LockKind::Shared, now, &[other(Some(LockKind::Shared), 5)]),
            Ok(())
        );
        assert!(
            verdict(
                LockKind::Shared,
                now,
                &[other(Some(LockKind::Exclusive), 5)]
            )
            .is_err()
        );
        assert!(
            verdict(
                LockKind::Exclusive,
                now,
                &[other(Some(LockKind::Shared), 5)]
            )
            .is_err()
        );
        assert!(verdict(LockKind::Shared, now, &[other(None, 5)]).is_err());
        // Stale locks are ignored, and listed for removal.
        let old = other(Some(LockKind::Exclusive), STALE_MS);
        assert_eq!(
            verdict(LockKind::Shared, now, std::slice::from_ref(&old)),
            Ok(())
        );
        assert_eq!(
            stale(now, &[old, other(Some(LockKind::Shared), 1)]).len(),
            1
        );
        // A lock of another format is as unreadable as none.
        let mut foreign = other(Some(LockKind::Shared), 5);
        if let Some(b) = foreign.body.as_mut() {
            b.format = "zerops-cache-remote-lock/2".into();
        }
        let e = verdict(LockKind::Shared, now, &[foreign]).unwrap_err();
        assert!(e.contains("an unreadable lock"), "{e}");
    }
}
