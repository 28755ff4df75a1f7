//! The deploy artifact: `deployFiles` resolved by the component (`~`
//! strip-prefix), filtered directory by directory by `.deployignore`, and
//! recorded as a new numbered version before preserve moves anything away.
//!
//! A version is a tree ([`super::version_tree`]) over immutable objects
//! ([`super::objects`]): a file unchanged since the previous version names
//! that version's object, anything else is copied into a new object. Only
//! new objects are written (one `syncfs` for them all), then the tree and
//! `N.json`, each fsynced. The directory `versions/N/` is a view of the
//! tree, made after the commit ([`super::version_view`]).
//!
//! Here: what the build gives and gets, the deployFiles items one by one,
//! and the commit. The copy itself is in [`copier`] (the tree as it grows,
//! a few threads recording the walked directories), [`walk`] (a directory
//! walked with listings and metadata read ahead) and [`entry`] (one entry:
//! the previous version's object or a new one).

mod copier;
mod entry;
mod walk;

use anyhow::{Context, Result};
use cap_std::fs::{Dir, MetadataExt};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::objects::{self, NewObjects};
use super::version_record::{self, VersionMeta};
use super::version_tree::{Node, Tree};
use super::version_view;
use super::versions::previous;
use crate::store::journal::to_trash;
use crate::store::layout::VERSIONS;
use crate::store::record_io::read_text;
use copier::{Copier, open_or_self};
use entry::{Lazy, Part};
use zerops_cache_base::filesystem;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::plan::{DeployItem, Entry, EntryKind};
use zerops_cache_component::component::walk::{Listing, Purpose, Step, Walker};

/// The largest `.deployignore` the build reads (the policy's lint limit).
pub const DEPLOYIGNORE_MAX: u64 = 1 << 20;

/// What [`create`] made.
pub struct Created {
    pub meta: VersionMeta,
    /// The version's tree (its view is made from it after the commit).
    pub tree: Tree,
    /// The version before it, whose view the new one is made from.
    pub previous: Option<(u32, Tree)>,
}

/// What the build gives [`create`] of the version to record.
pub struct NewVersion<'a> {
    /// The version's number.
    pub number: u32,
    /// The setup's `deployFiles`.
    pub deploy_files: &'a [String],
    /// The setup's name.
    pub setup: &'a str,
    /// When the version is made (RFC 3339).
    pub created_at: &'a str,
    /// The user's own paths (in place), never recorded.
    pub left_out: &'a BTreeSet<PathBuf>,
}

/// What the copy of the deployFiles items recorded.
struct Copied {
    tree: Tree,
    files: u64,
    bytes: u64,
    linked: u64,
    previous: Option<(u32, Tree)>,
}

/// Records the artifact of `new.deploy_files` from `source` as version
/// `new.number`. Returns its metadata and tree.
pub fn create(host: &PolicyHost, store: &Dir, source: &Dir, new: &NewVersion) -> Result<Created> {
    let version = new.number;
    let items = match host.deploy_items(new.deploy_files)? {
        Ok(i) => i,
        Err(d) => return Err(zerops_cache_base::diagnostic::DiagnosticError::new(d).into()),
    };
    let ignore =
        read_text(source, Path::new(".deployignore"), DEPLOYIGNORE_MAX, true).map_err(|p| {
            zerops_cache_base::exit::Exit::Config
                .error(format!(".deployignore {p}; `zerops-cache lint` checks it"))
        })?;
    // One walker for the whole artifact: `.deployignore` parsed once.
    let walker = host.walker(&Purpose::Deploy(ignore))?;
    store.create_dir_all(VERSIONS)?;
    let versions = store.open_dir(VERSIONS)?;
    clear_unfinished(store, &versions, version)?;
    let new_objects = NewObjects::start(store, version)?;
    let copied = copy_all(store, source, new, &new_objects, &walker, &items)?;
    let tree_sha256 = make_durable(store, &versions, version, new_objects, &copied)?;
    let meta = VersionMeta {
        version,
        created_at: new.created_at.to_string(),
        setup: new.setup.to_string(),
        files: copied.files,
        bytes: copied.bytes,
        linked: copied.linked,
        tree_sha256,
        sha256: None,
    };
    version_record::write(&versions, &meta)?;
    Ok(Created {
        meta,
        tree: copied.tree,
        previous: copied.previous,
    })
}

/// Removes what an unfinished build of number `version` left (it is not
/// this one's).
fn clear_unfinished(store: &Dir, versions: &Dir, version: u32) -> Result<()> {
    for name in [
        format!("{version}.json"),
        super::version_tree::file_name(version),
    ] {
        let _ = versions.remove_file(name);
    }
    objects::discard(store, version)?;
    if version_view::exists(store, version) {
        to_trash(store, &version_view::rel(version))?;
    }
    Ok(())
}

/// A new version's tree: the root directory, stamped now.
fn new_tree(source: &Dir) -> Result<Tree> {
    let mut tree = Tree::new(source.dir_metadata()?.dev());
    let began = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    tree.written_at = began.as_secs() as i64;
    tree.written_ns = Some(i64::from(began.subsec_nanos()));
    tree.nodes.insert(
        Vec::new(),
        Node::Dir {
            mode: 0o755,
            mtime: (tree.written_at, 0),
        },
    );
    Ok(tree)
}

/// Copies every deployFiles item into the new version's tree and objects;
/// the previous version's tree is read by another thread while the first
/// walk lists the project. The modes of granted directories go back
/// whatever happened.
fn copy_all(
    store: &Dir,
    source: &Dir,
    new: &NewVersion,
    new_objects: &NewObjects,
    walker: &Walker,
    items: &[DeployItem],
) -> Result<Copied> {
    let tree = new_tree(source)?;
    std::thread::scope(|scope| -> Result<_> {
        let mut c = Copier {
            previous: None,
            loading: Some(scope.spawn(|| previous(store, new.number))),
            new_objects,
            tree,
            files: 0,
            bytes: 0,
            linked: 0,
            left_out: new.left_out,
            source,
            objects: objects::open(store),
            granted: Vec::new(),
        };
        let copied = copy_items(&mut c, walker, items);
        let ungranted = c.ungrant();
        c.wait_for_previous();
        copied?;
        ungranted.context("restoring the modes of directories copied into the artifact")?;
        Ok(Copied {
            tree: c.tree,
            files: c.files,
            bytes: c.bytes,
            linked: c.linked,
            previous: c.previous,
        })
    })
}

/// One durability barrier for every new object, then the tree (which
/// names them) and what it no longer names of the previous version, each
/// fsynced. Returns the tree's SHA-256.
fn make_durable(
    store: &Dir,
    versions: &Dir,
    version: u32,
    new_objects: NewObjects,
    copied: &Copied,
) -> Result<String> {
    let tree = &copied.tree;
    if new_objects.count() > 0 {
        // An object made for a path a later deployFiles item replaced is
        // named by no tree: it goes now (nothing else would collect it).
        new_objects.drop_unnamed(tree.objects().map(|(o, _)| o));
        filesystem::sync_fs(store).context("syncing the new version")?;
    }
    new_objects.finish(store);
    let tree_sha256 = tree.save(versions, version)?;
    if let Some((p, prev)) = &copied.previous {
        objects::release(versions, version, prev, *p, tree)?;
    }
    Ok(tree_sha256)
}

fn copy_items(c: &mut Copier, walker: &Walker, items: &[DeployItem]) -> Result<()> {
    for item in items {
        let md = if item.source.is_empty() {
            c.source.dir_metadata()?
        } else {
            let Ok(md) = c.source.symlink_metadata(&item.source) else {
                return Err(zerops_cache_base::exit::Exit::BuildFailed.error(format!(
                    "deployFiles: `{}` does not exist after the build (looked for {})",
                    item.written, item.source
                )));
            };
            let (parent, name) = item
                .source
                .rsplit_once('/')
                .unwrap_or(("", item.source.as_str()));
            let kind = if md.file_type().is_symlink() {
                EntryKind::Symlink
            } else if md.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            let steps = walker.decide(&[Listing {
                dir: parent.to_string(),
                entries: vec![Entry::new(name, kind)],
                against: Vec::new(),
            }])?;
            if matches!(steps[0][0], Step::Skip(_)) || c.left_out(&item.source) {
                continue;
            }
            md
        };
        let r = if md.is_dir() {
            c.copy_dir(walker, &item.source, &item.target)
        } else if item.target.is_empty() {
            // What the build left is not what deployFiles names.
            return Err(zerops_cache_base::exit::Exit::BuildFailed.error(format!(
                "deployFiles: `{}` is {}, not a directory, so it cannot become the \
                 artifact root (a `~` strips directories only)",
                item.source,
                crate::store::record_io::kind_of(md.file_type())
            )));
        } else {
            let (sp, sn) = item
                .source
                .rsplit_once('/')
                .unwrap_or(("", item.source.as_str()));
            c.parents(&item.target);
            c.wait_for_previous();
            let sd = Lazy::opened(open_or_self(c.source, sp)?);
            let mut part = Part::default();
            let r = c.shared().record(
                &mut part,
                &sd,
                Path::new(sn),
                item.target.as_bytes().to_vec(),
                &md,
            );
            c.absorb(part);
            r
        };
        r.with_context(|| format!("copying deployFiles `{}`", item.written))?;
    }
    Ok(())
}
