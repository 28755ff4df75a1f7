//! Sealing and opening the signed objects of the remote (manifests and
//! epochs): a header line `{"alg","sig","body"}` then the body. The
//! component says what is signed and what to trust; this computes the
//! HMAC-SHA256 with `ZEROPS_CACHE_REMOTE_SECRET` (compared in constant
//! time), or the ed25519 signature with `ZEROPS_CACHE_REMOTE_SIGNING_KEY`
//! (verified with any trusted public key, `verify_strict`).

use super::{Header, join_object as join, split_object as split};
use anyhow::{Result, anyhow};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Remote;
use super::sha256_hex;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::remote::wit::Trust;

type HmacSha256 = Hmac<Sha256>;

const ED25519: &str = "ed25519";
const HMAC: &str = zerops_cache_contract::remote::HMAC;

/// A fresh ed25519 key pair, as hex (private, public).
pub fn keygen() -> Result<(String, String)> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow!("no randomness for a key: {e}"))?;
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    Ok((hex(&seed), hex(sk.verifying_key().as_bytes())))
}

fn mac(secret: &[u8], input: &[u8]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(input);
    m
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The object to store at `name` for `body`.
pub(crate) fn seal(host: &PolicyHost, remote: &Remote, name: &str, body: &[u8]) -> Result<Vec<u8>> {
    let digest = sha256_hex(body);
    let alg = remote.publish_alg.clone().ok_or_else(|| {
        anyhow!(
            "{name}: this builder holds no signing key (only public keys), so it reads and never publishes"
        )
    })?;
    let input = host.signing_input(name, &digest)?;
    let sig = match alg.as_str() {
        ED25519 => {
            use ed25519_dalek::Signer;
            let key = remote
                .keys
                .signing
                .as_ref()
                .ok_or_else(|| anyhow!("{name}: no ed25519 signing key"))?;
            hex(&key.sign(&input).to_bytes())
        }
        HMAC => {
            let secret = remote
                .keys
                .secret
                .as_deref()
                .ok_or_else(|| anyhow!("{name}: no secret to sign with"))?;
            hex(&mac(secret, &input).finalize().into_bytes())
        }
        _ => String::new(),
    };
    Ok(join(
        &Header {
            alg,
            sig,
            body: digest,
        },
        body,
    ))
}

/// The body of the object stored at `name`, once its digest and (in
/// signed mode) its signature are verified; the error says why not.
pub(crate) fn open<'a>(
    host: &PolicyHost,
    remote: &Remote,
    name: &str,
    object: &'a [u8],
) -> Result<&'a [u8]> {
    let (h, body) = split(object).map_err(|e| anyhow!("{name}: {e}"))?;
    if sha256_hex(body) != h.body {
        return Err(anyhow!(
            "{name}: its body does not match the digest in its header"
        ));
    }
    match host
        .trust_alg(remote.keys.facts(), &h.alg)?
        .map_err(|e| anyhow!("{name}: {e}"))?
    {
        Trust::Accept => Ok(body),
        Trust::Verify => {
            let want = unhex(&h.sig).ok_or_else(|| anyhow!("{name}: a malformed signature"))?;
            let input = host.signing_input(name, &h.body)?;
            if h.alg == ED25519 {
                let sig = <[u8; 64]>::try_from(want.as_slice())
                    .map(|b| ed25519_dalek::Signature::from_bytes(&b))
                    .map_err(|_| anyhow!("{name}: a malformed ed25519 signature"))?;
                if !remote
                    .keys
                    .trusted
                    .iter()
                    .any(|k| k.verify_strict(&input, &sig).is_ok())
                {
                    let keys = match remote.keys.trusted.len() {
                        1 => "the trusted public key".to_string(),
                        n => format!("any of the {n} trusted public keys"),
                    };
                    return Err(anyhow!(
                        "{name}: the ed25519 signature does not verify with {keys} (tampered, or signed by an untrusted key)"
                    ));
                }
                return Ok(body);
            }
            let secret = remote
                .keys
                .secret
                .as_deref()
                .ok_or_else(|| anyhow!("{name}: no secret to verify it with"))?;
            mac(secret, &input)
                .verify_slice(&want)
                .map_err(|_| anyhow!("{name}: the signature does not verify (tampered, or signed with another secret)"))?;
            Ok(body)
        }
    }
}
