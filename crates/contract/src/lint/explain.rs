//! The long form of each code: why it is reported and what to do, with an
//! example where a few lines show it. The documentation pages
//! (`docs/codes/<code>.md`, the page's `codes/<code>.html`), SARIF's rule
//! `help` and the LSP's `codeDescription` all come from here and from the
//! one-line summary in [`super::codes`].
//!
//! The `match` has no wildcard: a new code does not compile without its
//! explanation. Every example is linted by a test in the policy crate and
//! must report its code.

use super::codes::Code;

/// Where the documentation of every code is published: the repository's
/// `docs/codes/` directory, one `<code>.md` per code. The page serves the
/// same text offline as `codes/<code>.html`.
pub const DOCS_BASE: &str = "https://github.com/zerops-cache/zerops-cache/blob/main/docs/codes/";

/// The documentation page of `code`.
pub fn href(code: Code) -> String {
    format!("{DOCS_BASE}{}.md", code.as_str())
}

/// The long form of a code.
#[derive(Debug, Clone, Copy)]
pub struct Explanation {
    /// Paragraphs separated by blank lines; `backticks` mark code.
    pub text: &'static str,
    /// A zerops.yaml that reports the code (linted as a file alone).
    pub example: Option<&'static str>,
}

const fn text(text: &'static str) -> Explanation {
    Explanation {
        text,
        example: None,
    }
}

const fn with(text: &'static str, example: &'static str) -> Explanation {
    Explanation {
        text,
        example: Some(example),
    }
}

/// The explanation of `code`.
pub fn explain(code: Code) -> Explanation {
    use Code::*;
    match code {
        InputTooLarge => text(
            "The file is larger than the size limit (4 MiB by default), so it was not parsed at all. \
             A zerops.yaml is a few kilobytes; a file this big is usually the wrong file \
             (a build log, a lockfile) passed by mistake.",
        ),
        InvalidUtf8 => text(
            "YAML is text, and zerops.yaml must be UTF-8. The position is that of the first byte \
             that is not part of a UTF-8 sequence. Re-save the file as UTF-8 (editors call it \
             \"UTF-8\" or \"UTF-8 without BOM\").",
        ),
        YamlSyntax => with(
            "The text is not valid YAML. The message says what the parser expected; the other \
             findings of the file are still reported, from the text with the broken lines left \
             out (a finding on such a line may be missing until the error is fixed).",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: [dist, public\n      cache: node_modules\n",
        ),
        YamlTooLarge => text(
            "Aliases (`*name`) expand to more nodes than the limit. Repeated aliases of aliases \
             grow exponentially (the \"billion laughs\" attack); the linter stops instead of \
             expanding them. A real zerops.yaml is a few hundred nodes.",
        ),
        YamlTooDeep => text(
            "The document nests deeper than the limit (64 levels of maps and lists inside each other). \
             A zerops.yaml is a handful of levels deep; deeper nesting is almost always a \
             mistake in indentation or generated input.",
        ),
        YamlMerge => with(
            "A merge key `<<` copies the keys of a map (or of each map in a list) into the map \
             that holds it. Any other value (a string, a number) cannot be merged.",
            "zerops:\n  - setup: app\n    build:\n      <<: nodejs@22\n      deployFiles: dist\n",
        ),
        YamlDuplicateKey => with(
            "A key appears twice in one map. YAML parsers keep the last one, so the first is \
             silently ignored. Remove or rename one of them.",
            "zerops:\n  - setup: app\n    build:\n      base: nodejs@20\n      base: nodejs@22\n      deployFiles: dist\n",
        ),
        YamlMultipleDocuments => with(
            "The file holds more than one YAML document (separated by `---`). Zerops reads only \
             the first; everything after the separator is ignored.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n---\nzerops: []\n",
        ),
        EmptyFile => with(
            "The file has no YAML value: it is empty or holds only comments. A zerops.yaml starts \
             with a top-level `zerops:` list of setups.",
            "# nothing here yet\n",
        ),
        DiagnosticsTruncated => text(
            "There are more findings than the per-file limit (1000). The rest are counted in this \
             note and not listed. Fix the findings above and lint again.",
        ),
        RootNotMap => with(
            "The top level of the file must be a map with the key `zerops`.",
            "- setup: app\n",
        ),
        RootMissingZerops => with(
            "The top-level map has no `zerops` key, which holds the list of setups.",
            "project:\n  name: app\n",
        ),
        RootUnknownKey => with(
            "zerops.yaml has one top-level key, `zerops`. Other keys (often from import.yaml: \
             `project`, `services`) are not read.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\nservices: []\n",
        ),
        ZeropsNotList => with(
            "`zerops` holds a list of setups, each an item starting with `- setup: <name>`.",
            "zerops:\n  setup: app\n",
        ),
        UnknownKey => with(
            "The official schema does not allow this key in this section. Most often it is a \
             typo (the help suggests the closest key) or a key that belongs to another section.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cahce: node_modules\n",
        ),
        WrongType => with(
            "The value has the wrong type for its key: for example a map where a string or a \
             list of strings is expected.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles:\n        dist: true\n",
        ),
        InvalidValue => with(
            "The value is not one of the values the schema allows for this key.",
            "zerops:\n  - setup: app\n    build:\n      os: windows\n      deployFiles: dist\n",
        ),
        MissingKey => with(
            "A key the schema requires is absent: every setup needs `setup`, and a `build` needs \
             `deployFiles`.",
            "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n",
        ),
        KeyNotString => with(
            "A map key is itself a list or a map (`? [a, b]: value`). zerops.yaml keys are \
             strings.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      ? [a, b]\n      : c\n",
        ),
        BuildDeployDeprecated => with(
            "`build.deploy` is the old name of `deployFiles`. The platform still accepts it, the \
             schema does not; rename it to `deployFiles`.",
            "zerops:\n  - setup: app\n    build:\n      deploy: dist\n",
        ),
        RunImportOnlyKey => with(
            "The key belongs to import.yaml (service definitions), not to zerops.yaml's `run`. \
             The platform ignores it here; set it in import.yaml or in the GUI.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n    run:\n      verticalAutoscaling:\n        minRam: 1\n",
        ),
        BaseOsPrefixed => with(
            "A base written `<os>/<stack>@<version>` (e.g. `alpine/nodejs@22`). Official recipes \
             use it and the platform accepts it, but the schema does not; the OS is set with \
             `os:`.",
            "zerops:\n  - setup: app\n    build:\n      base: alpine/nodejs@22\n      deployFiles: dist\n",
        ),
        BaseUnknown => with(
            "The base is not in the schema's list. The platform's list of stacks and versions \
             changes, so this is a warning: check the spelling and that the version exists.",
            "zerops:\n  - setup: app\n    build:\n      base: nodejs@9\n      deployFiles: dist\n",
        ),
        EnvVariablesNull => with(
            "`envVariables:` with nothing after it is null, not an empty map. The platform \
             accepts it; remove the key or give it variables.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n    run:\n      envVariables:\n",
        ),
        LegacyFormat => with(
            "The file uses a format from before the `zerops:` list: hostname keys at the top \
             level (v1) or a top-level `use:`. The quick fix rewrites a v1 file into a `zerops:` \
             list.",
            "app:\n  build:\n    base: [nodejs@18]\n    build:\n      - npm ci\n    deploy: [dist]\n",
        ),
        SetupNone => with(
            "The `zerops` list is empty, so there is nothing to build or run.",
            "zerops: []\n",
        ),
        SetupDuplicate => with(
            "Two setups have the same name. zcli uses the first; the second is never built.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n  - setup: app\n    build:\n      deployFiles: out\n",
        ),
        SetupUnknown => text(
            "The setup named on the command line (`--setup`) or by a service is not in the file. \
             The message lists the setups the file defines.",
        ),
        SetupAmbiguous => {
            text("The file defines several setups and none was chosen. Name one with `--setup`.")
        }
        ExtendsUnknown => with(
            "`extends` names a setup that the file does not define, so nothing is inherited.",
            "zerops:\n  - setup: app\n    extends: base\n    build:\n      deployFiles: dist\n",
        ),
        ExtendsCycle => with(
            "Setups extend each other in a circle, so none of them can be resolved.",
            "zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: a\n",
        ),
        ExtendsTooDeep => text(
            "An `extends` chain is longer than the limit. Flatten it: let setups extend a common \
             parent instead of each other in a long line.",
        ),
        CachePatternInvalid => with(
            "A cache path is matched with Go's `filepath.Match`; this one is not a valid pattern \
             (for example an unclosed `[`), so it matches nothing.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: \"vendor/[a\"\n",
        ),
        CacheOutsideSource => with(
            "Cache paths are relative to /build/source. An absolute path or one with `..` points \
             outside it and is not cached the way it reads; tool caches outside /build/source \
             are kept by the base layer instead.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: ../common\n",
        ),
        CacheDoubleStar => with(
            "`**` is not a recursive wildcard in cache paths: `*` never crosses `/`, so `a/**` \
             matches one level below `a`, exactly as `a/*` does. Name the directory instead \
             (`a` keeps everything under it).",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: node_modules/**\n",
        ),
        CacheTilde => with(
            "`~` is not documented for cache paths (it is for `deployFiles`, with another \
             meaning). Go's filepath.Match reads it as a plain character, so `~/x` names a \
             directory called `~` in /build/source, not the home directory. Write the path \
             relative to /build/source.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: ~/build-output\n",
        ),
        CacheLockfile => with(
            "A lockfile in `cache` is useless: files from the repository always win over the \
             cache, so the committed lockfile replaces the cached one.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache:\n        - node_modules\n        - package-lock.json\n",
        ),
        CacheDuplicate => with(
            "The same path is listed twice in `cache`. Remove one.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache:\n        - node_modules\n        - node_modules\n",
        ),
        CachePatternEmptyComponent => with(
            "A path with `//` or `/./` never matches: the cache compares cleaned paths.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: vendor//bin\n",
        ),
        CacheClassMatchesSlash => with(
            "A `[...]` class that can match `/` (such as `[^a]`) lets a pattern cross a \
             directory boundary, which is rarely what was meant.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: \"a[^x]b\"\n",
        ),
        CachePatternEmpty => with(
            "An empty string in `cache` matches nothing.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache:\n        - \"\"\n",
        ),
        CacheListInString => with(
            "Several paths written as one string (`a b` or `a, b`) are one path with a space or \
             comma in it. Write a list.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: node_modules, .next/cache\n",
        ),
        CacheTrue => with(
            "`cache: true` keeps the whole of /build/source between builds, including files a \
             commit deleted: they come back until the cache is invalidated.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: true\n",
        ),
        CacheDeletedByBuild => with(
            "A build command deletes a cached path before anything reads it (`npm ci` removes \
             node_modules), so the cache of that path is restored only to be thrown away. Use a \
             command that reuses it (`npm install`) or cache the tool's download cache instead.",
            "zerops:\n  - setup: app\n    build:\n      buildCommands:\n        - npm ci\n      deployFiles: dist\n      cache: node_modules\n",
        ),
        CacheInBaseLayer => with(
            "A tool cache outside /build/source (such as `~/.npm`) is kept by the base layer, \
             not by `cache`; listing it in `cache` does nothing. Leave it out, or move the tool \
             cache inside /build/source and cache that path.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: /root/.npm\n",
        ),
        ToolCacheUncached => text(
            "A build command moves a tool's cache into /build/source (for example \
             `npm config set cache .npm`), but `cache` does not list that path, so it is \
             thrown away after every build.",
        ),
        CacheFalse => with(
            "`cache: false` turns off the cache of /build/source only. Files outside it \
             (tool caches in the home directory) live in the base layer and are kept until \
             the base layer is rebuilt.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist\n      cache: false\n",
        ),
        DeployFilesMultipleTilde => with(
            "`~` in a deployFiles path marks where the deployed path starts; a path can have \
             only one.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: dist/~/a/~\n",
        ),
        DeployFilesOutsideSource => with(
            "deployFiles paths are relative to /build/source. The build refuses `..` and \
             absolute paths.",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ../dist\n",
        ),
        CacheMatchesNothing => text(
            "The cache path matches nothing in the project directory now. That is normal for \
             paths the build creates (node_modules); for others, check the spelling. Needs the \
             project directory, so the page reports it only with **Project folder…**.",
        ),
        CacheTrackedByGit => text(
            "The cache path matches files tracked by git. Files from the repository always win \
             over the cache, so those files are never restored from it. Needs `git ls-files`, \
             so only the CLI reports it.",
        ),
        DeployignoreTooLarge => {
            text(".deployignore is larger than the size limit and was not read.")
        }
        DeployignoreInvalidUtf8 => text(".deployignore is not UTF-8 text and was not read."),
        DeployignoreMatchesNothing => text(
            "A .deployignore line names no path in the project directory. Check the spelling, \
             or remove the line.",
        ),
        DeployignoreRepeatedDoubleStar => text("`**/**` in .deployignore means the same as `**`."),
        DeployignoreReincludeUnderIgnored => text(
            "A `!path` line cannot bring back a path inside a directory that an earlier line \
             ignores: the directory is skipped whole. Re-include the directory first, then \
             ignore its other entries.",
        ),
        BuildMissing => text(
            "The setup has no `build` section and does not inherit one through `extends`, so \
             there is nothing to build or cache.",
        ),
        DeployFilesMissing => text(
            "The build section has no `deployFiles`, so the build's output cannot be resolved.",
        ),
        DeployFilesInvalid => text("A deployFiles path cannot be resolved to files of the build."),
        InvalidTime => text(
            "A time given by the host is not an RFC 3339 UTC timestamp (`2024-05-01T12:00:00Z`).",
        ),
        RecordUnreadable => text(
            "A layer record given by the host cannot be read: it is damaged or from an \
             incompatible version. The layer is treated as absent.",
        ),
        UnknownCode => text(
            "The policy component answered with a code this host does not know: the binary and \
             the component differ in version. Use the component embedded in the same binary.",
        ),
    }
}
