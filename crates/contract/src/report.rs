//! Rendering of a decision for users: the plain text and the JSON contract
//! `{"setup": …, "layers": {"base": {…}, "build": {…}}}` of `explain`.

use crate::decide::{Decision, LayerVerdict, Reason};
use serde::Serialize;

/// The JSON form of a decision: exactly `{"setup", "layers": {"base",
/// "build"}}`, plus `"unaffected"` (changes with no effect on the cache)
/// when `verbose`.
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    pub setup: &'a str,
    pub layers: LayersJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unaffected: Option<&'a [Reason]>,
}

#[derive(Debug, Serialize)]
pub struct LayersJson<'a> {
    pub base: &'a LayerVerdict,
    pub build: &'a LayerVerdict,
}

impl<'a> ExplainJson<'a> {
    pub fn new(d: &'a Decision, verbose: bool) -> ExplainJson<'a> {
        ExplainJson {
            setup: &d.setup,
            layers: LayersJson {
                base: &d.base,
                build: &d.build,
            },
            unaffected: verbose.then_some(d.unaffected.as_slice()),
        }
    }
}

/// The decision as compact one-line JSON (see [`ExplainJson`]).
pub fn to_json(d: &Decision, verbose: bool) -> String {
    serde_json::to_string(&ExplainJson::new(d, verbose)).expect("always serializes")
}

/// The decision in plain text, one layer per paragraph.
pub fn render_text(d: &Decision, verbose: bool) -> String {
    let mut out = format!("setup `{}`", d.setup);
    match d.build_from.as_deref() {
        Some(from) if from != d.setup => {
            out.push_str(&format!(" (build section inherited from `{from}`)"))
        }
        None => out.push_str(" (no build section: defaults apply)"),
        _ => {}
    }
    out.push('\n');
    for (name, v) in [("base layer", &d.base), ("build layer", &d.build)] {
        let verdict = match (name, v.invalidated) {
            ("base layer", true) => "invalidated: rebuilt from scratch, prepareCommands run",
            ("base layer", false) => "kept: reused, prepareCommands skipped",
            (_, true) => "invalidated: cached files dropped",
            (_, false) => "kept: cached files restored",
        };
        out.push_str(&format!("{name}: {verdict}\n"));
        for r in &v.reasons {
            out.push_str(&format!("  - {}\n", r.message));
        }
    }
    if !d.base.invalidated {
        out.push_str("os, base, prepareCommands and cache are unchanged\n");
    }
    if verbose {
        if d.unaffected.is_empty() {
            out.push_str("no other changes\n");
        } else {
            out.push_str("changes with no effect on the cache:\n");
            for r in &d.unaffected {
                let m = r.message.trim_end_matches(" (no effect on the cache)");
                out.push_str(&format!("  - {m}\n"));
            }
        }
        let prev = d.previous_keys.as_ref();
        for (name, old, new) in [
            ("base-layer key", prev.map(|p| &p.base), &d.keys.base),
            ("build-layer key", prev.map(|p| &p.build), &d.keys.build),
        ] {
            match old {
                Some(o) if o != new => out.push_str(&format!("{name}: {o} → {new}\n")),
                _ => out.push_str(&format!("{name}: {new}\n")),
            }
        }
    }
    out
}
