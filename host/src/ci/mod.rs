//! CI output formats of `lint`: GitHub workflow commands, SARIF 2.1.0 for
//! code scanning, and GitLab Code Quality JSON. Each is a pure function of
//! the linted files, so the formats have snapshot tests without a process.

pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod sarif;

use sha2::{Digest, Sha256};
use zerops_cache_contract::Diagnostic;

/// One linted file, as the CI formats see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileReport<'a> {
    /// The path as given on the command line.
    pub(crate) path: &'a str,
    pub(crate) diags: &'a [Diagnostic],
    /// Set when the file could not be read.
    pub(crate) error: Option<&'a str>,
}

/// The path as CI tools want it: relative paths without a leading `./`,
/// `/`-separated.
pub(crate) fn ci_path(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

/// The message with its help, for formats that have one text field.
pub(crate) fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    }
}

/// Stable fingerprints of a file's findings: a hash of the path, the code,
/// the message and the how-manieth identical finding it is in the file.
/// Line numbers are left out on purpose, so a finding keeps its identity
/// when lines are added above it.
pub(crate) fn fingerprints(path: &str, diags: &[Diagnostic]) -> Vec<String> {
    let mut seen: std::collections::HashMap<(&str, &str), u32> = Default::default();
    diags
        .iter()
        .map(|d| {
            let n = seen.entry((d.code.as_str(), &d.message)).or_default();
            let mut h = Sha256::new();
            for part in [path, d.code.as_str(), &d.message, &n.to_string()] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            *n += 1;
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod fixture {
    use zerops_cache_contract::{Diagnostic, Pos, Span};

    /// Findings as the linter reports them for a small file: an error with
    /// help, a warning whose message has characters the formats escape, a
    /// note, and the same warning twice.
    pub(crate) fn diags() -> Vec<Diagnostic> {
        vec![
            Diagnostic::error(
                zerops_cache_contract::Code::UnknownKey,
                Span::new(Pos::new(4, 7), Pos::new(4, 13)),
                "unknown key `cahce` in `build`",
            )
            .with_help("did you mean `cache`?"),
            Diagnostic::warning(
                zerops_cache_contract::Code::CacheDoubleStar,
                Span::new(Pos::new(6, 11), Pos::new(6, 27)),
                "`**` is not recursive: `node_modules/**` matches 100%, a, b: only one level\nsecond line",
            ),
            Diagnostic::warning(
                zerops_cache_contract::Code::CacheDoubleStar,
                Span::new(Pos::new(7, 11), Pos::new(7, 27)),
                "`**` is not recursive: `node_modules/**` matches 100%, a, b: only one level\nsecond line",
            ),
            Diagnostic::note(
                zerops_cache_contract::Code::CacheMatchesNothing,
                Span::point(Pos::new(8, 11)),
                "`dist` matches nothing in the project directory now",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_leading_dot_slash() {
        assert_eq!(ci_path("./zerops.yaml"), "zerops.yaml");
        assert_eq!(ci_path("././a/zerops.yml"), "a/zerops.yml");
        assert_eq!(ci_path("/abs/zerops.yaml"), "/abs/zerops.yaml");
    }

    #[test]
    fn fingerprints_are_stable_distinct_and_ignore_lines() {
        let d = fixture::diags();
        let a = fingerprints("zerops.yaml", &d);
        assert_eq!(a, fingerprints("zerops.yaml", &d), "deterministic");
        let unique: std::collections::BTreeSet<_> = a.iter().collect();
        assert_eq!(
            unique.len(),
            a.len(),
            "identical findings differ by occurrence"
        );
        let mut moved = d.clone();
        for x in &mut moved {
            let s = x.span.as_mut().expect("a lint finding has a position");
            s.start.line += 3;
            s.end.line += 3;
        }
        assert_eq!(
            a,
            fingerprints("zerops.yaml", &moved),
            "lines shift, ids stay"
        );
        assert_ne!(a, fingerprints("other/zerops.yaml", &d), "the path counts");
        assert_eq!(a[0].len(), 64);
    }
}
