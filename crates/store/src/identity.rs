//! The project identity (see `crates/policy/src/remote/identity.rs`): the
//! host gathers the facts (an explicit id, the git remote URL, the root
//! commit) and the component decides. Local stores and the remote tier are
//! both named by it, so a clone at another path finds the same cache.

use anyhow::{Result, anyhow};
use std::path::Path;

use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::remote::wit::{Identity, IdentityFacts};

/// The environment variable of `--project-id`.
pub const ENV_PROJECT_ID: &str = "ZEROPS_CACHE_PROJECT_ID";

/// One `git` call through the crate's git wrapper: its stdout if it
/// succeeded (a missing git or a directory outside a work tree is "no fact").
fn git(root: &Path, args: &[&str]) -> Option<String> {
    crate::git::run(root, args)
        .ok()
        .map(|out| String::from_utf8_lossy(&out).into_owned())
}

/// The URL of `origin`, else of the first remote (by name).
fn remote_url(root: &Path) -> Option<String> {
    let list = git(root, &["config", "--get-regexp", r"^remote\..*\.url$"])?;
    let mut urls: Vec<(String, String)> = list
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            let name = k.strip_prefix("remote.")?.strip_suffix(".url")?;
            Some((name.to_string(), v.trim().to_string()))
        })
        .collect();
    urls.sort();
    urls.iter()
        .find(|(n, _)| n == "origin")
        .or(urls.first())
        .map(|(_, u)| u.clone())
}

/// The root commit of HEAD (of several, the smallest hash).
fn root_commit(root: &Path) -> Option<String> {
    let out = git(root, &["rev-list", "--max-parents=0", "HEAD"])?;
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .min()
        .map(str::to_string)
}

/// The identity of the project at `root` (canonical), with `explicit` from
/// `--project-id` or the environment.
pub fn find(host: &PolicyHost, root: &Path, explicit: Option<&str>) -> Result<Identity> {
    let explicit = explicit
        .map(str::to_string)
        .or_else(|| std::env::var(ENV_PROJECT_ID).ok())
        .filter(|s| !s.is_empty());
    let facts = IdentityFacts {
        explicit,
        remote_url: remote_url(root),
        root_commit: root_commit(root),
        path: root.display().to_string(),
    };
    host.identify(&facts)?
        .map_err(|e| anyhow!("--project-id / {ENV_PROJECT_ID}: {e}"))
}
