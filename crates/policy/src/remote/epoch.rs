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

/// [`raised`] over the JSON of the current epoch object (unreadable counts
/// as none: raising is always safe), as JSON.
pub fn raise_json(current: Option<&str>, project: &str, setup: &str, reason: &str) -> String {
    let cur = current.and_then(|j| serde_json::from_str::<Epoch>(j).ok());
    serde_json::to_string(&raised(cur.as_ref(), project, setup, reason)).unwrap_or_default()
}

/// The epoch number of an epoch object's JSON, once checked.
pub fn check_json(json: &str, project: &str, setup: &str) -> Result<u64, String> {
    let e: Epoch =
        serde_json::from_str(json).map_err(|e| format!("the epoch object is not readable: {e}"))?;
    check(&e, project, setup)?;
    Ok(e.epoch)
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn json_forms() {
        let j = raise_json(None, "p", "s", "x");
        assert_eq!(check_json(&j, "p", "s"), Ok(1));
        let j2 = raise_json(Some(&j), "p", "s", "y");
        assert_eq!(check_json(&j2, "p", "s"), Ok(2));
        assert!(check_json("{}", "p", "s").is_err());
        assert!(check_json(&j2, "q", "s").is_err());
    }
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
