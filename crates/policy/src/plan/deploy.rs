//! The artifact: what `deployFiles` puts where, and what `.deployignore`
//! leaves out.
//!
//! `deployFiles` paths start at the project root. `~` is a strip-prefix
//! marker, as in zcli (`handler_findFilesByRules.go`) and the legacy docs:
//! the path is split at the `~`, the files come from `before/after`, and
//! land at `after` in the artifact. At most one `~` per path.
//!
//! | deployFiles           | copied from           | lands at         |
//! |-----------------------|-----------------------|------------------|
//! | `./` or `.`           | the whole project     | the root         |
//! | `dist`                | `dist`                | `dist`           |
//! | `dist/~`              | `dist`                | the root         |
//! | `path/~/to/file.txt`  | `path/to/file.txt`    | `to/file.txt`    |
//! | `src/assets/~fonts`   | `src/assets/fonts`    | `fonts`          |
//!
//! `.deployignore` (gitignore syntax, see [`super::gitignore`]) is matched
//! against paths relative to the project root, before any stripping, and a
//! `.git` entry is never deployed.

use super::Entry;
use super::gitignore::Ignore;
use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::pattern::normalize;

pub use zerops_cache_contract::plan::deploy::DeployItem;

fn clean(p: &str) -> Result<String, &'static str> {
    let n = normalize(p);
    let mut out: Vec<&str> = Vec::new();
    for c in n.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("`..` leaves the project root"),
            c => out.push(c),
        }
    }
    Ok(out.join("/"))
}

/// Resolves each `deployFiles` path. Fails on the first path with more than
/// one `~`, an absolute path or a `..` component, naming it.
///
/// ```
/// use zerops_cache_policy::plan::deploy::deploy_items;
///
/// let items = deploy_items(&["dist/~".into(), "path/~/to/f.txt".into()]).unwrap();
/// assert_eq!((items[0].source.as_str(), items[0].target.as_str()), ("dist", ""));
/// assert_eq!((items[1].source.as_str(), items[1].target.as_str()), ("path/to/f.txt", "to/f.txt"));
/// assert!(deploy_items(&["a/~/b/~/c".into()]).is_err());
/// ```
pub fn deploy_items(paths: &[String]) -> Result<Vec<DeployItem>, Diagnostic> {
    if paths.is_empty() {
        return Err(Diagnostic::error(
            Code::DeployFilesMissing,
            None,
            "`deployFiles` is empty: the build has nothing to deploy",
        )
        .with_help("add `deployFiles: ./` to deploy the whole project"));
    }
    let mut out = Vec::new();
    for written in paths {
        let bad = |why: &str| {
            Diagnostic::error(
                Code::DeployFilesInvalid,
                None,
                format!("deployFiles path `{written}`: {why}"),
            )
        };
        // `/` alone is the project root (zcli joins it to the project, and
        // real configs write it); any other absolute path is refused.
        if written.trim_start().starts_with('/') && !written.trim().trim_matches('/').is_empty() {
            return Err(bad(
                "absolute paths are not allowed; paths start at the project root",
            ));
        }
        let pieces: Vec<&str> = written.split('~').collect();
        let (before, after) = match pieces.as_slice() {
            [whole] => ("", *whole),
            [before, after] => (*before, *after),
            _ => return Err(bad("only one ~ (tilde) is allowed")),
        };
        let before = clean(before).map_err(bad)?;
        let after = clean(after).map_err(bad)?;
        let source = match (before.is_empty(), after.is_empty()) {
            (true, _) => after.clone(),
            (false, true) => before.clone(),
            (false, false) => format!("{before}/{after}"),
        };
        out.push(DeployItem {
            written: written.clone(),
            source,
            target: after,
        });
    }
    Ok(out)
}

/// Which entries of directory `dir` (relative to the project root) the
/// artifact keeps, in the order of `entries`: not `.git`, not ignored by
/// `.deployignore`. Names that are not UTF-8 are kept (they cannot be
/// matched by a pattern).
pub fn deploy_filter(ignore: &Ignore, dir: &str, entries: &[Entry]) -> Vec<bool> {
    entries
        .iter()
        .map(|e| {
            if e.name == ".git" {
                return false;
            }
            // No rules (no `.deployignore`): no path to build per entry.
            if !e.utf8 || ignore.is_empty() {
                return true;
            }
            let path = if dir.is_empty() {
                e.name.clone()
            } else {
                format!("{dir}/{}", e.name)
            };
            !ignore.is_ignored(&path, e.kind == super::EntryKind::Dir)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(p: &str) -> (String, String) {
        let i = deploy_items(&[p.to_string()]).unwrap().remove(0);
        (i.source, i.target)
    }

    #[test]
    fn tilde_table() {
        let t = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(one("./"), t("", ""));
        assert_eq!(one("."), t("", ""));
        assert_eq!(one("dist"), t("dist", "dist"));
        assert_eq!(one("./dist/"), t("dist", "dist"));
        assert_eq!(one("dist/~"), t("dist", ""));
        assert_eq!(
            one("path/~/to/file.txt"),
            t("path/to/file.txt", "to/file.txt")
        );
        assert_eq!(one("src/assets/~fonts"), t("src/assets/fonts", "fonts"));
        assert_eq!(
            one("target/release/~binary"),
            t("target/release/binary", "binary")
        );
        assert_eq!(one("~/x"), t("x", "x"));
    }

    #[test]
    fn rejected() {
        for p in ["a/~/b/~", "/abs", "../up", "a/../../b"] {
            assert_eq!(
                deploy_items(&[p.to_string()]).unwrap_err().code,
                "deploy-files-invalid",
                "{p}"
            );
        }
        assert_eq!(deploy_items(&[]).unwrap_err().code, "deploy-files-missing");
    }

    #[test]
    fn filter() {
        let ig = Ignore::parse("*.map\n/secret\n");
        let entries = [
            Entry::dir(".git"),
            Entry::file("a.js"),
            Entry::file("a.js.map"),
            Entry::file("secret"),
        ];
        assert_eq!(
            deploy_filter(&ig, "", &entries),
            [false, true, false, false]
        );
        assert_eq!(
            deploy_filter(&ig, "sub", &entries),
            [false, true, false, true]
        );
    }
}
