//! What the build-cache commands share: the project (where zerops.yaml
//! is), the selected setup, and its store.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use crate::component::PolicyHost;
use crate::component::plan::BuildSetup;
use crate::store::Store;

/// Options of every command that works on a setup's store.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The setup to use (default: the only setup of the file).
    #[arg(long)]
    pub setup: Option<String>,
    /// Root directory of the stores (default: $ZEROPS_CACHE_DIR, else the
    /// user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The project directory, holding zerops.yaml (default: the current directory).
    #[arg(long, short = 'C', value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Fail at once when another command holds the store's lock, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
}

/// The project, its config and the selected setup.
pub struct Project {
    /// Absolute, canonical.
    pub root: PathBuf,
    pub config_path: PathBuf,
    pub source: String,
    pub host: PolicyHost,
    pub build: BuildSetup,
}

impl Project {
    pub fn load(args: &StoreArgs) -> Result<Project> {
        let dir = match &args.project {
            Some(p) => p.clone(),
            None => std::env::current_dir().context("reading the current directory")?,
        };
        let root = dir
            .canonicalize()
            .with_context(|| format!("opening the project directory {}", dir.display()))?;
        let config_path = crate::config_file::find(&root)?;
        let host = PolicyHost::load()?;
        let bytes = crate::config_file::read(&host, &config_path)?;
        let source = String::from_utf8(bytes)
            .with_context(|| format!("{} is not UTF-8 text", config_path.display()))?;
        let build = match host.build_setup(&source, args.setup.as_deref())? {
            Ok(b) => b,
            Err(d) => return Err(crate::render::error(config_path.display(), d)),
        };
        Ok(Project {
            root,
            config_path,
            source,
            host,
            build,
        })
    }

    /// Opens and locks the setup's store (recovering an interrupted build).
    pub fn store(&self, args: &StoreArgs, what: &str) -> Result<Store> {
        Store::open(
            args.store.as_deref(),
            &self.root,
            &self.build.setup,
            what,
            args.no_wait,
        )
    }

    /// The setup's store if it exists (for commands that only look).
    pub fn existing_store(&self, args: &StoreArgs, what: &str) -> Result<Option<Store>> {
        Store::open_existing(
            args.store.as_deref(),
            &self.root,
            &self.build.setup,
            what,
            args.no_wait,
        )
    }

    pub fn setup(&self) -> Option<&str> {
        Some(self.build.setup.as_str())
    }
}

/// The current time as RFC 3339 UTC (the component never reads a clock).
pub fn now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    zerops_cache_contract::time::Timestamp::from_unix_millis(ms)
        .as_str()
        .to_string()
}

/// A path for display: relative to `base` when inside it.
pub fn shown(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
