//! What `build`, `invalidate` and `activate` do with the remote.
//!
//! - Before a build that misses locally: if the remote has every missing
//!   layer (of the current epoch), they are pulled into a staging directory
//!   of the store, verified, then renamed into place and a matching layer
//!   record is written: the build runs warm.
//! - After a successful build: the layers that did not come from the
//!   remote are pushed.
//! - `invalidate` and `activate` raise the epoch of the project and setup.
//!
//! A failing remote never fails a build: each step has a bounded total wait
//! (`--remote-timeout`, retries included); on any failure the build warns
//! and goes on with the local store or cold. Nothing unverified is restored.

use anyhow::{Context, Result, anyhow};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::Serialize;
use std::future::Future;
use std::path::Path;

use super::config::{Remote, RemoteArgs};
use super::pull::{LayerId, fetch_manifest, pull_layer};
use super::push::{Pushed, push_layer};
use super::{Traffic, TrafficSummary, sign};
use crate::component::PolicyHost;
use crate::store::Store;
use crate::store::journal;
use crate::store::layout::{CACHE, HOME, RECORD};

/// The staging directory of a pull, inside the store (one filesystem).
pub const STAGING: &str = "remote.staging";

/// The `remote` part of the build summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemoteSummary {
    pub url: String,
    /// False when the remote was configured but not used (see warnings).
    pub enabled: bool,
    pub epoch: Option<u64>,
    /// Layers pulled from the remote (`base`, `build`).
    pub pulled: Vec<&'static str>,
    /// Layers whose manifest this build published.
    pub published: Vec<&'static str>,
    /// Bytes and objects transferred (up: pushed, down: pulled).
    pub transfer: TrafficSummary,
    pub warnings: Vec<String>,
}

pub struct Tier<'a> {
    host: &'a PolicyHost,
    pub remote: Remote,
    project: String,
    setup: String,
    image: String,
    epoch: u64,
    traffic: Traffic,
    rt: tokio::runtime::Runtime,
    progress: bool,
    pub summary: RemoteSummary,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .context("starting the I/O runtime of the remote tier")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Runs `f` within the remote's total time budget.
fn bounded<T>(
    rt: &tokio::runtime::Runtime,
    remote: &Remote,
    what: &str,
    f: impl Future<Output = Result<T>>,
) -> Result<T> {
    let limit = remote.timeout;
    rt.block_on(async {
        match tokio::time::timeout(limit, f).await {
            Ok(r) => r,
            Err(_) => Err(anyhow!(
                "{what}: no answer within --remote-timeout {}",
                humantime::format_duration(limit)
            )),
        }
    })
}

/// The current epoch of a project and setup (0 when none was ever raised),
/// verified; with the object's version for a conditional update.
pub async fn read_epoch(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
) -> Result<(u64, Option<String>, Option<UpdateVersion>)> {
    let name = host.epoch_name(project, setup)?;
    let got = match remote.store.get(&remote.path(&name)).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return Ok((0, None, None)),
        Err(e) => return Err(anyhow!("fetching {name}: {e}")),
    };
    let version = UpdateVersion {
        e_tag: got.meta.e_tag.clone(),
        version: got.meta.version.clone(),
    };
    let object = got
        .bytes()
        .await
        .map_err(|e| anyhow!("reading {name}: {e}"))?;
    let body = sign::open(host, remote, &name, &object)?;
    let json = std::str::from_utf8(body).map_err(|_| anyhow!("{name}: not UTF-8"))?;
    let n = host
        .check_epoch(json, project, setup)?
        .map_err(|e| anyhow!("{name}: {e}"))?;
    Ok((n, Some(json.to_string()), Some(version)))
}

/// Raises the epoch of a project and setup (a conditional update, retried
/// when another builder raised it at the same time). The new epoch.
pub async fn raise_epoch(
    host: &PolicyHost,
    remote: &Remote,
    project: &str,
    setup: &str,
    reason: &str,
) -> Result<u64> {
    let name = host.epoch_name(project, setup)?;
    for _ in 0..16 {
        let (_, current, version) = match read_epoch(host, remote, project, setup).await {
            Ok(v) => v,
            // An unreadable or unverified epoch is replaced: raising is always safe.
            Err(e) if !e.to_string().contains("fetching") => (0, None, None),
            Err(e) => return Err(e),
        };
        let json = host.raise_epoch(current.as_deref(), project, setup, reason)?;
        let n = host
            .check_epoch(&json, project, setup)?
            .map_err(|e| anyhow!("{e}"))?;
        let object = sign::seal(host, remote, &name, json.as_bytes())?;
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
            Ok(_) => return Ok(n),
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) => continue,
            Err(e) => return Err(anyhow!("writing {name}: {e}")),
        }
    }
    Err(anyhow!("{name}: raced by other writers 16 times"))
}

/// `invalidate` / `activate`: raises the remote epoch when a remote is
/// configured. `Ok(None)` when none is.
pub fn invalidate(
    host: &PolicyHost,
    args: &RemoteArgs,
    project: &str,
    setup: &str,
    reason: &str,
) -> Result<Option<u64>> {
    let Some(remote) = args.open(host)? else {
        return Ok(None);
    };
    let rt = runtime()?;
    bounded(
        &rt,
        &remote,
        "raising the remote epoch",
        raise_epoch(host, &remote, project, setup, reason),
    )
    .map(Some)
}

impl<'a> Tier<'a> {
    /// The tier for a build, or `None` (with the summary saying why) when
    /// no remote is configured or it cannot be used now.
    pub fn start(
        host: &'a PolicyHost,
        args: &RemoteArgs,
        identity: &crate::component::remote::wit::Identity,
        setup: &str,
        image: &str,
        progress: bool,
        say: &dyn Fn(String),
    ) -> (Option<Tier<'a>>, Option<RemoteSummary>) {
        let Some(url) = args.remote.clone().filter(|u| !u.is_empty()) else {
            return (None, None);
        };
        let mut summary = RemoteSummary {
            url,
            ..RemoteSummary::default()
        };
        let off = |why: String, mut summary: RemoteSummary| {
            say(format!("warning: remote: {why}; building without it"));
            summary.warnings.push(why);
            (None, Some(summary))
        };
        if !identity.shareable {
            return off(
                "this project has no identity builders elsewhere share (no git remote, no commit, no --project-id)".into(),
                summary,
            );
        }
        let remote = match args.open(host) {
            Ok(Some(r)) => r,
            Ok(None) => return (None, None),
            Err(e) => return off(format!("{e:#}"), summary),
        };
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => return off(format!("{e:#}"), summary),
        };
        let epoch = bounded(
            &rt,
            &remote,
            "reading the epoch",
            read_epoch(host, &remote, &identity.slug, setup),
        );
        let epoch = match epoch {
            Ok((n, _, _)) => n,
            Err(e) => return off(format!("{e:#}"), summary),
        };
        summary.enabled = true;
        summary.epoch = Some(epoch);
        (
            Some(Tier {
                host,
                remote,
                project: identity.slug.clone(),
                setup: setup.into(),
                image: image.into(),
                epoch,
                traffic: Traffic::default(),
                rt,
                progress,
                summary,
            }),
            None,
        )
    }

    fn id(&self, layer: &str, base_key: &str, build_key: &str) -> Result<LayerId> {
        LayerId::new(
            self.host,
            &self.project,
            &self.setup,
            layer,
            self.epoch,
            &self.image,
            base_key,
            build_key,
        )
    }

    fn warn(&mut self, say: &dyn Fn(String), why: String) {
        say(format!("warning: remote: {why}"));
        self.summary.warnings.push(why);
    }

    /// Pulls the layers the local store misses (`base` and/or `build`)
    /// when the remote has all of them; then `write_record` writes the
    /// layer record that makes them current. Which layers came.
    pub fn pull(
        &mut self,
        store: &Store,
        need: &[&'static str],
        base_key: &str,
        build_key: &str,
        write_record: &dyn Fn() -> Result<()>,
        say: &dyn Fn(String),
    ) -> Vec<&'static str> {
        if need.is_empty() {
            return Vec::new();
        }
        let staging = store.abs(STAGING);
        let r = self.pull_into(store, need, base_key, build_key, say);
        let r = r.and_then(|found| {
            if !found {
                return Ok(false);
            }
            install(store, need).and_then(|()| write_record())?;
            Ok(true)
        });
        let _ = std::fs::remove_dir_all(&staging);
        match r {
            Ok(true) => {
                let t = self.traffic.summary();
                say(format!(
                    "remote: pulled the {} layer{} ({} bytes in {} objects)",
                    need.join(" and "),
                    if need.len() == 1 { "" } else { "s" },
                    t.bytes_down,
                    t.objects_down
                ));
                self.summary.pulled = need.to_vec();
                need.to_vec()
            }
            Ok(false) => Vec::new(),
            Err(e) => {
                self.warn(
                    say,
                    format!("{e:#}; building cold, nothing pulled was restored"),
                );
                Vec::new()
            }
        }
    }

    /// Fetches and verifies into the staging directory; false when the
    /// remote lacks a needed layer.
    fn pull_into(
        &mut self,
        store: &Store,
        need: &[&'static str],
        base_key: &str,
        build_key: &str,
        say: &dyn Fn(String),
    ) -> Result<bool> {
        let staging = store.abs(STAGING);
        if std::fs::symlink_metadata(&staging).is_ok() {
            std::fs::remove_dir_all(&staging).with_context(|| {
                format!(
                    "removing the staging directory of an earlier pull {}",
                    staging.display()
                )
            })?;
        }
        let ids: Vec<LayerId> = need
            .iter()
            .map(|l| self.id(l, base_key, build_key))
            .collect::<Result<_>>()?;
        let (host, remote, traffic) = (self.host, &self.remote, &self.traffic);
        let progress = self.progress;
        bounded(&self.rt, remote, "pulling", async {
            let mut manifests = Vec::new();
            for id in &ids {
                match fetch_manifest(host, remote, id, traffic).await? {
                    Some(m) => manifests.push(m),
                    None => {
                        say(format!(
                            "remote: no {} layer for these keys (epoch {})",
                            id.layer, id.epoch
                        ));
                        return Ok(false);
                    }
                }
            }
            std::fs::create_dir(&staging)
                .with_context(|| format!("creating {}", staging.display()))?;
            for (id, m) in ids.iter().zip(&manifests) {
                let bar = bar(progress, &format!("pulling the {} layer", id.layer));
                let root = staging.join(&id.layer);
                std::fs::create_dir(&root)?;
                pull_layer(host, remote, traffic, m, &root, &bar).await?;
                bar.finish_and_clear();
            }
            Ok(true)
        })
    }

    /// Pushes the layers that did not come from the remote.
    pub fn push(
        &mut self,
        store: &Store,
        skip: &[&'static str],
        base_key: &str,
        build_key: &str,
        say: &dyn Fn(String),
    ) {
        for (layer, dir) in [("base", HOME), ("build", CACHE)] {
            if skip.contains(&layer) {
                continue;
            }
            let id = match self.id(layer, base_key, build_key) {
                Ok(id) => id,
                Err(e) => return self.warn(say, format!("{e:#}")),
            };
            let (host, remote, traffic) = (self.host, &self.remote, &self.traffic);
            let bar = bar(self.progress, &format!("pushing the {layer} layer"));
            let path = store.abs(dir);
            let r: Result<Pushed> = bounded(&self.rt, remote, "pushing", async {
                push_layer(host, remote, traffic, &path, &id, now_ms(), &bar).await
            });
            bar.finish_and_clear();
            match r {
                Ok(p) if p.published => {
                    say(format!(
                        "remote: published the {layer} layer ({} files, {} new blobs, {} already on the remote)",
                        p.files, p.new_blobs, p.reused_blobs
                    ));
                    for l in &p.left_out {
                        say(format!("remote: left out {l}"));
                    }
                    self.summary.published.push(layer);
                }
                Ok(_) => say(format!("remote: the {layer} layer is already there")),
                Err(e) => {
                    self.warn(
                        say,
                        format!("pushing the {layer} layer: {e:#}; the build is kept locally"),
                    );
                    // The remote is failing: do not wait for it again.
                    break;
                }
            }
        }
    }

    pub fn finish(mut self) -> RemoteSummary {
        self.summary.transfer = self.traffic.summary();
        self.summary
    }
}

/// A progress bar over packs on a terminal, else hidden.
pub fn bar(on: bool, what: &str) -> indicatif::ProgressBar {
    if !on {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} packs ({elapsed})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Renames the verified staged layers into the store. The record goes
/// first: if this is interrupted, the store has no record and the next
/// build is cold (it rebuilds both layers), never a mix of old record and
/// new layers.
fn install(store: &Store, layers: &[&'static str]) -> Result<()> {
    journal::to_trash(&store.dir, RECORD)?;
    crate::store::record_io::sync_dir(&store.dir);
    for l in layers {
        let target = if *l == "base" { HOME } else { CACHE };
        journal::to_trash(&store.dir, target)?;
        crate::filesystem::rename(
            &store.dir,
            &Path::new(STAGING).join(l),
            &store.dir,
            Path::new(target),
        )?;
    }
    crate::store::record_io::sync_dir(&store.dir);
    Ok(())
}
