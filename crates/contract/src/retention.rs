//! Version and store retention, as data: what the host measured and what
//! the policy decided to remove.

/// Bytes in binary units: `512 B`, `1.5 KiB`, `230.0 MiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// A duration in the largest whole unit: `3 days`, `5 hours`, `40 minutes`.
pub fn human_age(ms: u64) -> String {
    if ms < 1000 {
        // `gc --max-age 1ms` is not "longer than 0 seconds".
        return format!("{ms} ms");
    }
    let s = ms / 1000;
    let (n, unit) = if s >= 86_400 {
        (s / 86_400, "day")
    } else if s >= 3600 {
        (s / 3600, "hour")
    } else if s >= 60 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// What the host measured of one setup's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUsage {
    pub path: String,
    /// When a command last used it (Unix milliseconds).
    pub last_used_ms: u64,
    pub bytes: u64,
    /// Its lock is held by a running command.
    pub busy: bool,
}

/// A store to remove, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRemoval {
    pub path: String,
    pub reason: String,
}

/// The default number of versions kept.
pub const KEEP_VERSIONS: u32 = 10;

/// What the host measured of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub number: u32,
    /// Bytes that removing it frees (files it shares with no other version).
    pub bytes: u64,
    pub active: bool,
}

/// A version to remove, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRemoval {
    pub number: u32,
    pub reason: String,
}
