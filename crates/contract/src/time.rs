//! Points in time, as data. The policy never reads a clock: hosts pass the
//! current time in, as an RFC 3339 UTC timestamp such as
//! `2026-11-25T15:32:15Z` or `2026-11-25T15:32:15.250Z`.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A UTC timestamp in the RFC 3339 form `YYYY-MM-DDTHH:MM:SS[.fraction]Z`
/// (up to 9 fraction digits). It keeps the text it was written with and
/// orders by the instant it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp {
    text: String,
    /// (year, month, day, hour, minute, second, nanosecond)
    key: (u32, u32, u32, u32, u32, u32, u32),
}

impl Timestamp {
    /// Parses the strict UTC form; anything else is an error message.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let bad = || {
            format!(
                "`{s}` is not a UTC timestamp like 2026-11-25T15:32:15Z (RFC 3339, ending in Z)"
            )
        };
        let b = s.as_bytes();
        if b.len() < 20 || !s.is_ascii() || !matches!(b[b.len() - 1], b'Z' | b'z') {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
            let t = &s[r];
            if t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let sep = |i: usize, c: &[u8]| c.contains(&b[i]);
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
            return Err(bad());
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let frac = &s[19..s.len() - 1];
        let nanos = if frac.is_empty() {
            0
        } else {
            let digits = frac.strip_prefix('.').ok_or_else(bad)?;
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return Err(bad());
            }
            let n: u32 = digits.parse().map_err(|_| bad())?;
            n * 10u32.pow(9 - digits.len() as u32)
        };
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
            return Err(bad());
        }
        if sec > 60 {
            return Err(bad());
        }
        Ok(Timestamp {
            text: s.to_string(),
            key: (y, mo, d, h, mi, sec, nanos),
        })
    }

    /// The timestamp of a Unix time in milliseconds, written with
    /// millisecond precision (`…:SS.mmmZ`), or whole seconds when the
    /// milliseconds are zero.
    pub fn from_unix_millis(ms: u64) -> Timestamp {
        let secs = ms / 1000;
        let millis = (ms % 1000) as u32;
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, mo, d) = civil_from_days(days);
        let (h, mi, s) = (
            (rem / 3600) as u32,
            (rem % 3600 / 60) as u32,
            (rem % 60) as u32,
        );
        let text = if millis == 0 {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis:03}Z")
        };
        Timestamp {
            text,
            key: (y, mo, d, h, mi, s, millis * 1_000_000),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `civil_from_days` for days since 1970-01-01.
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + u64::from(m <= 2)) as u32;
    (y, m, d)
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let a = Timestamp::parse("2026-11-25T15:32:15Z").unwrap();
        let b = Timestamp::parse("2026-11-25T15:32:15.001Z").unwrap();
        let c = Timestamp::parse("2026-11-25T15:32:15.1Z").unwrap();
        let c2 = Timestamp::parse("2026-11-25T15:32:15.100Z").unwrap();
        assert!(a < b && b < c);
        assert_eq!(c, c2);
        assert_eq!(c2.to_string(), "2026-11-25T15:32:15.100Z");
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn rejects_other_forms() {
        for s in [
            "",
            "2026-11-25",
            "2026-11-25T15:32:15",
            "2026-11-25T15:32:15+01:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T15:32:15.Z",
            "2026-11-25T15:32:15.1234567890Z",
            "2026-11-25 15:32:15Z",
            "２026-11-25T15:32:15Z",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn from_unix_millis_formats_utc() {
        assert_eq!(
            Timestamp::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(1_795_621_935_250).to_string(),
            "2026-11-25T15:52:15.250Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(951_782_400_000).to_string(),
            "2000-02-29T00:00:00Z"
        );
        let t = Timestamp::from_unix_millis(1_795_621_935_250);
        assert_eq!(Timestamp::parse(t.as_str()).unwrap(), t);
    }
}
