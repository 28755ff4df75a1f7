//! Every diagnostic code the linter can emit, with its fixed severity.
//!
//! Codes are a contract: hosts, the browser page and users' `--format json`
//! scripts key on them. Add new codes freely; never rename or reuse one.
//! A test in `lint` asserts that every code emitted anywhere in the test
//! suite is listed here with the severity it was emitted with.

use crate::diag::Severity;

/// What kind of rule produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// The input could not be read as YAML at all, or exceeded a limit.
    Input,
    /// The official JSON schema rejects it, and so does the platform (as far as we know).
    Schema,
    /// The official JSON schema rejects it, but official recipes use it and
    /// the platform accepts it: a warning, never an error.
    Tolerated,
    /// A pre-`zerops:` file format.
    Legacy,
    /// Setups and `extends`: valid per schema, wrong per the platform's rules.
    Setup,
    /// How the build cache will treat what is written.
    Cache,
    /// `deployFiles` paths.
    DeployFiles,
    /// Needs a listing of the project directory and of the git index.
    Tree,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line for docs and `--explain`-style listings.
    pub summary: &'static str,
}

use Category as C;
use Severity::{Error as E, Note as N, Warning as W};

const fn row(
    code: &'static str,
    severity: Severity,
    category: Category,
    summary: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        severity,
        category,
        summary,
    }
}

/// All codes, grouped by category.
#[rustfmt::skip]
pub const CODES: &[CodeInfo] = &[
    // Input: reading the file at all.
    row("input-too-large", E, C::Input, "the file is larger than the size limit; nothing was parsed"),
    row("invalid-utf8", E, C::Input, "the file is not UTF-8 text"),
    row("yaml-syntax", E, C::Input, "the text is not valid YAML"),
    row("yaml-too-large", E, C::Input, "aliases expand to more nodes than the limit (alias bomb)"),
    row("yaml-too-deep", E, C::Input, "the document nests deeper than the limit"),
    row("yaml-merge", E, C::Input, "a merge key `<<` has a value that is not a map or list of maps"),
    row("yaml-duplicate-key", W, C::Input, "a key appears twice in one map; the last one wins"),
    row("yaml-multiple-documents", W, C::Input, "more than one YAML document; only the first is read"),
    row("empty-file", E, C::Input, "the file holds no YAML value"),
    row("diagnostics-truncated", N, C::Input, "more findings than the per-file limit; the rest are counted"),
    // Schema: the official schema rejects it.
    row("root-not-map", E, C::Schema, "the top level is not a map"),
    row("root-missing-zerops", E, C::Schema, "the top-level `zerops` key is missing"),
    row("root-unknown-key", E, C::Schema, "a top-level key other than `zerops`"),
    row("zerops-not-list", E, C::Schema, "`zerops` is not a list of setups"),
    row("unknown-key", E, C::Schema, "a key the schema does not allow in this section"),
    row("wrong-type", E, C::Schema, "a value of the wrong type"),
    row("invalid-value", E, C::Schema, "a value outside the schema's list of allowed values"),
    row("missing-key", E, C::Schema, "a key the schema requires is absent"),
    row("key-not-string", E, C::Schema, "a map key that is a list or a map"),
    // Tolerated: the schema rejects it, the platform accepts it.
    row("build-deploy-deprecated", W, C::Tolerated, "`build.deploy` is the deprecated alias of `deployFiles`"),
    row("run-import-only-key", W, C::Tolerated, "an import.yaml key (e.g. `verticalAutoscaling`) inside `run`"),
    row("base-os-prefixed", W, C::Tolerated, "a base written `<os>/<stack>@<version>`"),
    row("base-unknown", W, C::Tolerated, "a base not in the schema's list (the platform's list moves)"),
    row("env-variables-null", W, C::Tolerated, "`envVariables:` with no value (null)"),
    // Legacy formats.
    row("legacy-format", E, C::Legacy, "a pre-`zerops:` file format (v1 hostname keys or top-level `use:`)"),
    // Setups and extends.
    row("setup-none", W, C::Setup, "the `zerops` list is empty"),
    row("setup-duplicate", W, C::Setup, "two setups share a name; zcli uses the first"),
    row("setup-unknown", E, C::Setup, "the setup asked for is not in the file"),
    row("setup-ambiguous", E, C::Setup, "several setups and none chosen"),
    row("extends-unknown", E, C::Setup, "`extends` names a setup that is not in the file"),
    row("extends-cycle", E, C::Setup, "`extends` links form a cycle"),
    row("extends-too-deep", E, C::Setup, "an `extends` chain longer than the limit"),
    // Cache semantics.
    row("cache-pattern-invalid", E, C::Cache, "not a valid Go filepath.Match pattern"),
    row("cache-outside-source", E, C::Cache, "an absolute path or `..`: outside /build/source"),
    row("cache-double-star", W, C::Cache, "`**` is not recursive: `*` never crosses `/`"),
    row("cache-tilde", W, C::Cache, "`~` in a cache path is undocumented"),
    row("cache-lockfile", W, C::Cache, "a lockfile in `cache`: the committed one always wins"),
    row("cache-duplicate", W, C::Cache, "the same path twice in `cache`"),
    row("cache-pattern-empty-component", W, C::Cache, "`//` or `/./` inside a path: never matches"),
    row("cache-class-matches-slash", W, C::Cache, "a `[...]` class that can match `/` crosses directories"),
    row("cache-pattern-empty", W, C::Cache, "an empty cache path"),
    row("cache-list-in-string", W, C::Cache, "several paths written as one string"),
    row("cache-true", N, C::Cache, "`cache: true` restores everything, deleted files included"),
    row("cache-deleted-by-build", W, C::Cache, "buildCommands delete a cached path before using it (`npm ci` and node_modules)"),
    row("cache-in-base-layer", E, C::Cache, "a cache entry for a tool cache outside /build/source, which the base layer keeps"),
    row("tool-cache-uncached", W, C::Cache, "a tool cache moved inside /build/source that `cache` does not keep"),
    row("cache-false", N, C::Cache, "`cache: false` still keeps files outside /build/source"),
    // deployFiles.
    row("deploy-files-multiple-tilde", E, C::DeployFiles, "more than one `~` in a deployFiles path"),
    row("deploy-files-outside-source", E, C::DeployFiles, "`..` or an absolute path in deployFiles: the build refuses it"),
    // Tree: need the project directory.
    row("cache-matches-nothing", N, C::Tree, "a cache path matches nothing in the project directory now"),
    row("cache-tracked-by-git", W, C::Tree, "a cache path matches files tracked by git: source wins"),
    // .deployignore (positions in that file).
    row("deployignore-too-large", E, C::Tree, ".deployignore is larger than the size limit"),
    row("deployignore-invalid-utf8", E, C::Tree, ".deployignore is not UTF-8 text"),
    row("deployignore-matches-nothing", W, C::Tree, "a .deployignore line that names no path"),
    row("deployignore-repeated-double-star", W, C::Tree, "`**/**` in .deployignore: the same as `**`"),
    row("deployignore-reinclude-under-ignored", W, C::Tree, "`!path` inside a directory ignored earlier: no effect"),
];

/// The row for `code`, if it is a known code.
pub fn info(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                    && !c.code.starts_with('-')
                    && !c.code.ends_with('-')
                    && !c.code.contains("--"),
                "not kebab-case: {}",
                c.code
            );
        }
    }

    #[test]
    fn tolerated_codes_are_warnings() {
        for c in CODES.iter().filter(|c| c.category == Category::Tolerated) {
            assert_eq!(c.severity, Severity::Warning, "{}", c.code);
        }
    }
}
