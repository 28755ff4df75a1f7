//! Which deploy versions and which stores to remove, and why: the host
//! measures (sizes, times, locks), the rules live here.
//!
//! Versions: keep the `keep` most recent (default 10, as Zerops keeps 10
//! app versions) and, with a size budget, drop the oldest until the versions
//! fit. The active version and the newest one are never removed.
//!
//! Stores (`gc`): remove the stores of projects and setups unused for longer
//! than `max_age`, then the least recently used until all stores fit in
//! `max_bytes`. A store in use (its lock is held) is never removed.

pub use zerops_cache_contract::retention::{KEEP_VERSIONS, VersionFacts, VersionRemoval};
/// The versions to remove, oldest first. `total` is what all versions take
/// on disk now (shared files counted once).
pub fn versions_to_remove(
    versions: &[VersionFacts],
    total: u64,
    keep: u32,
    max_bytes: Option<u64>,
) -> Vec<VersionRemoval> {
    let keep = keep.max(1) as usize;
    let mut sorted: Vec<&VersionFacts> = versions.iter().collect();
    sorted.sort_by_key(|v| v.number);
    let newest = sorted.last().map(|v| v.number);
    let candidates: Vec<&VersionFacts> = sorted
        .iter()
        .copied()
        .filter(|v| !v.active && Some(v.number) != newest)
        .collect();
    let mut out = Vec::new();
    let excess = sorted.len().saturating_sub(keep);
    for v in candidates.iter().take(excess) {
        out.push(VersionRemoval {
            number: v.number,
            reason: format!("older than the {keep} most recent versions"),
        });
    }
    if let Some(max) = max_bytes {
        let mut left = total.saturating_sub(out_bytes(&out, versions));
        for v in candidates.iter().skip(out.len()) {
            if left <= max {
                break;
            }
            out.push(VersionRemoval {
                number: v.number,
                reason: format!(
                    "the versions take {}, over the budget of {}",
                    human_bytes(left),
                    human_bytes(max)
                ),
            });
            left = left.saturating_sub(v.bytes);
        }
    }
    out
}

fn out_bytes(out: &[VersionRemoval], versions: &[VersionFacts]) -> u64 {
    out.iter()
        .filter_map(|r| versions.iter().find(|v| v.number == r.number))
        .map(|v| v.bytes)
        .sum()
}

pub use zerops_cache_contract::retention::{StoreRemoval, StoreUsage};
/// The stores to remove, least recently used first.
pub fn stores_to_remove(
    stores: &[StoreUsage],
    now_ms: u64,
    max_age_ms: Option<u64>,
    max_bytes: Option<u64>,
) -> Vec<StoreRemoval> {
    let mut sorted: Vec<&StoreUsage> = stores.iter().filter(|s| !s.busy).collect();
    sorted.sort_by(|a, b| {
        a.last_used_ms
            .cmp(&b.last_used_ms)
            .then(a.path.cmp(&b.path))
    });
    let mut out = Vec::new();
    let mut total: u64 = stores.iter().map(|s| s.bytes).sum();
    for s in &sorted {
        let age = now_ms.saturating_sub(s.last_used_ms);
        if let Some(max) = max_age_ms
            && age > max
        {
            out.push(StoreRemoval {
                path: s.path.clone(),
                reason: format!(
                    "unused for {}, longer than {}",
                    human_age(age),
                    human_age(max)
                ),
            });
            total = total.saturating_sub(s.bytes);
        }
    }
    if let Some(max) = max_bytes {
        for s in &sorted {
            if total <= max {
                break;
            }
            if out.iter().any(|r| r.path == s.path) {
                continue;
            }
            out.push(StoreRemoval {
                path: s.path.clone(),
                reason: format!(
                    "the stores take {}, over the budget of {}; this one was used least recently ({} ago)",
                    human_bytes(total),
                    human_bytes(max),
                    human_age(now_ms.saturating_sub(s.last_used_ms))
                ),
            });
            total = total.saturating_sub(s.bytes);
        }
    }
    out
}

pub use zerops_cache_contract::retention::{human_age, human_bytes};
#[cfg(test)]
mod tests {
    use super::*;

    fn v(number: u32, bytes: u64, active: bool) -> VersionFacts {
        VersionFacts {
            number,
            bytes,
            active,
        }
    }

    #[test]
    fn keeps_the_most_recent_and_never_the_active_or_newest() {
        let vs: Vec<_> = (1..=12).map(|n| v(n, 10, n == 2)).collect();
        let r = versions_to_remove(&vs, 120, 10, None);
        assert_eq!(r.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 3]);
        assert!(r[0].reason.contains("10 most recent"));
        let r = versions_to_remove(&vs, 120, 0, None);
        assert_eq!(r.len(), 10, "keep 0 means 1, and the active one stays");
        assert!(r.iter().all(|r| r.number != 2 && r.number != 12));
    }

    #[test]
    fn a_size_budget_drops_the_oldest_until_it_fits() {
        let vs = vec![
            v(1, 100, false),
            v(2, 100, false),
            v(3, 100, true),
            v(4, 100, false),
        ];
        let r = versions_to_remove(&vs, 400, 10, Some(250));
        assert_eq!(r.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2]);
        assert!(
            r[0].reason.contains("400 B, over the budget of 250 B"),
            "{}",
            r[0].reason
        );
        assert!(versions_to_remove(&vs, 400, 10, Some(1000)).is_empty());
        // Only the active and newest are left: nothing more can go.
        assert_eq!(versions_to_remove(&vs, 400, 10, Some(1)).len(), 2);
    }

    #[test]
    fn stores_by_age_then_by_size_never_busy_ones() {
        let day = 86_400_000;
        let s = |p: &str, used: u64, bytes: u64, busy: bool| StoreUsage {
            path: p.into(),
            last_used_ms: used,
            bytes,
            busy,
        };
        let now = 100 * day;
        let stores = vec![
            s("a", 10 * day, 50, false),
            s("b", 60 * day, 50, true),
            s("c", 90 * day, 50, false),
            s("d", 99 * day, 50, false),
        ];
        let r = stores_to_remove(&stores, now, Some(30 * day), None);
        assert_eq!(r.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(
            r[0].reason.contains("90 days, longer than 30 days"),
            "{}",
            r[0].reason
        );
        let r = stores_to_remove(&stores, now, None, Some(100));
        assert_eq!(
            r.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert!(r[1].reason.contains("least recently"));
        assert!(stores_to_remove(&stores, now, None, None).is_empty());
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(230 * 1024 * 1024), "230.0 MiB");
        assert_eq!(human_age(90_000), "1 minute");
        assert_eq!(human_age(3 * 86_400_000), "3 days");
        assert_eq!(human_age(1), "1 ms");
        assert_eq!(human_age(999), "999 ms");
        assert_eq!(human_age(1000), "1 second");
    }
}
