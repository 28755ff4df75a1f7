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

/// Every class with its code and its meaning, for the README and `--help`.
pub const TABLE: [(u8, &str); 11] = [
    (0, "success"),
    (
        1,
        "findings: lint errors, no path matched, a store that needs repair",
    ),
    (2, "usage: bad command line (flag, value, pattern)"),
    (
        3,
        "config: zerops.yaml missing, unreadable, invalid, or no such setup",
    ),
    (
        4,
        "build failed: a command of the build failed or timed out",
    ),
    (
        5,
        "store locked: another command holds the lock (--no-wait)",
    ),
    (6, "store broken: a store file is damaged (run repair)"),
    (7, "unsupported: e.g. no namespaces for the build container"),
    (
        8,
        "remote unavailable: the remote tier could not be reached (not for builds)",
    ),
    (101, "internal: a bug of zerops-cache"),
    (128, "128+N: interrupted by signal N"),
];

impl Exit {
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
    /// signal wins over everything, as the build stopped because of it).
    pub fn of(e: &anyhow::Error) -> Exit {
        if let Some(i) = e.downcast_ref::<crate::interrupt::Interrupted>() {
            return Exit::Signal(i.0);
        }
        e.chain().find_map(class_of).unwrap_or(Exit::Internal)
    }

    /// A new error of this class.
    pub fn error(self, msg: impl fmt::Display) -> anyhow::Error {
        anyhow::Error::new(Failure {
            exit: self,
            error: anyhow::anyhow!("{msg}"),
        })
    }
}

fn class_of(e: &(dyn std::error::Error + 'static)) -> Option<Exit> {
    if let Some(f) = e.downcast_ref::<Failure>() {
        Some(f.exit)
    } else if e.is::<crate::runner::CommandFailed>() {
        Some(Exit::BuildFailed)
    } else if e.is::<crate::store::lock::Locked>() {
        Some(Exit::StoreLocked)
    } else if e.is::<crate::store::record_io::BadFile>() {
        Some(Exit::StoreBroken)
    } else if e.is::<crate::diagnostic::DiagnosticError>() || e.is::<crate::diagnostic::Refused>() {
        Some(Exit::Config)
    } else {
        e.downcast_ref::<crate::interrupt::Interrupted>()
            .map(|i| Exit::Signal(i.0))
    }
}

/// An error with the class it was given by [`Classify::class`]. It shows as
/// the error it wraps (its message, then that error's causes).
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
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
            if error.chain().any(|c| class_of(c).is_some()) {
                error
            } else {
                anyhow::Error::new(Failure { exit, error })
            }
        })
    }
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

    #[test]
    fn code_table_is_documented() {
        let readme = include_str!("../../README.md");
        for (code, _) in TABLE {
            let row = format!("| {code} ");
            assert!(readme.contains(&row), "README has no exit-code row `{row}`");
        }
        let codes: Vec<u8> = [
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
        ]
        .map(Exit::code)
        .to_vec();
        assert_eq!(codes, TABLE.map(|(c, _)| c).to_vec());
    }
}
