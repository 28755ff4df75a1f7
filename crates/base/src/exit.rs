//! Exit codes: one per failure class, so CI can tell "your command failed"
//! from "the store is busy" from "the tool broke" (as nextest does). The
//! table is in the README; `code_table_is_documented` keeps them equal.
//!
//! An error carries its class: either as one of the typed errors of the
//! crate (a failed build command, a busy lock, a broken store file, a
//! signal, a policy diagnostic) or wrapped in a [`Failure`] by
//! [`Classify::class`]. [`Exit::of`] finds the class in the error's chain;
//! an error nobody classified is a bug of the tool ([`Exit::Internal`]).

use std::fmt;

/// How `zerops-cache` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing found.
    Ok,
    /// 1: the command ran and found something: lint errors (or warnings
    /// with `--deny-warnings`), no path matched, a store that needs repair.
    Findings,
    /// 2: bad command line: an unknown flag, a bad value, a bad pattern.
    Usage,
    /// 3: the config cannot be used: zerops.yaml (or .deployignore) is
    /// missing, unreadable, not UTF-8, invalid, or has no such setup.
    Config,
    /// 4: the build ran and one of its commands failed (or ran out of
    /// `--timeout`); the store was rolled back.
    BuildFailed,
    /// 5: another command holds the store's lock (with `--no-wait`).
    StoreLocked,
    /// 6: a store file or directory is broken; `zerops-cache repair` fixes it.
    StoreBroken,
    /// 7: this machine cannot do what was asked (e.g. no namespaces for the
    /// build container; `--isolation none` runs on the host).
    Unsupported,
    /// 8: the remote tier could not be reached by a command that must
    /// reach it (`invalidate`, `activate`, `remote ...`); builds never fail
    /// for it, they go on local or cold.
    RemoteUnavailable,
    /// 101: a bug of zerops-cache (an unclassified error, or a panic).
    Internal,
    /// 128+N: interrupted by signal N (the build was rolled back).
    Signal(i32),
}

impl Exit {
    /// Every class, in the order of their codes (`Signal(0)` stands for
    /// every signal): the one table `--help` ([`Exit::help`]) and the
    /// README's exit table are made from or checked against.
    pub(crate) const ALL: [Exit; 11] = [
        Exit::Ok,
        Exit::Findings,
        Exit::Usage,
        Exit::Config,
        Exit::BuildFailed,
        Exit::StoreLocked,
        Exit::StoreBroken,
        Exit::Unsupported,
        Exit::RemoteUnavailable,
        Exit::Internal,
        Exit::Signal(0),
    ];

    /// The class's name, as the README's table names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Findings => "findings",
            Exit::Usage => "usage",
            Exit::Config => "config",
            Exit::BuildFailed => "build failed",
            Exit::StoreLocked => "store locked",
            Exit::StoreBroken => "store broken",
            Exit::Unsupported => "unsupported",
            Exit::RemoteUnavailable => "remote unavailable",
            Exit::Internal => "internal",
            Exit::Signal(_) => "signal",
        }
    }

    /// The section `--help` ends with: every code and its class.
    pub fn help() -> String {
        let codes: Vec<String> = Exit::ALL
            .iter()
            .map(|e| format!("{} {}", e.code_text(), e.name()))
            .collect();
        format!("Exit codes (see the README): {}", codes.join(", "))
    }

    /// The code as the tables write it: `128+N` for a signal.
    pub(crate) fn code_text(self) -> String {
        match self {
            Exit::Signal(_) => "128+N".to_string(),
            e => e.code().to_string(),
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Findings => 1,
            Exit::Usage => 2,
            Exit::Config => 3,
            Exit::BuildFailed => 4,
            Exit::StoreLocked => 5,
            Exit::StoreBroken => 6,
            Exit::Unsupported => 7,
            Exit::RemoteUnavailable => 8,
            Exit::Internal => 101,
            Exit::Signal(n) => u8::try_from(128 + n).unwrap_or(255),
        }
    }

    /// The class of an error: the first classified error in its chain (a
    /// signal wins over everything, as the build stopped because of it);
    /// an error with no [`Kind`] in its chain is a bug ([`Exit::Internal`]).
    pub fn of(e: &anyhow::Error) -> Exit {
        if let Some(i) = e.downcast_ref::<crate::interrupt::Interrupted>() {
            return Exit::Signal(i.0);
        }
        e.chain()
            .find_map(Kind::of)
            .map_or(Exit::Internal, Kind::process_exit_code)
    }

    /// A new error of this class.
    pub fn error(self, msg: impl fmt::Display) -> anyhow::Error {
        anyhow::Error::new(Failure {
            exit: self,
            error: anyhow::anyhow!("{msg}"),
        })
    }
}

/// Every kind of error that carries an exit class, one variant per type:
/// a new kind of error is a new variant, and the compiler then asks for
/// its class in [`Kind::process_exit_code`] (as nextest's
/// `ExpectedError::process_exit_code()`). [`Kind::of`] is the one place
/// that recognizes them in an error's chain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind<'a> {
    /// A class given where the error was made: [`Exit::error`],
    /// [`Classify::class`].
    Given(&'a Failure),
    /// A command of the build failed or timed out ([`crate::runner::CommandFailed`]).
    CommandFailed,
    /// The store's lock is held (`--no-wait`; [`crate::store_error::Locked`]).
    Locked,
    /// A store file could not be read as what it should be
    /// ([`crate::store_error::BadFile`]).
    BadFile,
    /// A policy diagnostic about the config
    /// ([`crate::diagnostic::DiagnosticError`]).
    Diagnostic,
    /// The platform's verdict: lint errors refuse the command
    /// ([`crate::diagnostic::Refused`]).
    Refused,
    /// A signal stopped the command.
    Interrupted(&'a crate::interrupt::Interrupted),
}

impl<'a> Kind<'a> {
    /// The kind of one error of a chain, if it has one.
    pub(crate) fn of(e: &'a (dyn std::error::Error + 'static)) -> Option<Kind<'a>> {
        use crate::{diagnostic, interrupt, runner, store_error};
        if let Some(f) = e.downcast_ref::<Failure>() {
            Some(Kind::Given(f))
        } else if e.is::<runner::CommandFailed>() {
            Some(Kind::CommandFailed)
        } else if e.is::<store_error::Locked>() {
            Some(Kind::Locked)
        } else if e.is::<store_error::BadFile>() {
            Some(Kind::BadFile)
        } else if e.is::<diagnostic::DiagnosticError>() {
            Some(Kind::Diagnostic)
        } else if e.is::<diagnostic::Refused>() {
            Some(Kind::Refused)
        } else {
            e.downcast_ref::<interrupt::Interrupted>()
                .map(Kind::Interrupted)
        }
    }

    /// The exit class of this kind of error.
    pub(crate) fn process_exit_code(self) -> Exit {
        match self {
            Kind::Given(f) => f.exit,
            Kind::CommandFailed => Exit::BuildFailed,
            Kind::Locked => Exit::StoreLocked,
            Kind::BadFile => Exit::StoreBroken,
            Kind::Diagnostic | Kind::Refused => Exit::Config,
            Kind::Interrupted(i) => Exit::Signal(i.0),
        }
    }
}

/// An error with the class it was given by [`Classify::class`]. It shows as
/// the error it wraps (its message, then that error's causes).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Gives the errors of a result a class, unless they already have one.
pub trait Classify<T> {
    fn class(self, exit: Exit) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn class(self, exit: Exit) -> anyhow::Result<T> {
        self.map_err(|e| {
            let error = e.into();
            if error.chain().any(|c| Kind::of(c).is_some()) {
                error
            } else {
                anyhow::Error::new(Failure { exit, error })
            }
        })
    }
}

/// Renders an error that ended a command, for stderr: a diagnostic with a
/// file and a position as a snippet showing the file, line and field (with
/// its code and help); any other error as `error: ` and its causes.
pub fn report(e: &anyhow::Error, color: bool) -> String {
    if let Some(r) = e
        .chain()
        .find_map(|c| c.downcast_ref::<crate::diagnostic::Refused>())
    {
        let mut out = r.0.render_findings(color);
        out.push_str(&format!("error: {r}\n"));
        return out;
    }
    let found = e
        .chain()
        .find_map(|c| c.downcast_ref::<crate::diagnostic::DiagnosticError>());
    if let Some(d) = found
        && let (Some(path), Some(src), Some(_)) = (&d.path, &d.source, d.position())
    {
        // The context around it (what the command was doing) comes first.
        let mut out = String::new();
        for c in e.chain() {
            if c.downcast_ref::<crate::diagnostic::DiagnosticError>()
                .is_some()
            {
                break;
            }
            if c.downcast_ref::<Failure>().is_none() {
                out.push_str(&format!("error: {c}\n"));
            }
        }
        out.push_str(
            crate::render::render(path, src, std::slice::from_ref(&d.diagnostic), color).trim_end(),
        );
        out.push('\n');
        return out;
    }
    let mut out = format!("error: {e:#}\n");
    if let Some(h) = found.and_then(|d| d.help()) {
        out.push_str(&format!("help: {h}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn classes_survive_context() {
        let e = Exit::Config.error("bad").context("reading");
        assert_eq!(Exit::of(&e), Exit::Config);
        assert_eq!(format!("{e:#}"), "reading: bad");
        let e: anyhow::Result<()> = Err(anyhow::anyhow!("plain"));
        let e = e.class(Exit::Usage).context("outer").unwrap_err();
        assert_eq!(Exit::of(&e), Exit::Usage);
        assert_eq!(format!("{e:#}"), "outer: plain");
        assert_eq!(Exit::of(&anyhow::anyhow!("nobody's")), Exit::Internal);
    }

    #[test]
    fn a_signal_wins_and_is_128_plus_n() {
        let e = anyhow::Error::new(crate::interrupt::Interrupted(15)).context("building");
        let e: anyhow::Result<()> = Err(e);
        let e = e.class(Exit::BuildFailed).unwrap_err();
        assert_eq!(Exit::of(&e), Exit::Signal(15));
        assert_eq!(Exit::Signal(15).code(), 143);
    }

    #[test]
    fn an_inner_class_is_kept() {
        let e: anyhow::Result<()> = Err(Exit::StoreBroken.error("torn"));
        let e = e.class(Exit::Config).unwrap_err();
        assert_eq!(Exit::of(&e), Exit::StoreBroken);
    }

    /// The README's exit table has one row per class, in order, with the
    /// class's code and name; `--help` lists every code.
    #[test]
    fn code_table_is_documented() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("| Code | Class | When |")
            .expect("README exit table");
        let rows: Vec<(String, String)> = readme[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (cells[1].to_string(), cells[2].to_string())
            })
            .collect();
        let want: Vec<(String, String)> = Exit::ALL
            .iter()
            .map(|e| (e.code_text(), e.name().to_string()))
            .collect();
        assert_eq!(rows, want, "README's exit table differs from Exit::ALL");
        let help = Exit::help();
        for e in Exit::ALL {
            let entry = format!("{} {}", e.code_text(), e.name());
            assert!(help.contains(&entry), "--help lacks `{entry}`: {help}");
        }
    }
}
