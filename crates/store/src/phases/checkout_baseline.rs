//! What an in-place checkout held before the first build that did not
//! finish (`checkout.before` in the store).
//!
//! An in-place build may take from the checkout only what the build made
//! ([`super::checkout`]). When a build fails or is killed, what it made
//! (a `node_modules` half installed) stays in the checkout; the next
//! build's own snapshot would count it as the user's and never take it,
//! so the cache would stay empty for good. So each in-place build writes
//! its snapshot here before its commands run, and removes it once it has
//! committed. A build that finds one left by a build that did not finish
//! counts as the user's only what was there before that build (and what
//! git tracks), and keeps the older snapshot for the next one.

use anyhow::Result;
use cap_std::fs::Dir;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode, percent_encode};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::checkout::Checkout;
use crate::store::record_io::{MAX_STORE_FILE, read_bytes, write_atomic};

/// The file in the store.
pub const FILE: &str = "checkout.before";
const MAGIC: &str = "zerops-cache-checkout-before 1";
const ENCODED: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

fn parse(bytes: &[u8]) -> Option<Vec<PathBuf>> {
    let mut lines = bytes.split(|b| *b == b'\n');
    if lines.next()? != MAGIC.as_bytes() {
        return None;
    }
    let mut out = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let raw: Vec<u8> = percent_decode(l).collect();
        out.push(PathBuf::from(OsStr::from_bytes(&raw)));
    }
    Some(out)
}

/// Narrows `checkout` to what was there before the earliest in-place build
/// that did not finish, when one left its snapshot; then writes the
/// snapshot this build goes by. Returns how many entries of the checkout
/// are counted as a failed build's (taken into the cache if they match).
pub fn apply(store: &Dir, checkout: &mut Checkout) -> Result<usize> {
    // A damaged or foreign file only costs the recognition: ignored.
    let older = read_bytes(store, Path::new(FILE), MAX_STORE_FILE)
        .ok()
        .flatten()
        .and_then(|b| parse(&b));
    let mut left = 0;
    if let Some(older) = older {
        let older: std::collections::BTreeSet<PathBuf> = older.into_iter().collect();
        let before = std::mem::take(&mut checkout.before);
        for p in before {
            if older.contains(&p) || checkout.tracked.contains(&p) {
                checkout.before.insert(p);
            } else {
                left += 1;
            }
        }
    }
    let mut text = Vec::with_capacity(checkout.before.len() * 32);
    text.extend_from_slice(MAGIC.as_bytes());
    text.push(b'\n');
    for p in &checkout.before {
        for part in percent_encode(p.as_os_str().as_bytes(), ENCODED) {
            text.extend_from_slice(part.as_bytes());
        }
        text.push(b'\n');
    }
    write_atomic(store, FILE, &text)?;
    Ok(left)
}

/// The build committed: what it made is the cache's now.
pub fn clear(store: &Dir) {
    let _ = store.remove_file(FILE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_failed_builds_entries_are_not_the_users() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        let set = |v: &[&str]| v.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
        // First build: the checkout has a.js and a name that is not UTF-8.
        let odd = PathBuf::from(OsStr::from_bytes(b"we ird\xff%"));
        let mut first = Checkout::with(set(&["a.js"]), Some(vec!["a.js".into()]));
        first.before.insert(odd.clone());
        assert_eq!(apply(&store, &mut first).unwrap(), 0);
        // It failed and left node_modules; the user added b.js to git.
        let mut second = Checkout::with(
            set(&["a.js", "b.js", "node_modules", "node_modules/x"]),
            Some(vec!["a.js".into(), "b.js".into()]),
        );
        second.before.insert(odd.clone());
        assert_eq!(apply(&store, &mut second).unwrap(), 2);
        let mut want = set(&["a.js", "b.js"]);
        want.insert(odd);
        assert_eq!(second.before, want);
        clear(&store);
        assert!(!store.exists(FILE));
    }
}
