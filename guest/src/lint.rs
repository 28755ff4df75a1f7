use crate::Component;
use crate::exports::zerops::build_cache::diagnostics as wit;
use crate::exports::zerops::build_cache::linter::{GateVerdict, GatedCommand, Guest, TreeFacts};
use crate::map::Convert;
use zerops_cache_policy as policy;

pub(crate) fn position(p: policy::Pos) -> wit::Position {
    p.convert()
}

pub(crate) fn diagnostic(d: policy::Diagnostic) -> wit::Diagnostic {
    d.convert()
}

impl Guest for Component {
    fn lint(source: String) -> Vec<wit::Diagnostic> {
        policy::lint::lint(&source)
            .into_iter()
            .map(diagnostic)
            .collect()
    }

    fn lint_bytes(source: Vec<u8>) -> Vec<wit::Diagnostic> {
        policy::lint::lint_bytes(&source)
            .into_iter()
            .map(diagnostic)
            .collect()
    }

    fn lint_with_tree(
        source: Vec<u8>,
        setup: Option<String>,
        tree: TreeFacts,
    ) -> Vec<wit::Diagnostic> {
        let facts: policy::lint::TreeFacts = tree.convert();
        let opts = policy::lint::Options {
            setup: setup.as_deref(),
            tree: Some(&facts),
            limits: None,
        };
        policy::lint::lint_bytes_with(&source, &opts)
            .into_iter()
            .map(diagnostic)
            .collect()
    }

    fn check_size(size: u32) -> Option<wit::Diagnostic> {
        policy::lint::check_size(u64::from(size)).map(diagnostic)
    }

    fn lint_deployignore(text: Vec<u8>) -> Vec<wit::Diagnostic> {
        policy::lint::deployignore::check(&text)
            .into_iter()
            .map(diagnostic)
            .collect()
    }

    fn tree_depth(source: Vec<u8>) -> u32 {
        std::str::from_utf8(&source).map_or(1, policy::lint::tree_depth)
    }

    fn gate(source: Vec<u8>, deployignore: Option<Vec<u8>>, command: GatedCommand) -> GateVerdict {
        policy::lint::gate::gate(&source, deployignore.as_deref(), command.convert()).convert()
    }
}
