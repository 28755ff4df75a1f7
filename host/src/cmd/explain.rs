//! `zerops-cache explain`: what a config change does to the build cache,
//! per layer, with the reasons named down to the field and list item.
//!
//! `explain OLD NEW` compares two files; `explain --git REV [FILE]` compares
//! FILE (default: the config here) with its content at a git revision.

use anyhow::Result;
use std::path::{Path, PathBuf};

use super::Format;
use zerops_cache_base::diagnostic::DiagnosticError;
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_store::config_file::read_text;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  zerops-cache explain old/zerops.yaml zerops.yaml --setup app
  zerops-cache explain --git HEAD~1            # zerops.yaml now vs. one commit ago
  zerops-cache explain --git main zerops.yml --format json")]
pub struct ExplainArgs {
    /// OLD and NEW config files; with --git, at most one FILE (default:
    /// zerops.yaml, then zerops.yml, in the current directory).
    #[arg(value_name = "FILE", num_args = 0..=2)]
    pub(crate) files: Vec<PathBuf>,
    /// Compare FILE with its content at this git revision (`git show REV:FILE`).
    #[arg(long, value_name = "REV")]
    pub(crate) git: Option<String>,
    /// The setup to explain (default: the only setup of the new file).
    #[arg(long)]
    pub(crate) setup: Option<String>,
    /// Also list changes that have no effect on the cache and the keys
    /// (JSON: adds an `unaffected` list of reasons).
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// The text of `path` at git revision `rev`; `None` when the file did not
/// exist in it.
fn git_show(rev: &str, path: &Path) -> Result<Option<String>> {
    let Some(bytes) = zerops_cache_store::git::show_at(rev, path).class(Exit::Usage)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Exit::Config.error(format!("{} at {rev} is not valid UTF-8", path.display())))
}

pub fn run(args: ExplainArgs) -> Result<Exit> {
    let host = PolicyHost::load()?;
    let (old_name, old_src, new_name, new_src) = inputs(&host, &args)?;
    let decision = match host.explain(&old_src, &new_src, args.setup.as_deref())? {
        Ok(d) => d,
        Err(d) => {
            // The policy says which file an error is about (`old` or
            // `new`); show the snippet of that file.
            let (name, src) = match d.file.as_deref() {
                Some("old") => (&old_name, &old_src),
                _ => (&new_name, &new_src),
            };
            return Err(DiagnosticError::in_file(d, name.as_str(), src).into());
        }
    };
    // The images the two configs build in (a tag that moved is a fact of
    // the image store: build, plan and status say it).
    let root = std::env::current_dir().unwrap_or_default();
    let overrides = zerops_cache_image::image::overrides_in(&host, &root).unwrap_or_default();
    let image_of = |src: &str| {
        zerops_cache_image::image::describe_choice(&host, src, &decision.setup, &overrides)
    };
    let (old_image, new_image) = (image_of(&old_src)?, image_of(&new_src)?);
    // The same cache advice as `lint` and `advise`, for the new config.
    let advice = match host.advise(
        &new_src,
        Some(&decision.setup),
        &zerops_cache_contract::lint::TreeFacts::default(),
        None,
    )? {
        Ok(r) => r.findings,
        Err(_) => Vec::new(),
    };
    match args.format {
        Format::Json => {
            let mut v: serde_json::Value = serde_json::from_str(
                &zerops_cache_contract::report::to_json(&decision, args.verbose),
            )?;
            if old_image != new_image {
                v["image"] = serde_json::json!({"old": old_image, "new": new_image});
            }
            v["advice"] = advice
                .iter()
                .map(|d| serde_json::json!(super::json::JsonDiagnostic::from(d)))
                .collect();
            println!("{}", serde_json::to_string(&v)?);
        }
        Format::Human => {
            println!("{old_name} → {new_name}");
            print!(
                "{}",
                zerops_cache_contract::report::render_text(&decision, args.verbose)
            );
            if old_image != new_image {
                println!("build image: {old_image} → {new_image}");
            }
            print_advice(&new_name, &advice);
        }
    }
    Ok(Exit::Ok)
}

/// The two configs, named as the output shows them: OLD and NEW files, or
/// the current file and its version at a git revision.
fn inputs(host: &PolicyHost, args: &ExplainArgs) -> Result<(String, String, String, String)> {
    Ok(match (&args.git, args.files.as_slice()) {
        (Some(rev), files) if files.len() <= 1 => {
            let path =
                zerops_cache_store::config_file::resolve(files.first().map(PathBuf::as_path))?;
            let new_src = read_text(host, &path)?;
            let shown = path.display().to_string();
            match git_show(rev, &path)? {
                Some(old_src) => (format!("{shown} at {rev}"), old_src, shown, new_src),
                None => (
                    format!("{shown} at {rev} (absent)"),
                    String::new(),
                    shown,
                    new_src,
                ),
            }
        }
        (Some(_), _) => {
            return Err(Exit::Usage.error("with --git, give at most one FILE (the current config)"));
        }
        (None, [old, new]) => (
            old.display().to_string(),
            read_text(host, old)?,
            new.display().to_string(),
            read_text(host, new)?,
        ),
        (None, _) => {
            return Err(Exit::Usage.error(
                "give OLD and NEW config files, or --git REV to compare with a git revision",
            ));
        }
    })
}

/// The cache advice on the new config, for a terminal.
fn print_advice(new_name: &str, advice: &[zerops_cache_contract::Diagnostic]) {
    if advice.is_empty() {
        return;
    }
    println!("\nadvice on the cache of {new_name}:");
    for d in advice {
        match d.start() {
            Some(p) => println!(
                "  {}[{}] line {}: {}",
                d.severity.as_str(),
                d.code,
                p.line,
                d.message
            ),
            None => println!("  {}[{}]: {}", d.severity.as_str(), d.code, d.message),
        }
        if let Some(h) = &d.help {
            println!("    help: {h}");
        }
    }
}
