//! The stateful [`Walker`]: the rules that decide the listings of one walk
//! (preserve, restore, the artifact's `.deployignore` filter and
//! `crate::select::walk`), built once per walk, patterns compiled or
//! `.deployignore` parsed. The driver that feeds it level by level is the
//! contract's ([`drive`]), shared with every host.

use super::gitignore::Ignore;
use super::preserve::Preserve;
use crate::select::EntryKind;
pub use zerops_cache_contract::walk::*;

/// The rules of one walk, built once (patterns compiled, `.deployignore`
/// parsed) and applied to every listing of it.
#[derive(Debug, Clone)]
pub struct Walker {
    rule: Rule,
}

#[derive(Debug, Clone)]
enum Rule {
    Preserve(Preserve),
    Restore,
    Deploy(Ignore),
}

/// The number of components of a relative directory path.
fn depth(dir: &str) -> usize {
    if dir.is_empty() {
        0
    } else {
        dir.split('/').count()
    }
}

impl Walker {
    pub fn new(purpose: &Purpose) -> Walker {
        let rule = match purpose {
            Purpose::Preserve(spec) => Rule::Preserve(Preserve::new(spec)),
            Purpose::Restore => Rule::Restore,
            Purpose::Deploy(text) => Rule::Deploy(Ignore::parse(text.as_deref().unwrap_or(""))),
        };
        Walker { rule }
    }

    /// The largest number of components a taken path can have (`None`: no
    /// bound); the walk never lists a directory whose entries would be
    /// deeper. `Some(0)`: list nothing.
    pub fn max_depth(&self) -> Option<usize> {
        match &self.rule {
            Rule::Preserve(p) => Some(p.max_depth()),
            Rule::Restore | Rule::Deploy(_) => None,
        }
    }

    /// Decides every entry of one listing, in its order.
    pub fn decide(&self, l: &Listing) -> Vec<Step> {
        match &self.rule {
            Rule::Preserve(p) => {
                let d = depth(&l.dir);
                let deeper_ok = d + 2 <= p.max_depth();
                p.select(&l.dir, &l.entries)
                    .into_iter()
                    .map(|x| match x.step() {
                        Step::Descend if !deeper_ok => Step::Skip(SkipReason::NoMatch),
                        s => s,
                    })
                    .collect()
            }
            Rule::Restore => crate::plan::restore::restore_dir(&l.entries, &l.against),
            Rule::Deploy(ignore) => crate::plan::deploy::deploy_filter(ignore, &l.dir, &l.entries)
                .into_iter()
                .zip(&l.entries)
                .map(|(keep, e)| match (keep, e.kind) {
                    (false, _) => Step::Skip(SkipReason::Ignored),
                    // Not UTF-8: copied whole, never matched on its own.
                    (true, EntryKind::Dir) if e.utf8 => Step::Descend,
                    (true, _) => Step::Take,
                })
                .collect(),
        }
    }

    /// Decides a batch of listings: one answer per listing, in order.
    pub fn decide_all(&self, batch: &[Listing]) -> Vec<Vec<Step>> {
        batch.iter().map(|l| self.decide(l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::CacheSpec;
    use crate::select::Entry;
    use std::collections::BTreeMap;

    fn tree() -> BTreeMap<&'static str, Vec<Entry>> {
        BTreeMap::from([
            (
                "",
                vec![
                    Entry::dir("node_modules"),
                    Entry::dir("app"),
                    Entry::file("package.json"),
                    Entry::dir(".git"),
                ],
            ),
            (
                "app",
                vec![Entry::dir("node_modules"), Entry::file("x.log")],
            ),
            ("app/node_modules", vec![Entry::file("a.js")]),
            ("node_modules", vec![Entry::file("b.js")]),
        ])
    }

    fn run(w: &Walker, t: &BTreeMap<&str, Vec<Entry>>) -> Walked<Step> {
        drive(
            "",
            w.max_depth(),
            |d| {
                Ok::<_, ShortAnswer>(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |b| Ok(w.decide_all(b)),
            |s| s,
        )
        .unwrap()
    }

    fn paths(f: &[Found<Step>]) -> Vec<&str> {
        f.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn preserve_batches_one_call_per_level() {
        let w = Walker::new(&Purpose::Preserve(CacheSpec::Patterns(vec![
            "node_modules".into(),
            "*/node_modules".into(),
        ])));
        let r = run(&w, &tree());
        assert_eq!(paths(&r.taken), ["node_modules", "app/node_modules"]);
        // `*/node_modules` opens every top-level directory (`.git` is not
        // in the tree: its listing is `None`)
        assert_eq!(r.listed, ["", ".git", "app"]);
        assert_eq!(r.batches, 2);
    }

    #[test]
    fn deploy_keeps_what_deployignore_does_not_name() {
        let w = Walker::new(&Purpose::Deploy(Some("*.log\n".into())));
        let r = run(&w, &tree());
        assert_eq!(
            paths(&r.taken),
            ["package.json", "app/node_modules/a.js", "node_modules/b.js"]
        );
        assert!(r.noted.is_empty(), "ignored entries are not reported");
        assert_eq!(r.listed, ["", "app", "app/node_modules", "node_modules"]);
    }

    #[test]
    fn listing_many_at_a_time_walks_the_same() {
        let t = tree();
        for purpose in [
            Purpose::Deploy(Some("*.log\n".into())),
            Purpose::Deploy(None),
            Purpose::Preserve(CacheSpec::Patterns(vec!["*/node_modules".into()])),
        ] {
            let w = Walker::new(&purpose);
            let one = run(&w, &t);
            for many in [1, 2, 3, 100] {
                let mut calls = Vec::new();
                let r = drive_listing_many(
                    "",
                    w.max_depth(),
                    many,
                    |dirs| {
                        calls.push(dirs.len());
                        Ok::<_, ShortAnswer>(
                            dirs.iter()
                                .map(|d| {
                                    t.get(d.as_str()).map(|e| Listing {
                                        dir: d.clone(),
                                        entries: e.clone(),
                                        against: Vec::new(),
                                    })
                                })
                                .collect(),
                        )
                    },
                    |b| Ok(w.decide_all(b)),
                    |s| s,
                )
                .unwrap();
                assert_eq!(paths(&r.taken), paths(&one.taken), "{purpose:?} by {many}");
                assert_eq!(r.listed, one.listed, "{purpose:?} by {many}");
                assert!(calls.iter().all(|n| (1..=many).contains(n)), "{calls:?}");
            }
        }
    }

    #[test]
    fn a_short_listing_answer_is_an_error() {
        let w = Walker::new(&Purpose::Deploy(None));
        let r = drive_listing_many(
            "",
            None,
            4,
            |_| Ok::<_, ShortAnswer>(Vec::new()),
            |b| Ok(w.decide_all(b)),
            |s| s,
        );
        let e = r.unwrap_err();
        assert_eq!((e.expected, e.got), (1, 0));
    }

    #[test]
    fn restore_descends_where_both_sides_have_a_directory() {
        let w = Walker::new(&Purpose::Restore);
        let cache = tree();
        let r = drive(
            "",
            None,
            |d| {
                Ok::<_, ShortAnswer>(cache.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: if d.is_empty() {
                        vec![Entry::dir("app"), Entry::file("package.json")]
                    } else {
                        Vec::new()
                    },
                }))
            },
            |b| Ok(w.decide_all(b)),
            |s| s,
        )
        .unwrap();
        assert_eq!(
            paths(&r.taken),
            [".git", "node_modules", "app/node_modules", "app/x.log"]
        );
        assert_eq!(paths(&r.noted), ["package.json"]);
        assert_eq!(r.noted[0].decision, Step::Skip(SkipReason::SourceWins));
    }

    #[test]
    fn a_short_answer_is_an_error() {
        let t = tree();
        let r = drive(
            "",
            None,
            |d| {
                Ok(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |b: &[Listing]| {
                Ok(b.iter()
                    .map(|l| vec![Step::Take; l.entries.len() - 1])
                    .collect())
            },
            |s| s,
        );
        assert_eq!(
            r.unwrap_err(),
            ShortAnswer {
                dir: Some(String::new()),
                expected: 4,
                got: 3
            }
        );
        let r = drive(
            "",
            None,
            |d| {
                Ok(t.get(d).map(|e| Listing {
                    dir: d.to_string(),
                    entries: e.clone(),
                    against: Vec::new(),
                }))
            },
            |_: &[Listing]| Ok(Vec::<Vec<Step>>::new()),
            |s| s,
        );
        assert_eq!(r.unwrap_err().dir, None);
    }

    #[test]
    fn depth_first_order() {
        let mut v = vec!["a-c", "a/b", "a", "b"];
        v.sort_by(|a, b| dfs_order(a, b));
        assert_eq!(v, ["a", "a/b", "a-c", "b"]);
    }

    #[test]
    fn preserve_never_descends_past_the_patterns() {
        let w = Walker::new(&Purpose::Preserve(CacheSpec::Patterns(vec![
            "app/*".into(),
        ])));
        let l = Listing {
            dir: "app".into(),
            entries: vec![Entry::dir("node_modules")],
            against: Vec::new(),
        };
        assert_eq!(w.decide(&l), [Step::Take]);
        assert_eq!(w.max_depth(), Some(2));
    }
}
