//! The index of each project and setup (the component's `index-*`): a
//! publish adds what `remote ls` shows of its manifest (a conditional
//! update, retried when another publish raced it; signed), so `remote ls`
//! costs a constant number of requests per project and setup: one listing
//! of the manifests, one GET of the index, and the epoch's few. A manifest
//! the index lacks is read whole, as before.

use anyhow::{Result, anyhow};
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use std::collections::BTreeMap;

use super::config::Remote;
use super::pull::{LayerId, open_manifest};
use super::{epochs, sign};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::remote::index::{Index, IndexEntry};
use zerops_cache_contract::remote::naming::ManifestName;

/// Adds `entry` to the index of `id`'s project and setup.
pub(crate) async fn add(
    host: &PolicyHost,
    remote: &Remote,
    id: &LayerId,
    entry: &IndexEntry,
) -> Result<()> {
    let name = host.index_name(&id.project, &id.setup)?;
    for _ in 0..16 {
        let (current, version) = match remote.store.get(&remote.path(&name)).await {
            Ok(g) => {
                let v = UpdateVersion {
                    e_tag: g.meta.e_tag.clone(),
                    version: g.meta.version.clone(),
                };
                let b = g
                    .bytes()
                    .await
                    .map_err(|e| anyhow!("reading {name}: {e}"))?;
                // An index that does not verify or parse is started anew.
                let cur = sign::open(host, remote, &name, &b)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Index>(b).ok());
                (cur, Some(v))
            }
            Err(object_store::Error::NotFound { .. }) => (None, None),
            Err(e) => return Err(anyhow!("fetching {name}: {e}")),
        };
        let body = serde_json::to_vec(&host.index_add(current, &id.project, &id.setup, entry)?)?;
        let object = sign::seal(host, remote, &name, &body)?;
        let mode = match version {
            Some(v) => PutMode::Update(v),
            None => PutMode::Create,
        };
        match remote
            .store
            .put_opts(
                &remote.path(&name),
                PutPayload::from(object),
                PutOptions::from(mode),
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) => continue,
            Err(e) => return Err(anyhow!("writing {name}: {e}")),
        }
    }
    Err(anyhow!("{name}: raced by other publishes 16 times"))
}

/// A listed manifest: its name, what its name says, its object.
type Listed = (String, ManifestName, object_store::ObjectMeta);

/// One row of `remote ls`.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) parts: ManifestName,
    pub(crate) size: u64,
    pub(crate) modified_ms: i64,
    /// files, bytes, stored bytes; or why the manifest is unreadable.
    pub(crate) shown: Result<(u64, u64, u64), String>,
    pub(crate) live: bool,
}

/// The setup a manifest's JSON says it is for (read only to name its
/// epoch; the manifest is checked right after).
fn setup_in(json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct S {
        setup: String,
    }
    serde_json::from_slice::<S>(json).ok().map(|s| s.setup)
}

/// What `remote ls` shows: one listing of the manifests, then per project
/// and setup its index and its epoch; only manifests the index lacks are
/// read whole.
pub(crate) async fn rows(host: &PolicyHost, remote: &Remote) -> Result<Vec<Row>> {
    let metas: Vec<_> = remote
        .store
        .list(Some(&remote.path("v1/manifests/")))
        .try_collect()
        .await
        .map_err(|e| anyhow!("listing the manifests on the remote: {e}"))?;
    let mut groups: BTreeMap<(String, String), Vec<Listed>> = BTreeMap::new();
    for m in metas {
        let name = remote.relative(&m.location);
        if let Some(parts) = host.parse_manifest_name(&name)? {
            groups
                .entry((parts.project.clone(), parts.setup_part.clone()))
                .or_default()
                .push((name, parts, m));
        }
    }
    let mut out = Vec::new();
    for ((project, setup_part), items) in groups {
        // The index (named by the setup's safe form, which names itself).
        let iname = host.index_name(&project, &setup_part)?;
        let mut known: BTreeMap<String, IndexEntry> = BTreeMap::new();
        let mut setup: Option<String> = None;
        match remote.store.get(&remote.path(&iname)).await {
            Ok(g) => {
                let b = g
                    .bytes()
                    .await
                    .map_err(|e| anyhow!("reading {iname}: {e}"))?;
                // Its setup's real name is inside; its name has the safe form.
                if let Ok(body) = sign::open(host, remote, &iname, &b)
                    && let Ok(stored) = serde_json::from_slice::<Index>(body)
                    && host.index_name(&project, &stored.setup)? == iname
                {
                    let real = stored.setup.clone();
                    if let Ok(Ok(entries)) = host.index_read(stored, &project, &real) {
                        known = entries.into_iter().map(|e| (e.name.clone(), e)).collect();
                        setup = Some(real);
                    }
                }
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(anyhow!("fetching {iname}: {e}")),
        }
        let mut rows = Vec::new();
        for (name, parts, meta) in items {
            let shown = match known.get(&name) {
                Some(e) => Ok((e.files, e.bytes, e.stored_bytes)),
                None => {
                    let (shown, real) = read_whole(host, remote, &name, &parts, &meta).await;
                    if setup.is_none() {
                        setup = real;
                    }
                    shown
                }
            };
            rows.push(Row {
                name,
                parts,
                size: meta.size,
                modified_ms: meta.last_modified.timestamp_millis(),
                shown,
                live: true,
            });
        }
        // An epoch in doubt (rolled back) invalidates nothing here.
        if let Some(setup) = setup
            && let Ok(current) = epochs::current(host, remote, &project, &setup, None).await
        {
            for r in &mut rows {
                r.live = r.parts.epoch >= current;
            }
        }
        out.extend(rows);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A manifest the index lacks, read and checked whole.
async fn read_whole(
    host: &PolicyHost,
    remote: &Remote,
    name: &str,
    parts: &ManifestName,
    meta: &object_store::ObjectMeta,
) -> (Result<(u64, u64, u64), String>, Option<String>) {
    let bytes = match remote.store.get(&meta.location).await {
        Ok(g) => match g.bytes().await {
            Ok(b) => b,
            Err(e) => return (Err(e.to_string()), None),
        },
        Err(e) => return (Err(e.to_string()), None),
    };
    let real = sign::open(host, remote, name, &bytes)
        .ok()
        .and_then(|body| zstd::bulk::decompress(body, 1 << 30).ok())
        .and_then(|json| setup_in(&json));
    let id = LayerId {
        project: parts.project.clone(),
        setup: real.clone().unwrap_or_default(),
        layer: parts.layer,
        entry: parts.entry.clone(),
        epoch: parts.epoch,
        image: String::new(),
        base_key: String::new(),
        build_key: String::new(),
    };
    let shown = open_manifest(host, remote, &id, name, &bytes)
        .map(|m| {
            let raw = m
                .entries
                .iter()
                .map(|e| match e.kind {
                    super::Kind::File { size, .. } => size,
                    _ => 0,
                })
                .sum::<u64>();
            (
                m.entries.len() as u64,
                raw,
                m.blobs.iter().map(|b| b.len).sum::<u64>(),
            )
        })
        .map_err(|e| format!("{e:#}"));
    (shown, real)
}
