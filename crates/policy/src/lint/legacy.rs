//! Files written in a format older than the `zerops:` list.
//!
//! - v1 (2021–2022 docs): the top-level keys are service hostnames, each with
//!   `build: {base, prepare, build, cache, deploy}` and `run: {prepare, init,
//!   start, documentRoot}`.
//! - Older still: top-level `use:`, `run:`, `deploy:`.
//!
//! Neither validates against the current schema. Instead of one schema error
//! per key, such a file gets one error that names the format and shows the
//! current one, written with the file's own hostnames and commands.

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::yaml::Node;

/// v1 key → current key, per section.
pub(crate) const RENAMES: &[(&str, &str, &str)] = &[
    ("build", "build", "buildCommands"),
    ("build", "prepare", "prepareCommands"),
    ("build", "deploy", "deployFiles"),
    ("run", "prepare", "prepareCommands"),
    ("run", "init", "initCommands"),
];

/// One `legacy-format` error if the root is a legacy file, else `None`.
pub fn check(root: &Node) -> Option<Diagnostic> {
    let map = root.as_map()?;
    if root.get("zerops").is_some() {
        return None;
    }
    if let Some((k, _)) = map
        .iter()
        .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "use"))
    {
        return Some(
            Diagnostic::error(
                Code::LegacyFormat,
                k.span,
                "this file uses the oldest Zerops format (top-level `use:`, `run:`, `deploy:`); \
                 the platform now reads only a `zerops:` list of setups, so it rejects this file",
            )
            .with_help(
                "rewrite it as:\nzerops:\n  - setup: <service hostname>\n    build:\n      \
                 base: <stack>@<version>\n      buildCommands: [ ...the `run:` commands... ]\n      \
                 deployFiles: [ ...the `deploy:` paths... ]\n    run:\n      start: <command>",
            ),
        );
    }
    let services: Vec<(&Node, &Node)> = map
        .iter()
        .filter(|(_, v)| v.get("build").is_some() || v.get("run").is_some())
        .map(|(k, v)| (k, v))
        .collect();
    let (first_key, _) = services.first()?;
    let names: Vec<String> = services
        .iter()
        .filter_map(|(k, _)| k.as_scalar().map(|s| s.text.clone()))
        .collect();
    let renames: Vec<String> = services
        .iter()
        .flat_map(|(_, v)| {
            RENAMES.iter().filter_map(move |(section, old, new)| {
                v.get(section)?.get(old)?;
                Some(format!("`{section}.{old}` → `{section}.{new}`"))
            })
        })
        .fold(Vec::new(), |mut acc, r| {
            if !acc.contains(&r) {
                acc.push(r);
            }
            acc
        });
    let example = names.first().map(String::as_str).unwrap_or("app");
    let mut help = format!(
        "rewrite it as a list of setups, one per service:\nzerops:\n  - setup: {example}\n    \
         build: ...\n    run: ..."
    );
    if !renames.is_empty() {
        help.push_str(&format!("\nand rename {}", renames.join(", ")));
    }
    help.push_str(
        "\n(`build.base` stays; `buildCommands` must be a list; `cache` keeps its meaning)",
    );
    Some(
        Diagnostic::error(
            Code::LegacyFormat,
            first_key.span,
            format!(
                "this file uses the legacy v1 format (top-level service hostname{} {}); the \
                 platform now reads only a `zerops:` list of setups, so it rejects this file",
                if names.len() > 1 { "s" } else { "" },
                names
                    .iter()
                    .map(|n| format!("`{n}:`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_help(help),
    )
}

#[cfg(test)]
mod tests {
    use crate::lint::lint;

    #[test]
    fn v1_is_one_error_with_the_current_format() {
        let d = lint(
            "app:\n  build:\n    base: [nodejs@16]\n    build:\n      - npm i\n    deploy: [.]\n  run:\n    start: npm start\n",
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, "legacy-format");
        assert_eq!(
            (
                d[0].span.unwrap().start.line,
                d[0].span.unwrap().start.column
            ),
            (1, 1)
        );
        assert!(d[0].message.contains("`app:`"));
        let help = d[0].help.as_deref().unwrap();
        assert!(help.contains("zerops:\n  - setup: app"), "{help}");
        assert!(
            help.contains("`build.build` → `build.buildCommands`"),
            "{help}"
        );
    }

    #[test]
    fn use_format() {
        let d = lint("use: [ ]\nrun:\n  - curl x\ndeploy: [ a ]\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, "legacy-format");
        assert!(d[0].message.contains("`use:`"));
    }

    #[test]
    fn current_format_with_stray_keys_is_not_legacy() {
        let d = lint("zerops:\n  - setup: a\nservices:\n  - hostname: a\n");
        assert!(d.iter().all(|d| d.code != "legacy-format"), "{d:#?}");
        assert!(d.iter().any(|d| d.code == "root-unknown-key"));
    }
}
