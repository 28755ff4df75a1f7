//! Configuration of the remote tier, exactly these names:
//! `--remote URL` or `ZEROPS_CACHE_REMOTE` (`s3://bucket/prefix`);
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`; `ZEROPS_CACHE_REMOTE_SECRET`
//! (HMAC-SHA256 signing); `ZEROPS_CACHE_REMOTE_SIGNING_KEY` (an ed25519
//! private key: 64 hex digits) and `ZEROPS_CACHE_REMOTE_PUBLIC_KEYS` (the
//! ed25519 public keys trusted, separated by spaces or commas);
//! `--remote-unsigned`; `--remote-timeout`.

use anyhow::{Context, Result, anyhow, bail};
use object_store::aws::AmazonS3Builder;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

use zerops_cache_component::component::PolicyHost;
#[cfg(test)]
use zerops_cache_component::component::remote::wit::Mode;

pub(crate) const ENV_REMOTE: &str = "ZEROPS_CACHE_REMOTE";
pub(crate) const ENV_SECRET: &str = "ZEROPS_CACHE_REMOTE_SECRET";
pub(crate) const ENV_SIGNING_KEY: &str = "ZEROPS_CACHE_REMOTE_SIGNING_KEY";
pub(crate) const ENV_PUBLIC_KEYS: &str = "ZEROPS_CACHE_REMOTE_PUBLIC_KEYS";

/// The keys a builder holds.
#[derive(Default, Clone)]
pub(crate) struct Keys {
    /// `ZEROPS_CACHE_REMOTE_SECRET` (HMAC).
    pub(crate) secret: Option<Vec<u8>>,
    /// `ZEROPS_CACHE_REMOTE_SIGNING_KEY`.
    pub(crate) signing: Option<ed25519_dalek::SigningKey>,
    /// `ZEROPS_CACHE_REMOTE_PUBLIC_KEYS`, and the signing key's own.
    pub(crate) trusted: Vec<ed25519_dalek::VerifyingKey>,
    pub(crate) allow_unsigned: bool,
}

impl Keys {
    pub(crate) fn facts(&self) -> zerops_cache_component::component::remote::wit::SigningFacts {
        zerops_cache_component::component::remote::wit::SigningFacts {
            hmac_secret: self.secret.is_some(),
            ed25519_private: self.signing.is_some(),
            ed25519_trusted: self.trusted.len() as u32,
            allow_unsigned: self.allow_unsigned,
        }
    }

    /// From the environment; an error names the variable that is malformed.
    pub(crate) fn from_env(allow_unsigned: bool) -> Result<Keys> {
        let mut k = Keys {
            secret: env(ENV_SECRET).map(String::into_bytes),
            allow_unsigned,
            ..Keys::default()
        };
        if let Some(hex) = env(ENV_SIGNING_KEY) {
            let b: [u8; 32] = super::sign::unhex(hex.trim())
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| {
                    anyhow!("{ENV_SIGNING_KEY}: not an ed25519 private key (64 hex digits; `zerops-cache remote keygen` makes one)")
                })?;
            let sk = ed25519_dalek::SigningKey::from_bytes(&b);
            k.trusted.push(sk.verifying_key());
            k.signing = Some(sk);
        }
        if let Some(list) = env(ENV_PUBLIC_KEYS) {
            for (i, word) in list
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .enumerate()
            {
                let key = super::sign::unhex(word)
                    .and_then(|v| <[u8; 32]>::try_from(v).ok())
                    .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
                    .ok_or_else(|| {
                        anyhow!("{ENV_PUBLIC_KEYS}: key {} ({word:?}) is not an ed25519 public key (64 hex digits)", i + 1)
                    })?;
                k.trusted.push(key);
            }
        }
        Ok(k)
    }
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RemoteArgs {
    /// The remote cache tier, `s3://bucket/prefix` (credentials and endpoint
    /// from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    /// AWS_ENDPOINT_URL, AWS_ALLOW_HTTP).
    #[arg(long, value_name = "URL", env = ENV_REMOTE)]
    pub(crate) remote: Option<String>,
    /// Use the remote without ZEROPS_CACHE_REMOTE_SECRET: nothing is signed
    /// and whatever the bucket holds is trusted.
    #[arg(long)]
    pub(crate) remote_unsigned: bool,
    /// The longest a build waits for the remote in all (each pull or push,
    /// retries included) before it goes on without it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub(crate) remote_timeout: Duration,
}

/// A configured remote.
pub struct Remote {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// The URL as given (for messages).
    pub(crate) url: String,
    /// The prefix inside the bucket (no leading or trailing `/`).
    pub(crate) prefix: String,
    pub(crate) keys: Keys,
    /// The algorithm this builder publishes with; `None`: it only reads
    /// (public keys only), and never publishes.
    pub publish_alg: Option<String>,
    pub(crate) timeout: Duration,
}

/// `s3://bucket/prefix` → (bucket, prefix).
pub(crate) fn parse_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        anyhow!("--remote / {ENV_REMOTE}: {url:?} is not an s3://bucket/prefix URL")
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("--remote / {ENV_REMOTE}: {url:?} names no bucket");
    }
    let prefix = prefix.trim_matches('/').to_string();
    if prefix.split('/').any(|p| p == "." || p == "..") {
        bail!("--remote / {ENV_REMOTE}: the prefix of {url:?} has a `.` or `..` part");
    }
    Ok((bucket.to_string(), prefix))
}

/// Whether the endpoint is on this machine (127.0.0.0/8, ::1, localhost).
/// Then request bodies go unsigned (`UNSIGNED-PAYLOAD`): no network lies
/// between the two ends to change a body, and hashing it costs a pass over
/// every pack. Elsewhere (over TLS or not) the body's SHA-256 stays in the
/// signature, as SigV4 has it. Either way what a reader uses is checked
/// against the signed manifest (a pack is named by its digest, each blob by
/// its own).
pub(crate) fn is_loopback(endpoint: &str) -> bool {
    let Ok(u) = url::Url::parse(endpoint) else {
        return false;
    };
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// How each request to the remote is bounded within the command's budget
/// `total` (--remote-timeout): a connection that is not made within a
/// quarter of it (5 s at most), or a response that stalls for a quarter of
/// it (2 s at least, 15 s at most), is given up and made again; transient
/// failures (refused connections, 5xx answers, bodies cut short, stalls)
/// are retried with exponential backoff (0.1 s doubling to 2 s) until the
/// budget is spent. A GET cut short resumes where it stopped (same ETag).
pub(crate) fn client_options(total: Duration) -> (ClientOptions, RetryConfig) {
    let stall = (total / 4).clamp(Duration::from_secs(2), Duration::from_secs(15));
    let client = ClientOptions::new()
        .with_timeout(total)
        .with_connect_timeout((total / 4).min(Duration::from_secs(5)))
        .with_read_timeout(stall);
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 10,
        retry_timeout: total,
    };
    (client, retry)
}

impl RemoteArgs {
    /// The remote, `Ok(None)` when none is configured, `Err` with the
    /// reason it cannot be used (no secret and no `--remote-unsigned`, a
    /// bad URL): the caller warns and goes on without it.
    pub fn open(&self, host: &PolicyHost) -> Result<Option<Remote>> {
        let Some(url) = self.remote.clone().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let (bucket, prefix) = parse_url(&url)?;
        let keys = Keys::from_env(self.remote_unsigned)?;
        let signing = host
            .signing_setup(keys.facts())?
            .map_err(|e| anyhow!("{e}"))?;
        let timeout = self.remote_timeout.max(Duration::from_millis(100));
        let (client, retry) = client_options(timeout);
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()))
            .with_retry(retry)
            .with_client_options(client);
        if let Some(k) = env("AWS_ACCESS_KEY_ID") {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = env("AWS_SECRET_ACCESS_KEY") {
            b = b.with_secret_access_key(k);
        }
        if let Some(e) = env("AWS_ENDPOINT_URL") {
            // A custom endpoint (SeaweedFS, MinIO...): path-style requests.
            b = b
                .with_unsigned_payload(is_loopback(&e))
                .with_endpoint(e)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(h) = env("AWS_ALLOW_HTTP") {
            b = b.with_allow_http(matches!(
                h.to_ascii_lowercase().as_str(),
                "1" | "true" | "yes"
            ));
        }
        let store = b
            .build()
            .with_context(|| format!("configuring the remote {url}"))?;
        Ok(Some(Remote {
            store: Arc::new(store),
            url,
            prefix,
            keys,
            publish_alg: signing.publish_alg,
            timeout,
        }))
    }
}

impl Remote {
    /// A remote over any object store (tests use `InMemory`).
    #[cfg(test)]
    pub(crate) fn over(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        mode: Mode,
        secret: Option<&[u8]>,
    ) -> Remote {
        let keys = Keys {
            secret: secret.map(<[u8]>::to_vec),
            allow_unsigned: mode == Mode::Unsigned,
            ..Keys::default()
        };
        let publish_alg = Some(
            match mode {
                Mode::Signed => "hmac-sha256",
                Mode::Unsigned => "none",
            }
            .to_string(),
        );
        Remote {
            store,
            url: format!("memory:///{prefix}"),
            prefix: prefix.trim_matches('/').to_string(),
            keys,
            publish_alg,
            timeout: Duration::from_secs(30),
        }
    }

    /// The object path of a name relative to the prefix.
    pub(crate) fn path(&self, name: &str) -> object_store::path::Path {
        let full = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        };
        object_store::path::Path::from(full)
    }

    /// A listed path relative to the prefix.
    pub(crate) fn relative(&self, p: &object_store::path::Path) -> String {
        let s = p.as_ref();
        if self.prefix.is_empty() {
            return s.to_string();
        }
        s.strip_prefix(&self.prefix)
            .map(|r| r.trim_start_matches('/').to_string())
            .unwrap_or_else(|| s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_endpoint_on_this_machine_gets_unsigned_bodies() {
        for yes in [
            "http://127.0.0.1:8333",
            "http://127.9.9.9",
            "http://[::1]:9000/",
            "http://LOCALHOST:1",
            "https://localhost",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "http://10.0.0.1:8333",
            "https://s3.example.com",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://[::2]",
            "not a url",
            "",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("s3://b/ci/cache/").unwrap(),
            ("b".into(), "ci/cache".into())
        );
        assert_eq!(parse_url("s3://b").unwrap(), ("b".into(), "".into()));
        assert!(parse_url("http://b/x").is_err());
        assert!(parse_url("s3:///x").is_err());
        assert!(parse_url("s3://b/../x").is_err());
    }
}
