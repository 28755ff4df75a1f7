//! The summary a build prints: human lines, or one JSON line with
//! `--format json` (a contract, see tests/e2e/build.rs).

use serde::Serialize;
use std::collections::BTreeMap;
use zerops_cache_contract::decide::{Decision, LayerVerdict};
use zerops_cache_contract::layer::Layer;

use super::Out;
use zerops_cache_store::phases::Skipped;

/// One layer in the summary.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LayerSummary {
    /// `reuse` or `rebuild` (base), `reuse` or `drop` (build).
    pub(crate) action: &'static str,
    /// Where the layer came from: `local` (the store), `remote` (pulled
    /// for this build) or `cold` (built now).
    pub(crate) from: &'static str,
    pub(crate) key: String,
    pub(crate) reasons: Vec<String>,
}

impl LayerSummary {
    fn new(action: &'static str, key: &str, v: &LayerVerdict, pulled: bool) -> LayerSummary {
        LayerSummary {
            action,
            from: match (pulled, v.invalidated) {
                (true, _) => "remote",
                (false, false) => "local",
                (false, true) => "cold",
            },
            key: key.to_string(),
            reasons: v.reasons.iter().map(|r| r.message.clone()).collect(),
        }
    }
}

/// The `--format json` summary: a contract (see tests/e2e/build.rs).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub(crate) ok: bool,
    pub(crate) error: Option<String>,
    pub(crate) setup: String,
    pub(crate) store: String,
    pub(crate) in_place: bool,
    /// Where the commands ran: `container` or `none` (on the host).
    pub(crate) isolation: &'static str,
    /// The identity of the OS image the base layer is built on.
    pub(crate) image: String,
    pub(crate) layers: BTreeMap<Layer, LayerSummary>,
    pub(crate) prepare_ran: bool,
    /// Entries moved from the cache into the source (each a whole subtree).
    pub(crate) restored: usize,
    /// Cache paths left out because the source has them (source wins).
    pub(crate) skipped: Vec<String>,
    pub(crate) skipped_detail: Vec<Skipped>,
    /// Of `skipped`, the paths git tracks (the checkout's own files).
    pub(crate) skipped_tracked: usize,
    /// Entries moved from the source into the new build layer.
    pub(crate) preserved: usize,
    pub(crate) preserved_paths: Vec<String>,
    pub(crate) preserve_notes: Vec<Skipped>,
    /// The artifact version created.
    pub(crate) version: Option<u32>,
    pub(crate) artifact_files: u64,
    /// Of those, files hard-linked from the previous version (not copied).
    pub(crate) artifact_linked: u64,
    /// Milliseconds per phase.
    pub(crate) phases: BTreeMap<&'static str, u64>,
    /// Microseconds per phase (for benchmarks of sub-millisecond phases).
    pub(crate) phases_us: BTreeMap<&'static str, u64>,
    pub(crate) duration_ms: u64,
    pub(crate) renames: u64,
    /// The remote tier, when one is configured: what was pulled and
    /// published, bytes and objects transferred, warnings.
    pub(crate) remote: Option<zerops_cache_remote::remote::tier::RemoteSummary>,
    /// After a failure: what each layer is now (see README "What a failed
    /// build keeps").
    pub(crate) kept: Option<Kept>,
}

/// What a failed build kept of each layer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Kept {
    /// `unchanged` (reused, as it was), `previous` (the one before this
    /// build's rebuild), `prepared` (this build's prepareCommands' one) or
    /// `dropped`.
    pub(crate) base: &'static str,
    /// `previous` (byte for byte) or `dropped`.
    pub(crate) build: &'static str,
    /// The sentence the build printed.
    pub(crate) message: String,
}

/// What the summary says before the build starts.
pub(super) struct Start<'a> {
    pub(crate) setup: &'a str,
    pub(crate) store: String,
    pub(crate) in_place: bool,
    pub(crate) isolation: &'static str,
    pub(crate) image: &'a str,
}

impl Summary {
    /// The summary of a build that has not run yet: its layers as
    /// decided (and pulled), nothing done.
    pub(super) fn new(start: Start, d: &Decision, pulled: &[Layer]) -> Summary {
        let layers = Layer::ALL
            .into_iter()
            .map(|l| {
                let (action, key) = (d.action(l), d.keys.of(l));
                let summary = LayerSummary::new(action, key, d.verdict(l), pulled.contains(&l));
                (l, summary)
            })
            .collect();
        Summary {
            ok: false,
            error: None,
            setup: start.setup.to_string(),
            store: start.store,
            in_place: start.in_place,
            isolation: start.isolation,
            image: start.image.to_string(),
            layers,
            prepare_ran: false,
            restored: 0,
            skipped: Vec::new(),
            skipped_detail: Vec::new(),
            skipped_tracked: 0,
            preserved: 0,
            preserved_paths: Vec::new(),
            preserve_notes: Vec::new(),
            version: None,
            artifact_files: 0,
            artifact_linked: 0,
            phases: BTreeMap::new(),
            phases_us: BTreeMap::new(),
            duration_ms: 0,
            renames: 0,
            remote: None,
            kept: None,
        }
    }

    /// Prints the summary: one JSON line, or the human lines.
    pub(super) fn print(&self, out: &Out) {
        if out.json {
            match serde_json::to_string(self) {
                Ok(j) => println!("{j}"),
                Err(e) => eprintln!("error: writing the summary: {e}"),
            }
            return;
        }
        self.print_human();
    }

    fn print_human(&self) {
        let s = self;
        println!();
        let took = if s.duration_ms < 1000 {
            format!("{} ms", s.duration_ms)
        } else {
            format!("{:.1} s", s.duration_ms as f64 / 1000.0)
        };
        println!(
            "{} setup `{}` in {took}",
            if s.ok { "built" } else { "FAILED" },
            s.setup,
        );
        if let Some(e) = &s.error {
            println!("  error: {e}");
        }
        for (name, l) in &s.layers {
            let why = if l.reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", l.reasons.join("; "))
            };
            println!("  {name} layer: {}{why}", l.action);
        }
        // The image of host mode says "none (host, no container)" (as status).
        if s.isolation == "none" {
            println!("  isolation: none (on the host)");
        } else {
            println!("  isolation: {} ({})", s.isolation, s.image);
        }
        println!(
            "  prepareCommands: {}",
            if s.prepare_ran { "ran" } else { "skipped" }
        );
        println!(
            "  restored {}, skipped {}, preserved {}",
            s.restored,
            s.skipped.len(),
            s.preserved
        );
        if let Some(v) = s.version {
            println!(
                "  artifact: version {v} ({} files, {} shared with the previous version)",
                s.artifact_files, s.artifact_linked
            );
        }
        let phases: Vec<String> = s
            .phases
            .iter()
            .map(|(k, v)| format!("{k} {v} ms"))
            .collect();
        println!("  phases: {}", phases.join(", "));
    }
}
