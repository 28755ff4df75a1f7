//! The index of a project and setup (`v1/index/<project>/<setup>`): what
//! `remote ls` shows of each manifest (files, bytes, stored bytes), written
//! by each publish after its manifest (a conditional update, signed like a
//! manifest), so that listing costs a constant number of requests instead
//! of one GET of every manifest. A manifest the index lacks (published by
//! an older version, or its index update lost a race 16 times) is read
//! whole, as before; an index entry whose manifest is gone is not shown.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "zerops-cache-remote-index/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The manifest's name.
    pub name: String,
    pub files: u64,
    pub bytes: u64,
    pub stored_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub format: String,
    pub project: String,
    pub setup: String,
    pub entries: Vec<Entry>,
}

/// The index after a publish of `e` (replacing an entry of the same name);
/// an unreadable or foreign current index is started anew.
pub fn add(current: Option<&str>, project: &str, setup: &str, e: Entry) -> String {
    let mut idx = current
        .and_then(|j| check(j, project, setup).ok())
        .unwrap_or(Index {
            format: FORMAT.into(),
            project: project.into(),
            setup: setup.into(),
            entries: Vec::new(),
        });
    idx.entries.retain(|x| x.name != e.name);
    idx.entries.push(e);
    idx.entries.sort_by(|a, b| a.name.cmp(&b.name));
    serde_json::to_string(&idx).unwrap_or_default()
}

/// The index, once checked against where it is stored.
pub fn check(json: &str, project: &str, setup: &str) -> Result<Index, String> {
    let idx: Index =
        serde_json::from_str(json).map_err(|e| format!("the index is not readable: {e}"))?;
    if idx.format != FORMAT {
        return Err(format!("unknown index format {:?}", idx.format));
    }
    if idx.project != project || idx.setup != setup {
        return Err(format!(
            "the index is for {}/{} but is stored as {project}/{setup}",
            idx.project, idx.setup
        ));
    }
    Ok(idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, files: u64) -> Entry {
        Entry {
            name: name.into(),
            files,
            bytes: 1,
            stored_bytes: 1,
        }
    }

    #[test]
    fn entries_are_added_replaced_and_checked() {
        let j = add(None, "p", "s", e("b", 1));
        let j = add(Some(&j), "p", "s", e("a", 2));
        let j = add(Some(&j), "p", "s", e("b", 3));
        let idx = check(&j, "p", "s").unwrap();
        assert_eq!(idx.entries, vec![e("a", 2), e("b", 3)]);
        assert!(check(&j, "p", "t").is_err());
        assert!(check("{}", "p", "s").is_err());
        // A foreign index is started anew.
        let other = add(None, "q", "s", e("x", 1));
        let j = add(Some(&other), "p", "s", e("a", 1));
        assert_eq!(check(&j, "p", "s").unwrap().entries, vec![e("a", 1)]);
    }
}
