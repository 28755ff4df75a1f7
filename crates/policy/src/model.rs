//! The typed zerops.yaml: setups and their `build` section, each value with
//! the span it was read from. Extraction is lenient: it takes what it can
//! and leaves judging to the linter, so keys, plans and explanations work on
//! any file the platform would accept.

use crate::diag::{Diagnostic, Span};
use crate::yaml::{Node, ScalarKind, Value};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Sp<T> {
        Sp { value, span }
    }
}

/// The whole file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub setups: Vec<Setup>,
}

/// One item of the `zerops:` list.
#[derive(Debug, Clone)]
pub struct Setup {
    pub name: Sp<String>,
    pub extends: Vec<Sp<String>>,
    pub build: Option<Build>,
    /// `run` and `deploy` are kept as trees: the cache never reads them,
    /// but explanations compare them.
    pub run: Option<Node>,
    pub deploy: Option<Node>,
    pub span: Span,
}

/// The `cache` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    /// `cache: true` keeps the whole source dir; `false` keeps nothing of it.
    Bool(bool),
    /// A pattern, or a list of them (`cache: x` is `cache: [x]`).
    Paths(Vec<Sp<String>>),
}

/// The `build` section.
#[derive(Debug, Clone, Default)]
pub struct Build {
    pub span: Span,
    pub os: Option<Sp<String>>,
    pub base: Vec<Sp<String>>,
    pub prepare_commands: Vec<Sp<String>>,
    pub build_commands: Vec<Sp<String>>,
    pub deploy_files: Vec<Sp<String>>,
    /// The deprecated `deploy` alias of `deployFiles`.
    pub deploy_legacy: Vec<Sp<String>>,
    pub cache: Option<Sp<Cache>>,
    pub add_to_run_prepare: Vec<Sp<String>>,
    pub env_variables: Vec<(Sp<String>, Sp<String>)>,
}

impl Build {
    /// The files to deploy: `deployFiles`, or the deprecated `deploy`.
    pub fn deploy_paths(&self) -> &[Sp<String>] {
        if self.deploy_files.is_empty() {
            &self.deploy_legacy
        } else {
            &self.deploy_files
        }
    }
}

/// Text of a scalar of any kind (a number or boolean as written).
fn text(n: &Node) -> Option<Sp<String>> {
    n.as_scalar().map(|s| Sp::new(s.text.clone(), n.span))
}

/// A string or a list of scalars, as a list. Null gives an empty list.
fn list(n: Option<&Node>) -> Vec<Sp<String>> {
    let Some(n) = n else { return Vec::new() };
    match &n.value {
        Value::Seq(items) => items.iter().filter_map(text).collect(),
        Value::Scalar(s) if s.kind() == ScalarKind::Null => Vec::new(),
        Value::Scalar(_) => text(n).into_iter().collect(),
        Value::Map(_) => Vec::new(),
    }
}

fn build_from(n: &Node) -> Build {
    let get = |k: &str| n.get(k);
    let cache = get("cache").and_then(|c| match &c.value {
        Value::Scalar(s) => match s.kind() {
            ScalarKind::Bool(b) => Some(Sp::new(Cache::Bool(b), c.span)),
            ScalarKind::Null => None,
            _ => Some(Sp::new(
                Cache::Paths(vec![Sp::new(s.text.clone(), c.span)]),
                c.span,
            )),
        },
        Value::Seq(_) => Some(Sp::new(Cache::Paths(list(Some(c))), c.span)),
        Value::Map(_) => None,
    });
    let env_variables = get("envVariables")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
                .collect()
        })
        .unwrap_or_default();
    Build {
        span: n.span,
        os: get("os")
            .and_then(text)
            .filter(|s| !s.value.is_empty() && get("os").is_some_and(|o| !o.is_null())),
        base: list(get("base")),
        prepare_commands: list(get("prepareCommands")),
        build_commands: list(get("buildCommands")),
        deploy_files: list(get("deployFiles")),
        deploy_legacy: list(get("deploy")),
        cache,
        add_to_run_prepare: list(get("addToRunPrepare")),
        env_variables,
    }
}

/// Reads the typed model out of a parsed tree. Setups without a usable
/// `setup` name are left out (the linter reports them).
pub fn from_tree(root: &Node) -> Config {
    let mut setups = Vec::new();
    for item in root.get("zerops").and_then(Node::as_seq).unwrap_or(&[]) {
        let Some(name) = item.get("setup").and_then(text) else {
            continue;
        };
        setups.push(Setup {
            name,
            extends: list(item.get("extends")),
            build: item
                .get("build")
                .filter(|b| b.as_map().is_some())
                .map(build_from),
            run: item.get("run").cloned(),
            deploy: item.get("deploy").cloned(),
            span: item.span,
        });
    }
    Config { setups }
}

/// Parses and extracts in one step. A syntax error is returned as is.
pub fn parse(src: &str) -> Result<Config, Diagnostic> {
    let doc = crate::yaml::parse(src, crate::yaml::Limits::default())?;
    Ok(doc.root.as_ref().map(from_tree).unwrap_or_default())
}

/// The longest `extends` chain followed before giving up.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// The most setups one resolution visits (a setup reached by two paths
/// counts twice), so a lattice of `extends` lists cannot take exponential
/// time.
pub const MAX_EXTENDS_STEPS: usize = 1024;

/// A setup with `extends` applied: each section comes from the setup itself
/// or from the parent that defines it last.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: Sp<String>,
    pub build: Option<Build>,
    /// The setup the `build` section was taken from (itself or a parent).
    pub build_from: Option<String>,
    pub run: Option<Node>,
    pub deploy: Option<Node>,
}

impl Config {
    pub fn setup(&self, name: &str) -> Option<&Setup> {
        self.setups.iter().find(|s| s.name.value == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.setups.iter().map(|s| s.name.value.as_str()).collect()
    }

    /// Picks the setup a build uses, as zcli does: the named one, or the
    /// only one there is.
    pub fn select(&self, name: Option<&str>) -> Result<&Setup, SelectError> {
        match name {
            Some(n) => self.setup(n).ok_or_else(|| SelectError::Unknown {
                name: n.to_string(),
                available: self.names().iter().map(|s| s.to_string()).collect(),
            }),
            None => match self.setups.as_slice() {
                [only] => Ok(only),
                [] => Err(SelectError::None),
                many => Err(SelectError::Ambiguous {
                    available: many.iter().map(|s| s.name.value.clone()).collect(),
                }),
            },
        }
    }

    /// Applies `extends` at section level: a section the setup writes
    /// replaces the parent's whole section; with several parents, later ones
    /// override earlier ones.
    pub fn resolve(&self, name: &str) -> Result<Resolved, Diagnostic> {
        let setup = self.setup(name).ok_or_else(|| {
            Diagnostic::error(
                "setup-unknown",
                Span::default(),
                format!("no setup named `{name}`"),
            )
        })?;
        let mut chain = vec![name.to_string()];
        let mut r = Resolved {
            name: setup.name.clone(),
            build: None,
            build_from: None,
            run: None,
            deploy: None,
        };
        let mut steps = 0;
        self.apply(setup, &mut r, &mut chain, &mut steps)?;
        Ok(r)
    }

    fn apply(
        &self,
        setup: &Setup,
        r: &mut Resolved,
        chain: &mut Vec<String>,
        steps: &mut usize,
    ) -> Result<(), Diagnostic> {
        // Parents first, in order, so later ones and then the setup itself win.
        for parent in &setup.extends {
            if chain.contains(&parent.value) {
                return Err(Diagnostic::error(
                    "extends-cycle",
                    parent.span,
                    format!(
                        "`extends` forms a cycle: {} -> {}",
                        chain.join(" -> "),
                        parent.value
                    ),
                )
                .with_help("remove one of the `extends` links so the chain ends"));
            }
            if chain.len() >= MAX_EXTENDS_DEPTH {
                return Err(Diagnostic::error(
                    "extends-too-deep",
                    parent.span,
                    format!("`extends` chain is longer than {MAX_EXTENDS_DEPTH} setups"),
                ));
            }
            let Some(p) = self.setup(&parent.value) else {
                return Err(Diagnostic::error(
                    "extends-unknown",
                    parent.span,
                    format!(
                        "`extends` names `{}`, which is not a setup in this file",
                        parent.value
                    ),
                )
                .with_help(format!("setups in this file: {}", self.names().join(", "))));
            };
            *steps += 1;
            if *steps > MAX_EXTENDS_STEPS {
                return Err(Diagnostic::error(
                    "extends-too-deep",
                    parent.span,
                    format!("`extends` reaches more than {MAX_EXTENDS_STEPS} setups"),
                ));
            }
            chain.push(parent.value.clone());
            self.apply(p, r, chain, steps)?;
            chain.pop();
        }
        if let Some(b) = &setup.build {
            r.build = Some(b.clone());
            r.build_from = Some(setup.name.value.clone());
        }
        if setup.run.is_some() {
            r.run = setup.run.clone();
        }
        if setup.deploy.is_some() {
            r.deploy = setup.deploy.clone();
        }
        Ok(())
    }
}

/// Why no setup could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    None,
    Unknown {
        name: String,
        available: Vec<String>,
    },
    Ambiguous {
        available: Vec<String>,
    },
}

impl SelectError {
    /// The one diagnostic code of each case.
    pub fn code(&self) -> &'static str {
        match self {
            SelectError::None => "setup-none",
            SelectError::Unknown { .. } => "setup-unknown",
            SelectError::Ambiguous { .. } => "setup-ambiguous",
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            SelectError::None => "add a setup: `- setup: <service hostname>`".to_string(),
            SelectError::Unknown { available, .. } | SelectError::Ambiguous { available } => {
                format!("choose one with --setup: {}", available.join(", "))
            }
        }
    }

    /// The error as a diagnostic at `span`: the only mapping of a
    /// selection error (lint, build, keys and explain all use it).
    pub fn diagnostic(&self, span: Span) -> Diagnostic {
        Diagnostic::error(self.code(), span, self.to_string()).with_help(self.help())
    }
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::None => write!(f, "the file defines no setup"),
            SelectError::Unknown { name, available } => {
                write!(
                    f,
                    "no setup named `{name}`; the file defines: {}",
                    available.join(", ")
                )
            }
            SelectError::Ambiguous { available } => write!(
                f,
                "the file defines {} setups ({}); choose one with --setup",
                available.len(),
                available.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "zerops:
  - setup: base
    build:
      base: nodejs@22
      cache: node_modules
      deployFiles: ./
    run:
      start: node a.js
  - setup: app
    extends: base
    run:
      start: node b.js
  - setup: other
    extends: [base, app]
    build:
      os: ubuntu
      base: [go@1]
      cache: true
      deployFiles: app
";

    #[test]
    fn extracts_build_fields() {
        let c = parse(SRC).unwrap();
        let b = c.setup("base").unwrap().build.as_ref().unwrap();
        assert_eq!(b.base[0].value, "nodejs@22");
        assert!(
            matches!(&b.cache.as_ref().unwrap().value, Cache::Paths(p) if p[0].value == "node_modules")
        );
        assert_eq!(b.cache.as_ref().unwrap().span.start.line, 5);
    }

    #[test]
    fn extends_is_section_level() {
        let c = parse(SRC).unwrap();
        let app = c.resolve("app").unwrap();
        assert_eq!(app.build_from.as_deref(), Some("base"));
        assert_eq!(
            app.run.unwrap().get("start").unwrap().as_str(),
            Some("node b.js")
        );
        let other = c.resolve("other").unwrap();
        let b = other.build.unwrap();
        assert_eq!(b.os.unwrap().value, "ubuntu");
        assert_eq!(b.cache.unwrap().value, Cache::Bool(true));
        // run from the later parent `app`
        assert_eq!(
            other.run.unwrap().get("start").unwrap().as_str(),
            Some("node b.js")
        );
    }

    #[test]
    fn extends_cycle_and_unknown() {
        let c =
            parse("zerops:\n  - setup: a\n    extends: b\n  - setup: b\n    extends: a\n").unwrap();
        let e = c.resolve("a").unwrap_err();
        assert_eq!(e.code, "extends-cycle");
        assert_eq!(e.span.start.line, 5);
        let c = parse("zerops:\n  - setup: a\n    extends: nope\n").unwrap();
        assert_eq!(c.resolve("a").unwrap_err().code, "extends-unknown");
    }

    #[test]
    fn extends_lattice_is_bounded() {
        let mut src = String::from("zerops:\n  - setup: a0\n  - setup: b0\n  - setup: c0\n");
        for i in 1..15 {
            for x in ["a", "b", "c"] {
                src.push_str(&format!(
                    "  - setup: {x}{i}\n    extends: [a{p}, b{p}, c{p}]\n",
                    p = i - 1
                ));
            }
        }
        let c = parse(&src).unwrap();
        assert_eq!(c.resolve("a14").unwrap_err().code, "extends-too-deep");
        assert!(c.resolve("a3").is_ok());
    }

    #[test]
    fn selection() {
        let c = parse(SRC).unwrap();
        assert!(matches!(c.select(None), Err(SelectError::Ambiguous { .. })));
        assert_eq!(c.select(Some("app")).unwrap().name.value, "app");
        assert!(
            c.select(Some("x"))
                .unwrap_err()
                .to_string()
                .contains("base, app, other")
        );
    }
}
