//! The one place that runs git: the workspace's git-visible files, the
//! tree lints' tracked files and `explain --git`'s old config all ask it
//! here (as does the project identity's remote URL and root commit), with stdin closed and a clear error when git is missing or fails.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zerops_cache_base::exit::{Classify, Exit};

/// Runs `git -C dir ARGS`; its stdout on success, git's message as the error.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .context("running git (is it installed?)")
        .class(Exit::Unsupported)?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// Whether `git -C dir ARGS` succeeds (its output is dropped).
pub(crate) fn succeeds(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The paths of a `-z` listing, as given (bytes, not necessarily UTF-8).
fn paths(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|&b| b == 0).filter(|p| !p.is_empty())
}

/// The git-visible files under `dir`, relative to it, sorted and unique:
/// tracked files plus untracked ones that are not ignored (what `zcli
/// push` sends). Fails outside a work tree.
pub(crate) fn visible_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let out = run(
        dir,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )?;
    let set: std::collections::BTreeSet<Vec<u8>> = paths(&out).map(<[u8]>::to_vec).collect();
    Ok(set
        .into_iter()
        .map(|p| PathBuf::from(OsString::from_vec(p)))
        .collect())
}

/// The files under `dir` that git ignores (untracked and matched by
/// `.gitignore` and the other exclude files), relative to it: what `zcli
/// push` leaves out. Empty outside a work tree or without git.
pub(crate) fn ignored_files(dir: &Path) -> Vec<PathBuf> {
    ignored(dir, false)
}

/// The directories under `dir` that git ignores as a whole (every entry
/// in them untracked and ignored), relative to it.
pub(crate) fn ignored_dirs(dir: &Path) -> Vec<PathBuf> {
    ignored(dir, true)
}

/// `git ls-files --others --ignored`: files, or with `dirs` only the
/// directories ignored whole (git lists them with a trailing `/`).
fn ignored(dir: &Path, dirs: bool) -> Vec<PathBuf> {
    let mut args = vec![
        "ls-files",
        "-z",
        "--others",
        "--ignored",
        "--exclude-standard",
    ];
    if dirs {
        args.push("--directory");
    }
    let Ok(out) = run(dir, &args) else {
        return Vec::new();
    };
    paths(&out)
        .filter_map(|p| if dirs { p.strip_suffix(b"/") } else { Some(p) })
        .map(|p| PathBuf::from(OsString::from_vec(p.to_vec())))
        .collect()
}

/// The tracked files under `dir` (UTF-8 names only, relative to it);
/// `None` when git is missing or `dir` is not in a work tree.
pub fn tracked_files(dir: &Path) -> Option<Vec<String>> {
    let out = run(dir, &["ls-files", "-z"]).ok()?;
    Some(
        paths(&out)
            .filter_map(|p| std::str::from_utf8(p).ok())
            .map(str::to_string)
            .collect(),
    )
}

/// The content of `path` at revision `rev`, read with `git show
/// REV:./NAME` from the file's directory (so any path works); `None` when
/// the revision exists but the file did not exist in it. An unknown
/// revision is an error.
pub fn show_at(rev: &str, path: &Path) -> Result<Option<Vec<u8>>> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    run(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .with_context(|| format!("`{rev}` is not a git revision here"))?;
    let spec = format!("{rev}:./{}", name.to_string_lossy());
    if !succeeds(dir, &["cat-file", "-e", &spec]) {
        return Ok(None);
    }
    run(dir, &["show", &spec]).map(Some)
}
