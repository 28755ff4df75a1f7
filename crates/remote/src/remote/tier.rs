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
use serde::Serialize;
use std::future::Future;
use std::path::Path;

use super::config::{Remote, RemoteArgs};
use super::pull::{LayerId, LayerSpec, fetch_manifest, pull_layer};
use super::push::{Pushed, push_layer};
use super::{Traffic, TrafficSummary};
use super::{epoch_memory, epochs, locks, quarantine};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_contract::layer::Layer;
use zerops_cache_store::store::Store;
use zerops_cache_store::store::journal;
use zerops_cache_store::store::layout::{CACHE, HOME, RECORD};

/// The staging directory of a pull, inside the store (one filesystem); the
/// store names it, as it removes what an interrupted pull left.
pub(crate) const STAGING: &str = zerops_cache_store::store::layout::REMOTE_STAGING;

/// The `remote` part of the build summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemoteSummary {
    pub(crate) url: String,
    /// False when the remote was configured but not used (see warnings).
    pub(crate) enabled: bool,
    pub(crate) epoch: Option<u64>,
    /// Layers pulled from the remote.
    pub(crate) pulled: Vec<Layer>,
    /// Layers whose manifest this build published.
    pub(crate) published: Vec<Layer>,
    /// Bytes and objects transferred (up: pushed, down: pulled).
    pub(crate) transfer: TrafficSummary,
    pub warnings: Vec<String>,
}

pub struct Tier<'a> {
    host: &'a PolicyHost,
    pub(crate) remote: Remote,
    project: String,
    setup: String,
    image: String,
    epoch: u64,
    traffic: Traffic,
    rt: tokio::runtime::Runtime,
    progress: bool,
    pub(crate) summary: RemoteSummary,
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
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

/// While it lives, SIGPIPE is ignored: a peer that closes a connection
/// while this process writes to it (an S3 endpoint dying mid-PUT) is an
/// EPIPE error of that request, never the death of the process. main.rs
/// restores the default disposition for everything else (`| head`), and
/// build commands inherit the default, so the guard is held only while the
/// remote is spoken to.
pub(crate) struct NoSigpipe(libc::sighandler_t);

impl NoSigpipe {
    pub(crate) fn new() -> NoSigpipe {
        // SAFETY: signal(2) swaps one disposition; no handler runs Rust code.
        NoSigpipe(unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) })
    }
}

impl Default for NoSigpipe {
    fn default() -> Self {
        NoSigpipe::new()
    }
}

impl Drop for NoSigpipe {
    fn drop(&mut self) {
        // SAFETY: as above; puts back what was there.
        unsafe {
            libc::signal(libc::SIGPIPE, self.0);
        }
    }
}

/// Runs `f` on `rt` with SIGPIPE ignored (see [`NoSigpipe`]).
pub(crate) fn network<T>(rt: &tokio::runtime::Runtime, f: impl Future<Output = T>) -> T {
    let _guard = NoSigpipe::new();
    rt.block_on(f)
}

/// Runs `f` within the remote's total time budget.
pub(crate) fn bounded<T>(
    rt: &tokio::runtime::Runtime,
    remote: &Remote,
    what: &str,
    f: impl Future<Output = Result<T>>,
) -> Result<T> {
    let limit = remote.timeout;
    network(rt, async {
        match tokio::time::timeout(limit, f).await {
            Ok(r) => r,
            Err(_) => Err(anyhow!(
                "{what}: no answer within --remote-timeout {}",
                humantime::format_duration(limit)
            )),
        }
    })
}

/// `invalidate` / `activate`: raises the remote epoch when a remote is
/// configured (above every epoch this store saw), and remembers it.
/// `Ok(None)` when none is.
pub fn invalidate(
    host: &PolicyHost,
    args: &RemoteArgs,
    store: &Store,
    project: &str,
    setup: &str,
    reason: &str,
) -> Result<Option<u64>> {
    let Some(remote) = args.open(host)? else {
        return Ok(None);
    };
    let rt = runtime()?;
    let seen = epoch_memory::known(store, &remote.url).seen;
    let n = bounded(
        &rt,
        &remote,
        "raising the remote epoch",
        epochs::raise(host, &remote, project, setup, seen, reason),
    )?;
    epoch_memory::saw(store, &remote.url, n)?;
    Ok(Some(n))
}

/// The epoch under which this store's layers are judged: the remote's
/// when the tier is on, else the highest this store saw of the configured
/// remote; `None` without a remote.
fn floor(args: &RemoteArgs, tier: Option<&Tier>, store: &Store) -> Option<(String, u64)> {
    let url = args.remote.clone().filter(|u| !u.is_empty())?;
    let seen = epoch_memory::known(store, &url).seen.unwrap_or(0);
    Some((url, tier.map_or(seen, |t| t.epoch.max(seen))))
}

/// Why local layers that would be reused are older than the current epoch
/// (another builder ran `invalidate` or `activate`): they must be rebuilt,
/// never reused nor published. `reuse`: whether base and build would be.
pub fn stale_layers(
    host: &PolicyHost,
    args: &RemoteArgs,
    tier: Option<&Tier>,
    store: &Store,
    keys: [&str; 2],
    reuse: [bool; 2],
) -> Result<Option<String>> {
    let Some((url, floor)) = floor(args, tier, store) else {
        return Ok(None);
    };
    let known = epoch_memory::known(store, &url);
    let mut stale = Vec::new();
    for ((layer, key), reused) in Layer::ALL.into_iter().zip(keys).zip(reuse) {
        let built_in = known.layer(layer, key);
        if reused && !host.layer_current(built_in, floor)? {
            stale.push(match built_in {
                Some(e) => format!("the local {layer} layer is of epoch {e}"),
                None => format!("the local {layer} layer is of no known epoch"),
            });
        }
    }
    Ok((!stale.is_empty()).then(|| {
        format!(
            "{} but the remote's epoch is {floor} (invalidated elsewhere)",
            stale.join(", ")
        )
    }))
}

/// Invalidates the local layers (a manual-invalidation event in the
/// record, as `invalidate` writes): the build rebuilds both.
pub fn invalidate_local(host: &PolicyHost, store: &Store, record: Option<&str>) -> Result<()> {
    let Some(record) = record else { return Ok(()) };
    let e = zerops_cache_contract::record::Event::ManualInvalidation {
        at: zerops_cache_base::clock::stamp()?,
    };
    match host.record_add_event(record, &e)? {
        Ok(r) => zerops_cache_store::store::record_io::write_record(&store.dir, &r),
        // A record that takes no event goes: the build is cold.
        Err(_) => journal::to_trash(&store.dir, RECORD),
    }
}

/// Remembers that the `fresh` layers (rebuilt or pulled by this command)
/// are of the current epoch.
pub fn remember(
    args: &RemoteArgs,
    tier: Option<&Tier>,
    store: &Store,
    keys: [&str; 2],
    fresh: &[Layer],
) -> Result<()> {
    let Some((url, floor)) = floor(args, tier, store) else {
        return Ok(());
    };
    epoch_memory::update(store, &url, |k| {
        for (layer, key) in Layer::ALL.into_iter().zip(keys) {
            if fresh.contains(&layer) {
                k.layers.insert(
                    layer.name().to_string(),
                    epoch_memory::LayerEpoch {
                        key: key.to_string(),
                        epoch: floor,
                    },
                );
            }
        }
        k.seen = Some(k.seen.unwrap_or(0).max(floor));
    })
}

/// What a build (or `remote push|pull`) starts the tier with.
#[derive(Clone, Copy)]
pub struct Start<'s> {
    pub args: &'s RemoteArgs,
    pub identity: &'s zerops_cache_component::component::remote::wit::Identity,
    pub setup: &'s str,
    pub image: &'s str,
    /// Show progress bars.
    pub progress: bool,
    /// Where warnings go (stderr, or the JSON summary's stream).
    pub say: &'s dyn Fn(String),
    pub store: &'s Store,
}

impl<'a> Tier<'a> {
    /// The tier for a build, or `None` (with the summary saying why) when
    /// no remote is configured or it cannot be used now.
    pub fn start(
        host: &'a PolicyHost,
        with: &Start<'_>,
    ) -> (Option<Tier<'a>>, Option<RemoteSummary>) {
        let Start {
            args,
            identity,
            setup,
            image,
            progress,
            say,
            store,
        } = *with;
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
        let seen = epoch_memory::known(store, &remote.url).seen;
        let epoch = bounded(
            &rt,
            &remote,
            "reading the epoch",
            epochs::current(host, &remote, &identity.slug, setup, seen),
        );
        let epoch = match epoch {
            Ok(n) => n,
            Err(e) => return off(format!("{e:#}"), summary),
        };
        if seen.is_none_or(|s| epoch > s)
            && let Err(e) = epoch_memory::saw(store, &remote.url, epoch)
        {
            return off(format!("remembering epoch {epoch}: {e:#}"), summary);
        }
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

    fn id(&self, layer: Layer, base_key: &str, build_key: &str) -> Result<LayerId> {
        let spec = LayerSpec {
            project: &self.project,
            setup: &self.setup,
            epoch: self.epoch,
            layer,
            image: &self.image,
            base_key,
            build_key,
        };
        LayerId::new(self.host, spec)
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
        need: &[Layer],
        base_key: &str,
        build_key: &str,
        write_record: &dyn Fn() -> Result<()>,
        say: &dyn Fn(String),
    ) -> Vec<Layer> {
        if need.is_empty() {
            return Vec::new();
        }
        let staging = store.abs(STAGING);
        let r = self.pull_into(store, need, base_key, build_key, say);
        // A failed or timed-out pull leaves blocking writers behind (their
        // futures were dropped, not their threads): they stop at their next
        // blob, and the staging directory goes once they did.
        super::pull::WRITERS.cancel_and_wait();
        let r = r.and_then(|found| {
            if !found {
                return Ok(false);
            }
            install(store, need).and_then(|()| write_record())?;
            Ok(true)
        });
        let _ = std::fs::remove_dir_all(&staging);
        super::pull::WRITERS.reset();
        match r {
            Ok(true) => {
                let t = self.traffic.summary();
                say(format!(
                    "remote: pulled the {} layer{} ({} bytes in {} objects)",
                    need.iter()
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(" and "),
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
                if let Some(bad) = e.downcast_ref::<quarantine::Bad>() {
                    let (host, remote) = (self.host, &self.remote);
                    match bounded(
                        &self.rt,
                        remote,
                        "noting the refusal",
                        quarantine::record(host, remote, bad),
                    ) {
                        Ok(done) => done.into_iter().for_each(|d| say(format!("remote: {d}"))),
                        Err(e) => say(format!(
                            "remote: could not note the refusal on the remote: {e:#}"
                        )),
                    }
                }
                Vec::new()
            }
        }
    }

    /// Fetches and verifies into the staging directory; false when the
    /// remote lacks a needed layer.
    fn pull_into(
        &mut self,
        store: &Store,
        need: &[Layer],
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
            .map(|l| self.id(*l, base_key, build_key))
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
                let root = staging.join(id.layer.name());
                std::fs::create_dir(&root)?;
                pull_layer(host, remote, traffic, m, &root, &bar)
                    .await
                    .map_err(|e| {
                        quarantine::of_manifest(e, &id.manifest_name(host).unwrap_or_default())
                    })?;
                bar.finish_and_clear();
            }
            Ok(true)
        })
    }

    /// Pushes the layers that did not come from the remote.
    pub fn push(
        &mut self,
        store: &Store,
        skip: &[Layer],
        base_key: &str,
        build_key: &str,
        say: &dyn Fn(String),
    ) {
        if self.remote.publish_alg.is_none() {
            say(
                "remote: this builder holds public keys only: it reads and does not publish".into(),
            );
            return;
        }
        for (layer, dir) in [(Layer::Base, HOME), (Layer::Build, CACHE)] {
            if skip.contains(&layer) {
                continue;
            }
            let key = match layer {
                Layer::Base => base_key,
                Layer::Build => build_key,
            };
            match self.of_current_epoch(store, layer, key, say) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return self.warn(say, format!("{e:#}")),
            }
            let id = match self.id(layer, base_key, build_key) {
                Ok(id) => id,
                Err(e) => return self.warn(say, format!("{e:#}")),
            };
            match self.push_one(store, layer, &id, dir) {
                Ok(p) => self.say_pushed(layer, &p, say),
                Err(e) => {
                    self.push_failed(layer, &e, say);
                    // The remote is failing: do not wait for it again.
                    break;
                }
            }
        }
    }

    /// Whether the local `layer` (of key `key`) was built in the remote's
    /// current epoch; says why not when it was not.
    fn of_current_epoch(
        &self,
        store: &Store,
        layer: Layer,
        key: &str,
        say: &dyn Fn(String),
    ) -> Result<bool> {
        let built_in = epoch_memory::known(store, &self.remote.url).layer(layer, key);
        let current = self.host.layer_current(built_in, self.epoch)?;
        if !current {
            say(format!(
                "remote: not publishing the {layer} layer: it is of epoch {}, older than the remote's {}",
                built_in.map_or("unknown".to_string(), |e| e.to_string()),
                self.epoch
            ));
        }
        Ok(current)
    }

    /// Publishes the store's directory `dir` as `layer`, named `id`.
    fn push_one(&self, store: &Store, layer: Layer, id: &LayerId, dir: &str) -> Result<Pushed> {
        let (host, remote, traffic) = (self.host, &self.remote, &self.traffic);
        let bar = bar(self.progress, &format!("pushing the {layer} layer"));
        let path = store.abs(dir);
        let r = bounded(&self.rt, remote, "pushing", async {
            push_layer(host, remote, traffic, &path, id, now_ms(), &bar).await
        });
        bar.finish_and_clear();
        r
    }

    /// Says what a push of `layer` did.
    fn say_pushed(&mut self, layer: Layer, p: &Pushed, say: &dyn Fn(String)) {
        if !p.published {
            return say(format!("remote: the {layer} layer is already there"));
        }
        say(format!(
            "remote: published the {layer} layer ({}, {}, {} already on the remote)",
            zerops_cache_base::render::count(p.files as u64, "file", "files"),
            zerops_cache_base::render::count(p.new_blobs as u64, "new blob", "new blobs"),
            p.reused_blobs
        ));
        for l in &p.left_out {
            say(format!("remote: left out {l}"));
        }
        if let Some(n) = &p.index_note {
            say(format!(
                "remote: the index was not updated ({n}); `remote ls` reads this manifest whole"
            ));
        }
        self.summary.published.push(layer);
    }

    /// A push of `layer` failed: warns, and removes the lock a publish cut
    /// short leaves.
    fn push_failed(&mut self, layer: Layer, e: &anyhow::Error, say: &dyn Fn(String)) {
        self.warn(
            say,
            format!("pushing the {layer} layer: {e:#}; the build is kept locally"),
        );
        let remote = &self.remote;
        let _ = network(&self.rt, async {
            tokio::time::timeout(
                std::time::Duration::from_secs(2),
                locks::release_all(remote),
            )
            .await
        });
    }

    pub fn finish(mut self) -> RemoteSummary {
        self.summary.transfer = self.traffic.summary();
        self.summary
    }
}

/// A progress bar over packs on a terminal, else hidden.
pub(crate) fn bar(on: bool, what: &str) -> indicatif::ProgressBar {
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
fn install(store: &Store, layers: &[Layer]) -> Result<()> {
    journal::to_trash(&store.dir, RECORD)?;
    zerops_cache_store::store::record_io::sync_dir(&store.dir);
    for l in layers {
        let target = match l {
            Layer::Base => HOME,
            Layer::Build => CACHE,
        };
        journal::to_trash(&store.dir, target)?;
        zerops_cache_base::filesystem::rename(
            &store.dir,
            &Path::new(STAGING).join(l.name()),
            &store.dir,
            Path::new(target),
        )?;
    }
    zerops_cache_store::store::record_io::sync_dir(&store.dir);
    Ok(())
}

#[cfg(test)]
mod sigpipe_tests {
    use super::*;

    fn disposition() -> libc::sighandler_t {
        // SAFETY: reads the disposition by swapping it and putting it back.
        unsafe {
            let old = libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::signal(libc::SIGPIPE, old);
            old
        }
    }

    #[test]
    fn sigpipe_is_ignored_while_the_remote_is_spoken_to_and_only_then() {
        // As main.rs leaves it for every command.
        // SAFETY: sets one disposition.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let rt = runtime().unwrap();
        let inside = network(&rt, async { disposition() });
        assert_eq!(inside, libc::SIG_IGN);
        // Build commands started after it inherit the default again.
        assert_eq!(disposition(), libc::SIG_DFL);
    }
}
