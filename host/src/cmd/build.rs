//! `zerops-cache build`: a Zerops-faithful build with the two-layer cache.
//!
//! Every decision comes from the component; this module sequences the
//! phases and applies the answers:
//! lock + recover → decide → workspace → base layer (reuse, or reset and
//! prepareCommands) → restore → buildCommands → artifact → preserve →
//! commit (new build layer, new record) → summary.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use zerops_cache_contract::decide::{Decision, LayerVerdict};

use super::Format;
use super::project::{Project, StoreArgs, now};
use crate::diagnostic::DiagnosticError;
use crate::exit::{Classify, Exit};
use crate::filesystem;
use crate::phases::{Skipped, artifact, checkout, preserve, restore, version_view};
use crate::runner::{self, Sink};
use crate::sandbox::{self, RunArgs, Sandbox, SandboxArgs};
use crate::store::Store;
use crate::store::journal::{self, Journal, Phase};
use crate::store::layout::{
    BASE_HOME, BASE_UPPER, BUILD_UPPER, CACHE, HOME, HOME_OLD, IMAGE, RUN, SOURCE, WORK,
};
use crate::store::record_io::read_record;
use crate::workspace::{self, RealSource};

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Build in the project directory itself instead of a fresh copy of its
    /// git-visible files (for CI checkouts). Cached entries are moved into it.
    #[arg(long)]
    pub in_place: bool,
    /// On failure, drop the build layer instead of putting what was
    /// restored back into it.
    #[arg(long)]
    pub discard_cache_on_failure: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format; `json` prints the summary as the last line of stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub retention: super::project::RetentionArgs,
    #[command(flatten)]
    pub remote: crate::remote::config::RemoteArgs,
    /// List every skipped path (restore counts those git tracks otherwise).
    #[arg(short, long)]
    pub verbose: bool,
}

/// One layer in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    /// `reuse` or `rebuild` (base), `reuse` or `drop` (build).
    pub action: &'static str,
    /// Where the layer came from: `local` (the store), `remote` (pulled
    /// for this build) or `cold` (built now).
    pub from: &'static str,
    pub key: String,
    pub reasons: Vec<String>,
}

/// The `--format json` summary: a contract (see tests/e2e/build.rs).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub ok: bool,
    pub error: Option<String>,
    pub setup: String,
    pub store: String,
    pub in_place: bool,
    /// Where the commands ran: `container` or `none` (on the host).
    pub isolation: &'static str,
    /// The identity of the OS image the base layer is built on.
    pub image: String,
    pub layers: BTreeMap<&'static str, LayerSummary>,
    pub prepare_ran: bool,
    /// Entries moved from the cache into the source (each a whole subtree).
    pub restored: usize,
    /// Cache paths left out because the source has them (source wins).
    pub skipped: Vec<String>,
    pub skipped_detail: Vec<Skipped>,
    /// Of `skipped`, the paths git tracks (the checkout's own files).
    pub skipped_tracked: usize,
    /// Entries moved from the source into the new build layer.
    pub preserved: usize,
    pub preserved_paths: Vec<String>,
    pub preserve_notes: Vec<Skipped>,
    /// The artifact version created.
    pub version: Option<u32>,
    pub artifact_files: u64,
    /// Of those, files hard-linked from the previous version (not copied).
    pub artifact_linked: u64,
    /// Milliseconds per phase.
    pub phases: BTreeMap<&'static str, u64>,
    /// Microseconds per phase (for benchmarks of sub-millisecond phases).
    pub phases_us: BTreeMap<&'static str, u64>,
    pub duration_ms: u64,
    pub renames: u64,
    /// The remote tier, when one is configured: what was pulled and
    /// published, bytes and objects transferred, warnings.
    pub remote: Option<crate::remote::tier::RemoteSummary>,
    /// After a failure: what each layer is now (see README "What a failed
    /// build keeps").
    pub kept: Option<Kept>,
}

/// What a failed build kept of each layer.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// `unchanged` (reused, as it was), `previous` (the one before this
    /// build's rebuild), `prepared` (this build's prepareCommands' one) or
    /// `dropped`.
    pub base: &'static str,
    /// `previous` (byte for byte) or `dropped`.
    pub build: &'static str,
    /// The sentence the build printed.
    pub message: String,
}

fn layer(action: &'static str, key: &str, v: &LayerVerdict, pulled: bool) -> LayerSummary {
    LayerSummary {
        action,
        from: match (pulled, v.invalidated) {
            (true, _) => "remote",
            (false, false) => "local",
            (false, true) => "cold",
        },
        key: key.to_string(),
        reasons: v.reasons.iter().map(|r| r.message.clone()).collect(),
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

struct Timer {
    start: Instant,
    phases_us: BTreeMap<&'static str, u64>,
}

impl Timer {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        // A signal between phases stops the build here (it rolls back);
        // once committed, the cleanup runs anyway.
        if name != "cleanup" && name != "view" {
            crate::interrupt::check()?;
        }
        let t = Instant::now();
        let r = f();
        *self.phases_us.entry(name).or_default() += t.elapsed().as_micros() as u64;
        r
    }
}

pub fn run(args: BuildArgs) -> Result<Exit> {
    crate::interrupt::install();
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
        progress: crate::progress::enabled(json),
    };
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Build),
    )?;
    let store = project.store(&args.store, "build")?;
    let mut record = read_record(&store)?;
    let image_started = Instant::now();
    let access = crate::cmd::image_choice::Access::Build {
        progress: out.progress,
    };
    let image = crate::cmd::image_choice::resolve(&args.sandbox, &project, access)?;
    let image_us = image_started.elapsed().as_micros() as u64;
    if let Some(about) = &image.about {
        out.say(format!("image: {about}"));
    }
    let decide = |record: Option<&str>| -> Result<Decision> {
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
    };
    let mut decision = decide(record.as_deref())?;
    // The remote tier: a local miss may be a remote hit.
    let say = |m: String| out.say(m);
    let (mut tier, mut remote_summary) = crate::remote::tier::Tier::start(
        &project.host,
        &args.remote,
        &project.identity,
        &project.build.setup,
        &image.id,
        out.progress,
        &say,
        &store,
    );
    // Local layers older than the remote's epoch (invalidated elsewhere)
    // are rebuilt, never reused nor published.
    if let Some(why) = crate::remote::tier::stale_layers(
        &project.host,
        &args.remote,
        tier.as_ref(),
        &store,
        [&decision.keys.base, &decision.keys.build],
        [!decision.base.invalidated, !decision.build.invalidated],
    )? {
        say(format!("remote: {why}: rebuilding them"));
        crate::remote::tier::invalidate_local(&project.host, &store, record.as_deref())?;
        record = read_record(&store)?;
        decision = decide(record.as_deref())?;
    }
    let mut pulled: Vec<&'static str> = Vec::new();
    let pull_started = Instant::now();
    if let Some(t) = tier.as_mut() {
        let mut need = Vec::new();
        if decision.base.invalidated {
            need.push("base");
        }
        if decision.build.invalidated {
            need.push("build");
        }
        let write_record = || -> Result<()> {
            let r = project
                .host
                .record_after_build_in_image(
                    &project.source,
                    project.setup(),
                    record.as_deref(),
                    &image.id,
                    &now(),
                )?
                .map_err(crate::diagnostic::DiagnosticError::new)?;
            crate::store::record_io::write_record(&store.dir, &r)
        };
        pulled = t.pull(
            &store,
            &need,
            &decision.keys.base,
            &decision.keys.build,
            &write_record,
            &say,
        );
        if !pulled.is_empty() {
            decision = decide(read_record(&store)?.as_deref())?;
        }
    }
    let pull_us = pull_started.elapsed().as_micros() as u64;
    let mut s = Summary {
        ok: false,
        error: None,
        setup: project.build.setup.clone(),
        store: store.path.display().to_string(),
        in_place: args.in_place,
        isolation: args.sandbox.isolation.name(),
        image: image.id.clone(),
        layers: BTreeMap::new(),
        prepare_ran: false,
        restored: 0,
        skipped: Vec::new(),
        skipped_detail: Vec::new(),
        skipped_tracked: 0,
        preserved: 0,
        preserved_paths: Vec::new(),
        preserve_notes: Vec::new(),
        version: None,
        artifact_files: 0,
        artifact_linked: 0,
        phases: BTreeMap::new(),
        phases_us: BTreeMap::new(),
        duration_ms: 0,
        renames: 0,
        remote: None,
        kept: None,
    };
    let d = &decision;
    s.layers.insert(
        "base",
        layer(
            if d.base.invalidated {
                "rebuild"
            } else {
                "reuse"
            },
            &d.keys.base,
            &d.base,
            pulled.contains(&"base"),
        ),
    );
    s.layers.insert(
        "build",
        layer(
            if d.build.invalidated { "drop" } else { "reuse" },
            &d.keys.build,
            &d.build,
            pulled.contains(&"build"),
        ),
    );
    let mut timer = Timer {
        start: pull_started,
        phases_us: BTreeMap::new(),
    };
    if tier.is_some() {
        timer.phases_us.insert("pull", pull_us);
    }
    if image.digest.is_some() {
        // Resolving (and pulling, when needed) a pulled image.
        timer.phases_us.insert("image", image_us);
    }
    let mut journal = Journal::new(args.in_place.then(|| project.root.clone()));
    let result = build(
        &args,
        &project,
        &store,
        &image,
        &decision,
        &out,
        &mut s,
        &mut timer,
        &mut journal,
    );
    s.phases_us = timer.phases_us.clone();
    s.phases = timer
        .phases_us
        .iter()
        .map(|(k, us)| (*k, us / 1000))
        .collect();
    let interrupted = result
        .as_ref()
        .err()
        .and_then(|e| e.downcast_ref::<crate::interrupt::Interrupted>().copied());
    // Each failure keeps its class (a failed command, a broken store, a
    // signal...); only what nobody classified is the tool's bug.
    let failed = result.as_ref().err().map(Exit::of);
    match result {
        Ok(()) => {
            s.ok = true;
            crate::image::note_use(&image, &store.path);
            // What this build made or pulled is of the current epoch.
            let fresh: Vec<&str> = [
                ("base", decision.base.invalidated),
                ("build", decision.build.invalidated),
            ]
            .into_iter()
            .filter(|(l, rebuilt)| *rebuilt || pulled.contains(l))
            .map(|(l, _)| l)
            .collect();
            if let Err(e) = crate::remote::tier::remember(
                &args.remote,
                tier.as_ref(),
                &store,
                [&decision.keys.base, &decision.keys.build],
                &fresh,
            ) {
                out.say(format!("warning: remote: {e:#}"));
            }
            // Publish what this store has and the remote may lack.
            if let Some(t) = tier.as_mut() {
                let t0 = Instant::now();
                t.push(
                    &store,
                    &pulled,
                    &decision.keys.base,
                    &decision.keys.build,
                    &say,
                );
                s.phases_us.insert("push", t0.elapsed().as_micros() as u64);
                s.phases.insert("push", t0.elapsed().as_millis() as u64);
            }
        }
        Err(e) => {
            s.error = Some(format!("{e:#}"));
            let t = Instant::now();
            let source = source_dir(&store, &project, args.in_place).ok();
            let undone = fail(
                &store,
                source.as_ref(),
                &journal,
                args.discard_cache_on_failure,
            );
            // The container's scratch goes now, not at the next build: what
            // failed buildCommands wrote outside /build/source (their own
            // layer) and the overlays' work directories (mode 000).
            if let Err(e) = journal::to_trash(&store.dir, RUN) {
                out.say(format!("warning: removing the container's scratch: {e:#}"));
            }
            s.phases.insert("rollback", t.elapsed().as_millis() as u64);
            match undone {
                Ok(kept) => {
                    out.say(&kept.message);
                    s.kept = Some(kept);
                }
                Err(re) => out.say(format!("error: rolling back failed: {re:#}")),
            }
        }
    }
    if let Some(t) = tier {
        remote_summary = Some(t.finish());
    }
    s.remote = remote_summary;
    s.duration_ms = timer.start.elapsed().as_millis() as u64;
    s.renames = filesystem::renames();
    print_summary(&s, &out);
    if let Some(i) = interrupted {
        eprintln!("error: the build was {i}; it was rolled back");
        return Ok(Exit::Signal(i.0));
    }
    match failed {
        None => Ok(Exit::Ok),
        Some(class) => {
            if let (true, Some(e)) = (out.json, &s.error) {
                eprintln!("error: {e}");
            }
            Ok(class)
        }
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

/// Undoes a failed build: everything restored goes back into the cache
/// (or, with `discard`, the build layer is dropped), the old home comes
/// back if it was reset. The layer record is not touched.
fn fail(store: &Store, source: Option<&Dir>, j: &Journal, discard: bool) -> Result<Kept> {
    if discard {
        // The layer goes first: a crash after it leaves no half cache.
        journal::to_trash(&store.dir, CACHE)?;
        store.dir.create_dir_all(CACHE)?;
        let mut j2 = j.clone();
        j2.restore.clear();
        let r = journal::roll_back_build(&store.dir, source, &j2)?;
        journal::clean(&store.dir)?;
        let base = r
            .base
            .describe()
            .unwrap_or_else(|| "the layer record is unchanged".into());
        return Ok(Kept {
            base: r.base.name(),
            build: "dropped",
            message: format!(
                "build failed: the build layer was dropped (--discard-cache-on-failure); {base}"
            ),
        });
    }
    let r = journal::roll_back_build(&store.dir, source, j)?;
    let n = r.moves;
    let moved = match n {
        0 => "nothing was moved".to_string(),
        1 => "1 moved entry put back".to_string(),
        n => format!("{n} moved entries put back"),
    };
    // A base layer that went (or was replaced) took the build layer along.
    let build = match r.base {
        journal::BaseAfter::KeptPrepared | journal::BaseAfter::Dropped(_) => "dropped",
        _ => r.cache.name(),
    };
    Ok(Kept {
        base: r.base.name(),
        build,
        message: format!("build failed: {moved}; {}", r.describe()),
    })
}

#[allow(clippy::too_many_arguments)]
fn build(
    args: &BuildArgs,
    project: &Project,
    store: &Store,
    image: &sandbox::rootfs::Resolved,
    decision: &Decision,
    out: &Out,
    s: &mut Summary,
    timer: &mut Timer,
    journal: &mut Journal,
) -> Result<()> {
    let host = &project.host;
    let b = &project.build;
    journal.save(&store.dir)?;

    // The git-visible files: git's own phase (its listing of untracked
    // files costs it a path lookup from the top per directory, which no
    // handle of ours can spare it).
    let files = if args.in_place {
        Vec::new()
    } else {
        timer.time("git", || {
            workspace::git_visible(&project.root).class(Exit::Config)
        })?
    };
    // The workspace: a fresh copy of the git-visible files, or the project.
    let source = timer.time("workspace", || {
        if args.in_place {
            out.say(format!(
                "workspace: building in place in {}",
                project.root.display()
            ));
            return source_dir(store, project, true);
        }
        // An old workspace (a killed build's) goes to the trash by a rename.
        journal::to_trash(&store.dir, WORK).context("moving the old workspace to the trash")?;
        store.dir.create_dir_all(SOURCE)?;
        let src = store.dir.open_dir(SOURCE)?;
        let n = workspace::populate(&project.dir, &src, &files)?;
        out.say(format!("workspace: {n} git-visible entries copied"));
        Ok(src)
    })?;
    let source_path = if args.in_place {
        project.root.clone()
    } else {
        store.abs(SOURCE)
    };
    let home = store.abs(BASE_HOME);
    let deadline = timer.start + args.run.timeout;
    let scratch = store.abs(RUN);
    // What a killed build left in the scratch goes to the trash by one
    // rename (overlay work directories are mode 000: the cleaner opens
    // them up); the container starts from an empty one.
    journal::to_trash(&store.dir, RUN)?;
    // The container, or the host (`--isolation none`, as before: the host's
    // environment, HOME in the store, the real paths).
    let container = match &image.image {
        Some(img) => {
            let img =
                sandbox::rootfs::materialize(img.clone(), &store.abs(IMAGE)).class(Exit::Usage)?;
            let (vars, flags) = (&b.env_variables, &args.run.env);
            let env = sandbox::env::container_in_image(img.env(), vars, flags, img.is_host_root())?;
            let paths = sandbox::StorePaths {
                upper: store.abs(BASE_UPPER),
                run: scratch.clone(),
            };
            let (setup, net) = (&b.setup, args.run.network);
            let sb = Sandbox::new(&img, &paths, &source_path, env, deadline, setup, net)?;
            timer.time("sandbox", || sb.probe())?;
            Some(sb)
        }
        None => None,
    };
    let mut host_env = b.env_variables.clone();
    sandbox::env::apply_flags(&mut host_env, &args.run.env)?;
    let run_in = |c: &str, host_cwd: &Path, cwd: &str| -> Result<()> {
        match &container {
            Some(sb) => runner::run_prepared(c, sb.command(c, cwd)?, out.sink(), out.progress)
                .inspect_err(|e| {
                    if let Some(hint) = sb.permission_hint(e) {
                        out.say(hint);
                    }
                }),
            None => {
                if Instant::now() >= deadline {
                    return Err(Exit::BuildFailed.error(format!(
                        "the build's time limit (--timeout) was reached before `{c}` could start"
                    )));
                }
                runner::run(c, host_cwd, &home, &host_env, out.sink(), out.progress)
            }
        }
    };
    // In place, what the checkout holds now is the user's: preserve leaves it.
    let checkout = if args.in_place {
        let mut c = timer.time("workspace", || {
            checkout::Checkout::snapshot(&project.root, &source)
        })?;
        let left = crate::phases::checkout_baseline::apply(&store.dir, &mut c)?;
        if left > 0 {
            out.say(format!(
                "workspace: {left} entr{} a build that did not finish left in the checkout \
                 count as the build's",
                if left == 1 { "y" } else { "ies" }
            ));
        }
        Some(c)
    } else {
        None
    };

    // Base layer.
    if decision.base.invalidated {
        for r in &decision.base.reasons {
            out.say(format!("base layer: rebuild: {}", r.message));
        }
        timer.time("prepare", || {
            let has_home = filesystem::list(&store.dir, Path::new(HOME))
                .map(|l| !l.is_empty())
                .unwrap_or(false);
            if has_home {
                journal.base_reset = true;
                journal.save(&store.dir)?;
                filesystem::rename(&store.dir, Path::new(HOME), &store.dir, Path::new(HOME_OLD))?;
            }
            store.dir.create_dir_all(BASE_HOME)?;
            s.prepare_ran = true;
            for c in &b.prepare_commands {
                run_in(c, &home, sandbox::env::HOME)?;
            }
            // A failure from here on keeps this base layer: the record
            // that says so is ready before anything else runs.
            journal.prepared_record = Some(layer_record(project, store, image)?);
            journal.save(&store.dir)?;
            Ok(())
        })?;
    } else {
        out.say("base layer: reused (prepareCommands skipped)");
    }

    // Restore.
    if decision.build.invalidated {
        if !decision.base.invalidated {
            for r in &decision.build.reasons {
                out.say(format!("build layer: dropped: {}", r.message));
            }
        } else {
            out.say("build layer: dropped with the base layer");
        }
    } else {
        timer.time("restore", || {
            let plan = restore::plan(host, &store.dir, &RealSource::new(&source))?;
            journal.carry_non_utf8 = plan.skipped.iter().any(|k| k.reason == "not-utf8");
            restore::apply(&store.dir, &source, &plan, journal, out.progress)?;
            s.restored = plan.moves.len();
            // Tracked paths the checkout wins are counted, others listed.
            let tracked = plan
                .skipped
                .iter()
                .any(|k| k.reason == restore::SOURCE_WINS)
                .then(|| crate::git::tracked_files(&project.root))
                .flatten()
                .map(|t| t.into_iter().collect())
                .unwrap_or_default();
            let is = |p: &str| restore::is_tracked(&tracked, p);
            for l in restore::skipped_lines(&plan.skipped, &is, args.verbose) {
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
        })?;
    }

    // buildCommands: on a layer of their own over the base layer, merged
    // into it on commit; where that cannot be, they write the base layer
    // itself, and a failure drops what they changed there.
    let layered = match &container {
        Some(sb) => match sb.layer_build(&store.abs(BUILD_UPPER)) {
            Ok(()) => Some(sb.userxattr()),
            Err(sandbox::NotLayered(why)) => {
                out.say(format!(
                    "note: buildCommands write the base layer directly (overlays cannot be stacked here: {why}); \
                     if the build fails, what they changed there is dropped with the base layer"
                ));
                None
            }
        },
        None => None,
    };
    if layered.is_none() {
        journal.build_direct_since = Some(crate::store::restored::now());
        journal.save(&store.dir)?;
    }
    timer.time("build", || {
        for c in &b.build_commands {
            run_in(c, &source_path, "/build/source")?;
        }
        Ok(())
    })?;
    // The container's mounts end before the layers move (the merge on
    // commit; on failure, the rollback after this function returns and
    // drops the container).
    if let Some(sb) = &container {
        sb.release();
    }

    // Artifact, before anything moves away.
    let mut artifact_made = None;
    timer.time("artifact", || {
        let v = artifact::next_version(&store.dir)?;
        journal.version_created = Some(v);
        journal.save(&store.dir)?;
        let created = artifact::create(
            host,
            &store.dir,
            &source,
            &b.deploy_files,
            v,
            &b.setup,
            &now(),
            &checkout
                .as_ref()
                .map(|c| c.left_out_now(&source))
                .unwrap_or_default(),
        )?;
        let meta = &created.meta;
        s.version = Some(v);
        s.artifact_files = meta.files;
        s.artifact_linked = meta.linked;
        out.say(format!(
            "artifact: version {v}, {} file(s), {} shared with the previous version",
            meta.files, meta.linked
        ));
        artifact_made = Some(created);
        Ok(())
    })?;

    // Preserve.
    timer.time("preserve", || {
        let mut plan = preserve::plan(host, &b.cache, &RealSource::new(&source))?;
        if let Some(c) = &checkout {
            c.narrow(&source, &mut plan)?;
        }
        preserve::apply(&store.dir, &source, &plan, journal, out.progress)?;
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
    })?;

    // Commit: the new record, the new layer, the new active version.
    timer.time("commit", || {
        let record = layer_record(project, store, image)?;
        journal.record = Some(record);
        journal.merge_base = layered;
        journal.phase = Phase::Committing;
        journal.save(&store.dir)?;
        journal::commit_layers(&store.dir, journal).context("committing the build")?;
        // Committed: nothing is left to roll back.
        *journal = Journal::new(None);
        crate::phases::checkout_baseline::clear(&store.dir);
        // Committed: a failure from here on is a warning, never a failed
        // build that says nothing moved.
        if let Some(v) = s.version
            && let Err(e) = artifact::set_active(&store.dir, v)
        {
            out.say(format!(
                "warning: version {v} is committed, but not marked active: {e:#} \
                 (`zerops-cache activate {v}` marks it)"
            ));
        }
        Ok(())
    })?;
    // The new version's directory, made afresh from its tree (the previous
    // version's goes to the trash): only a convenience (the tree is the
    // version), so a failure is a warning.
    timer.time("view", || {
        if let Some(c) = &artifact_made {
            let made = version_view::make(&store.dir, c.meta.version, &c.tree).and_then(|()| {
                match &c.previous {
                    Some((p, _)) if version_view::exists(&store.dir, *p) => {
                        journal::to_trash(&store.dir, &version_view::rel(*p))
                    }
                    _ => Ok(()),
                }
            });
            if let Err(e) = made {
                out.say(format!(
                    "warning: version {} is recorded, but its directory was not made: {e:#} \
                     (`zerops-cache activate {}` makes it again)",
                    c.meta.version, c.meta.version
                ));
            }
        }
        Ok(())
    })?;
    // Deleting the old layer, the workspace and old versions: nothing to
    // undo any more, so a failure here is only a warning.
    timer.time("cleanup", || {
        if let Err(e) = journal::clean(&store.dir)
            .and_then(|_| {
                // The trees in hand: the new version's and the one before.
                let known = artifact_made.iter().flat_map(|c| {
                    std::iter::once((c.meta.version, &c.tree))
                        .chain(c.previous.as_ref().map(|(p, t)| (*p, t)))
                });
                artifact::prune(host, &store.dir, &args.retention.budget(), known.collect())
            })
            .map(drop)
            .and_then(|_| journal::to_trash(&store.dir, RUN))
        {
            out.say(format!("warning: cleaning up the store: {e:#}"));
        }
        Ok(())
    })?;
    Ok(())
}

/// The layer record after a build of this config (events of the previous
/// record kept as history).
fn layer_record(
    project: &Project,
    store: &Store,
    image: &sandbox::rootfs::Resolved,
) -> Result<String> {
    let previous = read_record(store)?;
    match project.host.record_after_build_in_image(
        &project.source,
        project.setup(),
        previous.as_deref(),
        &image.id,
        &now(),
    )? {
        Ok(r) => Ok(r),
        Err(d) => Err(DiagnosticError::new(d).into()),
    }
}

fn print_summary(s: &Summary, out: &Out) {
    if out.json {
        match serde_json::to_string(s) {
            Ok(j) => println!("{j}"),
            Err(e) => eprintln!("error: writing the summary: {e}"),
        }
        return;
    }
    println!();
    let took = if s.duration_ms < 1000 {
        format!("{} ms", s.duration_ms)
    } else {
        format!("{:.1} s", s.duration_ms as f64 / 1000.0)
    };
    println!(
        "{} setup `{}` in {took}",
        if s.ok { "built" } else { "FAILED" },
        s.setup,
    );
    if let Some(e) = &s.error {
        println!("  error: {e}");
    }
    for (name, l) in &s.layers {
        let why = if l.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", l.reasons.join("; "))
        };
        println!("  {name} layer: {}{why}", l.action);
    }
    println!("  isolation: {} ({})", s.isolation, s.image);
    println!(
        "  prepareCommands: {}",
        if s.prepare_ran { "ran" } else { "skipped" }
    );
    println!(
        "  restored {}, skipped {}, preserved {}",
        s.restored,
        s.skipped.len(),
        s.preserved
    );
    if let Some(v) = s.version {
        println!(
            "  artifact: version {v} ({} files, {} shared with the previous version)",
            s.artifact_files, s.artifact_linked
        );
    }
    let phases: Vec<String> = s
        .phases
        .iter()
        .map(|(k, v)| format!("{k} {v} ms"))
        .collect();
    println!("  phases: {}", phases.join(", "));
}
