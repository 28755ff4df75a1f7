//! What a build of one setup runs: the `build` section of the selected
//! setup after `extends`, as plain values.

use crate::diag::{Diagnostic, Span};
use crate::keys::CacheSpec;
use crate::model;

/// The build section of the selected setup, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSetup {
    /// The selected setup.
    pub setup: String,
    /// The setup the `build` section comes from (itself or a parent).
    pub build_from: Option<String>,
    pub prepare_commands: Vec<String>,
    pub build_commands: Vec<String>,
    /// `deployFiles`, or the deprecated `deploy` when it is absent.
    pub deploy_files: Vec<String>,
    pub cache: CacheSpec,
    /// `envVariables` in file order, values as written.
    pub env_variables: Vec<(String, String)>,
}

/// Parses `source`, selects `setup` (or the only setup) and resolves
/// `extends`. Fails when the file is not YAML, no setup can be chosen, or
/// the setup has no `build` section.
pub fn build_setup(source: &str, setup: Option<&str>) -> Result<BuildSetup, Diagnostic> {
    let config = model::parse(source)?;
    let chosen = config
        .select(setup)
        .map_err(|e| e.diagnostic(Span::default()))?;
    let resolved = config.resolve(&chosen.name.value)?;
    let Some(build) = resolved.build else {
        return Err(Diagnostic::error(
            "build-missing",
            chosen.span,
            format!(
                "setup `{}` has no `build` section (nor inherits one)",
                chosen.name.value
            ),
        ));
    };
    // A cache path outside the source is the lint's error, and the build's.
    if let Some(c) = &build.cache
        && let model::Cache::Paths(paths) = &c.value
        && let Some(d) = paths.iter().find_map(|p| {
            crate::lint::advice::in_base_layer(p).or_else(|| crate::lint::cache::outside_source(p))
        })
    {
        return Err(d);
    }
    let strings = |v: &[model::Sp<String>]| v.iter().map(|s| s.value.clone()).collect();
    Ok(BuildSetup {
        setup: resolved.name.value,
        build_from: resolved.build_from,
        prepare_commands: strings(&build.prepare_commands),
        build_commands: strings(&build.build_commands),
        deploy_files: strings(build.deploy_paths()),
        cache: CacheSpec::from_model(build.cache.as_ref().map(|c| &c.value)),
        env_variables: build
            .env_variables
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_path_outside_the_source_is_refused() {
        for (p, code) in [
            ("../x", "cache-outside-source"),
            ("/opt/x", "cache-outside-source"),
            ("a/../../b", "cache-outside-source"),
            // A tool cache outside the source: the lint's more precise error.
            ("/root/go", "cache-in-base-layer"),
        ] {
            let src = format!(
                "zerops:\n  - setup: app\n    build:\n      base: go@1\n      cache: [{p}]\n"
            );
            let e = build_setup(&src, None).unwrap_err();
            assert_eq!(e.code, code, "{p}");
            assert_eq!(e.span.start.line, 5);
        }
    }

    const SRC: &str = "zerops:
  - setup: base
    build:
      base: nodejs@22
      prepareCommands: [apk add git]
      buildCommands:
        - npm ci
        - |
          npm run build
          echo done
      deployFiles: [dist/~, package.json]
      cache: [node_modules]
      envVariables:
        NODE_ENV: production
        N: 3
  - setup: app
    extends: base
";

    #[test]
    fn resolves_extends() {
        let b = build_setup(SRC, Some("app")).unwrap();
        assert_eq!(b.setup, "app");
        assert_eq!(b.build_from.as_deref(), Some("base"));
        assert_eq!(b.build_commands.len(), 2);
        assert!(b.build_commands[1].contains("echo done"));
        assert_eq!(b.deploy_files, ["dist/~", "package.json"]);
        assert_eq!(b.cache, CacheSpec::Patterns(vec!["node_modules".into()]));
        assert_eq!(b.env_variables[1], ("N".into(), "3".into()));
    }

    #[test]
    fn selection_errors() {
        assert_eq!(build_setup(SRC, None).unwrap_err().code, "setup-ambiguous");
        assert_eq!(
            build_setup(SRC, Some("x")).unwrap_err().code,
            "setup-unknown"
        );
        let e = build_setup("zerops:\n  - setup: a\n    run: {}\n", None).unwrap_err();
        assert_eq!(e.code, "build-missing");
    }
}
