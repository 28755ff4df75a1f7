use crate::Component;
use crate::exports::zerops::build_cache::advice as wit;
use crate::exports::zerops::build_cache::diagnostics::Diagnostic;
use crate::exports::zerops::build_cache::linter::TreeFacts;
use crate::map::Convert;
use zerops_cache_policy as policy;
use zerops_cache_policy::advise;

fn sized(v: Vec<wit::SizedPath>) -> Vec<(String, u64)> {
    v.into_iter().map(|s| (s.path, s.bytes)).collect()
}

impl wit::Guest for Component {
    fn advise(
        source: String,
        setup: Option<String>,
        tree: TreeFacts,
        store: Option<wit::StoreFacts>,
    ) -> Result<wit::AdviceReport, Diagnostic> {
        let facts = policy::lint::TreeFacts {
            entries: tree.entries,
            depth: tree.depth,
            tracked: tree.tracked,
        };
        let store = store.map(|s| advise::StoreFacts {
            home: sized(s.home),
            cache: sized(s.cache),
        });
        let r = advise::advise(&source, setup.as_deref(), &facts, store.as_ref())
            .map_err(crate::lint::diagnostic)?;
        Ok(wit::AdviceReport {
            setup: r.setup,
            items: r
                .items
                .into_iter()
                .map(|i| wit::AdviceItem {
                    layer: i.layer.convert(),
                    path: i.path,
                    what: i.what,
                    bytes: i.bytes,
                    saves: i.saves,
                })
                .collect(),
            findings: r
                .findings
                .into_iter()
                .map(crate::lint::diagnostic)
                .collect(),
        })
    }

    fn store_depth(source: String) -> u32 {
        advise::store_depth(&source)
    }
}
