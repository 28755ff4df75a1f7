//! What one setup says about its build, taken after `extends`: the inputs of
//! the layer keys, and the fields that do not touch the cache but that users
//! change and ask about (`buildCommands`, `deployFiles`, `envVariables`,
//! `addToRunPrepare`, `run`, `deploy`).

use crate::diag::Diagnostic;
use crate::keys::{InputsRules, LayerInputs};
use crate::model::{Config, Resolved};
use crate::yaml::{Node, Value};
use std::collections::BTreeMap;

pub use zerops_cache_contract::snapshot::{Snapshot, Unkeyed};

/// How a snapshot is taken from a config (the type is the contract's).
pub trait SnapshotRules: Sized {
    /// The snapshot of a setup with `extends` applied.
    fn from_resolved(r: &Resolved) -> Self;
    /// Resolves `name` in `config` and takes its snapshot.
    fn of(config: &Config, name: &str) -> Result<Self, Diagnostic>;
}

impl SnapshotRules for Snapshot {
    /// The snapshot of a setup with `extends` applied.
    fn from_resolved(r: &Resolved) -> Snapshot {
        let inputs = LayerInputs::from_build(r.build.as_ref());
        let mut unkeyed = Unkeyed {
            run: section(r.run.as_ref()),
            deploy: section(r.deploy.as_ref()),
            ..Unkeyed::default()
        };
        if let Some(b) = &r.build {
            let strings = |v: &[crate::model::Sp<String>]| -> Vec<String> {
                v.iter().map(|s| s.value.clone()).collect()
            };
            unkeyed.build_commands = strings(&b.build_commands);
            unkeyed.deploy_files = strings(b.deploy_paths());
            unkeyed.add_to_run_prepare = strings(&b.add_to_run_prepare);
            unkeyed.env_variables = b
                .env_variables
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect();
        }
        Snapshot {
            setup: r.name.value.clone(),
            build_from: r.build_from.clone(),
            keys: inputs.keys(),
            inputs,
            unkeyed,
        }
    }

    /// Resolves `name` in `config` and takes its snapshot.
    fn of(config: &Config, name: &str) -> Result<Snapshot, Diagnostic> {
        config.resolve(name).map(|r| Snapshot::from_resolved(&r))
    }
}

/// Picks the setup of a config (by name, or the only one) and takes its
/// snapshot: setup selection lives with the snapshot it selects for.
pub fn current(config: &Config, setup: Option<&str>) -> Result<Snapshot, Diagnostic> {
    let name = config
        .select(setup)
        .map_err(|e| e.diagnostic(None))?
        .name
        .value
        .clone();
    Snapshot::of(config, &name)
}

/// Parses a config and takes the snapshot of `setup` (or the only setup).
pub fn current_of(src: &str, setup: Option<&str>) -> Result<Snapshot, Diagnostic> {
    current(&crate::model::parse(src)?, setup)
}

fn section(n: Option<&Node>) -> BTreeMap<String, String> {
    let Some(map) = n.and_then(Node::as_map) else {
        return BTreeMap::new();
    };
    map.iter()
        .filter_map(|(k, v)| Some((k.as_scalar()?.text.clone(), flow(v))))
        .collect()
}

/// A compact, span-free rendering of a node, used to compare and to show
/// values: scalars as written, `[a, b]`, `{k: v}`.
pub(crate) fn flow(n: &Node) -> String {
    let mut out = String::new();
    write_flow(n, &mut out);
    out
}

fn write_flow(n: &Node, out: &mut String) {
    match &n.value {
        Value::Scalar(s) => out.push_str(&s.text),
        Value::Seq(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(it, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(k, out);
                out.push_str(": ");
                write_flow(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;

    #[test]
    fn takes_unkeyed_fields_after_extends() {
        let c = model::parse(
            "zerops:
  - setup: base
    build:
      buildCommands: [npm ci]
      deployFiles: dist
      envVariables: {NODE_ENV: production, N: 1}
      addToRunPrepare: a
    run:
      start: node a.js
      ports:
        - port: 3000
          httpSupport: true
  - setup: app
    extends: base
    deploy:
      readinessCheck: {httpGet: {port: 3000, path: /}}
",
        )
        .unwrap();
        let s = Snapshot::of(&c, "app").unwrap();
        assert_eq!(s.build_from.as_deref(), Some("base"));
        assert_eq!(s.unkeyed.build_commands, ["npm ci"]);
        assert_eq!(s.unkeyed.deploy_files, ["dist"]);
        assert_eq!(s.unkeyed.env_variables["N"], "1");
        assert_eq!(s.unkeyed.add_to_run_prepare, ["a"]);
        assert_eq!(s.unkeyed.run["ports"], "[{port: 3000, httpSupport: true}]");
        assert_eq!(
            s.unkeyed.deploy["readinessCheck"],
            "{httpGet: {port: 3000, path: /}}"
        );
        assert_eq!(s.keys, s.inputs.keys());
    }
}
