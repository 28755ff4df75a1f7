//! Text in, answers out: layer keys of a config file, and the explanation of
//! what a change between two config files (or since the last build) does to
//! the cache, in the two forms users read — plain text and the JSON contract
//! `{"setup": …, "layers": {"base": {"invalidated": …, "reasons": […]}, "build": {…}}}`.

use crate::decide::{self, Decision, LayerVerdict, Previous, Reason};
use crate::diag::{Diagnostic, Span};
use crate::model::{self, Config};
use crate::snapshot::Snapshot;
use serde::Serialize;

fn parse(src: &str, which: Option<&str>) -> Result<Config, Diagnostic> {
    model::parse(src).map_err(|mut d| {
        if let Some(w) = which {
            d.message = format!("{w}: {}", d.message);
        }
        d
    })
}

fn select_error(e: model::SelectError) -> Diagnostic {
    e.diagnostic(Span::default())
}

/// The snapshots (keys and inputs) of one setup, or of every setup when
/// `setup` is `None`. A setup whose `extends` cannot be resolved gets its
/// error in place of a snapshot; an unknown `setup` is an error.
#[allow(clippy::type_complexity)]
pub fn keys(
    src: &str,
    setup: Option<&str>,
) -> Result<Vec<(String, Result<Snapshot, Diagnostic>)>, Diagnostic> {
    let config = parse(src, None)?;
    let names: Vec<String> = match setup {
        Some(s) => vec![
            config
                .select(Some(s))
                .map_err(select_error)?
                .name
                .value
                .clone(),
        ],
        None => config.names().iter().map(|s| s.to_string()).collect(),
    };
    Ok(names
        .into_iter()
        .map(|n| {
            let s = Snapshot::of(&config, &n);
            (n, s)
        })
        .collect())
}

/// Picks the setup in the new file (by name, or the only one) and takes
/// its snapshot.
pub(crate) fn current(config: &Config, setup: Option<&str>) -> Result<Snapshot, Diagnostic> {
    let name = config
        .select(setup)
        .map_err(select_error)?
        .name
        .value
        .clone();
    Snapshot::of(config, &name)
}

/// Explains what changing the config from `old_src` to `new_src` does to
/// the cache of `setup` (or of the only setup of the new file).
pub fn explain(old_src: &str, new_src: &str, setup: Option<&str>) -> Result<Decision, Diagnostic> {
    let new = parse(new_src, Some("new file"))?;
    let old = parse(old_src, Some("old file"))?;
    let cur = current(&new, setup).map_err(|mut d| {
        d.message = format!("new file: {}", d.message);
        d
    })?;
    if old.setup(&cur.setup).is_none() {
        let detail = format!("setup `{}` is not in the old file", cur.setup);
        return Ok(decide::judge(Previous::None(Some(&detail)), &cur));
    }
    let prev = Snapshot::of(&old, &cur.setup).map_err(|mut d| {
        d.message = format!("old file: {}", d.message);
        d
    })?;
    Ok(decide::compare(Some(&prev), &cur))
}

/// Decides for `setup` of the config against the stored layer record
/// (JSON, or `None` when there is no cache yet).
pub fn decide_for(
    src: &str,
    setup: Option<&str>,
    record_json: Option<&str>,
) -> Result<Decision, Diagnostic> {
    let cur = current_of(src, setup)?;
    Ok(decide::decide_json(record_json, &cur))
}

/// [`decide_for`] for a build on the OS image `image` (its identity as the
/// host computes it): a record made on another image rebuilds the base layer.
pub fn decide_in_image(
    src: &str,
    setup: Option<&str>,
    record_json: Option<&str>,
    image: &str,
) -> Result<Decision, Diagnostic> {
    let cur = current_of(src, setup)?;
    Ok(decide::decide_json_in_image(record_json, &cur, image))
}

/// Parses a config and takes the snapshot of `setup` (or the only setup).
pub fn current_of(src: &str, setup: Option<&str>) -> Result<Snapshot, Diagnostic> {
    current(&parse(src, None)?, setup)
}

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

/// The decision as pretty-printed JSON (see [`ExplainJson`]).
pub fn to_json(d: &Decision, verbose: bool) -> String {
    serde_json::to_string_pretty(&ExplainJson::new(d, verbose)).expect("always serializes")
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

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "zerops:
  - setup: app
    build:
      base: nodejs@20
      prepareCommands:
        - apk add git
        - apk add curl
      buildCommands: [npm i]
      deployFiles: ./
      cache: [node_modules, vendor]
";

    #[test]
    fn explains_in_text_and_json() {
        let new = OLD
            .replace("nodejs@20", "nodejs@22")
            .replace(
                "        - apk add curl\n",
                "        - apk add curl\n        - apk add vim\n",
            )
            .replace("[node_modules, vendor]", "[node_modules]")
            .replace("[npm i]", "[npm ci]");
        let d = explain(OLD, &new, None).unwrap();
        let text = render_text(&d, true);
        for line in [
            "base layer: invalidated",
            "  - base nodejs@20 → nodejs@22",
            "  - prepareCommands[2] added \"apk add vim\"",
            "  - cache pattern \"vendor\" removed",
            "build layer: invalidated",
            "  - base layer rebuilt (layers are coupled)",
            "  - buildCommands[0] changed \"npm i\" → \"npm ci\"\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        let j: serde_json::Value = serde_json::from_str(&to_json(&d, false)).unwrap();
        assert_eq!(j["setup"], "app");
        assert_eq!(j["layers"]["base"]["invalidated"], true);
        assert_eq!(j["layers"]["build"]["invalidated"], true);
        assert_eq!(
            j["layers"]["base"]["reasons"][1]["message"],
            "prepareCommands[2] added \"apk add vim\""
        );
        assert_eq!(j["layers"]["base"]["reasons"][1]["index"], 2);
        assert_eq!(j["layers"]["base"]["reasons"][1]["kind"], "added");
        assert_eq!(j.as_object().unwrap().len(), 2, "{j}");
        let jv: serde_json::Value = serde_json::from_str(&to_json(&d, true)).unwrap();
        assert_eq!(jv["unaffected"][0]["field"], "buildCommands");
    }

    #[test]
    fn kept_layers_say_so() {
        let d = explain(OLD, &OLD.replace("[npm i]", "[npm ci]"), None).unwrap();
        let text = render_text(&d, false);
        assert!(text.contains("base layer: kept"), "{text}");
        assert!(text.contains("build layer: kept"), "{text}");
        assert!(!text.contains("npm ci"), "{text}");
    }

    #[test]
    fn errors_name_the_file_and_setup() {
        assert!(
            explain("zerops: [", OLD, None)
                .unwrap_err()
                .message
                .starts_with("old file:")
        );
        let two = format!("{OLD}  - setup: api\n    build: {{base: go@1}}\n");
        assert_eq!(
            explain(OLD, &two, None).unwrap_err().code,
            "setup-ambiguous"
        );
        let d = explain(OLD, &two, Some("api")).unwrap();
        assert_eq!(
            d.base.reasons[0].message,
            "no previous cache (setup `api` is not in the old file)"
        );
    }
}
