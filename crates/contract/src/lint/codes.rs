//! Every diagnostic code the linter can emit, with its fixed severity.
//!
//! Codes are a contract: hosts, the browser page and users' `--format json`
//! scripts key on them. Add new codes freely; never rename or reuse one.
//! A test in `lint` asserts that every code emitted anywhere in the test
//! suite is listed here with the severity it was emitted with.

use crate::diag::Severity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

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
    /// The error of a question other than lint (keys, explain, plan,
    /// layer records): no rule of the file, the question cannot be answered.
    Question,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub id: Code,
    pub code: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line for docs and `--explain`-style listings.
    pub summary: &'static str,
}

/// The table: each row gives the enum variant, the stable text, the
/// severity it is emitted with, the category and a one-line summary. The
/// enum [`Code`] and the list [`CODES`] are both generated from it, so a
/// code cannot exist without its row.
macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $cat:ident, $summary:literal;)*) => {
        /// Every code a diagnostic can carry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }
        }

        /// All codes, grouped by category.
        pub const CODES: &[CodeInfo] = &[
            $(CodeInfo { id: Code::$variant, code: $code, severity: $sev, category: C::$cat, summary: $summary },)*
        ];
    };
}

use Category as C;
use Severity::{Error as E, Note as N, Warning as W};

codes! {
    // Input: reading the file at all.
    InputTooLarge = "input-too-large", E, Input, "the file is larger than the size limit; nothing was parsed";
    InvalidUtf8 = "invalid-utf8", E, Input, "the file is not UTF-8 text";
    YamlSyntax = "yaml-syntax", E, Input, "the text is not valid YAML";
    YamlTooLarge = "yaml-too-large", E, Input, "aliases expand to more nodes than the limit (alias bomb)";
    YamlTooDeep = "yaml-too-deep", E, Input, "the document nests deeper than the limit";
    YamlMerge = "yaml-merge", E, Input, "a merge key `<<` has a value that is not a map or list of maps";
    YamlDuplicateKey = "yaml-duplicate-key", W, Input, "a key appears twice in one map; the last one wins";
    YamlMultipleDocuments = "yaml-multiple-documents", W, Input, "more than one YAML document; only the first is read";
    EmptyFile = "empty-file", E, Input, "the file holds no YAML value";
    DiagnosticsTruncated = "diagnostics-truncated", N, Input, "more findings than the per-file limit; the rest are counted";
    // Schema: the official schema rejects it.
    RootNotMap = "root-not-map", E, Schema, "the top level is not a map";
    RootMissingZerops = "root-missing-zerops", E, Schema, "the top-level `zerops` key is missing";
    RootUnknownKey = "root-unknown-key", E, Schema, "a top-level key other than `zerops`";
    ZeropsNotList = "zerops-not-list", E, Schema, "`zerops` is not a list of setups";
    UnknownKey = "unknown-key", E, Schema, "a key the schema does not allow in this section";
    WrongType = "wrong-type", E, Schema, "a value of the wrong type";
    InvalidValue = "invalid-value", E, Schema, "a value outside the schema's list of allowed values";
    MissingKey = "missing-key", E, Schema, "a key the schema requires is absent";
    KeyNotString = "key-not-string", E, Schema, "a map key that is a list or a map";
    // Tolerated: the schema rejects it, the platform accepts it.
    BuildDeployDeprecated = "build-deploy-deprecated", W, Tolerated, "`build.deploy` is the deprecated alias of `deployFiles`";
    RunImportOnlyKey = "run-import-only-key", W, Tolerated, "an import.yaml key (e.g. `verticalAutoscaling`) inside `run`";
    BaseOsPrefixed = "base-os-prefixed", W, Tolerated, "a base written `<os>/<stack>@<version>`";
    BaseUnknown = "base-unknown", W, Tolerated, "a base not in the schema's list (the platform's list moves)";
    EnvVariablesNull = "env-variables-null", W, Tolerated, "`envVariables:` with no value (null)";
    // Legacy formats.
    LegacyFormat = "legacy-format", E, Legacy, "a pre-`zerops:` file format (v1 hostname keys or top-level `use:`)";
    // Setups and extends.
    SetupNone = "setup-none", W, Setup, "the `zerops` list is empty";
    SetupDuplicate = "setup-duplicate", W, Setup, "two setups share a name; zcli uses the first";
    SetupUnknown = "setup-unknown", E, Setup, "the setup asked for is not in the file";
    SetupAmbiguous = "setup-ambiguous", E, Setup, "several setups and none chosen";
    ExtendsUnknown = "extends-unknown", E, Setup, "`extends` names a setup that is not in the file";
    ExtendsCycle = "extends-cycle", E, Setup, "`extends` links form a cycle";
    ExtendsTooDeep = "extends-too-deep", E, Setup, "an `extends` chain longer than the limit";
    // Cache semantics.
    CachePatternInvalid = "cache-pattern-invalid", E, Cache, "not a valid Go filepath.Match pattern";
    CacheOutsideSource = "cache-outside-source", E, Cache, "an absolute path or `..`: outside /build/source";
    CacheDoubleStar = "cache-double-star", W, Cache, "`**` is not recursive: `*` never crosses `/`";
    CacheTilde = "cache-tilde", W, Cache, "`~` in a cache path is undocumented";
    CacheLockfile = "cache-lockfile", W, Cache, "a lockfile in `cache`: the committed one always wins";
    CacheDuplicate = "cache-duplicate", W, Cache, "the same path twice in `cache`";
    CachePatternEmptyComponent = "cache-pattern-empty-component", W, Cache, "`//` or `/./` inside a path: never matches";
    CacheClassMatchesSlash = "cache-class-matches-slash", W, Cache, "a `[...]` class that can match `/` crosses directories";
    CachePatternEmpty = "cache-pattern-empty", W, Cache, "an empty cache path";
    CacheListInString = "cache-list-in-string", W, Cache, "several paths written as one string";
    CacheTrue = "cache-true", N, Cache, "`cache: true` restores everything, deleted files included";
    CacheDeletedByBuild = "cache-deleted-by-build", W, Cache, "buildCommands delete a cached path before using it (`npm ci` and node_modules)";
    CacheInBaseLayer = "cache-in-base-layer", E, Cache, "a cache entry for a tool cache outside /build/source, which the base layer keeps";
    ToolCacheUncached = "tool-cache-uncached", W, Cache, "a tool cache moved inside /build/source that `cache` does not keep";
    CacheFalse = "cache-false", N, Cache, "`cache: false` still keeps files outside /build/source";
    // deployFiles.
    DeployFilesMultipleTilde = "deploy-files-multiple-tilde", E, DeployFiles, "more than one `~` in a deployFiles path";
    DeployFilesOutsideSource = "deploy-files-outside-source", E, DeployFiles, "`..` or an absolute path in deployFiles: the build refuses it";
    // Tree: need the project directory.
    CacheMatchesNothing = "cache-matches-nothing", N, Tree, "a cache path matches nothing in the project directory now";
    CacheTrackedByGit = "cache-tracked-by-git", W, Tree, "a cache path matches files tracked by git: source wins";
    // .deployignore (positions in that file).
    DeployignoreTooLarge = "deployignore-too-large", E, Tree, ".deployignore is larger than the size limit";
    DeployignoreInvalidUtf8 = "deployignore-invalid-utf8", E, Tree, ".deployignore is not UTF-8 text";
    DeployignoreMatchesNothing = "deployignore-matches-nothing", W, Tree, "a .deployignore line that names no path";
    DeployignoreRepeatedDoubleStar = "deployignore-repeated-double-star", W, Tree, "`**/**` in .deployignore: the same as `**`";
    DeployignoreReincludeUnderIgnored = "deployignore-reinclude-under-ignored", W, Tree, "`!path` inside a directory ignored earlier: no effect";
    // Questions to the policy other than lint (keys, explain, plan, layer records).
    BuildMissing = "build-missing", E, Question, "the setup has no `build` section, nor inherits one";
    DeployFilesMissing = "deploy-files-missing", E, Question, "the build section has no `deployFiles`";
    DeployFilesInvalid = "deploy-files-invalid", E, Question, "a deployFiles path cannot be resolved";
    InvalidTime = "invalid-time", E, Question, "a time given by the host is not an RFC 3339 UTC timestamp";
    RecordUnreadable = "record-unreadable", E, Question, "a layer record given by the host cannot be read";
    UnknownCode = "unknown-code", E, Question, "the component answered with a code this host does not know (they differ in version)";
}

impl Code {
    /// The code for its text, if there is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// Its row of the table.
    pub fn info(self) -> &'static CodeInfo {
        &CODES[self as usize]
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let text = String::deserialize(d)?;
        Code::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{text}`")))
    }
}

/// The row for `code`, if it is a known code.
pub fn info(code: &str) -> Option<&'static CodeInfo> {
    Code::parse(code).map(Code::info)
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
    fn enum_and_table_agree() {
        for (i, c) in Code::ALL.iter().enumerate() {
            assert_eq!(CODES[i].id, *c);
            assert_eq!(c.info().code, c.as_str());
            assert_eq!(Code::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Code::ALL.len(), CODES.len());
    }

    #[test]
    fn tolerated_codes_are_warnings() {
        for c in CODES.iter().filter(|c| c.category == Category::Tolerated) {
            assert_eq!(c.severity, Severity::Warning, "{}", c.code);
        }
    }
}
