//! What is signed, and when a signed (or unsigned) object may be trusted.
//!
//! An object on the remote (manifest or epoch) is a one-line JSON header,
//! a newline, then the body. The header says the algorithm and carries the
//! signature, an HMAC-SHA256 with `ZEROPS_CACHE_REMOTE_SECRET` over
//! [`signing_input`]: the object's own name and the SHA-256 of its body, so
//! that a valid object cannot be replayed under another name.

pub use zerops_cache_contract::remote::{HMAC, Header, NONE, join, split};

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
