//! Typed questions to the policy component. Each converts the WIT types the
//! component returns into the policy crate's data types, so renderers and
//! JSON output share one definition.

pub mod assist;
pub mod plan;

use anyhow::Result;
use zerops_cache_policy as policy;

use crate::bindings::exports::zerops::build_cache::advice;
use crate::bindings::exports::zerops::build_cache::diagnostics as wit;
use crate::bindings::exports::zerops::build_cache::linter;
use crate::component::PolicyHost;

fn pos(p: wit::Position) -> policy::Pos {
    policy::Pos::new(p.line, p.column)
}

pub fn diagnostic(d: wit::Diagnostic) -> policy::Diagnostic {
    policy::Diagnostic {
        code: d.code,
        severity: match d.severity {
            wit::Severity::Error => policy::Severity::Error,
            wit::Severity::Warning => policy::Severity::Warning,
            wit::Severity::Note => policy::Severity::Note,
        },
        message: d.message,
        span: policy::Span::new(pos(d.start), pos(d.end)),
        help: d.help,
    }
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
    /// directory (see [`crate::tree`]).
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

    /// The advice report of a setup (see `zerops_cache_policy::advise`).
    pub fn advise(
        &self,
        src: &str,
        setup: Option<&str>,
        facts: &policy::lint::TreeFacts,
        store: Option<&policy::advise::StoreFacts>,
    ) -> Result<Result<policy::advise::Report, policy::Diagnostic>> {
        use policy::advise::{Item, Layer, Report};
        let tree = linter::TreeFacts {
            entries: facts.entries.clone(),
            depth: facts.depth,
            tracked: facts.tracked.clone(),
        };
        let sized = |v: &[(String, u64)]| -> Vec<advice::SizedPath> {
            v.iter()
                .map(|(path, bytes)| advice::SizedPath {
                    path: path.clone(),
                    bytes: *bytes,
                })
                .collect()
        };
        let store = store.map(|s| advice::StoreFacts {
            home: sized(&s.home),
            cache: sized(&s.cache),
        });
        let out = self.call("advising", |p, s| {
            p.zerops_build_cache_advice()
                .call_advise(s, src, setup, &tree, store.as_ref())
        })?;
        Ok(out.map_err(diagnostic).map(|r| Report {
            setup: r.setup,
            items: r
                .items
                .into_iter()
                .map(|i| Item {
                    layer: match i.layer {
                        advice::Layer::Base => Layer::Base,
                        advice::Layer::Build => Layer::Build,
                    },
                    path: i.path,
                    what: i.what,
                    bytes: i.bytes,
                    saves: i.saves,
                })
                .collect(),
            findings: r.findings.into_iter().map(diagnostic).collect(),
        }))
    }

    /// How deep to measure the store for [`PolicyHost::advise`].
    pub fn store_depth(&self, src: &str) -> Result<u32> {
        self.call("reading cache paths", |p, s| {
            p.zerops_build_cache_advice().call_store_depth(s, src)
        })
    }
}

/// Retention questions: which versions and stores to remove, and why.
impl PolicyHost {
    pub fn versions_to_remove(
        &self,
        versions: &[policy::retention::VersionFacts],
        total: u64,
        keep: u32,
        max_bytes: Option<u64>,
    ) -> Result<Vec<policy::retention::VersionRemoval>> {
        use crate::bindings::exports::zerops::build_cache::retention as wit;
        let facts: Vec<wit::VersionFacts> = versions
            .iter()
            .map(|v| wit::VersionFacts {
                number: v.number,
                bytes: v.bytes,
                active: v.active,
            })
            .collect();
        let out = self.call("choosing versions to remove", |p, s| {
            p.zerops_build_cache_retention()
                .call_versions_to_remove(s, &facts, total, keep, max_bytes)
        })?;
        Ok(out
            .into_iter()
            .map(|r| policy::retention::VersionRemoval {
                number: r.number,
                reason: r.reason,
            })
            .collect())
    }

    pub fn stores_to_remove(
        &self,
        stores: &[policy::retention::StoreUsage],
        now_ms: u64,
        max_age_ms: Option<u64>,
        max_bytes: Option<u64>,
    ) -> Result<Vec<policy::retention::StoreRemoval>> {
        use crate::bindings::exports::zerops::build_cache::retention as wit;
        let facts: Vec<wit::StoreUsage> = stores
            .iter()
            .map(|s| wit::StoreUsage {
                path: s.path.clone(),
                last_used_ms: s.last_used_ms,
                bytes: s.bytes,
                busy: s.busy,
            })
            .collect();
        let out = self.call("choosing stores to remove", |p, s| {
            p.zerops_build_cache_retention()
                .call_stores_to_remove(s, &facts, now_ms, max_age_ms, max_bytes)
        })?;
        Ok(out
            .into_iter()
            .map(|r| policy::retention::StoreRemoval {
                path: r.path,
                reason: r.reason,
            })
            .collect())
    }
}
