//! What `remote gc` removes, and why.
//!
//! 1. Manifests of an old epoch (invalidated), once past the grace period.
//! 2. Live manifests published longer ago than `max-age`.
//! 3. Then the oldest live manifests until manifests plus the packs they
//!    reference fit in `max-bytes`.
//! 4. Packs that no kept manifest references, once past the grace period
//!    (a publish uploads packs before its manifest, so a young pack may
//!    belong to a manifest that is not there yet).
//!
//! A pack a kept manifest references is never removed. If some manifest
//! could not be read or verified, nothing tells what it references, so no
//! pack is removed at all while it stays; past `max-age` it is removed
//! like any other (and reported as unreadable).

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct ManifestFacts {
    pub name: String,
    pub bytes: u64,
    pub modified_ms: u64,
    /// Of the current epoch of its project and setup.
    pub live: bool,
    /// The packs it references, or why it could not be read.
    pub packs: Result<Vec<String>, String>,
    /// The name of the manifest it is a delta on (kept while it is).
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PackFacts {
    /// The pack's digest.
    pub digest: String,
    pub name: String,
    pub bytes: u64,
    pub modified_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Budget {
    pub now_ms: u64,
    pub max_age_ms: Option<u64>,
    pub max_bytes: Option<u64>,
    pub grace_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub name: String,
    pub bytes: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub remove: Vec<Removal>,
    /// What was kept and why, where it is worth saying.
    pub notes: Vec<String>,
}

fn age(now: u64, t: u64) -> String {
    let s = now.saturating_sub(t) / 1000;
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

pub fn plan(manifests: &[ManifestFacts], packs: &[PackFacts], b: &Budget) -> Plan {
    let mut out = Plan::default();
    let young = |t: u64| b.now_ms.saturating_sub(t) < b.grace_ms;
    let mut kept: Vec<&ManifestFacts> = Vec::new();
    for m in manifests {
        if let Err(why) = &m.packs {
            // What an unreadable manifest references is unknown, so it
            // holds every pack while it stays: past --max-age it goes.
            match b
                .max_age_ms
                .filter(|&max| b.now_ms.saturating_sub(m.modified_ms) > max)
            {
                Some(max) => out.remove.push(Removal {
                    name: m.name.clone(),
                    bytes: m.bytes,
                    reason: format!(
                        "unreadable ({why}), published {} ago, older than --max-age {}",
                        age(b.now_ms, m.modified_ms),
                        age(max, 0)
                    ),
                }),
                None => kept.push(m),
            }
            continue;
        }
        if !m.live && !young(m.modified_ms) {
            out.remove.push(Removal {
                name: m.name.clone(),
                bytes: m.bytes,
                reason: "invalidated: of an older epoch of its project and setup".into(),
            });
        } else if let Some(max) = b
            .max_age_ms
            .filter(|&max| b.now_ms.saturating_sub(m.modified_ms) > max)
        {
            out.remove.push(Removal {
                name: m.name.clone(),
                bytes: m.bytes,
                reason: format!(
                    "published {} ago, older than --max-age {}",
                    age(b.now_ms, m.modified_ms),
                    age(max, 0)
                ),
            });
        } else {
            kept.push(m);
        }
    }
    let size: BTreeMap<&str, u64> = packs.iter().map(|p| (p.digest.as_str(), p.bytes)).collect();
    let refs = |m: &ManifestFacts| -> Vec<String> { m.packs.clone().unwrap_or_default() };
    if let Some(max) = b.max_bytes {
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for m in &kept {
            for p in refs(m) {
                *count.entry(p).or_default() += 1;
            }
        }
        let mut total: u64 = kept.iter().map(|m| m.bytes).sum::<u64>()
            + count
                .keys()
                .map(|p| size.get(p.as_str()).copied().unwrap_or(0))
                .sum::<u64>();
        // Oldest first; unreadable manifests are not removed by size.
        let mut order: Vec<usize> = (0..kept.len()).filter(|&i| kept[i].packs.is_ok()).collect();
        order.sort_by_key(|&i| (kept[i].modified_ms, kept[i].name.clone()));
        let mut gone = BTreeSet::new();
        for i in order {
            if total <= max {
                break;
            }
            let m = kept[i];
            let mut freed = m.bytes;
            for p in refs(m) {
                let c = count.get_mut(&p).expect("counted");
                *c -= 1;
                if *c == 0 {
                    freed += size.get(p.as_str()).copied().unwrap_or(0);
                }
            }
            total -= freed.min(total);
            out.remove.push(Removal {
                name: m.name.clone(),
                bytes: m.bytes,
                reason: format!(
                    "the oldest entry (published {} ago) while the remote is over --max-size {max} bytes",
                    age(b.now_ms, m.modified_ms)
                ),
            });
            gone.insert(i);
        }
        kept = kept
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !gone.contains(i))
            .map(|(_, m)| m)
            .collect();
    }
    // The parents of kept deltas stay, with their parents.
    loop {
        let need: BTreeSet<&str> = kept.iter().filter_map(|m| m.parent.as_deref()).collect();
        let back: Vec<usize> = out
            .remove
            .iter()
            .enumerate()
            .filter(|(_, r)| need.contains(r.name.as_str()))
            .map(|(i, _)| i)
            .collect();
        if back.is_empty() {
            break;
        }
        for i in back.into_iter().rev() {
            let r = out.remove.remove(i);
            out.notes
                .push(format!("{} kept: a kept entry is a delta on it", r.name));
            if let Some(m) = manifests.iter().find(|m| m.name == r.name) {
                kept.push(m);
            }
        }
    }
    let unreadable: Vec<&str> = kept
        .iter()
        .filter_map(|m| m.packs.as_ref().err().map(|_| m.name.as_str()))
        .collect();
    if !unreadable.is_empty() {
        out.notes.push(format!(
            "no pack is removed: {} manifest(s) could not be read or verified, so what they reference is unknown (first: {})",
            unreadable.len(),
            unreadable[0]
        ));
        return out;
    }
    let referenced: BTreeSet<String> = kept.iter().flat_map(|m| refs(m)).collect();
    let mut in_grace = 0;
    for p in packs {
        if referenced.contains(&p.digest) {
            continue;
        }
        if young(p.modified_ms) {
            in_grace += 1;
            continue;
        }
        out.remove.push(Removal {
            name: p.name.clone(),
            bytes: p.bytes,
            reason: "a pack that no kept manifest references".into(),
        });
    }
    if in_grace > 0 {
        out.notes.push(format!(
            "{in_grace} unreferenced pack(s) kept: younger than the grace period (a publish may be under way)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000;

    fn m(name: &str, t: u64, live: bool, packs: &[&str]) -> ManifestFacts {
        ManifestFacts {
            name: name.into(),
            bytes: 10,
            modified_ms: t,
            live,
            packs: Ok(packs.iter().map(|s| s.to_string()).collect()),
            parent: None,
        }
    }
    fn p(d: &str, t: u64, bytes: u64) -> PackFacts {
        PackFacts {
            digest: d.into(),
            name: format!("v1/packs/{d}"),
            bytes,
            modified_ms: t,
        }
    }
    fn budget(max_age: Option<u64>, max_bytes: Option<u64>) -> Budget {
        Budget {
            now_ms: 100 * H,
            max_age_ms: max_age,
            max_bytes,
            grace_ms: H,
        }
    }
    fn names(p: &Plan) -> Vec<&str> {
        p.remove.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn referenced_packs_are_kept_and_orphans_go_after_the_grace() {
        let ms = [m("new", 99 * H, true, &["a", "b"])];
        let ps = [
            p("a", 10 * H, 5),
            p("b", 10 * H, 5),
            p("orphan", 10 * H, 5),
            p("young", 100 * H - 1, 5),
        ];
        let plan = plan(&ms, &ps, &budget(None, None));
        assert_eq!(names(&plan), vec!["v1/packs/orphan"]);
        assert!(plan.notes[0].contains("grace"));
    }

    #[test]
    fn age_and_epoch() {
        let ms = [
            m("old", 10 * H, true, &["a"]),
            m("stale", 90 * H, false, &["b"]),
            m("stale-young", 100 * H - 5, false, &["c"]),
            m("new", 99 * H, true, &["b"]),
        ];
        let ps = [p("a", 0, 1), p("b", 0, 1), p("c", 0, 1)];
        let plan = plan(&ms, &ps, &budget(Some(24 * H), None));
        assert_eq!(names(&plan), vec!["old", "stale", "v1/packs/a"]);
        assert!(plan.remove[0].reason.contains("--max-age"));
        assert!(plan.remove[1].reason.contains("epoch"));
    }

    #[test]
    fn size_removes_the_oldest_until_it_fits() {
        let ms = [
            m("m1", H, true, &["a"]),
            m("m2", 2 * H, true, &["b"]),
            m("m3", 3 * H, true, &["b", "c"]),
        ];
        let ps = [p("a", 0, 100), p("b", 0, 100), p("c", 0, 100)];
        // Total 330: removing m1 frees 110 -> 220; m2 frees 10 (b is shared) -> 210 <= 215.
        let plan = plan(&ms, &ps, &budget(None, Some(215)));
        assert_eq!(names(&plan), vec!["m1", "m2", "v1/packs/a"]);
    }

    #[test]
    fn the_parents_of_kept_deltas_stay() {
        let mut delta = m("delta", 99 * H, true, &["b"]);
        delta.parent = Some("full".into());
        let ms = [m("full", 10 * H, true, &["a"]), delta];
        let plan = plan(
            &ms,
            &[p("a", 0, 1), p("b", 0, 1)],
            &budget(Some(24 * H), None),
        );
        assert!(names(&plan).is_empty(), "{plan:?}");
        assert!(plan.notes[0].contains("delta"));
    }

    #[test]
    fn an_unreadable_manifest_past_max_age_goes_and_frees_the_packs() {
        let mut bad = m("bad", 10 * H, true, &[]);
        bad.packs = Err("bad signature".into());
        let plan = plan(&[bad], &[p("dd", 0, 1)], &budget(Some(24 * H), None));
        assert_eq!(names(&plan), vec!["bad", "v1/packs/dd"], "{plan:?}");
        assert!(plan.remove[0].reason.contains("unreadable (bad signature)"));
    }

    #[test]
    fn an_unreadable_manifest_protects_every_pack() {
        // Within --max-age (or without one) it stays, and holds every pack.
        let mut bad = m("bad", 99 * H, true, &[]);
        bad.packs = Err("bad signature".into());
        let ms = [bad, m("old", 0, true, &["a"])];
        let plan = plan(&ms, &[p("a", 0, 1), p("b", 0, 1)], &budget(Some(H), None));
        assert_eq!(names(&plan), vec!["old"]);
        assert!(plan.notes[0].contains("no pack is removed"));
    }
}
