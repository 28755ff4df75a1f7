//! What the build-cache commands share: the project (where zerops.yaml
//! is), the selected setup, and its store.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::{Path, PathBuf};

use zerops_cache_base::diagnostic::DiagnosticError;
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::plan::BuildSetup;
use zerops_cache_component::component::remote::wit::Identity;
use zerops_cache_contract::lint::GatedCommand;
use zerops_cache_store::store::Store;

/// Options of every command that works on a setup's store.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// The setup to use (default: the only setup of the file).
    #[arg(long)]
    pub(crate) setup: Option<String>,
    /// Root directory of the stores (default: $ZEROPS_CACHE_DIR, else the
    /// user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// The project directory, holding zerops.yaml (default: the current directory).
    #[arg(long, short = 'C', value_name = "DIR")]
    pub(crate) project: Option<PathBuf>,
    /// Fail at once when another command holds the store's lock, instead of waiting.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// The project's identity (default: the git remote URL, else the root
    /// commit; see README "Project identity"). Stores are named by it.
    #[arg(long, value_name = "NAME", env = zerops_cache_store::identity::ENV_PROJECT_ID)]
    pub(crate) project_id: Option<String>,
}

/// The project, its config and the selected setup. Its directory is
/// opened once, here at the edge; everything in the project is reached
/// through [`Project::dir`].
pub(crate) struct Project {
    /// Absolute, canonical.
    pub(crate) root: PathBuf,
    /// The project directory, opened.
    pub(crate) dir: Dir,
    pub(crate) config_path: PathBuf,
    pub(crate) source: String,
    pub(crate) host: PolicyHost,
    pub(crate) build: BuildSetup,
    /// Names the stores, local and remote.
    pub(crate) identity: Identity,
    /// The platform's verdict on the file, when the command asked for it.
    pub(crate) verdict: Option<zerops_cache_base::diagnostic::FileVerdict>,
}

impl Project {
    /// The project, without asking the platform's verdict (for the
    /// commands that work on the store, not on the file).
    pub(crate) fn load(args: &StoreArgs) -> Result<Project> {
        Project::load_for(args, None)
    }

    /// The project, for a command that acts on the file: the platform's
    /// verdict is asked first (see [`super::gate`]), so a refused file
    /// stops the command before it opens the store, with every finding.
    pub(crate) fn load_for(args: &StoreArgs, command: Option<GatedCommand>) -> Result<Project> {
        let dir = match &args.project {
            Some(p) => p.clone(),
            None => std::env::current_dir().context("reading the current directory")?,
        };
        let opening = || format!("opening the project directory {}", dir.display());
        let root = dir
            .canonicalize()
            .with_context(opening)
            .class(Exit::Config)?;
        let root_dir = Dir::open_ambient_dir(&root, cap_std::ambient_authority())
            .with_context(opening)
            .class(Exit::Config)?;
        let name = zerops_cache_store::config_file::find_in(&root_dir, &root)?;
        let config_path = root.join(name);
        let host = PolicyHost::load()?;
        let bytes = zerops_cache_store::config_file::read_in(
            &host,
            &root_dir,
            Path::new(name),
            &config_path,
        )?;
        let mut verdict = None;
        if let Some(command) = command {
            let files = super::gate::Checked {
                host: &host,
                dir: &root_dir,
                config: config_path.display().to_string(),
                source: &bytes,
            };
            verdict = Some(super::gate::check(&files, command)?);
        }
        let source = match String::from_utf8(bytes) {
            Ok(s) => s,
            // Only the setup's name is needed, and it was given.
            Err(e) if names_only(command) && args.setup.is_some() => {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
            Err(_) => {
                return Err(
                    Exit::Config.error(format!("{} is not UTF-8 text", config_path.display()))
                );
            }
        };
        let build = match host.build_setup(&source, args.setup.as_deref())? {
            Ok(b) => b,
            // `invalidate` and `activate` need only the setup's name: a
            // broken file does not stop them when the name is given.
            Err(_) if names_only(command) && args.setup.is_some() => {
                BuildSetup::named(args.setup.clone().unwrap_or_default())
            }
            Err(d) => {
                let shown = config_path.display().to_string();
                return Err(DiagnosticError::in_file(d, shown, &source).into());
            }
        };
        let identity = zerops_cache_store::identity::find(&host, &root, args.project_id.as_deref())
            .class(Exit::Usage)?;
        Ok(Project {
            identity,
            root,
            dir: root_dir,
            config_path,
            source,
            host,
            build,
            verdict,
        })
    }

    /// Opens and locks the setup's store (recovering an interrupted build).
    pub(crate) fn store(&self, args: &StoreArgs, what: &str) -> Result<Store> {
        Store::open(
            args.store.as_deref(),
            &self.root,
            &self.dir,
            &self.identity.slug,
            &self.build.setup,
            what,
            args.no_wait,
        )
    }

    /// The setup's store if it exists (for commands that only look).
    pub(crate) fn existing_store(&self, args: &StoreArgs, what: &str) -> Result<Option<Store>> {
        Store::open_existing(
            args.store.as_deref(),
            &self.root,
            &self.dir,
            &self.identity.slug,
            &self.build.setup,
            what,
            args.no_wait,
        )
    }

    /// Where the setup's store is (it may not exist).
    pub(crate) fn store_path(&self, args: &StoreArgs) -> Result<PathBuf> {
        Store::path_of(
            args.store.as_deref(),
            &self.identity.slug,
            &self.build.setup,
        )
    }

    pub(crate) fn setup(&self) -> Option<&str> {
        Some(self.build.setup.as_str())
    }
}

/// Whether `command` needs only the setup's name from the file.
fn names_only(command: Option<GatedCommand>) -> bool {
    matches!(
        command,
        Some(GatedCommand::Invalidate | GatedCommand::Activate)
    )
}

pub(crate) use zerops_cache_base::clock::{now, stamp};

/// A path for display: relative to `base` when inside it.
pub(crate) fn shown(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// A size such as `500M`, `2GiB` or `1.5 GB`.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    s.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("`{s}` is not a size (e.g. 500M, 2GiB): {e}"))
}

/// How many deploy versions to keep, and how much disk they may take.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RetentionArgs {
    /// Keep this many versions (the active and the newest always stay).
    #[arg(long, value_name = "N", env = "ZEROPS_CACHE_KEEP_VERSIONS", default_value_t = zerops_cache_contract::retention::KEEP_VERSIONS)]
    pub(crate) keep_versions: u32,
    /// Also drop the oldest versions until all fit in SIZE (e.g. 2G).
    #[arg(long, value_name = "SIZE", env = "ZEROPS_CACHE_KEEP_SIZE", value_parser = parse_size)]
    pub(crate) keep_size: Option<u64>,
}

impl RetentionArgs {
    pub(crate) fn budget(&self) -> zerops_cache_store::phases::retention::Budget {
        zerops_cache_store::phases::retention::Budget {
            keep: self.keep_versions,
            max_bytes: self.keep_size,
        }
    }
}

/// Adds the event `e` to the layer record `record` and writes it.
pub(crate) fn add_event(
    project: &Project,
    store: &cap_std::fs::Dir,
    record: &str,
    e: zerops_cache_contract::record::Event,
) -> Result<()> {
    let r = project
        .host
        .record_add_event(record, &e)?
        .map_err(zerops_cache_base::diagnostic::DiagnosticError::new)?;
    zerops_cache_store::store::record_io::write_record(store, &r)
}
