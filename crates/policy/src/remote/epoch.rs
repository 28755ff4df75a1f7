//! Invalidation on the remote: an epoch per project and setup. `invalidate`
//! and `activate` raise it; manifests are published under the current epoch
//! and only those of the current epoch are restored, so no builder restores
//! an invalidated layer. A missing epoch object means epoch 0.

pub use zerops_cache_contract::remote::epoch::{FORMAT, Invalidation};

/// The body of the invalidation object stored as invalidation `epoch` (one
/// immutable object per raise, see [`super::naming::invalidation`]).
pub fn object(project: &str, setup: &str, epoch: u64, reason: &str) -> Invalidation {
    Invalidation {
        format: FORMAT.into(),
        project: project.into(),
        setup: setup.into(),
        epoch,
        reason: reason.into(),
    }
}

/// Checks an invalidation object against its name: its format, its place
/// and its number.
pub fn check_object(
    e: &Invalidation,
    project: &str,
    setup: &str,
    epoch: u64,
) -> Result<(), String> {
    if e.format != FORMAT {
        return Err(format!("unknown epoch format {:?}", e.format));
    }
    if e.project != project || e.setup != setup {
        return Err(format!(
            "the epoch object is for {}/{} but is stored as {project}/{setup}",
            e.project, e.setup
        ));
    }
    if e.epoch != epoch {
        return Err(format!(
            "the epoch object says epoch {} but is stored as epoch {epoch} (replayed?)",
            e.epoch
        ));
    }
    Ok(())
}

/// What a builder knows when it decides the current epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The newest invalidation object that verified (none: never raised,
    /// or deleted).
    pub newest_object: Option<u64>,
    /// The newest epoch under which a manifest that verified is stored.
    pub newest_manifest: Option<u64>,
    /// The highest epoch this builder saw before (its memory).
    pub seen: Option<u64>,
}

/// The current epoch, or why the remote cannot be trusted about it now: an
/// epoch lower than one this builder saw, or than a signed manifest proves,
/// means the epoch objects were deleted or rolled back. That is an error
/// (the builder goes on without the remote), never a reset.
pub fn current(f: &Facts) -> Result<u64, String> {
    let remote = f.newest_object.unwrap_or(0);
    let what = match f.newest_object {
        Some(n) => format!("the newest epoch object on the remote is epoch {n}"),
        None => "the remote has no epoch object".to_string(),
    };
    if let Some(seen) = f.seen.filter(|s| *s > remote) {
        return Err(format!(
            "{what}, but this builder saw epoch {seen}: the epoch was deleted or rolled back, \
             so nothing of the remote is trusted (invalidated entries would come back); \
             raise it again with `zerops-cache invalidate`"
        ));
    }
    if let Some(m) = f.newest_manifest.filter(|m| *m > remote) {
        return Err(format!(
            "{what}, but a signed manifest of epoch {m} exists: the epoch was deleted or \
             rolled back, so nothing of the remote is trusted (invalidated entries would come \
             back); raise it again with `zerops-cache invalidate`"
        ));
    }
    Ok(remote)
}

/// The epoch an invalidation creates: above every epoch known, even when
/// the remote's epoch objects were rolled back.
pub fn next(f: &Facts) -> u64 {
    f.newest_object
        .unwrap_or(0)
        .max(f.seen.unwrap_or(0))
        .max(f.newest_manifest.unwrap_or(0))
        .saturating_add(1)
}

/// Whether a local layer built or pulled in `built_in` (unknown: built
/// without the remote, or before epochs were recorded) may be reused, and
/// published, under the current epoch: only if it is of that epoch. An
/// unknown one counts as epoch 0.
pub fn layer_current(built_in: Option<u64>, current: u64) -> bool {
    built_in.unwrap_or(0) >= current
}

#[cfg(test)]
mod monotonic_tests {
    use super::*;

    #[test]
    fn lower_or_missing_epochs_are_errors_not_resets() {
        let f = |o, m, s| Facts {
            newest_object: o,
            newest_manifest: m,
            seen: s,
        };
        assert_eq!(current(&f(None, None, None)), Ok(0));
        assert_eq!(current(&f(Some(2), Some(2), Some(1))), Ok(2));
        let e = current(&f(None, None, Some(1))).unwrap_err();
        assert!(
            e.contains("no epoch object") && e.contains("saw epoch 1"),
            "{e}"
        );
        let e = current(&f(Some(1), None, Some(2))).unwrap_err();
        assert!(e.contains("rolled back"), "{e}");
        let e = current(&f(Some(1), Some(2), None)).unwrap_err();
        assert!(e.contains("signed manifest of epoch 2"), "{e}");
        assert_eq!(next(&f(Some(1), Some(3), Some(2))), 4);
        assert_eq!(next(&f(None, None, None)), 1);
    }

    #[test]
    fn older_layers_are_not_current() {
        assert!(layer_current(None, 0));
        assert!(!layer_current(None, 1));
        assert!(!layer_current(Some(1), 2));
        assert!(layer_current(Some(2), 2));
    }

    #[test]
    fn objects_are_checked_against_their_place_and_number() {
        let o = object("p", "s", 3, "invalidate");
        assert_eq!(check_object(&o, "p", "s", 3), Ok(()));
        assert!(
            check_object(&o, "p", "s", 4)
                .unwrap_err()
                .contains("replayed")
        );
        assert!(check_object(&o, "p", "t", 3).is_err());
        assert!(check_object(&o, "q", "s", 3).is_err());
        let other = Invalidation {
            format: "zerops-cache-remote-epoch/2".into(),
            ..o
        };
        let e = check_object(&other, "p", "s", 3).unwrap_err();
        assert!(e.contains("unknown epoch format"), "{e}");
    }
}
