//! `zerops-cache build`: a Zerops-faithful build with the two-layer cache.
//!
//! Every decision comes from the component; this module sequences the
//! phases and applies the answers. A [`Build`] is one build, and each of
//! its methods is one [`Phase`]:
//! lock + recover → decide (and pull) → workspace → base layer (reuse, or
//! reset and prepareCommands) → restore → buildCommands → artifact →
//! preserve → commit (new build layer, new record) → view → cleanup →
//! push, or rollback → summary.

mod commands;
mod rollback;
mod summary;

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zerops_cache_contract::decide::Decision;
use zerops_cache_contract::layer::Layer;
use zerops_cache_contract::walk::SkipReason;

use super::Format;
use super::project::{Project, StoreArgs, now};
use commands::Commands;
use summary::Summary;
use zerops_cache_base::diagnostic::DiagnosticError;
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_base::filesystem;
use zerops_cache_base::runner::Sink;
use zerops_cache_remote::remote::tier::{self, Tier};
use zerops_cache_sandbox::sandbox::{self, RunArgs, Sandbox, SandboxArgs, rootfs::Resolved};
use zerops_cache_store::phases::{
    artifact, checkout, preserve, restore, retention, version_view, versions,
};
use zerops_cache_store::store::Store;
use zerops_cache_store::store::journal::{self, Journal};
use zerops_cache_store::store::layout::{
    BASE_HOME, BASE_UPPER, BUILD_UPPER, HOME, HOME_OLD, IMAGE, RUN, SOURCE, WORK,
};
use zerops_cache_store::store::record_io::read_record;
use zerops_cache_store::workspace::{self, RealSource};

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Build in the project directory itself instead of a fresh copy of its
    /// git-visible files (for CI checkouts). Cached entries are moved into it.
    #[arg(long)]
    pub(crate) in_place: bool,
    /// On failure, drop the build layer instead of putting what was
    /// restored back into it.
    #[arg(long)]
    pub(crate) discard_cache_on_failure: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Output format; `json` prints the summary as the last line of stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) retention: super::project::RetentionArgs,
    #[command(flatten)]
    pub(crate) remote: zerops_cache_remote::remote::config::RemoteArgs,
    /// List every skipped path (restore counts those git tracks otherwise).
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// A build's phases, in the order they run. Their names are the keys of
/// the summary's `phases` and `phases_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Resolving (and pulling, when needed) a pulled image.
    Image,
    /// Layers pulled from the remote tier.
    Pull,
    /// git's listing of the git-visible files (not in place).
    Git,
    /// A fresh copy of the git-visible files, or the checkout in place.
    Workspace,
    /// The container's probe.
    Sandbox,
    /// The base layer rebuilt: prepareCommands.
    Prepare,
    /// The build layer's entries moved into the source.
    Restore,
    /// buildCommands.
    Build,
    /// The new artifact version.
    Artifact,
    /// Cache entries moved from the source into the new build layer.
    Preserve,
    /// The new record, the new layer, the new active version.
    Commit,
    /// The new version's directory.
    View,
    /// The old layer, the workspace and old versions deleted.
    Cleanup,
    /// Layers published to the remote tier.
    Push,
    /// A failed build undone.
    Rollback,
}

impl Phase {
    /// The name in the summary.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Phase::Image => "image",
            Phase::Pull => "pull",
            Phase::Git => "git",
            Phase::Workspace => "workspace",
            Phase::Sandbox => "sandbox",
            Phase::Prepare => "prepare",
            Phase::Restore => "restore",
            Phase::Build => "build",
            Phase::Artifact => "artifact",
            Phase::Preserve => "preserve",
            Phase::Commit => "commit",
            Phase::View => "view",
            Phase::Cleanup => "cleanup",
            Phase::Push => "push",
            Phase::Rollback => "rollback",
        }
    }

    /// Whether a signal stops the build before this phase (it rolls
    /// back). Once committed, the rest runs anyway.
    const fn stops_on_signal(self) -> bool {
        !matches!(self, Phase::View | Phase::Cleanup)
    }
}

struct Out {
    json: bool,
    progress: bool,
}

impl Out {
    fn say(&self, msg: impl AsRef<str>) {
        if self.json {
            eprintln!("{}", msg.as_ref());
        } else {
            println!("{}", msg.as_ref());
        }
    }
    fn sink(&self) -> Sink {
        if self.json {
            Sink::Stderr
        } else {
            Sink::Stdout
        }
    }
}

/// One build: what it was asked and decided, and what it has done so far
/// (the journal, the summary, the time each phase took). Each method
/// below [`Build::run`] is one phase.
struct Build<'a> {
    args: &'a BuildArgs,
    project: &'a Project,
    store: &'a Store,
    image: &'a Resolved,
    decision: &'a Decision,
    out: &'a Out,
    /// When the build started (after the decision): `--timeout` and
    /// `duration_ms` count from here.
    start: Instant,
    summary: Summary,
    phases_us: BTreeMap<&'static str, u64>,
    journal: Journal,
}

/// What the layers were decided to be, after the remote tier had its say.
struct Decided {
    decision: Decision,
    /// Layers pulled from the remote for this build.
    pulled: Vec<Layer>,
    /// When pulling started (the build's start).
    pull_started: Instant,
    /// How long pulling took.
    pull_us: u64,
}

pub fn run(args: BuildArgs) -> Result<Exit> {
    zerops_cache_base::interrupt::install();
    if args.sandbox.isolation == sandbox::Isolation::None
        && args.run.network != sandbox::Network::Host
    {
        return Err(Exit::Usage.error(format!(
            "--network {} needs the container; it cannot be used with --isolation none \
             (the commands then use the host's network)",
            match args.run.network {
                sandbox::Network::None => "none",
                _ => "private",
            }
        )));
    }
    let json = args.format == Format::Json;
    let out = Out {
        json,
        progress: zerops_cache_base::progress::enabled(json),
    };
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Build),
    )?;
    let store = project.store(&args.store, "build")?;
    let record = read_record(&store)?;
    let image_started = Instant::now();
    let access = crate::cmd::image_choice::Access::Build {
        progress: out.progress,
    };
    let image = crate::cmd::image_choice::resolve(&args.sandbox, &project, access)?;
    let image_us = image_started.elapsed().as_micros() as u64;
    if let Some(about) = &image.about {
        out.say(format!("image: {about}"));
    }
    let decision = decide(&project, &image, record.as_deref())?;
    // The remote tier: a local miss may be a remote hit.
    let say = |m: String| out.say(m);
    let (mut tier, remote_summary) = Tier::start(
        &project.host,
        &tier::Start {
            args: &args.remote,
            identity: &project.identity,
            setup: &project.build.setup,
            image: &image.id,
            progress: out.progress,
            say: &say,
            store: &store,
        },
    );
    let ctx = Given {
        args: &args,
        project: &project,
        store: &store,
        image: &image,
    };
    let decided = decide_and_pull(ctx, tier.as_mut(), record, decision, &say)?;
    let mut build = Build::new(ctx, &decided, &out);
    if tier.is_some() {
        build.phases_us.insert(Phase::Pull.name(), decided.pull_us);
    }
    if image.digest.is_some() {
        build.phases_us.insert(Phase::Image.name(), image_us);
    }
    let result = build.run();
    let ending = build.finish(result, tier.as_mut(), &decided.pulled);
    let mut s = build.summary;
    s.remote = tier.map(Tier::finish).or(remote_summary);
    s.duration_ms = build.start.elapsed().as_millis() as u64;
    s.renames = filesystem::renames();
    s.print(&out);
    Ok(ending.report(&s, json))
}

/// What a build is given: its arguments, project, store and image.
#[derive(Clone, Copy)]
struct Given<'a> {
    args: &'a BuildArgs,
    project: &'a Project,
    store: &'a Store,
    image: &'a Resolved,
}

/// What the component decides of this project, image and layer record.
fn decide(project: &Project, image: &Resolved, record: Option<&str>) -> Result<Decision> {
    match project
        .host
        .decide_in_image(&project.source, project.setup(), record, &image.id)?
    {
        Ok(d) => Ok(d),
        Err(d) => {
            let shown = project.config_path.display().to_string();
            Err(DiagnosticError::in_file(d, shown, &project.source).into())
        }
    }
}

/// The layers as decided from `record`, after the remote tier had its
/// say: local layers older than its epoch are rebuilt, and layers the
/// store lacks are pulled.
fn decide_and_pull(
    Given {
        args,
        project,
        store,
        image,
    }: Given,
    tier: Option<&mut Tier>,
    mut record: Option<String>,
    mut decision: Decision,
    say: &dyn Fn(String),
) -> Result<Decided> {
    // Local layers older than the remote's epoch (invalidated elsewhere)
    // are rebuilt, never reused nor published.
    if let Some(why) = tier::stale_layers(
        &project.host,
        &args.remote,
        tier.as_deref(),
        store,
        [&decision.keys.base, &decision.keys.build],
        [!decision.base.invalidated, !decision.build.invalidated],
    )? {
        say(format!("remote: {why}: rebuilding them"));
        tier::invalidate_local(&project.host, store, record.as_deref())?;
        record = read_record(store)?;
        decision = decide(project, image, record.as_deref())?;
    }
    let pull_started = Instant::now();
    let mut pulled = Vec::new();
    if let Some(t) = tier {
        let need: Vec<Layer> = Layer::ALL
            .into_iter()
            .filter(|l| decision.verdict(*l).invalidated)
            .collect();
        let write_record = || -> Result<()> {
            let r = layer_record(project, image, record.as_deref())?;
            zerops_cache_store::store::record_io::write_record(&store.dir, &r)
        };
        let keys = (&decision.keys.base, &decision.keys.build);
        pulled = t.pull(store, &need, keys.0, keys.1, &write_record, say);
        if !pulled.is_empty() {
            decision = decide(project, image, read_record(store)?.as_deref())?;
        }
    }
    Ok(Decided {
        decision,
        pulled,
        pull_started,
        pull_us: pull_started.elapsed().as_micros() as u64,
    })
}

/// The layer record after a build of this config (events of the previous
/// record kept as history).
pub(super) fn layer_record(
    project: &Project,
    image: &Resolved,
    previous: Option<&str>,
) -> Result<String> {
    match project.host.record_after_build_in_image(
        &project.source,
        project.setup(),
        previous,
        &image.id,
        &now(),
    )? {
        Ok(r) => Ok(r),
        Err(d) => Err(DiagnosticError::new(d).into()),
    }
}

fn source_dir(store: &Store, project: &Project, in_place: bool) -> Result<Dir> {
    if in_place {
        // The project, opened once by `Project::load`.
        Ok(project.dir.try_clone()?)
    } else {
        Ok(store.dir.open_dir(SOURCE)?)
    }
}

/// How a finished build exits (after its summary is printed).
enum Ending {
    /// Interrupted by a signal: rolled back.
    Signal(zerops_cache_base::interrupt::Interrupted),
    /// Built (`None`), or failed with this class.
    Class(Option<Exit>),
}

impl Ending {
    fn report(self, s: &Summary, json: bool) -> Exit {
        match self {
            Ending::Signal(i) => {
                eprintln!("error: the build was {i}; it was rolled back");
                Exit::Signal(i.0)
            }
            Ending::Class(None) => Exit::Ok,
            Ending::Class(Some(class)) => {
                if let (true, Some(e)) = (json, &s.error) {
                    eprintln!("error: {e}");
                }
                class
            }
        }
    }
}

impl<'a> Build<'a> {
    fn new(given: Given<'a>, decided: &'a Decided, out: &'a Out) -> Self {
        let Given {
            args,
            project,
            store,
            image,
        } = given;
        let start = summary::Start {
            setup: &project.build.setup,
            store: store.path.display().to_string(),
            in_place: args.in_place,
            isolation: args.sandbox.isolation.name(),
            image: &image.id,
        };
        Build {
            args,
            project,
            store,
            image,
            decision: &decided.decision,
            out,
            start: decided.pull_started,
            summary: Summary::new(start, &decided.decision, &decided.pulled),
            phases_us: BTreeMap::new(),
            journal: Journal::new(args.in_place.then(|| project.root.clone())),
        }
    }

    /// Times one phase. A signal between phases stops the build here (it
    /// rolls back); once committed, the cleanup runs anyway.
    fn phase<T>(&mut self, phase: Phase, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if phase.stops_on_signal() {
            zerops_cache_base::interrupt::check()?;
        }
        let t = Instant::now();
        let r = f(self);
        *self.phases_us.entry(phase.name()).or_default() += t.elapsed().as_micros() as u64;
        r
    }

    /// The phases, in order, until one fails.
    fn run(&mut self) -> Result<()> {
        self.journal.save(&self.store.dir)?;
        // The git-visible files: git's own phase (its listing of untracked
        // files costs it a path lookup from the top per directory, which no
        // handle of ours can spare it).
        let files = if self.args.in_place {
            Vec::new()
        } else {
            let root = &self.project.root;
            self.phase(Phase::Git, |_| {
                workspace::git_visible(root).class(Exit::Config)
            })?
        };
        let source = self.phase(Phase::Workspace, |b| b.workspace(&files))?;
        let source_path = if self.args.in_place {
            self.project.root.clone()
        } else {
            self.store.abs(SOURCE)
        };
        let commands = self.commands(&source_path)?;
        let checkout = self.checkout(&source)?;
        if self.decision.base.invalidated {
            for r in &self.decision.base.reasons {
                self.out.say(format!("base layer: rebuild: {}", r.message));
            }
            self.phase(Phase::Prepare, |b| b.prepare(&commands))?;
        } else {
            self.out.say("base layer: reused (prepareCommands skipped)");
        }
        if self.decision.build.invalidated {
            self.say_build_layer_dropped();
        } else {
            self.phase(Phase::Restore, |b| b.restore(&source))?;
        }
        let layered = self.layer_build(&commands)?;
        self.phase(Phase::Build, |b| b.build_commands(&commands, &source_path))?;
        // The container's mounts end before the layers move (the merge on
        // commit; on failure, the rollback after this method returns and
        // drops the container).
        if let Some(sb) = &commands.container {
            sb.release();
        }
        let made = self.phase(Phase::Artifact, |b| b.artifact(&source, checkout.as_ref()))?;
        self.phase(Phase::Preserve, |b| b.preserve(&source, checkout.as_ref()))?;
        self.phase(Phase::Commit, |b| b.commit(layered))?;
        self.phase(Phase::View, |b| b.view(&made))?;
        self.phase(Phase::Cleanup, |b| b.cleanup(&made))?;
        Ok(())
    }

    /// The workspace: a fresh copy of the git-visible files, or the project.
    fn workspace(&mut self, files: &[PathBuf]) -> Result<Dir> {
        let (project, store) = (self.project, self.store);
        if self.args.in_place {
            self.out.say(format!(
                "workspace: building in place in {}",
                project.root.display()
            ));
            return source_dir(store, project, true);
        }
        // An old workspace (a killed build's) goes to the trash by a rename.
        journal::to_trash(&store.dir, WORK).context("moving the old workspace to the trash")?;
        store.dir.create_dir_all(SOURCE)?;
        let src = store.dir.open_dir(SOURCE)?;
        let n = workspace::populate(&project.dir, &src, files)?;
        self.out.say(format!(
            "workspace: {n} git-visible {} copied",
            if n == 1 { "entry" } else { "entries" }
        ));
        Ok(src)
    }

    /// Where the commands run: the container (probed), or the host.
    fn commands(&mut self, source_path: &Path) -> Result<Commands<'a>> {
        let (store, b) = (self.store, &self.project.build);
        let deadline = self.start + self.args.run.timeout;
        // What a killed build left in the scratch goes to the trash by one
        // rename (overlay work directories are mode 000: the cleaner opens
        // them up); the container starts from an empty one.
        journal::to_trash(&store.dir, RUN)?;
        let container = match &self.image.image {
            Some(img) => {
                let img = sandbox::rootfs::materialize(img.clone(), &store.abs(IMAGE))
                    .class(Exit::Usage)?;
                let (vars, flags) = (&b.env_variables, &self.args.run.env);
                let env =
                    sandbox::env::container_in_image(img.env(), vars, flags, img.is_host_root())?;
                let paths = sandbox::StorePaths {
                    upper: store.abs(BASE_UPPER),
                    run: store.abs(RUN),
                };
                let (setup, net) = (&b.setup, self.args.run.network);
                let sb = Sandbox::new(&img, &paths, source_path, env, deadline, setup, net)?;
                self.phase(Phase::Sandbox, |_| sb.probe())?;
                Some(sb)
            }
            None => None,
        };
        let mut host_env = b.env_variables.clone();
        sandbox::env::apply_flags(&mut host_env, &self.args.run.env)?;
        Ok(Commands {
            container,
            home: store.abs(BASE_HOME),
            host_env,
            deadline,
            out: self.out,
        })
    }

    /// In place, what the checkout holds now is the user's: preserve
    /// leaves it.
    fn checkout(&mut self, source: &Dir) -> Result<Option<checkout::Checkout>> {
        if !self.args.in_place {
            return Ok(None);
        }
        let root = &self.project.root;
        let mut c = self.phase(Phase::Workspace, |_| {
            checkout::Checkout::snapshot(root, source)
        })?;
        let left = zerops_cache_store::phases::checkout_baseline::apply(&self.store.dir, &mut c)?;
        if left > 0 {
            self.out.say(format!(
                "workspace: {left} entr{} a build that did not finish left in the checkout \
                 count as the build's",
                if left == 1 { "y" } else { "ies" }
            ));
        }
        Ok(Some(c))
    }

    /// The base layer rebuilt: the old home set aside, prepareCommands run.
    fn prepare(&mut self, commands: &Commands) -> Result<()> {
        let store = self.store;
        let has_home = filesystem::list(&store.dir, Path::new(HOME))
            .map(|l| !l.is_empty())
            .unwrap_or(false);
        if has_home {
            self.journal.base_reset = true;
            self.journal.save(&store.dir)?;
            filesystem::rename(&store.dir, Path::new(HOME), &store.dir, Path::new(HOME_OLD))?;
        }
        store.dir.create_dir_all(BASE_HOME)?;
        self.summary.prepare_ran = true;
        for c in &self.project.build.prepare_commands {
            commands.run(c, &commands.home, sandbox::env::HOME)?;
        }
        // A failure from here on keeps this base layer: the record
        // that says so is ready before anything else runs.
        let previous = read_record(store)?;
        let record = layer_record(self.project, self.image, previous.as_deref())?;
        self.journal.prepared_record = Some(record);
        self.journal.save(&store.dir)
    }

    fn say_build_layer_dropped(&self) {
        if self.decision.base.invalidated {
            self.out.say("build layer: dropped with the base layer");
            return;
        }
        for r in &self.decision.build.reasons {
            self.out.say(format!("build layer: dropped: {}", r.message));
        }
    }

    /// The build layer's entries moved into the source (the source wins).
    fn restore(&mut self, source: &Dir) -> Result<()> {
        let (store, out) = (self.store, self.out);
        let plan = restore::plan(&self.project.host, &store.dir, &RealSource::new(source))?;
        self.journal.carry_non_utf8 = plan
            .skipped
            .iter()
            .any(|k| k.reason == SkipReason::NotUtf8.into());
        restore::apply(&store.dir, source, &plan, &mut self.journal, out.progress)?;
        let s = &mut self.summary;
        s.restored = plan.moves.len();
        // Tracked paths the checkout wins are counted, others listed.
        let tracked = plan
            .skipped
            .iter()
            .any(|k| k.reason == restore::SOURCE_WINS)
            .then(|| zerops_cache_store::git::tracked_files(&self.project.root))
            .flatten()
            .map(|t| t.into_iter().collect())
            .unwrap_or_default();
        let is = |p: &str| restore::is_tracked(&tracked, p);
        for l in restore::skipped_lines(&plan.skipped, &is, self.args.verbose) {
            out.say(l);
        }
        s.skipped_tracked = plan
            .skipped
            .iter()
            .filter(|k| k.reason == restore::SOURCE_WINS && is(&k.path))
            .count();
        s.skipped = plan.skipped.iter().map(|k| k.path.clone()).collect();
        s.skipped_detail = plan.skipped;
        out.say(format!(
            "restore: {} entr{} moved from the build layer, {} skipped",
            s.restored,
            if s.restored == 1 { "y" } else { "ies" },
            s.skipped.len()
        ));
        Ok(())
    }

    /// buildCommands get a layer of their own over the base layer, merged
    /// into it on commit; where that cannot be, they write the base layer
    /// itself, and a failure drops what they changed there. The answer is
    /// whether the layer uses user xattrs (`None`: no layer).
    fn layer_build(&mut self, commands: &Commands) -> Result<Option<bool>> {
        let layered = match &commands.container {
            Some(sb) => match sb.layer_build(&self.store.abs(BUILD_UPPER)) {
                Ok(()) => Some(sb.userxattr()),
                Err(sandbox::NotLayered(why)) => {
                    self.out.say(format!(
                        "note: buildCommands write the base layer directly (overlays cannot be stacked here: {why}); \
                         if the build fails, what they changed there is dropped with the base layer"
                    ));
                    None
                }
            },
            None => None,
        };
        if layered.is_none() {
            self.journal.build_direct_since = Some(zerops_cache_store::store::restored::now());
            self.journal.save(&self.store.dir)?;
        }
        Ok(layered)
    }

    fn build_commands(&mut self, commands: &Commands, source_path: &Path) -> Result<()> {
        for c in &self.project.build.build_commands {
            commands.run(c, source_path, "/build/source")?;
        }
        Ok(())
    }

    /// The artifact, before anything moves away.
    fn artifact(
        &mut self,
        source: &Dir,
        checkout: Option<&checkout::Checkout>,
    ) -> Result<artifact::Created> {
        let (store, b) = (self.store, &self.project.build);
        let v = versions::next_version(&store.dir)?;
        self.journal.version_created = Some(v);
        self.journal.save(&store.dir)?;
        let left_out = checkout.map(|c| c.left_out_now(source)).unwrap_or_default();
        let new = artifact::NewVersion {
            number: v,
            deploy_files: &b.deploy_files,
            setup: &b.setup,
            created_at: &now(),
            left_out: &left_out,
        };
        let created = artifact::create(&self.project.host, &store.dir, source, &new)?;
        let meta = &created.meta;
        self.summary.version = Some(v);
        self.summary.artifact_files = meta.files;
        self.summary.artifact_linked = meta.linked;
        self.out.say(format!(
            "artifact: version {v}, {}, {} shared with the previous version",
            zerops_cache_base::render::count(meta.files as u64, "file", "files"),
            meta.linked
        ));
        Ok(created)
    }

    /// The cache entries moved from the source into the new build layer.
    fn preserve(&mut self, source: &Dir, checkout: Option<&checkout::Checkout>) -> Result<()> {
        let (store, out) = (self.store, self.out);
        let cache = &self.project.build.cache;
        let mut plan = preserve::plan(&self.project.host, cache, &RealSource::new(source))?;
        if let Some(c) = checkout {
            c.narrow(source, &mut plan)?;
        }
        preserve::apply(&store.dir, source, &plan, &mut self.journal, out.progress)?;
        let s = &mut self.summary;
        s.preserved = plan.take.len();
        s.preserved_paths = plan.take.clone();
        for n in &plan.noted {
            out.say(format!("preserve: not taken {} ({})", n.path, n.reason));
        }
        s.preserve_notes = plan.noted;
        out.say(format!(
            "preserve: {} entr{} moved into the build layer",
            s.preserved,
            if s.preserved == 1 { "y" } else { "ies" }
        ));
        Ok(())
    }

    /// The commit: the new record, the new layer, the new active version.
    fn commit(&mut self, layered: Option<bool>) -> Result<()> {
        let store = self.store;
        let previous = read_record(store)?;
        let record = layer_record(self.project, self.image, previous.as_deref())?;
        let j = &mut self.journal;
        j.record = Some(record);
        j.merge_base = layered;
        j.phase = journal::Phase::Committing;
        j.save(&store.dir)?;
        journal::commit_layers(&store.dir, j).context("committing the build")?;
        // Committed: nothing is left to roll back.
        *j = Journal::new(None);
        zerops_cache_store::phases::checkout_baseline::clear(&store.dir);
        // Committed: a failure from here on is a warning, never a failed
        // build that says nothing moved.
        if let Some(v) = self.summary.version
            && let Err(e) = versions::set_active(&store.dir, v)
        {
            self.out.say(format!(
                "warning: version {v} is committed, but not marked active: {e:#} \
                 (`zerops-cache activate {v}` marks it)"
            ));
        }
        Ok(())
    }

    /// The new version's directory, made afresh from its tree (the
    /// previous version's goes to the trash): only a convenience (the tree
    /// is the version), so a failure is a warning.
    fn view(&mut self, made: &artifact::Created) -> Result<()> {
        let (dir, v) = (&self.store.dir, made.meta.version);
        let done = version_view::make(dir, v, &made.tree).and_then(|()| match &made.previous {
            Some((p, _)) if version_view::exists(dir, *p) => {
                journal::to_trash(dir, &version_view::rel(*p))
            }
            _ => Ok(()),
        });
        if let Err(e) = done {
            self.out.say(format!(
                "warning: version {v} is recorded, but its directory was not made: {e:#} \
                 (`zerops-cache activate {v}` makes it again)"
            ));
        }
        Ok(())
    }

    /// Deleting the old layer, the workspace and old versions: nothing to
    /// undo any more, so a failure here is only a warning.
    fn cleanup(&mut self, made: &artifact::Created) -> Result<()> {
        let dir = &self.store.dir;
        let cleaned = journal::clean(dir)
            .and_then(|_| {
                // The trees in hand: the new version's and the one before.
                let known = std::iter::once((made.meta.version, &made.tree))
                    .chain(made.previous.as_ref().map(|(p, t)| (*p, t)));
                let budget = self.args.retention.budget();
                retention::prune(&self.project.host, dir, &budget, known.collect())
            })
            .map(drop)
            .and_then(|_| journal::to_trash(dir, RUN));
        if let Err(e) = cleaned {
            self.out
                .say(format!("warning: cleaning up the store: {e:#}"));
        }
        Ok(())
    }

    /// After the phases: the summary's timings, then publishing (built)
    /// or the rollback (failed).
    fn finish(&mut self, result: Result<()>, tier: Option<&mut Tier>, pulled: &[Layer]) -> Ending {
        let s = &mut self.summary;
        s.phases_us = self.phases_us.clone();
        s.phases = self
            .phases_us
            .iter()
            .map(|(k, us)| (*k, us / 1000))
            .collect();
        let interrupted = result.as_ref().err().and_then(|e| {
            e.downcast_ref::<zerops_cache_base::interrupt::Interrupted>()
                .copied()
        });
        // Each failure keeps its class (a failed command, a broken store, a
        // signal...); only what nobody classified is the tool's bug.
        let failed = result.as_ref().err().map(Exit::of);
        match result {
            Ok(()) => self.publish(tier, pulled),
            Err(e) => self.roll_back(&e),
        }
        match interrupted {
            Some(i) => Ending::Signal(i),
            None => Ending::Class(failed),
        }
    }

    /// A build that succeeded: its image noted as used, and its layers
    /// remembered by and published to the remote tier.
    fn publish(&mut self, tier: Option<&mut Tier>, pulled: &[Layer]) {
        let (store, d, out) = (self.store, self.decision, self.out);
        self.summary.ok = true;
        zerops_cache_image::image::note_use(self.image, &store.path);
        // What this build made or pulled is of the current epoch.
        let fresh: Vec<Layer> = Layer::ALL
            .into_iter()
            .filter(|l| d.verdict(*l).invalidated || pulled.contains(l))
            .collect();
        let keys = [d.keys.base.as_str(), d.keys.build.as_str()];
        let tier_ref = tier.as_deref();
        if let Err(e) = tier::remember(&self.args.remote, tier_ref, store, keys, &fresh) {
            out.say(format!("warning: remote: {e:#}"));
        }
        // Publish what this store has and the remote may lack.
        if let Some(t) = tier {
            let t0 = Instant::now();
            let say = |m: String| out.say(m);
            t.push(store, pulled, keys[0], keys[1], &say);
            let s = &mut self.summary;
            s.phases_us
                .insert(Phase::Push.name(), t0.elapsed().as_micros() as u64);
            s.phases
                .insert(Phase::Push.name(), t0.elapsed().as_millis() as u64);
        }
    }

    /// A build that failed: undone, and what the layers kept said.
    fn roll_back(&mut self, e: &anyhow::Error) {
        let (store, out) = (self.store, self.out);
        self.summary.error = Some(format!("{e:#}"));
        let t = Instant::now();
        let source = source_dir(store, self.project, self.args.in_place).ok();
        let discard = self.args.discard_cache_on_failure;
        let undone = rollback::roll_back(store, source.as_ref(), &self.journal, discard);
        // The container's scratch goes now, not at the next build: what
        // failed buildCommands wrote outside /build/source (their own
        // layer) and the overlays' work directories (mode 000).
        if let Err(e) = journal::to_trash(&store.dir, RUN) {
            out.say(format!("warning: removing the container's scratch: {e:#}"));
        }
        let ms = t.elapsed().as_millis() as u64;
        self.summary.phases.insert(Phase::Rollback.name(), ms);
        match undone {
            Ok(kept) => {
                out.say(&kept.message);
                self.summary.kept = Some(kept);
            }
            Err(re) => out.say(format!("error: rolling back failed: {re:#}")),
        }
    }
}
