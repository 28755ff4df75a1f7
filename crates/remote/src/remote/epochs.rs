//! The epoch of a project and setup on the remote: one immutable, signed
//! invalidation object per raise (`v1/invalidations/<project>/<setup>/<N>`).
//! The current epoch is the newest that verifies; the component refuses
//! one lower than this builder saw, or than a signed manifest proves (the
//! objects were deleted or rolled back). Raising creates the next object
//! create-if-absent, so two raises never share a number.

use anyhow::{Result, anyhow};
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::config::Remote;
use super::pull::{LayerId, open_manifest};
use super::sign;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::remote::wit::EpochFacts;
use zerops_cache_contract::remote::epoch::Invalidation;

/// The newest invalidation object that verifies, and why newer ones did not.
async fn newest_object(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
) -> Result<(Option<u64>, Vec<String>)> {
    let dir = format!("{}/", host.invalidations_of(project, setup)?);
    let metas: Vec<_> = remote
        .store
        .list(Some(&remote.path(&dir)))
        .try_collect()
        .await
        .map_err(|e| anyhow!("listing the epochs on the remote: {e}"))?;
    let mut found: Vec<(u64, String)> = Vec::new();
    for m in metas {
        let name = remote.relative(&m.location);
        if let Some(n) = host.parse_invalidation_name(&name)? {
            found.push((n, name));
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut problems = Vec::new();
    for (n, name) in found {
        let object = match remote.store.get(&remote.path(&name)).await {
            Ok(g) => g
                .bytes()
                .await
                .map_err(|e| anyhow!("reading {name}: {e}"))?,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(anyhow!("fetching {name}: {e}")),
        };
        let checked = sign::open(host, remote, &name, &object).and_then(|body| {
            let json = std::str::from_utf8(body).map_err(|_| anyhow!("{name}: not UTF-8"))?;
            let o: Invalidation = serde_json::from_str(json)
                .map_err(|e| anyhow!("{name}: the epoch object is not readable: {e}"))?;
            host.check_epoch_object(o, project, setup, n)?
                .map_err(|e| anyhow!("{name}: {e}"))
        });
        match checked {
            Ok(()) => return Ok((Some(n), problems)),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    Ok((None, problems))
}

/// The newest epoch above `above` under which a manifest verifies (proof
/// that the epoch was raised that far), if any. Bogus objects prove nothing.
async fn newest_manifest(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
    above: u64,
) -> Result<Option<u64>> {
    let dir = format!("{}/", host.manifests_of(project, setup)?);
    let listed = remote
        .store
        .list_with_delimiter(Some(&remote.path(&dir)))
        .await
        .map_err(|e| anyhow!("listing the manifests' epochs on the remote: {e}"))?;
    let mut epochs: Vec<(u64, object_store::path::Path)> = Vec::new();
    for p in listed.common_prefixes {
        if let Some(n) = host.parse_epoch_dir(&remote.relative(&p))?
            && n > above
        {
            epochs.push((n, p));
        }
    }
    epochs.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (n, p) in epochs {
        let metas: Vec<_> = remote
            .store
            .list(Some(&p))
            .try_collect()
            .await
            .map_err(|e| anyhow!("listing {p} on the remote: {e}"))?;
        for meta in metas.into_iter().take(4) {
            let name = remote.relative(&meta.location);
            let Some(parts) = host.parse_manifest_name(&name)? else {
                continue;
            };
            let id = LayerId {
                project: project.into(),
                setup: setup.into(),
                layer: parts.layer,
                entry: parts.entry,
                epoch: parts.epoch,
                image: String::new(),
                base_key: String::new(),
                build_key: String::new(),
            };
            let Ok(g) = remote.store.get(&meta.location).await else {
                continue;
            };
            let Ok(bytes) = g.bytes().await else { continue };
            if open_manifest(host, remote, &id, &name, &bytes).is_ok() {
                return Ok(Some(n));
            }
        }
    }
    Ok(None)
}

/// What the remote says of the epoch, with this builder's memory.
pub(crate) async fn facts(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
    seen: Option<u64>,
) -> Result<(EpochFacts, Vec<String>)> {
    let (newest, problems) = newest_object(host, remote, project, setup).await?;
    let newest_manifest =
        newest_manifest(host, remote, project, setup, newest.unwrap_or(0)).await?;
    Ok((
        EpochFacts {
            newest_object: newest,
            newest_manifest,
            seen,
        },
        problems,
    ))
}

/// The current epoch, or why the remote is not trusted now.
pub(crate) async fn current(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
    seen: Option<u64>,
) -> Result<u64> {
    let (f, problems) = facts(host, remote, project, setup, seen).await?;
    host.current_epoch(f)?.map_err(|e| {
        if problems.is_empty() {
            anyhow!("{e}")
        } else {
            anyhow!("{e} ({})", problems.join("; "))
        }
    })
}

/// Raises the epoch above every one known (the remote's, this builder's
/// memory, signed manifests'): the new epoch.
pub(crate) async fn raise(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
    seen: Option<u64>,
    reason: &str,
) -> Result<u64> {
    let mut floor = 0;
    for _ in 0..16 {
        let (f, _) = facts(host, remote, project, setup, seen).await?;
        let n = host.next_epoch(f)?.max(floor);
        floor = n + 1;
        let name = host.invalidation_name(project, setup, n)?;
        let body = serde_json::to_vec(&host.epoch_object(project, setup, n, reason)?)?;
        let object = sign::seal(host, remote, &name, &body)?;
        match remote
            .store
            .put_opts(
                &remote.path(&name),
                PutPayload::from(object),
                PutOptions::from(PutMode::Create),
            )
            .await
        {
            Ok(_) => return Ok(n),
            // Another invalidation took this number: raise above it.
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) => continue,
            Err(e) => return Err(anyhow!("writing {name}: {e}")),
        }
    }
    Err(anyhow!(
        "raising the epoch of {project}/{setup}: raced by other writers 16 times"
    ))
}
