//! `zerops-cache advise`: what the cache of a setup will hold after a build,
//! which layer holds each part, and what each part saves. Sizes come from
//! the setup's store when one exists. The store is only read: not locked,
//! not created, never changed (sizes taken during a build may be mid-move).

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use indicatif::HumanBytes;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::Path;
use zerops_cache_contract::advise::{Layer, Report, StoreFacts};

use super::Format;
use super::project::{Project, StoreArgs};
use zerops_cache_base::exit::Exit;
use zerops_cache_store::store::layout::{BASE_HOME, CACHE};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  zerops-cache advise                 # the only setup of ./zerops.yaml
  zerops-cache advise --setup api --format json")]
pub struct AdviseArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// `--format json`: the report, with findings as `lint --format json`
/// prints them.
#[derive(Serialize)]
struct JsonOut<'a> {
    setup: &'a str,
    items: &'a [zerops_cache_contract::advise::Item],
    findings: Vec<super::json::JsonDiagnostic<'a>>,
    /// The store the sizes come from; null when the setup has none yet.
    store: Option<String>,
}

/// Sizes of the store's layers, if the setup has a store.
fn measure(dir: &Path, depth: u32) -> Result<Option<StoreFacts>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let d = Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .with_context(|| format!("opening the store {}", dir.display()))?;
    let layer = |name: &str| -> Result<Vec<(String, u64)>> {
        if !d.is_dir(name) {
            return Ok(Vec::new());
        }
        zerops_cache_base::filesystem::sizes(&d, Path::new(name), depth)
            .with_context(|| format!("measuring {}", dir.join(name).display()))
    };
    Ok(Some(StoreFacts {
        home: layer(BASE_HOME)?,
        cache: layer(CACHE)?,
    }))
}

pub fn run(args: AdviseArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Advise),
    )?;
    let host = &project.host;
    let bytes = project.source.as_bytes();
    let facts = zerops_cache_store::tree_facts::gather_in(
        &project.dir,
        &project.root,
        host.tree_depth(bytes)?,
    );
    let store_dir = project.store_path(&args.store)?;
    let store = measure(&store_dir, host.store_depth(&project.source)?)?;
    let report = match host.advise(&project.source, project.setup(), &facts, store.as_ref())? {
        Ok(r) => r,
        Err(d) => {
            let shown = project.config_path.display().to_string();
            return Err(zerops_cache_base::diagnostic::DiagnosticError::in_file(
                d,
                shown,
                &project.source,
            )
            .into());
        }
    };
    let shown_store = store.as_ref().map(|_| store_dir.display().to_string());
    match args.format {
        Format::Json => {
            let out = JsonOut {
                setup: &report.setup,
                items: &report.items,
                findings: report.findings.iter().map(Into::into).collect(),
                store: shown_store,
            };
            println!("{}", serde_json::to_string(&out)?);
        }
        Format::Human => {
            print!("{}", human(&report, shown_store.as_deref()));
            if !report.findings.is_empty() {
                let color =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                let shown = super::project::shown(
                    &project.config_path,
                    &std::env::current_dir().unwrap_or_default(),
                );
                println!();
                print!(
                    "{}",
                    zerops_cache_base::render::render(
                        &shown,
                        &project.source,
                        &report.findings,
                        color
                    )
                );
            }
        }
    }
    Ok(Exit::Ok)
}

/// The report for people: one block per layer, a part per line, what it
/// saves under it.
fn human(r: &Report, store: Option<&str>) -> String {
    let mut out = format!("setup {}: what the cache holds after a build", r.setup);
    match store {
        Some(s) => out.push_str(&format!(" (sizes from the store {s})\n")),
        None => out.push_str(" (no store yet: build once for sizes)\n"),
    }
    let width = r
        .items
        .iter()
        .map(|i| i.path.chars().count())
        .max()
        .unwrap_or(0);
    for (layer, title) in [
        (
            Layer::Base,
            "base layer: kept until `os`, `base`, `prepareCommands` or `cache` change",
        ),
        (
            Layer::Build,
            "build layer: the `cache` paths, restored by rename before buildCommands",
        ),
    ] {
        out.push_str(&format!("\n{title}\n"));
        for i in r.items.iter().filter(|i| i.layer == layer) {
            let size = i
                .bytes
                .map(|b| format!("{:>10}", HumanBytes(b).to_string()))
                .unwrap_or_else(|| " ".repeat(10));
            out.push_str(&format!("  {:width$} {size}  {}\n", i.path, i.what));
            out.push_str(&format!("  {:width$} {:10}  saves {}\n", "", "", i.saves));
        }
    }
    out
}
