//! `zerops-cache lint`: lint zerops.yaml through the policy component.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zerops_cache_contract::lint::TreeFacts;
use zerops_cache_contract::{Diagnostic, Severity};

use super::json::JsonDiagnostic;
use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_store::store::record_io::read_bytes_with;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Config files (default: zerops.yaml, then zerops.yml, in the current
    /// directory). Each file's directory is its project root.
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: LintFormat,
    /// Exit with 1 on warnings too, not only on errors.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
    /// Check the cache paths of this setup (after `extends`) against the
    /// project directory; default: every setup. An unknown name is an error
    /// that lists the setups.
    #[arg(long, value_name = "NAME")]
    pub(crate) setup: Option<String>,
    /// Do not read the project directory or ask git (skips the lints that
    /// compare cache paths with the files there).
    #[arg(long)]
    pub(crate) no_tree: bool,
}

/// `lint --format`: the common two plus the CI formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub(crate) enum LintFormat {
    /// For people: colours on a terminal, snippets and summaries.
    #[default]
    Human,
    /// A JSON document on stdout: a contract with its own tests.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitLab Code Quality JSON (`artifacts: reports: codequality:`).
    Gitlab,
}

#[derive(Debug, Serialize)]
struct JsonFile<'a> {
    path: String,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Set when the file could not be read (exit code 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    files: Vec<JsonFile<'a>>,
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Whether warnings made the run fail (`--deny-warnings`).
    deny_warnings: bool,
}

/// One linted file.
struct Linted {
    shown: String,
    /// The text (lossy for invalid UTF-8, for snippets), or the read error.
    text: Result<String, String>,
    diags: Vec<Diagnostic>,
}

impl Linted {
    fn count(&self, s: Severity) -> usize {
        self.diags.iter().filter(|d| d.severity == s).count()
    }
}

/// `1 error, 2 warnings, 1 note` (zero counts left out), or `no problems`.
fn summary(errors: usize, warnings: usize, notes: usize) -> String {
    let part = |n: usize, what: &str| match n {
        0 => None,
        1 => Some(format!("1 {what}")),
        n => Some(format!("{n} {what}s")),
    };
    let parts: Vec<String> = [
        part(errors, "error"),
        part(warnings, "warning"),
        part(notes, "note"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "no problems".into()
    } else {
        parts.join(", ")
    }
}

/// The directory of a config file (its project root) and the file's name
/// in it, opened once: the file, the tree and `.deployignore` are read
/// through it.
fn open_root(path: &Path) -> Result<(Dir, PathBuf, &Path)> {
    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(Path::new).unwrap_or(path);
    let dir = Dir::open_ambient_dir(&root, cap_std::ambient_authority())
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((dir, root, name))
}

fn not_read(shown: String, e: &anyhow::Error) -> Linted {
    Linted {
        shown,
        text: Err(format!("{e:#}")),
        diags: Vec::new(),
    }
}

fn lint_one(host: &PolicyHost, path: &Path, args: &LintArgs) -> Result<Vec<Linted>> {
    let shown = path.display().to_string();
    let (dir, root, name) = match open_root(path) {
        Ok(r) => r,
        Err(e) => return Ok(vec![not_read(shown, &e)]),
    };
    // A file over the size limit is refused without reading it.
    if let Some(meta) = zerops_cache_store::config_file::metadata_in(&dir, name, path)
        && meta.is_file()
        && let Some(d) = host.check_size(meta.len())?
    {
        return Ok(vec![Linted {
            shown,
            text: Ok(String::new()),
            diags: vec![d],
        }]);
    }
    let deployignore = || -> Result<Option<Linted>> {
        if args.no_tree {
            return Ok(None);
        }
        lint_deployignore(host, &dir, &root)
    };
    let bytes = match zerops_cache_store::config_file::read_in(host, &dir, name, path) {
        Ok(b) => b,
        Err(e) => {
            let mut out = vec![not_read(shown, &e)];
            out.extend(deployignore()?);
            return Ok(out);
        }
    };
    let facts = if args.no_tree {
        TreeFacts::default()
    } else {
        zerops_cache_store::tree_facts::gather_in(&dir, &root, host.tree_depth(&bytes)?)
    };
    let diags = host.lint_with_tree(&bytes, args.setup.as_deref(), &facts)?;
    let mut out = vec![Linted {
        shown,
        text: Ok(String::from_utf8_lossy(&bytes).into_owned()),
        diags,
    }];
    out.extend(deployignore()?);
    Ok(out)
}

/// The project's `.deployignore` (beside the config), linted, if there is one.
fn lint_deployignore(host: &PolicyHost, dir: &Dir, root: &Path) -> Result<Option<Linted>> {
    let shown = root.join(".deployignore").display().to_string();
    let max = zerops_cache_store::phases::artifact::DEPLOYIGNORE_MAX;
    match read_bytes_with(dir, Path::new(".deployignore"), max + 1, true) {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => Ok(Some(Linted {
            shown,
            diags: host.lint_deployignore(&bytes)?,
            text: Ok(String::from_utf8_lossy(&bytes).into_owned()),
        })),
        Err(p) => Ok(Some(Linted {
            shown: shown.clone(),
            text: Err(format!("{shown} {p}")),
            diags: Vec::new(),
        })),
    }
}

pub fn run(args: LintArgs) -> Result<Exit> {
    let paths = if args.files.is_empty() {
        vec![zerops_cache_store::config_file::resolve(None)?]
    } else {
        args.files.clone()
    };
    let host = PolicyHost::load()?;
    let mut linted: Vec<Linted> = Vec::new();
    for p in &paths {
        linted.extend(lint_one(&host, p, &args)?);
    }
    let total = |s: Severity| linted.iter().map(|l| l.count(s)).sum::<usize>();
    let (errors, warnings, notes) = (
        total(Severity::Error),
        total(Severity::Warning),
        total(Severity::Note),
    );
    let unreadable = linted.iter().filter(|l| l.text.is_err()).count();
    let reports: Vec<crate::ci::FileReport<'_>> = linted
        .iter()
        .map(|l| crate::ci::FileReport {
            path: &l.shown,
            diags: &l.diags,
            error: l.text.as_ref().err().map(String::as_str),
        })
        .collect();
    match args.format {
        LintFormat::Github => print!("{}", crate::ci::github::render(&reports)),
        LintFormat::Gitlab => println!(
            "{}",
            serde_json::to_string(&crate::ci::gitlab::render(&reports))?
        ),
        LintFormat::Sarif => println!(
            "{}",
            serde_json::to_string(&crate::ci::sarif::render(
                &reports,
                zerops_cache_contract::lint::CODES,
                env!("CARGO_PKG_VERSION"),
            ))?
        ),
        LintFormat::Json => print_json(&linted, (errors, warnings, notes), args.deny_warnings)?,
        LintFormat::Human => print_human(&linted, (errors, warnings, notes), args.deny_warnings),
    }
    for l in &linted {
        if let Err(e) = &l.text {
            eprintln!("error: {e}");
        }
    }
    Ok(if unreadable > 0 {
        Exit::Config
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        Exit::Findings
    } else {
        Exit::Ok
    })
}

/// The `--format json` report: every file, then the totals.
fn print_json(
    linted: &[Linted],
    (errors, warnings, notes): (usize, usize, usize),
    deny_warnings: bool,
) -> Result<()> {
    let report = JsonReport {
        files: linted
            .iter()
            .map(|l| JsonFile {
                path: l.shown.clone(),
                diagnostics: l.diags.iter().map(JsonDiagnostic::from).collect(),
                errors: l.count(Severity::Error),
                warnings: l.count(Severity::Warning),
                notes: l.count(Severity::Note),
                error: l.text.as_ref().err().cloned(),
            })
            .collect(),
        errors,
        warnings,
        notes,
        deny_warnings,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Each file's findings as snippets with its summary line, then the
/// totals when there are several files.
fn print_human(
    linted: &[Linted],
    (errors, warnings, notes): (usize, usize, usize),
    deny_warnings: bool,
) {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for l in linted {
        match &l.text {
            Ok(src) => {
                print!(
                    "{}",
                    zerops_cache_base::render::render(&l.shown, src, &l.diags, color)
                );
                println!(
                    "{}: {}",
                    l.shown,
                    summary(
                        l.count(Severity::Error),
                        l.count(Severity::Warning),
                        l.count(Severity::Note)
                    )
                );
            }
            Err(e) => println!("{}: not linted: {e}", l.shown),
        }
        if linted.len() > 1 {
            println!();
        }
    }
    let unreadable = linted.iter().filter(|l| l.text.is_err()).count();
    if linted.len() > 1 {
        println!(
            "{} files: {}{}",
            linted.len(),
            summary(errors, warnings, notes),
            if unreadable > 0 {
                format!(" ({unreadable} could not be read)")
            } else {
                String::new()
            }
        );
    }
    if deny_warnings && errors == 0 && warnings > 0 {
        println!("warnings are denied (--deny-warnings)");
    }
}
