//! Pulling an image from a registry (OCI distribution API, through
//! `oci-client`): the manifest of this host's platform (a multi-arch index
//! is resolved by `oci-client`'s platform resolver), then every layer not
//! yet in the store, concurrently, each checked against its digest while it
//! downloads (`oci-client` refuses a blob whose bytes do not hash to it)
//! and unpacked only then, into `tmp/`, and renamed into `layers/` whole.
//!
//! Credentials: [`super::auth`]; anonymous otherwise (Docker Hub's bearer
//! token flow included). Plain HTTP only for a loopback registry, as
//! Docker does, or one listed in `ZEROPS_CACHE_INSECURE_REGISTRIES`
//! (comma-separated `host[:port]`).

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context as Cx, Poll};

use super::store::{ImageMeta, ImageStore, Layer, hex};

pub(crate) const ENV_INSECURE: &str = "ZEROPS_CACHE_INSECURE_REGISTRIES";

/// How many layers download at once.
const CONCURRENT: usize = 4;

/// Whether `registry` (`host[:port]`) may be spoken to over plain HTTP.
pub(crate) fn insecure(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback
        || std::env::var(ENV_INSECURE).is_ok_and(|v| {
            v.split([',', ' '])
                .map(str::trim)
                .any(|r| !r.is_empty() && r == registry)
        })
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    format!("linux/{arch}")
}

/// A writer that counts into a progress bar.
struct Counting<W> {
    inner: W,
    bar: ProgressBar,
}

impl<W: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counting<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Cx<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.bar.inc(*n as u64);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Cx<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Cx<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn bar(multi: &MultiProgress, on: bool, l: &Layer) -> ProgressBar {
    if !on {
        return ProgressBar::hidden();
    }
    let pb = multi.add(ProgressBar::new(l.size));
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ({elapsed})",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(format!("layer {}", &hex(&l.digest)[..12]));
    pb
}

/// What a pull fetched.
pub(crate) struct Pulled {
    pub(crate) meta: ImageMeta,
    /// Layers downloaded (the others were in the store).
    pub(crate) fetched: usize,
    pub(crate) bytes: u64,
}

/// What to pull. `reference` is canonical
/// (`registry/repository[:tag][@digest]`); `registry` is its registry and
/// `name` the reference without its digest; `now` is stamped on the image.
pub(crate) struct Request<'a> {
    pub(crate) reference: &'a str,
    pub(crate) registry: &'a str,
    pub(crate) name: &'a str,
    pub(crate) progress: bool,
    pub(crate) now: &'a str,
}

/// Asks the registry what `req.reference` names now, and fetches what the
/// store lacks of it. The caller holds the store's lock.
pub(crate) fn pull(store: &ImageStore, req: &Request) -> Result<Pulled> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(pull_async(store, req))
}

async fn pull_async(store: &ImageStore, req: &Request<'_>) -> Result<Pulled> {
    let reference = req.reference;
    let r: Reference = reference.parse().map_err(|e| anyhow!("{reference}: {e}"))?;
    let client = client_for(req.registry, &r);
    let auth = match super::auth::credentials(req.registry)? {
        Some((u, p, _)) => RegistryAuth::Basic(u, p),
        None => RegistryAuth::Anonymous,
    };
    let (manifest, manifest_digest, config, list_digest) = client
        .pull_manifest_and_config_and_list_digest(&r, &auth)
        .await
        .map_err(|e| registry_error(reference, req.registry, &e.to_string()))?;
    let digest = match &r.digest() {
        Some(d) => d.to_string(),
        None => list_digest.unwrap_or_else(|| manifest_digest.clone()),
    };
    let (platform, env) = read_config(reference, &config)?;
    let layers = layers_of(reference, &manifest)?;
    let missing = missing(store, &layers);
    let meta = ImageMeta {
        reference: req.name.to_string(),
        digest,
        manifest: manifest_digest,
        platform,
        layers,
        env,
        pulled_at: req.now.to_string(),
    };
    let fetched = missing.len();
    let bytes: u64 = missing.iter().map(|l| l.size).sum();
    let tmp = store.tmp();
    std::fs::create_dir_all(&tmp)?;
    let fetch = Fetch {
        client: &client,
        image: &r,
        reference,
        multi: MultiProgress::new(),
        progress: req.progress,
        owners: zerops_cache_sandbox::sandbox::namespaces::is_root(),
        tmp,
    };
    let results: Vec<Result<()>> = futures::stream::iter(
        missing
            .into_iter()
            .map(|l| fetch.layer(store.layer_dir(&l.digest), l)),
    )
    .buffer_unordered(CONCURRENT)
    .collect()
    .await;
    for r in results {
        r?;
    }
    store.set_meta(&meta)?;
    Ok(Pulled {
        meta,
        fetched,
        bytes,
    })
}

/// A client for `registry`: HTTPS, or plain HTTP where [`insecure`] allows;
/// this host's platform out of a multi-arch index.
fn client_for(registry: &str, r: &Reference) -> Client {
    let mut protocol = ClientProtocol::Https;
    if insecure(registry) {
        protocol = ClientProtocol::HttpsExcept(vec![r.resolve_registry().to_string()]);
    }
    Client::new(ClientConfig {
        protocol,
        platform_resolver: Some(Box::new(oci_client::client::current_platform_resolver)),
        max_concurrent_download: CONCURRENT,
        connect_timeout: Some(std::time::Duration::from_secs(30)),
        read_timeout: Some(std::time::Duration::from_secs(120)),
        ..Default::default()
    })
}

/// The image config's platform (refused when it is not this machine's)
/// and environment.
fn read_config(reference: &str, config: &str) -> Result<(String, Vec<String>)> {
    let cfg: serde_json::Value = serde_json::from_str(config)
        .with_context(|| format!("{reference}: the image's config is not JSON"))?;
    let arch = cfg["architecture"].as_str().unwrap_or("");
    let want = platform();
    if !arch.is_empty() && !want.ends_with(&format!("/{arch}")) {
        anyhow::bail!(
            "{reference} is an image for {arch}; this machine runs {want} (name an image for {want}, or a multi-arch one)"
        );
    }
    let env: Vec<String> = cfg["config"]["Env"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok((want, env))
}

/// The manifest's layers, each with a sha256 digest.
fn layers_of(
    reference: &str,
    manifest: &oci_client::manifest::OciImageManifest,
) -> Result<Vec<Layer>> {
    let layers: Vec<Layer> = manifest
        .layers
        .iter()
        .map(|l| Layer {
            digest: l.digest.clone(),
            size: l.size.max(0) as u64,
            media_type: l.media_type.clone(),
        })
        .collect();
    for l in &layers {
        if !l.digest.starts_with("sha256:") || hex(&l.digest).len() != 64 {
            anyhow::bail!("{reference}: layer {} is not a sha256 digest", l.digest);
        }
    }
    Ok(layers)
}

/// The layers the store lacks, each once.
fn missing(store: &ImageStore, layers: &[Layer]) -> Vec<Layer> {
    let mut seen = std::collections::BTreeSet::new();
    layers
        .iter()
        .filter(|l| seen.insert(l.digest.clone()) && !store.layer_dir(&l.digest).is_dir())
        .cloned()
        .collect()
}

/// What fetching a layer needs, shared by the concurrent fetches.
struct Fetch<'a> {
    client: &'a Client,
    image: &'a Reference,
    /// The canonical reference, for errors.
    reference: &'a str,
    multi: MultiProgress,
    progress: bool,
    /// Whether unpacking keeps the layer's owners (running as root).
    owners: bool,
    tmp: PathBuf,
}

impl Fetch<'_> {
    /// Downloads layer `l` into `tmp/` (checked against its digest while it
    /// downloads), then unpacks it and moves it to `target`.
    async fn layer(&self, target: PathBuf, l: Layer) -> Result<()> {
        let blob = self.tmp.join(format!("{}.blob", hex(&l.digest)));
        let pb = bar(&self.multi, self.progress, &l);
        let desc = OciDescriptor {
            media_type: l.media_type.clone(),
            digest: l.digest.clone(),
            size: l.size as i64,
            ..Default::default()
        };
        let file = tokio::fs::File::create(&blob)
            .await
            .with_context(|| format!("creating {}", blob.display()))?;
        let out = Counting {
            inner: file,
            bar: pb.clone(),
        };
        if let Err(e) = self.client.pull_blob(self.image, &desc, out).await {
            let _ = std::fs::remove_file(&blob);
            pb.finish_and_clear();
            return Err(blob_error(self.reference, &l.digest, &e.to_string()));
        }
        pb.finish_and_clear();
        let dir = self.tmp.join(format!("{}.dir", hex(&l.digest)));
        let owners = self.owners;
        tokio::task::spawn_blocking(move || unpack_into(&blob, &dir, &target, owners, &l.digest))
            .await
            .map_err(|e| anyhow!("unpacking a layer: {e}"))?
    }
}

/// Unpacks a verified blob into `dir`, then renames it to `target`: a
/// layer is in place whole or not at all.
fn unpack_into(
    blob: &Path,
    dir: &PathBuf,
    target: &Path,
    owners: bool,
    digest: &str,
) -> Result<()> {
    if dir.exists() {
        zerops_cache_sandbox::sandbox::clear_scratch(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let mut stats = super::unpack::unpack(blob, dir, owners)?;
    let caps = std::mem::take(&mut stats.file_caps);
    if !caps.is_empty() {
        let n = caps.len() as u64;
        let paths: Vec<String> = caps.iter().map(|(p, _)| p.display().to_string()).collect();
        let failed = match zerops_cache_sandbox::sandbox::filecaps::set_in_namespace(caps) {
            Ok(f) => f,
            Err(e) => paths.iter().map(|p| format!("{p}: {e}")).collect(),
        };
        stats.xattrs += n - failed.len() as u64;
        stats.xattrs_lost += failed.len() as u64;
        let inside = format!("{}/", dir.display());
        for f in failed {
            stats
                .lost
                .push(format!("security.capability of {}", f.replace(&inside, "")));
        }
    }
    if stats.refused > 0 {
        eprintln!(
            "zerops-cache: layer {digest}: {} entr{} left out: {}",
            stats.refused,
            if stats.refused == 1 { "y" } else { "ies" },
            stats.reasons.join("; ")
        );
    }
    if stats.xattrs_lost > 0 {
        eprintln!(
            "zerops-cache: layer {digest}: {} extended attribute(s) not kept: {}",
            stats.xattrs_lost,
            stats.lost.join("; ")
        );
    }
    let _ = std::fs::remove_file(blob);
    if let Some(p) = target.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::rename(dir, target)
        .with_context(|| format!("moving the layer into {}", target.display()))?;
    Ok(())
}

fn registry_error(reference: &str, registry: &str, e: &str) -> anyhow::Error {
    let low = e.to_lowercase();
    let hint = if e.contains("401") || low.contains("authoriz") || low.contains("denied") {
        format!(
            " (the registry wants credentials: `docker login {registry}` or `podman login {registry}` writes them where zerops-cache reads them, or set REGISTRY_AUTH_FILE)"
        )
    } else if e.contains("error sending request") || e.contains("connect") || e.contains("dns") {
        " (is the registry reachable? an image already pulled builds offline: `--pull missing` or `never`)".into()
    } else {
        String::new()
    };
    anyhow!("pulling {reference}: {e}{hint}")
}

fn blob_error(reference: &str, digest: &str, e: &str) -> anyhow::Error {
    if e.to_lowercase().contains("digest") {
        anyhow!(
            "pulling {reference}: layer {digest}: the bytes the registry sent do not hash to the layer's digest ({e}); refused, nothing of it is used"
        )
    } else {
        anyhow!("pulling {reference}: layer {digest}: {e}")
    }
}
