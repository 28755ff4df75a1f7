//! `zerops-cache keys`: the layer keys of each setup and the normalized
//! inputs they digest, through the policy component.

use anyhow::Result;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use zerops_cache_contract::Diagnostic;
use zerops_cache_contract::keys::{CacheSpec, LayerInputs, LayerKeys};

use super::Format;
use super::json::JsonDiagnostic;
use zerops_cache_base::diagnostic::DiagnosticError;
use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_store::config_file::read_text;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// The config file (default: zerops.yaml, then zerops.yml, in the current directory).
    pub(crate) file: Option<PathBuf>,
    /// Only this setup (default: every setup in the file).
    #[arg(long)]
    pub(crate) setup: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// One setup in `--format json`: its keys and inputs, or its error.
#[derive(Debug, Serialize)]
struct JsonSetup<'a> {
    setup: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    build_from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<&'a LayerKeys>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<&'a LayerInputs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonDiagnostic<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    path: String,
    setups: Vec<JsonSetup<'a>>,
}

/// Prints a diagnostic about `src` to stderr: with the source snippet when
/// it has a position, as one line otherwise (see [`zerops_cache_base::exit::report`]).
fn print_error(path: &str, src: &str, d: &Diagnostic) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let e = anyhow::Error::new(DiagnosticError::in_file(d.clone(), path, src));
    eprint!("{}", zerops_cache_base::exit::report(&e, color));
}

fn human_inputs(i: &LayerInputs) -> String {
    let mut out = format!("  os: {}\n", i.os);
    let list = |name: &str, items: &[String], out: &mut String| {
        if items.is_empty() {
            out.push_str(&format!("  {name}: []\n"));
        } else {
            out.push_str(&format!("  {name}:\n"));
            for (n, it) in items.iter().enumerate() {
                out.push_str(&format!("    [{n}] {}\n", it.escape_debug()));
            }
        }
    };
    list("base", &i.base, &mut out);
    list("prepareCommands", &i.prepare_commands, &mut out);
    match &i.cache {
        CacheSpec::All(b) => out.push_str(&format!("  cache: {b}\n")),
        CacheSpec::Patterns(p) => list("cache", p, &mut out),
    }
    out
}

pub fn run(args: KeysArgs) -> Result<Exit> {
    let path = zerops_cache_store::config_file::resolve(args.file.as_deref())?;
    let host = PolicyHost::load()?;
    let src = read_text(&host, &path)?;
    let shown = path.display().to_string();
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = cap_std::fs::Dir::open_ambient_dir(&root, cap_std::ambient_authority())
        .map_err(|e| Exit::Config.error(format!("cannot open {}: {e}", root.display())))?;
    let files = super::gate::Checked {
        host: &host,
        dir: &dir,
        config: shown.clone(),
        source: src.as_bytes(),
    };
    super::gate::check(&files, zerops_cache_contract::lint::GatedCommand::Keys)?;
    let all = match host.keys(&src, args.setup.as_deref())? {
        Ok(all) => all,
        Err(d) => return Err(DiagnosticError::in_file(d, shown, &src).into()),
    };
    match args.format {
        Format::Json => print_json(shown, &all)?,
        Format::Human => print_human(&shown, &src, &all),
    }
    // A setup whose keys cannot be computed (e.g. an `extends` cycle) is an
    // error of the file.
    Ok(if all.iter().any(|(_, r)| r.is_err()) {
        Exit::Config
    } else {
        Exit::Ok
    })
}

/// The `--format json` report of every setup's keys.
fn print_json(
    shown: String,
    all: &zerops_cache_component::component::layers::SetupKeys,
) -> Result<()> {
    let setups = all
        .iter()
        .map(|(name, r)| match r {
            Ok(s) => JsonSetup {
                setup: name,
                build_from: s.build_from.as_deref(),
                keys: Some(&s.keys),
                inputs: Some(&s.inputs),
                error: None,
            },
            Err(d) => JsonSetup {
                setup: name,
                build_from: None,
                keys: None,
                inputs: None,
                error: Some(JsonDiagnostic::from(d)),
            },
        })
        .collect();
    let report = JsonReport {
        path: shown,
        setups,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Every setup's keys and inputs for a terminal.
fn print_human(shown: &str, src: &str, all: &zerops_cache_component::component::layers::SetupKeys) {
    for (i, (name, r)) in all.iter().enumerate() {
        if i > 0 {
            println!();
        }
        match r {
            Ok(s) => {
                let from = match s.build_from.as_deref() {
                    Some(f) if f != name => format!(" (build section from `{f}`)"),
                    Some(_) => String::new(),
                    None => " (no build section: defaults)".to_string(),
                };
                println!("setup `{name}`{from}");
                println!("  base-layer key:  {}", s.keys.base);
                println!("  build-layer key: {}", s.keys.build);
                print!("{}", human_inputs(&s.inputs));
            }
            Err(d) => {
                println!("setup `{name}`: no keys");
                print_error(shown, src, d);
            }
        }
    }
}
