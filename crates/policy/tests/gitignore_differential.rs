//! Differential test of the `.deployignore` matcher against git itself:
//! generated ignore files and a generated tree go through
//! `git check-ignore --no-index` and through the walker's `Deploy` rule
//! (`plan::walker::Walker`, which parses with `plan::gitignore`); the
//! ignored paths must be the same.
//!
//! Each trial is a directory `tN/` of one repository with its own
//! `.gitignore` (patterns of a nested `.gitignore` are relative to its
//! directory, as those of `.deployignore` are to the project's root) and
//! the same tree below it, so one `git check-ignore --stdin` answers every
//! trial. A path below an ignored directory is ignored (git reports the
//! directory's pattern for it; our walk never enters the directory).
//!
//! Needs `git` on PATH (CI installs it). Knobs: `ZEROPS_DIFF_SEED` and
//! `ZEROPS_GITIGNORE_TRIALS` (default 1500).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use zerops_cache_policy::pattern::corpus::Rng;
use zerops_cache_policy::plan::walker::{Listing, Purpose, Step, Walker};
use zerops_cache_policy::select::{Entry, EntryKind};

const DEFAULT_SEED: u64 = 0x5EED_2026_0024;
const DEFAULT_TRIALS: usize = 1500;

/// Names of the tree's entries: plain, with the characters gitignore
/// gives a meaning (`#`, `!`, `[`, `*`, `\`, spaces), and near misses.
const NAMES: &[&str] = &[
    "a",
    "b",
    "ab",
    "ba",
    "a.log",
    "b.log",
    "x.txt",
    "log",
    "#h",
    "!n",
    "[a]",
    "a b",
    "sp ",
    "*",
    "a\\b",
    "é",
    "node_modules",
    "build",
    ".env",
    "a]",
];

/// Pattern components; a line joins one to four of them with `/`.
const COMPONENTS: &[&str] = &[
    "a",
    "b",
    "ab",
    "*",
    "**",
    "?",
    "a*",
    "*b",
    "*.log",
    "a.log",
    "x.txt",
    "log",
    "[ab]",
    "[!a]",
    "[^a]",
    "[a-c]",
    "[]a]",
    "[!]]",
    "[a",
    "\\#h",
    "#h",
    "\\!n",
    "!n",
    "\\[a]",
    "\\*",
    "a\\ b",
    "a b",
    "sp\\ ",
    "é",
    "?.log",
    "**a",
    "a**",
    "node_modules",
    "build",
    ".env",
    "[[:alpha:]]",
    "[[:digit:]]",
    "a]",
    "\\a",
    "a\\",
    "[\\]]",
    "b[",
    "",
];

fn line(rng: &mut Rng) -> String {
    let mut s = String::new();
    match rng.below(20) {
        0 => return String::new(),
        1 => return format!("# {}", rng.pick(COMPONENTS)),
        2 => s.push('!'),
        3 => s.push('/'),
        4 => s.push_str("!/"),
        5 => s.push_str("\\!"),
        6 => s.push_str("\\#"),
        _ => {}
    }
    // Mostly short lines of names that occur in the tree, so that lines
    // match often enough for negation and order to matter.
    let n = 1 + rng.below(2) + rng.below(3) / 2;
    let parts: Vec<&str> = (0..n)
        .map(|_| {
            if rng.chance(40) {
                *rng.pick(NAMES)
            } else {
                *rng.pick(COMPONENTS)
            }
        })
        .collect();
    s.push_str(&parts.join("/"));
    match rng.below(12) {
        0 => s.push('/'),
        1 => s.push_str("//"),
        2 => s.push_str("   "),
        3 => s.push_str("\\ "),
        4 => s.push_str("\\  "),
        5 => s.push('\t'),
        6 => s.push_str("/ "),
        7 => s.push('\\'),
        _ => {}
    }
    s
}

fn ignore_file(rng: &mut Rng) -> String {
    let mut text = String::new();
    if rng.chance(10) {
        text.push('\u{feff}');
    }
    let eol = if rng.chance(10) { "\r\n" } else { "\n" };
    let n = 1 + rng.below(5);
    for i in 0..n {
        text.push_str(&line(rng));
        if i + 1 < n || rng.chance(70) {
            text.push_str(eol);
        }
    }
    text
}

/// A tree of 1 to 4 levels: path → is it a directory.
fn tree(rng: &mut Rng) -> BTreeMap<String, bool> {
    let mut t = BTreeMap::new();
    for _ in 0..40 {
        let depth = 1 + rng.below(4);
        let comps: Vec<&str> = (0..depth).map(|_| *rng.pick(NAMES)).collect();
        for d in 1..depth {
            let dir = comps[..d].join("/");
            if t.get(&dir) == Some(&false) {
                break; // already a file: a file cannot have children
            }
            t.insert(dir, true);
        }
        let leaf = comps.join("/");
        let parent_is_file = (1..depth).any(|d| t.get(&comps[..d].join("/")) == Some(&false));
        if !parent_is_file {
            t.entry(leaf).or_insert(false);
        }
    }
    t
}

/// What our walk ignores in `tree`: every skipped entry and all below it.
fn ours(text: &str, tree: &BTreeMap<String, bool>) -> BTreeSet<String> {
    let walker = Walker::new(&Purpose::Deploy(Some(text.to_string())));
    let mut ignored = BTreeSet::new();
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let children: Vec<(&String, bool)> = tree
            .iter()
            .filter(|(p, _)| {
                p.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .map(|(p, d)| (p, *d))
            .collect();
        let entries = children
            .iter()
            .map(|(p, d)| {
                let name = &p[prefix.len()..];
                Entry::new(name, if *d { EntryKind::Dir } else { EntryKind::File })
            })
            .collect();
        let listing = Listing {
            dir: dir.clone(),
            entries,
            against: Vec::new(),
        };
        for ((path, _), step) in children.iter().zip(walker.decide(&listing)) {
            match step {
                Step::Descend => dirs.push((*path).clone()),
                Step::Take => {}
                Step::Skip(_) => {
                    ignored.extend(
                        tree.keys()
                            .filter(|q| *q == *path || q.starts_with(&format!("{path}/")))
                            .cloned(),
                    );
                }
            }
        }
    }
    ignored
}

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Creates the repository: `tN/.gitignore` and the tree under each `tN`.
fn make_repo(root: &Path, files: &[String], tree: &BTreeMap<String, bool>) {
    let st = Command::new("git")
        .args(["init", "-q"])
        .arg(root)
        .status()
        .unwrap();
    assert!(st.success(), "git init failed");
    for (i, text) in files.iter().enumerate() {
        let t = root.join(format!("t{i}"));
        for (p, is_dir) in tree {
            let path = t.join(p);
            if *is_dir {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, b"").unwrap();
            }
        }
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join(".gitignore"), text).unwrap();
    }
}

/// The paths git ignores, of all trials, as `tN/path`.
fn git_ignored(root: &Path, queries: &[String]) -> BTreeSet<String> {
    let mut child = Command::new("git")
        .args(["-c", "core.ignorecase=false", "check-ignore", "--no-index"])
        .args(["--stdin", "-z"])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start git check-ignore");
    let mut stdin = child.stdin.take().unwrap();
    let input: Vec<u8> = queries.iter().flat_map(|q| q.bytes().chain([0])).collect();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    // 0: some path ignored, 1: none; anything else is an error.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "git check-ignore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8(s.to_vec()).unwrap())
        .collect()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn deployignore_matches_git_check_ignore() {
    if !git_available() {
        assert!(
            std::env::var("CI").is_err(),
            "git is missing under CI (install it: apt-get install git)"
        );
        let _ = writeln!(std::io::stderr(), "SKIP: `git` is missing");
        return;
    }
    let seed = env_or("ZEROPS_DIFF_SEED", DEFAULT_SEED);
    let trials = env_or("ZEROPS_GITIGNORE_TRIALS", DEFAULT_TRIALS);
    let mut rng = Rng::new(seed);
    let tree = tree(&mut rng);
    let files: Vec<String> = (0..trials).map(|_| ignore_file(&mut rng)).collect();

    // Tens of thousands of small files: in memory where there is a tmpfs.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    make_repo(dir.path(), &files, &tree);
    let queries: Vec<String> = (0..trials)
        .flat_map(|i| tree.keys().map(move |p| format!("t{i}/{p}")))
        .collect();
    let git = git_ignored(dir.path(), &queries);

    let mut disagreements = Vec::new();
    let mut ignored_total = 0usize;
    for (i, text) in files.iter().enumerate() {
        let ours = ours(text, &tree);
        ignored_total += ours.len();
        for (p, is_dir) in &tree {
            let g = git.contains(&format!("t{i}/{p}"));
            let o = ours.contains(p);
            if g != o {
                disagreements.push(format!(
                    "{text:?} on {p:?} ({}): git ignored={g}, ours ignored={o}",
                    if *is_dir { "dir" } else { "file" }
                ));
            }
        }
    }
    let cases = trials * tree.len();
    eprintln!(
        "gitignore differential: {trials} ignore files × {} paths = {cases} cases (seed \
         {seed:#x}): {ignored_total} ignored; {} disagreements",
        tree.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements with git check-ignore; first 20:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
    // The generator must exercise both outcomes, or it tests little.
    assert!(
        ignored_total > cases / 20,
        "too few ignored: {ignored_total}"
    );
    assert!(
        ignored_total < cases * 19 / 20,
        "too many ignored: {ignored_total}"
    );
}
