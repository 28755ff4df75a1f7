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

/// The mode without keys of its own: `--remote-unsigned`, or why the
/// remote tier is off.
fn mode(secret_set: bool, allow_unsigned: bool) -> Result<Mode, String> {
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
    /// Verify its signature (HMAC or ed25519); trust it only if it matches.
    Verify,
    /// Unsigned mode: trust without a check.
    Accept,
}

/// An ed25519 signature over [`signing_input`] (readers need only the
/// writer's public key).
pub const ED25519: &str = "ed25519";

/// What keys a builder holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keys {
    /// `ZEROPS_CACHE_REMOTE_SECRET` is set (HMAC: whoever reads can sign).
    pub hmac_secret: bool,
    /// `ZEROPS_CACHE_REMOTE_SIGNING_KEY` is set (an ed25519 private key).
    pub ed25519_private: bool,
    /// How many public keys `ZEROPS_CACHE_REMOTE_PUBLIC_KEYS` trusts.
    pub ed25519_trusted: u32,
    /// `--remote-unsigned`.
    pub allow_unsigned: bool,
}

/// How a builder with `keys` uses the remote: the mode, and the algorithm
/// it publishes with (`None`: it only reads, holding public keys only);
/// or why the remote tier is off.
pub fn setup(k: &Keys) -> Result<(Mode, Option<&'static str>), String> {
    if k.ed25519_private {
        return Ok((Mode::Signed, Some(ED25519)));
    }
    if k.hmac_secret {
        return Ok((Mode::Signed, Some(HMAC)));
    }
    if k.ed25519_trusted > 0 {
        return Ok((Mode::Signed, None));
    }
    mode(false, k.allow_unsigned).map(|m| (m, Some(NONE)))
}

/// What to do with an object whose header says `alg`, given the keys held.
pub fn trust_with(k: &Keys, alg: &str) -> Result<Trust, String> {
    let (mode, _) = setup(k)?;
    match (mode, alg) {
        (Mode::Unsigned, HMAC | NONE | ED25519) => Ok(Trust::Accept),
        (Mode::Signed, HMAC) if k.hmac_secret => Ok(Trust::Verify),
        (Mode::Signed, HMAC) => {
            Err("it is signed with an HMAC, but ZEROPS_CACHE_REMOTE_SECRET is not set here".into())
        }
        (Mode::Signed, ED25519) if k.ed25519_trusted > 0 || k.ed25519_private => Ok(Trust::Verify),
        (Mode::Signed, ED25519) => Err(
            "it is signed with ed25519, but no public key is trusted here \
             (ZEROPS_CACHE_REMOTE_PUBLIC_KEYS)"
                .into(),
        ),
        (Mode::Signed, NONE) => Err(
            "it is unsigned, but signing keys are configured: only signed objects are trusted"
                .into(),
        ),
        (_, other) => Err(format!("unknown signature algorithm {other:?}")),
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn a_reader_with_public_keys_reads_and_cannot_publish() {
        let reader = Keys {
            ed25519_trusted: 2,
            ..Keys::default()
        };
        assert_eq!(setup(&reader), Ok((Mode::Signed, None)));
        assert_eq!(trust_with(&reader, ED25519), Ok(Trust::Verify));
        assert!(trust_with(&reader, NONE).is_err());
        assert!(trust_with(&reader, HMAC).unwrap_err().contains("SECRET"));
        let writer = Keys {
            ed25519_private: true,
            ..Keys::default()
        };
        assert_eq!(setup(&writer), Ok((Mode::Signed, Some(ED25519))));
        let hmac = Keys {
            hmac_secret: true,
            ..Keys::default()
        };
        assert_eq!(setup(&hmac), Ok((Mode::Signed, Some(HMAC))));
        assert!(
            trust_with(&hmac, ED25519)
                .unwrap_err()
                .contains("PUBLIC_KEYS")
        );
        assert!(setup(&Keys::default()).is_err());
        let unsigned = Keys {
            allow_unsigned: true,
            ..Keys::default()
        };
        assert_eq!(setup(&unsigned), Ok((Mode::Unsigned, Some(NONE))));
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
        let hmac = Keys {
            hmac_secret: true,
            ..Keys::default()
        };
        assert_eq!(trust_with(&hmac, HMAC), Ok(Trust::Verify));
        assert!(trust_with(&hmac, NONE).is_err());
        assert!(trust_with(&hmac, "md5").is_err());
        let unsigned = Keys {
            allow_unsigned: true,
            ..Keys::default()
        };
        assert_eq!(trust_with(&unsigned, NONE), Ok(Trust::Accept));
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
