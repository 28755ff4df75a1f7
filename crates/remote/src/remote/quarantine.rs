//! Self-healing: a reader that refuses a manifest, or a pack a manifest
//! needs, says so on the remote so that the next publish of that entry
//! uploads it again instead of answering "already there":
//! - a pack whose bytes do not hash to its name is provably bad: removed;
//! - a quarantine note (`v1/quarantine/<manifest name>`, signed when this
//!   builder can sign) names the refused manifest and why; a publisher that
//!   finds one publishes the entry again over it, then removes the note.
//!
//! A note is only a reason to publish again (what is published is verified
//! as always), so a forged one costs an upload, nothing more.

use anyhow::{Result, anyhow};
use object_store::{ObjectStoreExt, PutPayload};

use super::config::Remote;
use super::{sha256_hex, sign};
use zerops_cache_component::component::PolicyHost;

/// A refusal of what the remote holds (as opposed to a remote that failed).
#[derive(Debug, Clone)]
pub(crate) struct Bad {
    /// The manifest refused (filled in by the caller that knows it).
    pub(crate) manifest: Option<String>,
    /// The pack at fault, if it was one.
    pub(crate) pack: Option<String>,
    pub(crate) why: String,
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

impl std::error::Error for Bad {}

pub(crate) fn bad_pack(pack: &str, why: String) -> anyhow::Error {
    Bad {
        manifest: None,
        pack: Some(pack.to_string()),
        why,
    }
    .into()
}

pub(crate) fn bad_manifest(name: &str, why: String) -> anyhow::Error {
    Bad {
        manifest: Some(name.to_string()),
        pack: None,
        why,
    }
    .into()
}

/// `e` with the manifest it refused, when it is a refusal.
pub(crate) fn of_manifest(e: anyhow::Error, manifest: &str) -> anyhow::Error {
    match e.downcast_ref::<Bad>() {
        Some(b) if b.manifest.is_none() => Bad {
            manifest: Some(manifest.to_string()),
            ..b.clone()
        }
        .into(),
        _ => e,
    }
}

/// Records a refusal on the remote; what was done, for the user.
pub(crate) async fn record(host: &PolicyHost, remote: &Remote, bad: &Bad) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if let Some(pack) = &bad.pack {
        let path = remote.path(&host.pack_name(pack)?);
        match remote.store.get(&path).await {
            Ok(g) => {
                let bytes = g
                    .bytes()
                    .await
                    .map_err(|e| anyhow!("reading pack {pack}: {e}"))?;
                if sha256_hex(&bytes) != *pack {
                    remote
                        .store
                        .delete(&path)
                        .await
                        .map_err(|e| anyhow!("removing pack {pack}: {e}"))?;
                    done.push(format!(
                        "removed pack {pack} from the remote (its bytes do not match its name)"
                    ));
                }
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(anyhow!("fetching pack {pack}: {e}")),
        }
    }
    if let Some(manifest) = &bad.manifest {
        let name = host.quarantine_name(manifest)?;
        let body = serde_json::json!({
            "format": "zerops-cache-remote-quarantine/1",
            "manifest": manifest,
            "pack": bad.pack,
            "reason": bad.why,
        })
        .to_string();
        // Signed when this builder can sign; a reader-only one writes it as is.
        let object = sign::seal(host, remote, &name, body.as_bytes())
            .unwrap_or_else(|_| body.clone().into_bytes());
        remote
            .store
            .put(&remote.path(&name), PutPayload::from(object))
            .await
            .map_err(|e| anyhow!("writing {name}: {e}"))?;
        done.push(format!(
            "noted on the remote that {manifest} was refused: the next publish of it uploads it again"
        ));
    }
    Ok(done)
}
