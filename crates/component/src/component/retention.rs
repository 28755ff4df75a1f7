//! Typed questions to the component's `retention` interface: which versions
//! and stores to remove, and why.

use anyhow::Result;
use zerops_cache_contract as policy;

use super::PolicyHost;

/// Retention questions: which versions and stores to remove, and why.
impl PolicyHost {
    pub fn versions_to_remove(
        &self,
        versions: &[policy::retention::VersionFacts],
        total: u64,
        keep: u32,
        max_bytes: Option<u64>,
    ) -> Result<Vec<policy::retention::VersionRemoval>> {
        use crate::component::bindings::exports::zerops::build_cache::retention as wit;
        let facts: Vec<wit::VersionFacts> = versions
            .iter()
            .map(|v| wit::VersionFacts {
                number: v.number,
                bytes: v.bytes,
                active: v.active,
            })
            .collect();
        let out = self.call("choosing versions to remove", |p, s| {
            p.zerops_build_cache_retention()
                .call_versions_to_remove(s, &facts, total, keep, max_bytes)
        })?;
        Ok(out
            .into_iter()
            .map(|r| policy::retention::VersionRemoval {
                number: r.number,
                reason: r.reason,
            })
            .collect())
    }

    pub fn stores_to_remove(
        &self,
        stores: &[policy::retention::StoreUsage],
        now_ms: u64,
        max_age_ms: Option<u64>,
        max_bytes: Option<u64>,
    ) -> Result<Vec<policy::retention::StoreRemoval>> {
        use crate::component::bindings::exports::zerops::build_cache::retention as wit;
        let facts: Vec<wit::StoreUsage> = stores
            .iter()
            .map(|s| wit::StoreUsage {
                path: s.path.clone(),
                last_used_ms: s.last_used_ms,
                bytes: s.bytes,
                busy: s.busy,
            })
            .collect();
        let out = self.call("choosing stores to remove", |p, s| {
            p.zerops_build_cache_retention()
                .call_stores_to_remove(s, &facts, now_ms, max_age_ms, max_bytes)
        })?;
        Ok(out
            .into_iter()
            .map(|r| policy::retention::StoreRemoval {
                path: r.path,
                reason: r.reason,
            })
            .collect())
    }
}
