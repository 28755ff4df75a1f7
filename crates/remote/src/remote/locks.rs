//! The locks between publishing and `remote gc` (restic's protocol; the
//! rules are the component's `lock-verdict`): write one's own lock, then
//! list the others. A publish holds a shared lock from before it checks
//! which packs exist until its manifest is written; gc holds an exclusive
//! one from before it lists anything until its sweep is done. Ages are on
//! the object store's clock (listed modification times).

use anyhow::{Result, anyhow};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, PutPayload};
use std::time::Duration;

use super::config::Remote;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::remote::lock::{Lock, LockFacts, LockKind};

/// A lock this process holds; [`release`] removes it.
pub(crate) struct Held {
    pub(crate) name: String,
    /// The other locks seen when it was taken.
    pub(crate) others: Vec<LockFacts>,
    /// Its own time on the store's clock.
    pub(crate) mine_ms: u64,
}

/// Why a lock could not be taken (another holder), as opposed to a remote
/// that failed.
#[derive(Debug)]
pub(crate) struct Blocked(pub String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Blocked {}

/// The locks this process wrote and has not removed: a publish cut short
/// by `--remote-timeout` drops its future before it releases its lock, so
/// the tier removes what is left here ([`release_all`]).
static HELD: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn hold(name: &str, on: bool) {
    let mut h = HELD.lock().unwrap_or_else(|e| e.into_inner());
    h.retain(|n| n != name);
    if on {
        h.push(name.to_string());
    }
}

/// Removes every lock this process still holds (best effort).
pub(crate) async fn release_all(remote: &Remote) {
    let names: Vec<String> = HELD.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for n in names {
        if remote.store.delete(&remote.path(&n)).await.is_ok() {
            hold(&n, false);
        }
    }
}

fn random_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| anyhow!("no randomness for a lock id: {e}"))?;
    Ok(super::sign::hex(&b))
}

/// Tries once: writes the lock, lists the others, and keeps it if the
/// component says so (else removes it again: [`Blocked`]).
pub(crate) async fn try_take(
    host: &PolicyHost,
    remote: &Remote,
    kind: LockKind,
    holder: &str,
) -> Result<Held> {
    let name = host.lock_name(&random_id()?)?;
    let body = serde_json::to_vec(&host.lock_body(kind, holder)?)?;
    hold(&name, true);
    remote
        .store
        .put(&remote.path(&name), PutPayload::from(body))
        .await
        .map_err(|e| anyhow!("writing the lock {name}: {e}"))?;
    let listed = list(host, remote).await;
    let listed = match listed {
        Ok(l) => l,
        Err(e) => {
            let _ = remote.store.delete(&remote.path(&name)).await;
            return Err(e);
        }
    };
    let Some(mine_ms) = listed
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.modified_ms)
    else {
        let _ = remote.store.delete(&remote.path(&name)).await;
        return Err(anyhow!(
            "the lock {name} was written but is not listed: the store does not list what it has just written"
        ));
    };
    let others: Vec<LockFacts> =
        futures::stream::iter(listed.into_iter().filter(|m| m.name != name))
            .map(|mut m| async move {
                // Unreadable or unparsable: none (it blocks as an exclusive lock).
                m.body = match remote.store.get(&remote.path(&m.name)).await {
                    Ok(g) => g
                        .bytes()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Lock>(&b).ok()),
                    // Released meanwhile.
                    Err(object_store::Error::NotFound { .. }) => return None,
                    Err(_) => None,
                };
                Some(m)
            })
            .buffer_unordered(16)
            .filter_map(|m| async move { m })
            .collect()
            .await;
    match host.lock_verdict(kind, mine_ms, &others)? {
        Ok(()) => Ok(Held {
            name,
            others,
            mine_ms,
        }),
        Err(why) => {
            if remote.store.delete(&remote.path(&name)).await.is_ok() {
                hold(&name, false);
            }
            Err(Blocked(why).into())
        }
    }
}

/// Takes a shared lock, waiting (within the caller's time budget) while an
/// exclusive one (gc) holds the remote.
pub(crate) async fn take_shared(host: &PolicyHost, remote: &Remote, holder: &str) -> Result<Held> {
    let mut wait = Duration::from_millis(100);
    loop {
        match try_take(host, remote, LockKind::Shared, holder).await {
            Err(e) if e.downcast_ref::<Blocked>().is_some() => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            r => return r,
        }
    }
}

/// Removes a lock this process holds.
pub(crate) async fn release(remote: &Remote, held: &Held) -> Result<()> {
    remote
        .store
        .delete(&remote.path(&held.name))
        .await
        .map_err(|e| anyhow!("removing the lock {}: {e}", held.name))?;
    hold(&held.name, false);
    Ok(())
}

async fn list(host: &PolicyHost, remote: &Remote) -> Result<Vec<LockFacts>> {
    let dir = format!("{}/", host.locks_dir()?);
    let metas: Vec<_> = remote
        .store
        .list(Some(&remote.path(&dir)))
        .try_collect()
        .await
        .map_err(|e| anyhow!("listing the locks on the remote: {e}"))?;
    Ok(metas
        .into_iter()
        .map(|m| LockFacts {
            name: remote.relative(&m.location),
            body: None,
            modified_ms: m.last_modified.timestamp_millis().max(0) as u64,
        })
        .collect())
}
