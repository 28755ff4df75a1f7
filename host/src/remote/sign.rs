//! Sealing and opening the signed objects of the remote (manifests and
//! epochs): a header line `{"alg","sig","body"}` then the body. The
//! component says what is signed and what to trust; this computes the
//! HMAC-SHA256 with `ZEROPS_CACHE_REMOTE_SECRET` and compares it in
//! constant time.

use super::{Header, join_object as join, split_object as split};
use anyhow::{Result, anyhow};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Remote;
use super::sha256_hex;
use crate::component::PolicyHost;
use crate::component::remote::wit::Trust;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], input: &[u8]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(input);
    m
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The object to store at `name` for `body`.
pub fn seal(host: &PolicyHost, remote: &Remote, name: &str, body: &[u8]) -> Result<Vec<u8>> {
    let digest = sha256_hex(body);
    let alg = host.publish_alg(remote.mode)?;
    let sig = match &remote.secret {
        Some(secret) if alg != "none" => {
            let input = host.signing_input(name, &digest)?;
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
pub fn open<'a>(
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
        .trust(remote.mode, &h.alg)?
        .map_err(|e| anyhow!("{name}: {e}"))?
    {
        Trust::Accept => Ok(body),
        Trust::Verify => {
            let secret = remote
                .secret
                .as_deref()
                .ok_or_else(|| anyhow!("{name}: no secret to verify it with"))?;
            let want = unhex(&h.sig).ok_or_else(|| anyhow!("{name}: a malformed signature"))?;
            let input = host.signing_input(name, &h.body)?;
            mac(secret, &input)
                .verify_slice(&want)
                .map_err(|_| anyhow!("{name}: the signature does not verify (tampered, or signed with another secret)"))?;
            Ok(body)
        }
    }
}
