//! Helpers for the build-cache tests: real temporary git repositories, a
//! store per test, the binary with `--format json`, and file multisets.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

use crate::common::{bin, run};

pub struct Proj {
    pub dir: TempDir,
    pub store: TempDir,
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The result of one run.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The last line of stdout, as JSON.
    pub fn json(&self) -> Value {
        let last = self.stdout.lines().last().unwrap_or_else(|| {
            panic!("no stdout; stderr:\n{}", self.stderr);
        });
        serde_json::from_str(last).unwrap_or_else(|e| {
            panic!(
                "last stdout line is not JSON ({e}): {last}\nstderr:\n{}",
                self.stderr
            )
        })
    }
}

impl Proj {
    /// A git repository with `zerops.yaml` and `files`, all committed.
    pub fn new(yaml: &str, files: &[(&str, &str)]) -> Proj {
        let dir = tempfile::Builder::new()
            .prefix("zc-proj")
            .tempdir()
            .unwrap();
        let store = tempfile::Builder::new()
            .prefix("zc-store")
            .tempdir()
            .unwrap();
        let p = Proj { dir, store };
        p.write("zerops.yaml", yaml);
        for (path, text) in files {
            p.write(path, text);
        }
        git(p.path(), &["init", "-q"]);
        git(p.path(), &["add", "-A"]);
        git(p.path(), &["commit", "-qm", "init"]);
        p
    }

    /// The same project with its store in `parent` (e.g. another filesystem).
    pub fn with_store_in(mut self, parent: &Path) -> Proj {
        self.store = tempfile::Builder::new()
            .prefix("zc-store")
            .tempdir_in(parent)
            .unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// `zerops-cache SUB --store STORE ARGS...` in the project directory.
    pub fn cmd(&self, sub: &str, args: &[&str]) -> Command {
        let mut c = bin();
        c.current_dir(self.path())
            .arg(sub)
            .arg("--store")
            .arg(self.store.path())
            .args(args);
        c
    }

    pub fn run(&self, sub: &str, args: &[&str]) -> Ran {
        let (code, stdout, stderr) = run(&mut self.cmd(sub, args));
        Ran {
            code,
            stdout,
            stderr,
        }
    }

    /// `build --format json`, which must succeed; its summary.
    pub fn build_ok(&self, args: &[&str]) -> Value {
        let r = self.build(args);
        assert_eq!(r.code, 0, "build failed:\n{}\n{}", r.stdout, r.stderr);
        r.json()
    }

    pub fn build(&self, args: &[&str]) -> Ran {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        self.run("build", &a)
    }

    /// The store directory of the (only) setup.
    pub fn setup_store(&self) -> PathBuf {
        let projects: Vec<_> = std::fs::read_dir(self.store.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(projects.len(), 1, "{projects:?}");
        let setups: Vec<_> = std::fs::read_dir(&projects[0])
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(setups.len(), 1, "{setups:?}");
        setups[0].clone()
    }

    /// Files of the build layer: path -> content (symlinks as `-> target`).
    pub fn cache_files(&self) -> BTreeMap<String, String> {
        tree(&self.setup_store().join("cache"))
    }

    pub fn home_files(&self) -> BTreeMap<String, String> {
        tree(&self.setup_store().join("base/upper/home/zerops"))
    }

    pub fn record(&self) -> Option<String> {
        std::fs::read_to_string(self.setup_store().join("record.json")).ok()
    }
}

/// Every file and symlink under `root`: relative path -> content or link
/// target. Directories appear through their contents (empty ones as `/`).
pub fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut empty = true;
        for e in rd {
            empty = false;
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if ft.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    rel,
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                );
            }
        }
        if empty && dir != root {
            let rel = dir
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, "/".into());
        }
    }
    walk(root, root, &mut out);
    out
}

/// A zerops.yaml with one setup `app`.
pub fn yaml(prepare: &[&str], build: &[&str], cache: &str, extra: &str) -> String {
    let list = |v: &[&str]| {
        if v.is_empty() {
            " []".to_string()
        } else {
            v.iter()
                .map(|c| format!("\n        - {}", serde_json::to_string(c).unwrap()))
                .collect()
        }
    };
    format!(
        "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n{extra}      prepareCommands:{}\n      buildCommands:{}\n      deployFiles: ./\n      cache: {cache}\n",
        list(prepare),
        list(build)
    )
}

/// buildCommands item: creates a node_modules tree unless it is there.
pub const INSTALL: &str = "[ -d node_modules/a ] || { mkdir -p node_modules/a/lib node_modules/b && echo a > node_modules/a/lib/index.js && echo b > node_modules/b/index.js && echo fresh > installed-now; }";
/// prepareCommands item: counts its runs in the home.
pub const PREPARE: &str = "echo ran >> \"$HOME/prepare.log\"";
