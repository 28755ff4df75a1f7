//! `zerops-cache repair`: checks a setup's store, says what is wrong, and
//! brings it to a consistent state without losing a cached file it can
//! account for. What it cannot trust (a broken journal, the half-done
//! parts of the build that journal described, an unreadable record) is
//! moved to `broken/<time>/` in the store, never deleted.
//!
//! A journal that validates is recovered as every command would (finish
//! the commit, or roll every move back). Without a trustworthy journal:
//! the old home comes back if a base-layer reset was under way, the new
//! build layer, the workspace and artifacts without metadata go to
//! `broken/`, and the cache, home and versions that were committed stay.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use super::project::{Project, StoreArgs};
use zerops_cache_base::exit::Exit;
use zerops_cache_base::filesystem;
use zerops_cache_store::store::Store;
use zerops_cache_store::store::journal::{self, Journal};
use zerops_cache_store::store::layout::{
    ACTIVE, CACHE, CACHE_NEW, HOME, HOME_OLD, JOURNAL, JOURNAL_RESTORE, LOCK, OBJECTS, RECORD,
    RELEASED, RUN, SOURCE, VERSIONS, WORK,
};
use zerops_cache_store::store::record_io::{INVALIDATE, kind_of, read_store_text};
pub(crate) use zerops_cache_store::store::repair_report::Report;

#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Only check and explain; change nothing (exit 1 when something is wrong).
    #[arg(long)]
    pub(crate) check: bool,
    /// Also read every object of every version through and check its
    /// SHA-256 (without it, each object's type and size are checked).
    #[arg(long)]
    pub(crate) deep: bool,
}

pub fn run(args: RepairArgs) -> Result<Exit> {
    let project = Project::load(&args.store)?;
    let Some((path, dir)) = Store::locate(
        args.store.store.as_deref(),
        &project.identity.slug,
        &project.build.setup,
    )?
    else {
        let path = project.store_path(&args.store)?;
        println!(
            "setup `{}` has no store yet ({}): nothing to repair",
            project.build.setup,
            path.display()
        );
        return Ok(Exit::Ok);
    };
    let mut r = Report::new(args.check);
    // A lock that is not a file cannot be taken: it goes first.
    if let Ok(md) = dir.symlink_metadata(LOCK)
        && !md.is_file()
    {
        let kind = kind_of(md.file_type());
        let fix = "moved it to broken/ and made a new lock";
        r.problem(
            format!("{} is {kind}, not a lock file", path.join(LOCK).display()),
            fix,
        );
        if !r.check {
            r.set_aside(&dir, LOCK)?;
        }
    }
    let store = Store::lock_only(path, dir, "repair", args.store.no_wait)?;
    let dir = &store.dir;
    repair_journal(&mut r, &store, &project)?;
    repair_layout(&mut r, dir)?;
    repair_scratch(&mut r, &store)?;
    repair_record(&mut r, &store, &project)?;
    zerops_cache_store::phases::version_repair::run(&mut r, dir, args.deep)?;
    if !r.check {
        journal::clean(dir).context("emptying the trash and the workspace")?;
    }
    if let Some(a) = &r.aside {
        println!(
            "what could not be trusted is kept in {} (delete it once you have looked)",
            store.path.join(a).display()
        );
    }
    if r.found == 0 {
        println!("the store {} is consistent", store.path.display());
        Ok(Exit::Ok)
    } else if r.check {
        Ok(Exit::Findings)
    } else {
        println!(
            "the store {} is consistent now ({} repaired)",
            store.path.display(),
            if r.found == 1 {
                "1 problem".to_string()
            } else {
                format!("{} problems", r.found)
            }
        );
        Ok(Exit::Ok)
    }
}

fn repair_journal(r: &mut Report, store: &Store, project: &Project) -> Result<()> {
    let dir = &store.dir;
    let (project, project_dir) = (project.root.as_path(), &project.dir);
    let broken = match Journal::load(dir, &store.path) {
        Ok(None) => return Ok(()),
        Ok(Some(j)) => match &j.source_dir {
            Some(p) if p != project => format!(
                "the journal names the source directory {}, not this project",
                p.display()
            ),
            // The workspace the journal's moves go through is not a
            // directory: no move of it can be finished or rolled back.
            _ if let Some(bad) = not_a_dir(dir, &[WORK, SOURCE]) => format!(
                "an interrupted build's workspace {} is {}, so its journal cannot be recovered",
                store.path.join(bad.0).display(),
                bad.1
            ),
            _ => {
                r.problem(
                    "an interrupted build (its journal is intact)",
                    "recovered it as the next command would (finish the commit or roll every move back)",
                );
                if !r.check {
                    journal::recover(dir, &store.path, project, project_dir)?;
                }
                return Ok(());
            }
        },
        Err(e) => format!("{e:#}"),
    };
    let broken = broken
        .split("; run `zerops-cache repair`")
        .next()
        .unwrap_or(&broken)
        .to_string();
    r.problem(
        broken,
        "set the journal aside, put back the old home if a base-layer reset was under way, \
         and set aside the interrupted build's new build layer and workspace",
    );
    if r.check {
        return Ok(());
    }
    for f in [JOURNAL, JOURNAL_RESTORE] {
        if filesystem::exists(dir, Path::new(f)) {
            r.set_aside(dir, f)?;
        }
    }
    if filesystem::exists(dir, Path::new(HOME_OLD)) {
        if filesystem::exists(dir, Path::new(HOME)) {
            r.set_aside(dir, HOME)?;
        }
        filesystem::rename(dir, Path::new(HOME_OLD), dir, Path::new(HOME))?;
    }
    for d in [CACHE_NEW, WORK] {
        if filesystem::exists(dir, Path::new(d)) {
            r.set_aside(dir, d)?;
        }
    }
    Ok(())
}

/// The first of `rels` that is there and not a directory, and what it is.
fn not_a_dir<'a>(dir: &Dir, rels: &[&'a str]) -> Option<(&'a str, &'static str)> {
    rels.iter().find_map(|rel| match dir.symlink_metadata(rel) {
        Ok(md) if !md.is_dir() => Some((*rel, kind_of(md.file_type()))),
        _ => None,
    })
}

/// `home`, `cache`, `versions` and `versions/objects` must be directories,
/// `versions/active` a regular file.
fn repair_layout(r: &mut Report, dir: &Dir) -> Result<()> {
    for d in [HOME, CACHE, VERSIONS] {
        match dir.symlink_metadata(d) {
            Ok(md) if md.is_dir() => {}
            Ok(md) => {
                r.problem(
                    format!(
                        "`{d}` in the store is {}, not a directory",
                        kind_of(md.file_type())
                    ),
                    format!("moved it to broken/ and made an empty `{d}`"),
                );
                if !r.check {
                    r.set_aside(dir, d)?;
                    dir.create_dir(d)?;
                }
            }
            Err(_) => {
                if !r.check {
                    dir.create_dir(d)?;
                }
            }
        }
    }
    if let Ok(md) = dir.symlink_metadata(ACTIVE)
        && !md.is_file()
    {
        r.problem(
            format!(
                "`{ACTIVE}` in the store is {}, not a file",
                kind_of(md.file_type())
            ),
            "moved it to broken/ (no version is marked active until the next build or `activate`)",
        );
        if !r.check {
            r.set_aside(dir, ACTIVE)?;
        }
    }
    for d in [OBJECTS, RELEASED] {
        if let Ok(md) = dir.symlink_metadata(d)
            && !md.is_dir()
        {
            r.problem(
                format!(
                    "`{d}` in the store is {}, not a directory",
                    kind_of(md.file_type())
                ),
                format!("moved it to broken/ and made an empty `{d}`"),
            );
            if !r.check {
                r.set_aside(dir, d)?;
                dir.create_dir(d)?;
            }
        }
    }
    Ok(())
}

/// The container's scratch is emptied by every build; what is in it now
/// (the store's lock is held, so no build runs) was left by a build that
/// was killed: overlay work directories the kernel made mode 000, what
/// its buildCommands wrote outside /build/source.
fn repair_scratch(r: &mut Report, store: &Store) -> Result<()> {
    let leftovers = zerops_cache_base::filesystem::list(&store.dir, Path::new(RUN))
        .map(|l| !l.is_empty())
        .unwrap_or_else(|_| store.dir.symlink_metadata(RUN).is_ok());
    if !leftovers {
        return Ok(());
    }
    r.problem(
        format!(
            "{} holds what an interrupted build left (overlay work directories, which may be mode 000)",
            store.path.join(RUN).display()
        ),
        "removed it (nothing of it belongs to a layer)",
    );
    if !r.check {
        zerops_cache_sandbox::sandbox::clear_scratch(&store.abs(RUN))?;
    }
    Ok(())
}

fn repair_record(r: &mut Report, store: &Store, project: &Project) -> Result<()> {
    let dir = &store.dir;
    let problem = match read_store_text(dir, &store.path, RECORD, INVALIDATE) {
        Ok(None) => return Ok(()),
        Ok(Some(text)) => {
            let d = project
                .host
                .decide(&project.source, project.setup(), Some(&text))?;
            let unreadable = d.ok().and_then(|d| {
                d.base
                    .reasons
                    .into_iter()
                    .find(|x| x.kind == zerops_cache_contract::decide::ReasonKind::RecordUnreadable)
            });
            match unreadable {
                Some(reason) => reason.message,
                None => return Ok(()),
            }
        }
        Err(e) => format!("{e:#}")
            .split("; run `zerops-cache invalidate`")
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    r.problem(
        problem,
        "moved the record to broken/: the next build rebuilds both layers (the cached files stay until then)",
    );
    if !r.check {
        r.set_aside(dir, RECORD)?;
    }
    Ok(())
}
