//! The platform's verdict, before a command acts on the file: the rule is
//! the component's (`linter.gate`); this module reads what it needs, shows
//! the findings as `lint` renders them, and stops the command when the
//! verdict says so.

use anyhow::Result;
use cap_std::fs::Dir;
use std::io::IsTerminal;
use std::path::Path;
use zerops_cache_contract::lint::GatedCommand;

use zerops_cache_base::diagnostic::{FileVerdict, Refused};
use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;
use zerops_cache_store::store::record_io::read_bytes_with;

/// The files the verdict is about, as the user names them.
pub(crate) struct Checked<'a> {
    pub(crate) host: &'a PolicyHost,
    /// The project directory (where `.deployignore` is), opened.
    pub(crate) dir: &'a Dir,
    /// The config file, as shown to the user.
    pub(crate) config: String,
    pub(crate) source: &'a [u8],
}

/// Asks the component for the verdict on the config and the project's
/// `.deployignore` for `command`. A verdict that refuses is an error that
/// renders every finding (exit 3); otherwise the findings (warnings, or
/// the errors a command that goes on reports) are printed to stderr and
/// the verdict returned with the texts it is about.
pub(crate) fn check(files: &Checked<'_>, command: GatedCommand) -> Result<FileVerdict> {
    let deployignore = read_deployignore(files.dir)?;
    let verdict = files
        .host
        .gate(files.source, deployignore.as_deref(), command)?;
    let judged = FileVerdict {
        command: command.name(),
        config: files.config.clone(),
        config_text: String::from_utf8_lossy(files.source).into_owned(),
        deployignore_text: deployignore
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        verdict,
    };
    if judged.verdict.refuse {
        return Err(Refused(judged).into());
    }
    if command != GatedCommand::Status {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        eprint!("{}", judged.render_findings(color));
    }
    Ok(judged)
}

/// The project's `.deployignore`, if it has one, read as the build reads
/// it (a file that cannot be read is the build's error, given now).
fn read_deployignore(dir: &Dir) -> Result<Option<Vec<u8>>> {
    let max = zerops_cache_store::phases::artifact::DEPLOYIGNORE_MAX;
    read_bytes_with(dir, Path::new(".deployignore"), max + 1, true).map_err(|p| {
        Exit::Config.error(format!(".deployignore {p}; `zerops-cache lint` checks it"))
    })
}
