//! `zerops-cache lint`: lint zerops.yaml through the policy component.

use anyhow::Result;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use zerops_cache_policy::{Diagnostic, Severity};

use super::{Format, exit};
use crate::component::PolicyHost;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The config file (default: zerops.yaml, then zerops.yml, in the current directory).
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// One diagnostic in `--format json`.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: &'static str,
    pub code: &'a str,
    pub message: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            severity: d.severity.as_str(),
            code: &d.code,
            message: &d.message,
            line: d.span.start.line,
            column: d.span.start.column,
            end_line: d.span.end.line,
            end_column: d.span.end.column,
            help: d.help.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
struct JsonFile<'a> {
    path: String,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    files: Vec<JsonFile<'a>>,
    errors: usize,
    warnings: usize,
}

pub fn run(args: LintArgs) -> Result<u8> {
    let path = crate::config_file::resolve(args.file.as_deref())?;
    let bytes = crate::config_file::read(&path)?;
    let host = PolicyHost::load()?;
    let diags = host.lint_bytes(&bytes)?;
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let shown = path.display().to_string();
    match args.format {
        Format::Json => {
            let report = JsonReport {
                files: vec![JsonFile {
                    path: shown,
                    diagnostics: diags.iter().map(JsonDiagnostic::from).collect(),
                }],
                errors,
                warnings,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Human => {
            let src = String::from_utf8_lossy(&bytes);
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            print!("{}", crate::render::render(&shown, &src, &diags, color));
            println!("{shown}: {errors} error(s), {warnings} warning(s)");
        }
    }
    Ok(if errors > 0 { exit::FINDINGS } else { exit::OK })
}
