//! The index of a project and setup (`v1/index/<project>/<setup>`): what
//! `remote ls` shows of each manifest (files, bytes, stored bytes), written
//! by each publish after its manifest (a conditional update, signed like a
//! manifest), so that listing costs a constant number of requests instead
//! of one GET of every manifest. A manifest the index lacks (published by
//! an older version, or its index update lost a race 16 times) is read
//! whole, as before; an index entry whose manifest is gone is not shown.

pub use zerops_cache_contract::remote::index::{FORMAT, Index, IndexEntry};

/// The index after a publish of `e` (replacing an entry of the same name);
/// no current index, or a foreign one, is started anew.
pub fn add(current: Option<Index>, project: &str, setup: &str, e: IndexEntry) -> Index {
    let mut idx = current
        .filter(|c| check(c, project, setup).is_ok())
        .unwrap_or_else(|| Index {
            format: FORMAT.into(),
            project: project.into(),
            setup: setup.into(),
            entries: Vec::new(),
        });
    idx.entries.retain(|x| x.name != e.name);
    idx.entries.push(e);
    idx.entries.sort_by(|a, b| a.name.cmp(&b.name));
    idx
}

/// Checks an index against where it is stored.
pub fn check(idx: &Index, project: &str, setup: &str) -> Result<(), String> {
    if idx.format != FORMAT {
        return Err(format!("unknown index format {:?}", idx.format));
    }
    if idx.project != project || idx.setup != setup {
        return Err(format!(
            "the index is for {}/{} but is stored as {project}/{setup}",
            idx.project, idx.setup
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, files: u64) -> IndexEntry {
        IndexEntry {
            name: name.into(),
            files,
            bytes: 1,
            stored_bytes: 1,
        }
    }

    #[test]
    fn entries_are_added_replaced_and_checked() {
        let i = add(None, "p", "s", e("b", 1));
        let i = add(Some(i), "p", "s", e("a", 2));
        let i = add(Some(i), "p", "s", e("b", 3));
        check(&i, "p", "s").unwrap();
        assert_eq!(i.entries, vec![e("a", 2), e("b", 3)]);
        assert!(check(&i, "p", "t").is_err());
        let newer = Index {
            format: "zerops-cache-remote-index/2".into(),
            ..i.clone()
        };
        assert!(check(&newer, "p", "s").unwrap_err().contains("format"));
        // A foreign index is started anew.
        let other = add(None, "q", "s", e("x", 1));
        let i = add(Some(other), "p", "s", e("a", 1));
        check(&i, "p", "s").unwrap();
        assert_eq!(i.entries, vec![e("a", 1)]);
    }
}
