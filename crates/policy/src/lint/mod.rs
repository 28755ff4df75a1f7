//! The linter: config text in, diagnostics out.
//!
//! One pass, in this order: size limit, UTF-8 (for [`lint_bytes`]), YAML with
//! limits on aliases and depth, legacy formats (one error, then stop), the
//! official schema ([`schema`]), setups and `extends` ([`setups`]), cache and
//! deployFiles semantics ([`cache`], [`deploy_files`]), and, when the host
//! passes a listing of the project, the tree lints ([`tree`]). Every code is
//! listed in [`codes`].

pub use zerops_cache_contract::lint::codes;
pub mod deployignore;
pub mod gate;
pub mod schema;
pub mod tree;

pub(crate) mod advice;
mod bases;
pub(crate) mod cache;
mod deploy_files;
pub(crate) mod legacy;
pub mod recover;
mod setups;

pub use bases::{BUILD_BASES, RUN_BASES};
pub use cache::LOCKFILES;
pub use codes::{CODES, Category, CodeInfo};
pub use schema::IMPORT_ONLY_RUN_KEYS;
pub use tree::TreeFacts;

use crate::diag::Code;
use crate::diag::{self, Diagnostic, Pos, Span};
use crate::model::{self, Config};
use crate::yaml::{self, Limits};

/// What to lint besides the file itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Restrict the tree lints to this setup (after `extends`); an unknown
    /// name is a `setup-unknown` error that lists the setups. `None`: every
    /// setup that has a build.
    pub setup: Option<&'a str>,
    /// Listing of the project directory, for the tree lints.
    pub tree: Option<&'a TreeFacts>,
    /// Parser limits; `None` for the defaults.
    pub limits: Option<Limits>,
}

/// Lints the text of a zerops.yaml. The result is sorted by position.
pub fn lint(src: &str) -> Vec<Diagnostic> {
    lint_with(src, &Options::default())
}

/// Lints and also checks the cache paths against the project directory.
pub fn lint_with_tree(src: &str, setup: Option<&str>, facts: &TreeFacts) -> Vec<Diagnostic> {
    lint_with(
        src,
        &Options {
            setup,
            tree: Some(facts),
            limits: None,
        },
    )
}

/// Lints raw file bytes: the size limit is checked first, then UTF-8; text
/// that is not UTF-8 gets one `invalid-utf8` error at the first bad byte
/// (line and column count the valid text before it).
pub fn lint_bytes(bytes: &[u8]) -> Vec<Diagnostic> {
    lint_bytes_with(bytes, &Options::default())
}

/// [`lint_bytes`] with options.
pub fn lint_bytes_with(bytes: &[u8], opts: &Options<'_>) -> Vec<Diagnostic> {
    let limits = opts.limits.unwrap_or_default();
    if let Some(d) = check_size_with(bytes.len(), &limits) {
        return vec![d];
    }
    match std::str::from_utf8(bytes) {
        Ok(src) => lint_with(src, opts),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let at = yaml::end_of(valid);
            vec![
                Diagnostic::error(
                    Code::InvalidUtf8,
                    Span::point(at),
                    format!(
                        "the file is not valid UTF-8 (bad byte 0x{:02x} at offset {}), so it cannot be read",
                        bytes[e.valid_up_to()],
                        e.valid_up_to()
                    ),
                )
                .with_help("save the file as UTF-8; YAML files must be Unicode text"),
            ]
        }
    }
}

/// The `input-too-large` error for a file of `len` bytes, if it is over the
/// limit. Hosts ask this before reading a file, so a huge file is refused
/// without being read or copied.
pub fn check_size(len: u64) -> Option<Diagnostic> {
    check_size_with(
        usize::try_from(len).unwrap_or(usize::MAX),
        &Limits::default(),
    )
}

fn check_size_with(len: usize, limits: &Limits) -> Option<Diagnostic> {
    (len > limits.max_bytes).then(|| too_large(len, limits.max_bytes))
}

fn too_large(len: usize, max: usize) -> Diagnostic {
    Diagnostic::error(
        Code::InputTooLarge,
        Span::point(Pos::START),
        format!("the file is {len} bytes; the limit is {max} bytes, so it was not read"),
    )
    .with_help("a zerops.yaml is a few kilobytes; check that this is the right file")
}

/// Lints with options. The result is sorted by position, without duplicates
/// (content shared through anchors is reported once).
pub fn lint_with(src: &str, opts: &Options<'_>) -> Vec<Diagnostic> {
    let limits = opts.limits.unwrap_or_default();
    if let Some(d) = check_size_with(src.len(), &limits) {
        return vec![d];
    }
    let mut out = Vec::new();
    match yaml::parse(src, limits) {
        Err(d) => {
            // A syntax error does not hide the rest: lint the text with the
            // broken lines blanked, keeping what is outside them.
            if d.code == Code::YamlSyntax
                && let Some((fixed, blanked)) = recover::recover(src, limits)
                && let Ok(doc) = yaml::parse(&fixed, limits)
            {
                let mut rest = doc.warnings;
                lint_tree(&fixed, doc.root.as_ref(), opts, &mut rest);
                out.extend(recover::findings_outside(src, rest, &blanked));
                out.push(recover::mark(d, &blanked));
            } else {
                out.push(d);
            }
        }
        Ok(doc) => {
            out.extend(doc.warnings);
            lint_tree(src, doc.root.as_ref(), opts, &mut out);
        }
    }
    diag::sort(&mut out);
    out.dedup();
    if out.len() > MAX_DIAGNOSTICS {
        let omitted = out.len() - MAX_DIAGNOSTICS;
        let at = out[MAX_DIAGNOSTICS].span;
        let errors = out[MAX_DIAGNOSTICS..]
            .iter()
            .filter(|d| d.severity == crate::Severity::Error)
            .count();
        out.truncate(MAX_DIAGNOSTICS);
        out.push(
            Diagnostic::note(
                Code::DiagnosticsTruncated,
                at,
                format!(
                    "{omitted} more findings ({errors} of them errors) from here on are not shown"
                ),
            )
            .with_help("fix the findings above and run the linter again"),
        );
    }
    out
}

/// The most findings reported for one file; the rest are summarized in one
/// `diagnostics-truncated` note.
pub const MAX_DIAGNOSTICS: usize = 1000;

fn lint_tree(src: &str, root: Option<&yaml::Node>, opts: &Options<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(r) = root
        && let Some(d) = legacy::check(r)
    {
        out.push(d);
        return;
    }
    check_root(src, root, out);
    let Some(root) = root else { return };
    let zerops = root.get("zerops");
    if let Some(z) = zerops {
        schema::check_setups(z, out);
    }
    let config = model::from_tree(root);
    setups::check(&config, zerops.filter(|z| z.as_seq().is_some()), out);
    for s in &config.setups {
        if let Some(b) = &s.build {
            cache::check(b, out);
            advice::check(b, out);
            deploy_files::check(b, out);
        }
    }
    if let Some(facts) = opts.tree {
        for b in builds_for(&config, opts.setup, out) {
            tree::check(b, facts, out);
        }
    } else if let Some(name) = opts.setup
        && let Err(d) = setups::select(&config, Some(name))
    {
        out.push(d);
    }
}

/// The resolved builds the tree lints look at: the chosen setup's, or every
/// setup's, each build section once (a parent shared by several setups is
/// checked once). Unresolvable setups are skipped: their `extends` errors are
/// already reported.
fn builds_for<'c>(
    config: &'c Config,
    setup: Option<&str>,
    out: &mut Vec<Diagnostic>,
) -> Vec<&'c model::Build> {
    let names: Vec<&str> = match setup {
        Some(name) => match setups::select(config, Some(name)) {
            Ok(s) => vec![s.name.value.as_str()],
            Err(d) => {
                out.push(d);
                return Vec::new();
            }
        },
        None => config
            .setups
            .iter()
            .map(|s| s.name.value.as_str())
            .collect(),
    };
    let graph = setups::Graph::new(config);
    let mut seen = std::collections::BTreeSet::new();
    let mut builds = Vec::new();
    for n in names {
        if let Some(Some(from)) = graph.build_from.get(n)
            && seen.insert(from.name.value.as_str())
            && let Some(b) = &from.build
        {
            builds.push(b);
        }
    }
    builds
}

/// Chooses the setup a build uses, as zcli does: `name`, or the only setup.
/// The error (`setup-unknown`, `setup-ambiguous`, or the file's own first
/// error if it cannot be read) lists the setups the file defines.
pub fn select_setup(src: &str, name: Option<&str>) -> Result<String, Diagnostic> {
    let config = model::parse(src)?;
    setups::select(&config, name).map(|s| s.name.value.clone())
}

/// How many path components deep the host should list the project for the
/// tree lints to judge every cache path of the file (at least 1, at most 16).
pub fn tree_depth(src: &str) -> u32 {
    let Ok(config) = model::parse(src) else {
        return 1;
    };
    let builds: Vec<&model::Build> = config
        .setups
        .iter()
        .filter_map(|s| s.build.as_ref())
        .collect();
    tree::depth_needed(&builds)
}

fn check_root(src: &str, root: Option<&yaml::Node>, out: &mut Vec<Diagnostic>) {
    let whole = Span::new(Pos::START, yaml::end_of(src));
    let Some(root) = root.filter(|r| !r.is_null()) else {
        out.push(
            Diagnostic::error(
                Code::EmptyFile,
                whole,
                "the file is empty; Zerops needs a `zerops:` list of setups",
            )
            .with_help("start with `zerops:` followed by `- setup: <service hostname>`"),
        );
        return;
    };
    let Some(map) = root.as_map() else {
        out.push(
            Diagnostic::error(
                Code::RootNotMap,
                root.span,
                format!(
                    "the top level is {}; it must be a map with the single key `zerops`",
                    root.type_name()
                ),
            )
            .with_help("start the file with `zerops:` followed by a list of setups"),
        );
        return;
    };
    match root.get("zerops") {
        None => out.push(
            Diagnostic::error(
                Code::RootMissingZerops,
                root.span,
                "the top-level key `zerops` is missing",
            )
            .with_help("put the setups under `zerops:` as a list: `zerops:\\n  - setup: app`"),
        ),
        Some(z) if z.as_seq().is_none() => out.push(
            Diagnostic::error(
                Code::ZeropsNotList,
                z.span,
                format!("`zerops` is {}; it must be a list of setups", z.type_name()),
            )
            .with_help("write each setup as a list item: `- setup: app`"),
        ),
        Some(_) => {}
    }
    for (k, _) in map {
        if k.as_scalar().is_none_or(|s| s.text != "zerops") {
            let name = k.as_scalar().map(|s| s.text.as_str()).unwrap_or("?");
            out.push(
                Diagnostic::error(
                    Code::RootUnknownKey,
                    k.span,
                    format!("unknown top-level key `{name}`; only `zerops` is allowed"),
                )
                .with_help("move this under a setup in the `zerops` list, or remove it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_file_has_no_errors() {
        let d = lint("zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n");
        assert!(
            d.iter().all(|d| d.severity != crate::Severity::Error),
            "{d:?}"
        );
    }

    #[test]
    fn syntax_error_line_and_column() {
        let d = lint("zerops:\n  - setup: app\n    build: a: b\n");
        assert_eq!(d[0].code, "yaml-syntax");
        assert_eq!(d[0].span.unwrap().start.line, 3, "{:?}", d[0]);
    }

    #[test]
    fn invalid_utf8_position() {
        let d = lint_bytes(b"zerops:\n  - setup: a\xff\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "invalid-utf8");
        assert_eq!(d[0].span.unwrap().start, Pos::new(2, 13));
    }

    #[test]
    fn findings_inside_anchors_point_at_the_anchor_once() {
        let src = "zerops:
  - setup: a
    build: &b
      deployFiles: ./
      cache: [\"**/x\"]
      bogus: 1
  - setup: b
    build:
      <<: *b
      os: debian
  - setup: c
    build: *b
";
        let d = lint(src);
        let at = |code: &str| -> Vec<(u32, u32)> {
            d.iter()
                .filter(|x| x.code == code)
                .map(|x| (x.span.unwrap().start.line, x.span.unwrap().start.column))
                .collect()
        };
        assert_eq!(at("unknown-key"), [(6, 7)], "{d:#?}");
        assert_eq!(at("cache-double-star"), [(5, 16)], "{d:#?}");
        assert_eq!(at("invalid-value"), [(10, 11)], "{d:#?}");
        assert_eq!(d.len(), 3, "{d:#?}");
    }

    #[test]
    fn wrong_root() {
        let d = lint("- a\n- b\n");
        assert_eq!(d[0].code, "root-not-map");
        assert_eq!(d[0].span.unwrap().start, Pos::new(1, 1));
        let d = lint("app: 1\n");
        assert!(d.iter().any(|d| d.code == "root-missing-zerops"));
        let d = lint("app:\n  build: {}\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "legacy-format");
    }
}
