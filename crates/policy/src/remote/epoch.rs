//! Invalidation on the remote: an epoch per project and setup. `invalidate`
//! and `activate` raise it; manifests are published under the current epoch
//! and only those of the current epoch are restored, so no builder restores
//! an invalidated layer. A missing epoch object means epoch 0.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-epoch/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Epoch {
    pub format: String,
    pub project: String,
    pub setup: String,
    pub epoch: u64,
    /// Why it was raised (shown by `remote ls`).
    pub reason: String,
}

/// The epoch after an invalidation.
pub fn raised(current: Option<&Epoch>, project: &str, setup: &str, reason: &str) -> Epoch {
    Epoch {
        format: FORMAT.into(),
        project: project.into(),
        setup: setup.into(),
        epoch: current.map_or(0, |e| e.epoch).saturating_add(1),
        reason: reason.into(),
    }
}

/// Checks an epoch object against where it is stored.
pub fn check(e: &Epoch, project: &str, setup: &str) -> Result<(), String> {
    if e.format != FORMAT {
        return Err(format!("unknown epoch format {:?}", e.format));
    }
    if e.project != project || e.setup != setup {
        return Err(format!(
            "the epoch object is for {}/{} but is stored as {project}/{setup}",
            e.project, e.setup
        ));
    }
    Ok(())
}

/// Whether a manifest of `epoch` is live under `current`.
pub fn live(epoch: u64, current: u64) -> bool {
    epoch == current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_and_checking() {
        let e0 = raised(None, "p", "s", "invalidate");
        assert_eq!(e0.epoch, 1);
        let e1 = raised(Some(&e0), "p", "s", "activate 3");
        assert_eq!(e1.epoch, 2);
        check(&e1, "p", "s").unwrap();
        assert!(check(&e1, "p", "other").is_err());
        assert!(live(2, 2));
        assert!(!live(1, 2));
    }
}
