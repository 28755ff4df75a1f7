//! Points in time, as data (the type lives in the contract crate). The
//! policy never reads a clock: hosts pass the current time in.

use crate::diag::{Code, Diagnostic};
pub use zerops_cache_contract::time::Timestamp;

/// Parses a time given by a host, as an `invalid-time` error diagnostic
/// when it is not in the accepted form.
pub fn parse_arg(s: &str) -> Result<Timestamp, Diagnostic> {
    Timestamp::parse(s).map_err(|m| Diagnostic::error(Code::InvalidTime, None, m))
}
