//! The platform's verdict gates every command that acts on the file: one
//! rule for every host and command. A file that `lint` reports an error
//! in is a file the platform rejects, so `build`, `plan`, `keys` and
//! `advise` stop before anything runs; `status` shows the findings and
//! says the next build will refuse; `invalidate` and `activate` need only
//! the setup's name and go on.

use crate::diag::{Diagnostic, Severity};

pub use zerops_cache_contract::lint::gate::{GateVerdict, GatedCommand};

/// Whether `command` stops on a file with errors.
pub const fn stops_on_errors(command: GatedCommand) -> bool {
    match command {
        GatedCommand::Build | GatedCommand::Plan | GatedCommand::Keys | GatedCommand::Advise => {
            true
        }
        GatedCommand::Status | GatedCommand::Invalidate | GatedCommand::Activate => false,
    }
}

/// Whether `command` shows the file's findings at all (the commands that
/// need only the setup's name do not read the rest of the file).
const fn shows_findings(command: GatedCommand) -> bool {
    !matches!(command, GatedCommand::Invalidate | GatedCommand::Activate)
}

/// Errors and warnings; notes are lint's alone (they never change what a
/// command does).
fn shown(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter(|d| d.severity != Severity::Note)
        .collect()
}

/// The verdict for `command` on the config bytes `source` and the
/// project's `.deployignore` bytes, if it has one: the same findings as
/// `lint` reports for the file (without the tree lints, which never give
/// errors) and for the `.deployignore`.
pub fn gate(source: &[u8], deployignore: Option<&[u8]>, command: GatedCommand) -> GateVerdict {
    let findings = shown(super::lint_bytes(source));
    let deployignore = shown(
        deployignore
            .map(super::deployignore::check)
            .unwrap_or_default(),
    );
    let has_errors = findings
        .iter()
        .chain(&deployignore)
        .any(|d| d.severity == Severity::Error);
    let (findings, deployignore) = if shows_findings(command) {
        (findings, deployignore)
    } else {
        (Vec::new(), Vec::new())
    };
    GateVerdict {
        refuse: has_errors && stops_on_errors(command),
        build_refuses: has_errors,
        findings,
        deployignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    const TYPO: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildComands:\n        - npm ci\n      deployFiles: ./\n";
    const CLEAN: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands:\n        - npm ci\n      deployFiles: ./\n";

    #[test]
    fn an_error_stops_the_commands_that_act_on_the_file() {
        for c in GatedCommand::ALL {
            let v = gate(TYPO.as_bytes(), None, c);
            assert!(v.build_refuses, "{c:?}");
            assert_eq!(v.refuse, stops_on_errors(c), "{c:?}");
            let codes: Vec<Code> = v.findings.iter().map(|d| d.code).collect();
            if shows_findings(c) {
                assert_eq!(codes, [Code::UnknownKey], "{c:?}");
            } else {
                assert!(codes.is_empty(), "{c:?}");
            }
        }
        let stopping: Vec<&str> = GatedCommand::ALL
            .into_iter()
            .filter(|c| stops_on_errors(*c))
            .map(GatedCommand::name)
            .collect();
        assert_eq!(stopping, ["build", "plan", "keys", "advise"]);
    }

    #[test]
    fn a_clean_file_passes_every_command() {
        for c in GatedCommand::ALL {
            let v = gate(CLEAN.as_bytes(), Some(b"*.log\n"), c);
            assert!(!v.refuse && !v.build_refuses, "{c:?}");
            assert_eq!(v.errors(), 0);
        }
    }

    #[test]
    fn warnings_are_shown_and_do_not_stop() {
        let src = CLEAN.replace("deployFiles: ./", "deployFiles: ./\n      cache: \"**/x\"");
        let v = gate(src.as_bytes(), None, GatedCommand::Build);
        assert!(!v.refuse);
        assert!(!v.findings.is_empty());
        assert!(v.findings.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn a_deployignore_error_stops_the_build_too() {
        let v = gate(CLEAN.as_bytes(), Some(b"\xff\xfe"), GatedCommand::Build);
        assert!(v.refuse);
        assert!(v.findings.is_empty());
        assert_eq!(v.deployignore[0].code, Code::DeployignoreInvalidUtf8);
        assert_eq!(v.errors(), 1);
    }

    #[test]
    fn findings_are_lints_own_without_notes() {
        let src = TYPO.as_bytes();
        let lint: Vec<Diagnostic> = super::super::lint_bytes(src)
            .into_iter()
            .filter(|d| d.severity != Severity::Note)
            .collect();
        assert_eq!(gate(src, None, GatedCommand::Plan).findings, lint);
    }
}
