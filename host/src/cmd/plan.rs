//! `zerops-cache plan`: a dry run. What the next build would do with each
//! layer, what restore would move and skip (against the workspace the
//! build would create), and what preserve would take (from the project
//! directory as it stands). Touches nothing but the store's recovery.

use anyhow::Result;
use serde::Serialize;

use super::Format;
use super::project::{Project, StoreArgs};
use zerops_cache_base::diagnostic::DiagnosticError;
use zerops_cache_base::exit::Exit;
use zerops_cache_sandbox::sandbox::SandboxArgs;
use zerops_cache_store::phases::{Skipped, checkout, preserve, restore};
use zerops_cache_store::store::record_io::read_record;
use zerops_cache_store::workspace::{self, RealSource, SourceLister, VirtualSource};

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Plan for a build in the project directory itself (as `build --in-place`).
    #[arg(long)]
    pub(crate) in_place: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct PlanOut {
    setup: String,
    /// Where the build would run: `container` or `none`.
    isolation: &'static str,
    /// The OS image's identity.
    image: String,
    /// The build image: its reference, where the choice came from, and
    /// whether it is in the image store (pulled and host images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    image_source: Option<String>,
    base: &'static str,
    base_reasons: Vec<String>,
    build: &'static str,
    build_reasons: Vec<String>,
    prepare_would_run: bool,
    restore: Vec<String>,
    skipped: Vec<Skipped>,
    preserve: Vec<String>,
    preserve_notes: Vec<Skipped>,
}

pub fn run(args: PlanArgs) -> Result<Exit> {
    let project = Project::load_for(
        &args.store,
        Some(zerops_cache_contract::lint::GatedCommand::Plan),
    )?;
    // A store that does not exist yet is not created by a dry run.
    let store = project.existing_store(&args.store, "plan")?;
    let record = match &store {
        Some(s) => read_record(s)?,
        None => None,
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
            DiagnosticError::in_file(d, shown, &project.source)
        })?;
    let proj = &project.dir;
    let (restore_plan, skipped) = if let (false, Some(store)) = (d.build.invalidated, &store) {
        let src: Box<dyn SourceLister> = if args.in_place {
            Box::new(RealSource::new(proj))
        } else {
            let files = workspace::git_visible(&project.root)?;
            Box::new(VirtualSource::new(proj, &files))
        };
        let p = restore::plan(&project.host, &store.dir, src.as_ref())?;
        (p.moves, p.skipped)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut pres = preserve::plan(&project.host, &project.build.cache, &RealSource::new(proj))?;
    if args.in_place {
        // As the build will: never `.git` or what git tracks (what else was
        // there before the build is known only when it starts).
        checkout::tracked_only(&project.root).narrow(proj, &mut pres)?;
    } else {
        // The workspace is a copy of the git-visible files: it has no `.git`.
        pres.take
            .retain(|p| !checkout::in_git_dir(std::path::Path::new(p)));
    }
    let out = PlanOut {
        setup: project.build.setup.clone(),
        isolation: args.sandbox.isolation.name(),
        image: image.id.clone(),
        image_source: image.about.clone(),
        base: d.base_action().as_str(),
        base_reasons: d.base.reasons.iter().map(|r| r.message.clone()).collect(),
        build: d.build_action().as_str(),
        build_reasons: d.build.reasons.iter().map(|r| r.message.clone()).collect(),
        prepare_would_run: d.base.invalidated,
        restore: restore_plan,
        skipped,
        preserve: pres.take,
        preserve_notes: pres.noted,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&out)?),
        Format::Human => print_human(&out),
    }
    Ok(Exit::Ok)
}

/// The plan for a terminal.
fn print_human(out: &PlanOut) {
    println!("plan for setup `{}` (nothing is changed)", out.setup);
    let why = |r: &[String]| {
        if r.is_empty() {
            String::new()
        } else {
            format!(": {}", r.join("; "))
        }
    };
    // The image of host mode says "none (host, no container)" (as status).
    if out.isolation == "none" {
        println!("  isolation: none (on the host)");
    } else {
        println!("  isolation: {} ({})", out.isolation, out.image);
    }
    if let Some(src) = &out.image_source {
        println!("  image: {src}");
    }
    println!("  base layer: {}{}", out.base, why(&out.base_reasons));
    println!("  build layer: {}{}", out.build, why(&out.build_reasons));
    println!(
        "  prepareCommands: {}",
        if out.prepare_would_run {
            "would run"
        } else {
            "skipped"
        }
    );
    println!("  restore would move {}:", entries(out.restore.len()));
    for p in &out.restore {
        println!("    {p}");
    }
    if !out.skipped.is_empty() {
        println!("  restore would skip (source wins):");
        for k in &out.skipped {
            println!("    {} ({})", k.path, k.reason);
        }
    }
    println!(
        "  preserve would take {} (from the project directory as it is now):",
        entries(out.preserve.len())
    );
    for p in &out.preserve {
        println!("    {p}");
    }
    for n in &out.preserve_notes {
        println!("    not taken: {} ({})", n.path, n.reason);
    }
}

/// "1 entry", "2 entries".
fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}
