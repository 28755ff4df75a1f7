//! Typed questions to the component's `advice` interface: what the cache
//! holds and what it saves.

use anyhow::Result;
use zerops_cache_contract as policy;

use super::PolicyHost;
use super::bindings::exports::zerops::build_cache::advice;
use super::bindings::exports::zerops::build_cache::linter;
use super::lint::diagnostic;

impl PolicyHost {
    /// The advice report of a setup (see `zerops_cache_contract::advise`).
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
