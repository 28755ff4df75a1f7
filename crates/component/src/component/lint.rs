//! Typed questions to the component's `about` and `linter` interfaces, and the
//! one conversion of a WIT diagnostic into the policy crate's type.

use anyhow::Result;
use zerops_cache_contract as policy;

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::diagnostics as wit;
use crate::component::bindings::exports::zerops::build_cache::linter;
use crate::component::map::Convert;

pub(crate) fn diagnostic(d: wit::Diagnostic) -> policy::Diagnostic {
    d.convert()
}

impl PolicyHost {
    /// The version of the policy inside the component.
    pub fn version(&self) -> Result<String> {
        self.call("reading the version", |p, s| {
            p.zerops_build_cache_about().call_version(s)
        })
    }

    /// The WIT package id the component implements.
    pub fn wit_package(&self) -> Result<String> {
        self.call("reading the WIT package", |p, s| {
            p.zerops_build_cache_about().call_wit_package(s)
        })
    }

    /// Lints file bytes.
    pub fn lint_bytes(&self, bytes: &[u8]) -> Result<Vec<policy::Diagnostic>> {
        let out = self.call("linting", |p, s| {
            p.zerops_build_cache_linter().call_lint_bytes(s, bytes)
        })?;
        Ok(out.into_iter().map(diagnostic).collect())
    }

    /// Lints file bytes with the facts the host gathered about the project
    /// directory (gathered by the store crate's `tree_facts`).
    pub fn lint_with_tree(
        &self,
        bytes: &[u8],
        setup: Option<&str>,
        facts: &policy::lint::TreeFacts,
    ) -> Result<Vec<policy::Diagnostic>> {
        let tree = linter::TreeFacts {
            entries: facts.entries.clone(),
            depth: facts.depth,
            tracked: facts.tracked.clone(),
        };
        let out = self.call("linting", |p, s| {
            p.zerops_build_cache_linter()
                .call_lint_with_tree(s, bytes, setup, &tree)
        })?;
        Ok(out.into_iter().map(diagnostic).collect())
    }

    /// The policy's verdict on a file size, before reading the file.
    pub fn check_size(&self, size: u64) -> Result<Option<policy::Diagnostic>> {
        let size = u32::try_from(size).unwrap_or(u32::MAX);
        let out = self.call("checking the file size", |p, s| {
            p.zerops_build_cache_linter().call_check_size(s, size)
        })?;
        Ok(out.map(diagnostic))
    }

    /// Lints a `.deployignore`'s bytes.
    pub fn lint_deployignore(&self, bytes: &[u8]) -> Result<Vec<policy::Diagnostic>> {
        let out = self.call("linting .deployignore", |p, s| {
            p.zerops_build_cache_linter()
                .call_lint_deployignore(s, bytes)
        })?;
        Ok(out.into_iter().map(diagnostic).collect())
    }

    /// How deep to list the project for [`PolicyHost::lint_with_tree`].
    pub fn tree_depth(&self, bytes: &[u8]) -> Result<u32> {
        self.call("reading cache paths", |p, s| {
            p.zerops_build_cache_linter().call_tree_depth(s, bytes)
        })
    }

    /// Lints text.
    pub fn lint(&self, src: &str) -> Result<Vec<policy::Diagnostic>> {
        let out = self.call("linting", |p, s| {
            p.zerops_build_cache_linter().call_lint(s, src)
        })?;
        Ok(out.into_iter().map(diagnostic).collect())
    }

    /// The platform's verdict on the config bytes (and the project's
    /// `.deployignore`) for `command`: whether it must stop, and what to show.
    pub fn gate(
        &self,
        bytes: &[u8],
        deployignore: Option<&[u8]>,
        command: policy::lint::GatedCommand,
    ) -> Result<policy::lint::GateVerdict> {
        let command: linter::GatedCommand = command.convert();
        let out = self.call("checking the file", |p, s| {
            p.zerops_build_cache_linter()
                .call_gate(s, bytes, deployignore, command)
        })?;
        Ok(out.convert())
    }
}
