//! The platform's verdict on a zerops.yaml, for the commands that act on it.

use crate::diag::Diagnostic;

/// A command of a host that acts on a zerops.yaml. The gate answers for
/// each: whether it must stop before it runs anything, and what to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatedCommand {
    Build,
    Plan,
    Keys,
    Advise,
    Status,
    Invalidate,
    Activate,
}

impl GatedCommand {
    /// Every command, in declaration order.
    pub const ALL: [GatedCommand; 7] = [
        GatedCommand::Build,
        GatedCommand::Plan,
        GatedCommand::Keys,
        GatedCommand::Advise,
        GatedCommand::Status,
        GatedCommand::Invalidate,
        GatedCommand::Activate,
    ];

    /// The command's name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            GatedCommand::Build => "build",
            GatedCommand::Plan => "plan",
            GatedCommand::Keys => "keys",
            GatedCommand::Advise => "advise",
            GatedCommand::Status => "status",
            GatedCommand::Invalidate => "invalidate",
            GatedCommand::Activate => "activate",
        }
    }
}

/// What the gate says to one command about one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateVerdict {
    /// The command must stop before it runs anything: the file has an
    /// error that `lint` reports (the platform rejects the file).
    pub refuse: bool,
    /// A build of this file would be refused (what `status` tells).
    pub build_refuses: bool,
    /// What the command shows before it goes on or stops: lint's errors and
    /// warnings of the config file, in lint's order (notes are left out).
    pub findings: Vec<Diagnostic>,
    /// The same for the project's `.deployignore` (positions in that file).
    pub deployignore: Vec<Diagnostic>,
}

impl GateVerdict {
    /// How many errors the verdict shows, in both files.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .chain(&self.deployignore)
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count()
    }
}
