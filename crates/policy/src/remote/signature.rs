//! What is signed, and when a signed (or unsigned) object may be trusted.
//!
//! An object on the remote (manifest or epoch) is a one-line JSON header,
//! a newline, then the body. The header says the algorithm and carries the
//! signature, an HMAC-SHA256 with `ZEROPS_CACHE_REMOTE_SECRET` over
//! [`signing_input`]: the object's own name and the SHA-256 of its body, so
//! that a valid object cannot be replayed under another name.

use serde::{Deserialize, Serialize};

pub const HMAC: &str = "hmac-sha256";
pub const NONE: &str = "none";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    /// Hex HMAC (empty when unsigned).
    pub sig: String,
    /// Hex SHA-256 of the body.
    pub body: String,
}

/// The bytes that are signed.
pub fn signing_input(name: &str, body_digest: &str) -> Vec<u8> {
    format!("zerops-cache remote v1\n{name}\n{body_digest}").into_bytes()
}

/// How this builder uses the remote, from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Sign what is published, accept only what verifies.
    Signed,
    /// No secret, and `--remote-unsigned`: trust the bucket.
    Unsigned,
}

/// The mode, or why the remote tier is off.
pub fn mode(secret_set: bool, allow_unsigned: bool) -> Result<Mode, String> {
    match (secret_set, allow_unsigned) {
        (true, _) => Ok(Mode::Signed),
        (false, true) => Ok(Mode::Unsigned),
        (false, false) => Err(
            "ZEROPS_CACHE_REMOTE_SECRET is not set, so nothing pulled could be verified: the remote \
             tier is off (set the secret, or pass --remote-unsigned to trust the bucket unsigned)"
                .into(),
        ),
    }
}

/// What to do with an object whose header says `alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Verify the HMAC; trust it only if it matches.
    Verify,
    /// Unsigned mode: trust without a check.
    Accept,
}

pub fn trust(mode: Mode, alg: &str) -> Result<Trust, String> {
    match (mode, alg) {
        (Mode::Signed, HMAC) => Ok(Trust::Verify),
        (Mode::Signed, NONE) => Err(
            "it is unsigned, but ZEROPS_CACHE_REMOTE_SECRET is set: only signed objects are trusted"
                .into(),
        ),
        (Mode::Unsigned, HMAC | NONE) => Ok(Trust::Accept),
        (_, other) => Err(format!("unknown signature algorithm {other:?}")),
    }
}

/// The algorithm a publisher writes.
pub fn publish_alg(mode: Mode) -> &'static str {
    match mode {
        Mode::Signed => HMAC,
        Mode::Unsigned => NONE,
    }
}

/// Splits an object into its header and body.
pub fn split(object: &[u8]) -> Result<(Header, &[u8]), String> {
    let nl = object
        .iter()
        .take(4096)
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let h: Header =
        serde_json::from_slice(&object[..nl]).map_err(|e| format!("bad header: {e}"))?;
    if !super::is_digest(&h.body) {
        return Err("bad body digest in the header".into());
    }
    Ok((h, &object[nl + 1..]))
}

/// Joins a header and a body into an object.
pub fn join(h: &Header, body: &[u8]) -> Vec<u8> {
    let mut out = serde_json::to_vec(h).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_trust() {
        assert!(
            mode(false, false)
                .unwrap_err()
                .contains("--remote-unsigned")
        );
        assert_eq!(mode(true, false), Ok(Mode::Signed));
        assert_eq!(mode(false, true), Ok(Mode::Unsigned));
        assert_eq!(trust(Mode::Signed, HMAC), Ok(Trust::Verify));
        assert!(trust(Mode::Signed, NONE).is_err());
        assert!(trust(Mode::Signed, "md5").is_err());
        assert_eq!(trust(Mode::Unsigned, NONE), Ok(Trust::Accept));
    }

    #[test]
    fn the_name_is_signed() {
        assert_ne!(signing_input("a", "d"), signing_input("b", "d"));
        assert_ne!(signing_input("a", "d"), signing_input("a", "e"));
    }

    #[test]
    fn objects_split_and_join() {
        let h = Header {
            alg: HMAC.into(),
            sig: "ab".into(),
            body: "0".repeat(64),
        };
        let o = join(&h, b"body\nwith lines");
        let (h2, b) = split(&o).unwrap();
        assert_eq!(h2, h);
        assert_eq!(b, b"body\nwith lines");
        assert!(split(b"no newline").is_err());
        assert!(split(b"{\"alg\":1}\nx").is_err());
    }
}
