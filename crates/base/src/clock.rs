//! The wall clock as the store's records write it (RFC 3339, milliseconds).
//! Low in the module graph: the store, the remote tier and the image store
//! all stamp what they write.

use anyhow::Result;

/// The current time as RFC 3339 UTC (the component never reads a clock).
pub fn now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    zerops_cache_contract::time::Timestamp::from_unix_millis(ms)
        .as_str()
        .to_string()
}

/// Now, as a record timestamp.
pub fn stamp() -> Result<zerops_cache_contract::time::Timestamp> {
    zerops_cache_contract::time::Timestamp::parse(&now()).map_err(|e| anyhow::anyhow!("{e}"))
}
