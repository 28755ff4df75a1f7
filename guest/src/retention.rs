use crate::Component;
use crate::exports::zerops::build_cache::retention as wit;
use zerops_cache_policy::retention as policy;

impl wit::Guest for Component {
    fn versions_to_remove(
        versions: Vec<wit::VersionFacts>,
        total: u64,
        keep: u32,
        max_bytes: Option<u64>,
    ) -> Vec<wit::VersionRemoval> {
        let facts: Vec<policy::VersionFacts> = versions
            .into_iter()
            .map(|v| policy::VersionFacts {
                number: v.number,
                bytes: v.bytes,
                active: v.active,
            })
            .collect();
        policy::versions_to_remove(&facts, total, keep, max_bytes)
            .into_iter()
            .map(|r| wit::VersionRemoval {
                number: r.number,
                reason: r.reason,
            })
            .collect()
    }

    fn stores_to_remove(
        stores: Vec<wit::StoreUsage>,
        now_ms: u64,
        max_age_ms: Option<u64>,
        max_bytes: Option<u64>,
    ) -> Vec<wit::StoreRemoval> {
        let facts: Vec<policy::StoreUsage> = stores
            .into_iter()
            .map(|s| policy::StoreUsage {
                path: s.path,
                last_used_ms: s.last_used_ms,
                bytes: s.bytes,
                busy: s.busy,
            })
            .collect();
        policy::stores_to_remove(&facts, now_ms, max_age_ms, max_bytes)
            .into_iter()
            .map(|r| wit::StoreRemoval {
                path: r.path,
                reason: r.reason,
            })
            .collect()
    }
}
