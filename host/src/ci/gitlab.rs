//! `lint --format gitlab`: a GitLab Code Quality report, the JSON array of
//! Code Climate issues that GitLab shows in merge requests
//! (`artifacts: reports: codequality:`).

use serde::Serialize;
use zerops_cache_contract::Severity;

use super::{FileReport, ci_path, fingerprints, message_with_help};

#[derive(Debug, Serialize)]
pub(crate) struct Issue {
    /// Always `issue` (the Code Climate type GitLab reads).
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) description: String,
    pub(crate) check_name: String,
    pub(crate) fingerprint: String,
    pub(crate) severity: &'static str,
    pub(crate) location: Location,
}

#[derive(Debug, Serialize)]
pub(crate) struct Location {
    pub(crate) path: String,
    pub(crate) lines: Lines,
}

#[derive(Debug, Serialize)]
pub(crate) struct Lines {
    pub(crate) begin: u32,
    pub(crate) end: u32,
}

/// Our three severities on GitLab's five: an error is `major` (the
/// platform rejects the file or the cache cannot work), a warning `minor`,
/// a note `info`. `critical` and `blocker` are left for security tools.
pub(crate) fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

/// The report for all files. A file that could not be read has no entry
/// (the error goes to stderr and the exit code is 2).
pub(crate) fn render(files: &[FileReport<'_>]) -> Vec<Issue> {
    let mut out = Vec::new();
    for f in files {
        let path = ci_path(f.path);
        for (d, fingerprint) in f.diags.iter().zip(fingerprints(&path, f.diags)) {
            out.push(Issue {
                kind: "issue",
                description: message_with_help(d),
                check_name: d.code.to_string(),
                fingerprint,
                severity: severity(d.severity),
                location: Location {
                    path: path.clone(),
                    lines: Lines {
                        begin: d.span_or_start().start.line,
                        end: d.span_or_start().end.line.max(d.span_or_start().start.line),
                    },
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::fixture;

    #[test]
    fn snapshot() {
        let diags = fixture::diags();
        let out = render(&[FileReport {
            path: "./api/zerops.yaml",
            diags: &diags,
            error: None,
        }]);
        insta::assert_json_snapshot!(out);
    }
}
