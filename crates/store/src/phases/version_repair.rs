//! What `repair` checks of the deploy versions, and what it does.
//!
//! Each version's record (its checksum), its tree (its checksum, and that
//! it is the tree the record names) and every object its tree names: each
//! object's type and size, or with `--deep` its bytes against its SHA-256
//! (each object read once, however many versions name it). A version with
//! a damaged part is lost: its record, tree and directory are set aside in
//! `broken/`, with every damaged object, and repair says which versions
//! are lost and why. What stays is a store the next build uses as is.

use anyhow::Result;
use cap_std::fs::Dir;
use std::collections::{BTreeSet, HashMap};

use super::object_check::{self, Damage};
use super::version_tree::{self, ObjectId, Tree};
use super::{objects, version_record, versions};
use crate::store::layout::{ACTIVE, version_parts};
use crate::store::repair_report::Report;

/// The way-out sentence the errors end with, left out of repair's report.
const WAY_OUT: &str = "; `zerops-cache repair`";

fn plain(e: &anyhow::Error) -> String {
    let s = format!("{e:#}");
    s.split(WAY_OUT).next().unwrap_or(&s).to_string()
}

/// Checks every version; sets aside the damaged ones and their damaged
/// objects.
pub fn run(r: &mut Report, dir: &Dir, deep: bool) -> Result<()> {
    let objects = objects::open(dir);
    let mut seen: HashMap<ObjectId, Option<Damage>> = HashMap::new();
    let mut damaged_objects: BTreeSet<String> = BTreeSet::new();
    let mut lost: Vec<u32> = Vec::new();
    for v in versions::list_versions(dir)? {
        let problem = match check_version(dir, v, objects.as_ref(), deep, &mut seen) {
            Ok(()) => continue,
            Err(Why::Part(p)) => p,
            Err(Why::Object(path, d)) => {
                let p = format!(
                    "version {v}: its file {} is in the object {}, which {}",
                    String::from_utf8_lossy(&path),
                    d.path,
                    d.what
                );
                damaged_objects.insert(d.path);
                p
            }
        };
        r.problem(
            format!("artifact {problem}"),
            format!("moved version {v} (record, tree, directory) to broken/: it is lost"),
        );
        lost.push(v);
        if !r.check {
            for rel in version_parts(v) {
                if dir.symlink_metadata(&rel).is_ok() {
                    r.set_aside(dir, &rel)?;
                }
            }
        }
    }
    for o in &damaged_objects {
        if r.check {
            println!("  repair would move the damaged object {o} to broken/");
        } else if dir.symlink_metadata(o).is_ok() {
            r.set_aside(dir, o)?;
            println!("  moved the damaged object {o} to broken/");
        }
    }
    if !lost.is_empty() {
        let list: Vec<String> = lost.iter().map(u32::to_string).collect();
        println!(
            "versions lost: {} (their bytes could not be trusted); {}",
            list.join(", "),
            if r.check {
                "repair would keep every other version"
            } else {
                "every other version is kept and checked"
            }
        );
        if let Some(a) = versions::active(dir)
            && lost.contains(&a)
            && !r.check
        {
            r.set_aside(dir, ACTIVE)?;
            println!(
                "  the active version {a} is lost: no version is active until the next build or `activate`"
            );
        }
    }
    Ok(())
}

enum Why {
    /// The record or tree, described.
    Part(String),
    /// An object, and the file of the version it holds.
    Object(Vec<u8>, Damage),
}

fn check_version(
    dir: &Dir,
    v: u32,
    objects: Option<&Dir>,
    deep: bool,
    seen: &mut HashMap<ObjectId, Option<Damage>>,
) -> Result<(), Why> {
    let meta = match version_record::read(dir, v) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(Why::Part(format!(
                "version {v} has no record (an unfinished build)"
            )));
        }
        Err(e) => return Err(Why::Part(plain(&e))),
    };
    let tree = match Tree::load(dir, v) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(Why::Part(plain(&version_tree::missing(v)))),
        Err(e) => return Err(Why::Part(plain(&e))),
    };
    version_record::tree_matches(dir, &meta).map_err(|e| Why::Part(plain(&e)))?;
    for (path, o, want) in tree.files() {
        let verdict = seen.entry(o).or_insert_with(|| {
            let Some(objects) = objects else {
                return Some(Damage {
                    path: object_check::store_path(o),
                    what: "is missing (the store has no objects directory)".into(),
                });
            };
            if deep {
                object_check::check_deep(objects, o, want).err()
            } else {
                object_check::check_shallow(objects, o, want.size).err()
            }
        });
        if let Some(d) = verdict {
            return Err(Why::Object(path.to_vec(), d.clone()));
        }
    }
    Ok(())
}
