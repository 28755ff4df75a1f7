//! The API layer: the text-in/text-out entry points that hosts (through
//! the component) call. It sits on top of every other module and nothing
//! below it imports it, so the modules form no cycle: the layer keys of a
//! config file, and what a change between two config files (or since the
//! last build) does to the cache. Rendering lives in the contract
//! (`zerops_cache_contract::report`).

use crate::decide::{self, Decision, Previous};
use crate::diag::Diagnostic;
use crate::model;
use crate::snapshot::{self, Snapshot, SnapshotRules};

pub mod setup;

pub use crate::record::{
    add_event_json, after_build_in_image_json, after_build_json, describe_json,
};
pub use crate::snapshot::current_of;
pub use setup::build_setup;

/// The snapshots (keys and inputs) of one setup, or of every setup when
/// `setup` is `None`. A setup whose `extends` cannot be resolved gets its
/// error in place of a snapshot; an unknown `setup` is an error.
#[allow(clippy::type_complexity)]
pub fn keys(
    src: &str,
    setup: Option<&str>,
) -> Result<Vec<(String, Result<Snapshot, Diagnostic>)>, Diagnostic> {
    let config = model::parse(src)?;
    let names: Vec<String> = match setup {
        Some(s) => vec![
            config
                .select(Some(s))
                .map_err(|e| e.diagnostic(None))?
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

/// Explains what changing the config from `old_src` to `new_src` does to
/// the cache of `setup` (or of the only setup of the new file). An error
/// says which file it is about in its `file` field (`old` or `new`).
pub fn explain(old_src: &str, new_src: &str, setup: Option<&str>) -> Result<Decision, Diagnostic> {
    let new = model::parse(new_src).map_err(|d| d.in_file("new"))?;
    let old = model::parse(old_src).map_err(|d| d.in_file("old"))?;
    let cur = snapshot::current(&new, setup).map_err(|d| d.in_file("new"))?;
    if old.setup(&cur.setup).is_none() {
        let detail = format!("setup `{}` is not in the old file", cur.setup);
        return Ok(decide::judge(Previous::None(Some(&detail)), &cur));
    }
    let prev = Snapshot::of(&old, &cur.setup).map_err(|d| d.in_file("old"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use zerops_cache_contract::report::{render_text, to_json};

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
        let e = explain("zerops: [", OLD, None).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("old"));
        assert!(!e.message.contains("old file"), "{}", e.message);
        let two = format!("{OLD}  - setup: api\n    build: {{base: go@1}}\n");
        let e = explain(OLD, &two, None).unwrap_err();
        assert_eq!(e.code, "setup-ambiguous");
        assert_eq!(e.file.as_deref(), Some("new"));
        assert!(!e.help.as_deref().unwrap_or("").contains("--"), "{e:?}");
        let d = explain(OLD, &two, Some("api")).unwrap();
        assert_eq!(
            d.base.reasons[0].message,
            "no previous cache (setup `api` is not in the old file)"
        );
    }
}
