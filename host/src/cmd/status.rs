//! `zerops-cache status`: the layers of a setup's store, their keys and
//! sizes, the last build, and whether the next build would reuse them and
//! why.

use anyhow::Result;
use serde::Serialize;
use std::path::Path;
use zerops_cache_contract::layer::Layer;

use super::Format;
use super::json::JsonDiagnostic;
use super::project::{Project, StoreArgs};
use zerops_cache_base::exit::Exit;
use zerops_cache_base::filesystem;
use zerops_cache_sandbox::sandbox::{SandboxArgs, rootfs};
use zerops_cache_store::phases::versions;
use zerops_cache_store::store::layout::{CACHE, HOME};
use zerops_cache_store::store::record_io::read_record;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The next build's isolation and image (the decision depends on them).
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct LayerStatus {
    entries: u64,
    bytes: u64,
    /// The key the layer was built with (none before the first build).
    key: Option<String>,
    /// The key the current config gives.
    current_key: String,
    next_build: &'static str,
    reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StatusOut<'a> {
    setup: String,
    store: String,
    last_build: Option<String>,
    /// Where the last build ran (`container`, `none`), and on what image;
    /// none before the first build or for a record that does not say.
    last_isolation: Option<&'static str>,
    last_image: Option<String>,
    /// Where the next build runs (from --isolation), and on what image.
    isolation: &'static str,
    image: String,
    /// The build image: its reference, where the choice came from, and
    /// whether it is in the image store (pulled and host images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    image_source: Option<String>,
    layers: std::collections::BTreeMap<Layer, LayerStatus>,
    versions: Vec<u32>,
    active_version: Option<u32>,
    /// The next build refuses the file: `lint` reports errors in it.
    build_refuses: bool,
    /// lint's errors and warnings of the file, and of its `.deployignore`.
    findings: Vec<JsonDiagnostic<'a>>,
    deployignore_findings: Vec<JsonDiagnostic<'a>>,
}

pub fn run(args: StatusArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Status),
    )?;
    let judged = project
        .verdict
        .clone()
        .ok_or_else(|| anyhow::anyhow!("status asked for no verdict"))?;
    let verdict = &judged.verdict;
    // A store that does not exist yet is not created by looking at it.
    let store = project.existing_store(&args.store, "status")?;
    let record = match &store {
        Some(s) => read_record(s)?,
        None => None,
    };
    let store_path = match &store {
        Some(s) => s.path.clone(),
        None => project.store_path(&args.store)?,
    };
    let image = crate::cmd::image_choice::resolve(
        &args.sandbox,
        &project,
        crate::cmd::image_choice::Access::Look,
    )?;
    let d = project
        .host
        .decide_in_image(
            &project.source,
            project.setup(),
            record.as_deref(),
            &image.id,
        )?
        .map_err(|d| {
            let shown = project.config_path.display().to_string();
            zerops_cache_base::diagnostic::DiagnosticError::in_file(d, shown, &project.source)
        })?;
    let (last_build, last_image, last_isolation) = last_build(&project, record.as_deref())?;
    let usage = |rel: &str| {
        store
            .as_ref()
            .and_then(|s| filesystem::usage(&s.dir, Path::new(rel)).ok())
            .unwrap_or((0, 0))
    };
    let layers = layer_statuses(&d, usage);
    let out = StatusOut {
        setup: project.build.setup.clone(),
        store: store_path.display().to_string(),
        last_build,
        last_isolation,
        last_image,
        isolation: args.sandbox.isolation.name(),
        image: image.id.clone(),
        image_source: image.about.clone(),
        layers,
        versions: match &store {
            Some(s) => versions::list_versions(&s.dir)?,
            None => Vec::new(),
        },
        active_version: store.as_ref().and_then(|s| versions::active(&s.dir)),
        build_refuses: verdict.build_refuses,
        findings: verdict.findings.iter().map(JsonDiagnostic::from).collect(),
        deployignore_findings: verdict
            .deployignore
            .iter()
            .map(JsonDiagnostic::from)
            .collect(),
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&out)?),
        Format::Human => print_human(&out, &judged),
    }
    Ok(Exit::Ok)
}

/// The status for a terminal, with the file's findings when the platform
/// would reject it.
fn print_human(out: &StatusOut<'_>, judged: &zerops_cache_base::diagnostic::FileVerdict) {
    let verdict = &judged.verdict;
    println!("setup `{}`, store {}", out.setup, out.store);
    println!(
        "  last build: {}",
        out.last_build.as_deref().unwrap_or("never")
    );
    match (out.last_isolation, &out.last_image) {
        // The image of a host-mode build says "none (host, no container)".
        (Some("none"), _) => println!("  last build ran with isolation none (on the host)"),
        (Some(i), Some(img)) => println!("  last build ran with isolation {i} ({img})"),
        _ => {}
    }
    if out.isolation == "none" {
        println!("  next build: isolation none (on the host)");
    } else {
        println!("  next build: isolation {} ({})", out.isolation, out.image);
    }
    if let Some(src) = &out.image_source {
        println!("  image: {src}");
    }
    for (name, l) in &out.layers {
        println!(
            "  {name} layer: {} entries, {} bytes; next build: {}{}",
            l.entries,
            l.bytes,
            l.next_build,
            if l.reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.reasons.join("; "))
            }
        );
        println!("    key {}", l.key.as_deref().unwrap_or("(none yet)"));
    }
    println!(
        "  versions: {:?}, active: {}",
        out.versions,
        out.active_version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "none".into())
    );
    if !verdict.findings.is_empty() || !verdict.deployignore.is_empty() {
        use std::io::IsTerminal;
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        println!();
        print!("{}", judged.render_findings(color));
    }
    if verdict.build_refuses {
        println!(
            "the next build will refuse: {} has {} that the platform rejects (`zerops-cache lint` shows the same)",
            judged.config,
            judged.errors_shown()
        );
    }
}

/// Each layer's size in the store (`usage` of its directory: entries,
/// bytes), keys and what the next build does with it.
fn layer_statuses(
    d: &zerops_cache_contract::decide::Decision,
    usage: impl Fn(&str) -> (u64, u64),
) -> std::collections::BTreeMap<Layer, LayerStatus> {
    let (he, hb) = usage(HOME);
    let (ce, cb) = usage(CACHE);
    let mut layers = std::collections::BTreeMap::new();
    layers.insert(
        Layer::Base,
        LayerStatus {
            entries: he.saturating_sub(1),
            bytes: hb,
            key: d.previous_keys.as_ref().map(|k| k.base.clone()),
            current_key: d.keys.base.clone(),
            next_build: d.base_action().as_str(),
            reasons: d.base.reasons.iter().map(|r| r.message.clone()).collect(),
        },
    );
    layers.insert(
        Layer::Build,
        LayerStatus {
            entries: ce.saturating_sub(1),
            bytes: cb,
            key: d.previous_keys.as_ref().map(|k| k.build.clone()),
            current_key: d.keys.build.clone(),
            next_build: d.build_action().as_str(),
            reasons: d.build.reasons.iter().map(|r| r.message.clone()).collect(),
        },
    );
    layers
}

/// When the last build ran, on which image, with which isolation. What the
/// record says is the component's to read; an unreadable record has no
/// last build (the decision says why).
fn last_build(
    project: &Project,
    record: Option<&str>,
) -> Result<(Option<String>, Option<String>, Option<&'static str>)> {
    let last = match record {
        Some(r) => project.host.describe_record(r)?.ok(),
        None => None,
    };
    let built_at = last.as_ref().map(|r| r.built_at.clone());
    let image = last.and_then(|r| r.image);
    let isolation = image.as_deref().map(|i| {
        if i == rootfs::NO_CONTAINER {
            "none"
        } else {
            "container"
        }
    });
    Ok((built_at, image, isolation))
}
