//! `lint --format sarif`: SARIF 2.1.0, for GitHub code scanning and other
//! SARIF viewers. One run; the rules are the linter's whole code table, so
//! every result's `ruleIndex` points into it.

use serde_json::{Value, json};
use zerops_cache_contract::Severity;
use zerops_cache_contract::lint::{Category, CodeInfo, docs, href};

use super::{FileReport, ci_path, fingerprints, message_with_help};

pub(crate) const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn category(c: Category) -> &'static str {
    docs::category_name(c)
}

/// A relative path as a URI reference: `/`-separated, with every byte
/// outside the unreserved set (and `/`) percent-encoded. An absolute path
/// becomes a `file://` URI.
pub(crate) fn uri(path: &str) -> String {
    let p = ci_path(path);
    let mut out = String::new();
    if p.starts_with('/') {
        out.push_str("file://");
    }
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(c: &CodeInfo) -> Value {
    json!({
        "id": c.code,
        "shortDescription": { "text": c.summary },
        "fullDescription": { "text": zerops_cache_contract::lint::explain(c.id).text.split_whitespace().collect::<Vec<_>>().join(" ") },
        "helpUri": href(c.id),
        "help": { "text": docs::help_text(c), "markdown": docs::markdown(c) },
        "defaultConfiguration": { "level": level(c.severity) },
        "properties": { "category": category(c.category), "tags": [category(c.category)] },
    })
}

/// The SARIF log. `rules` is the code table; `version` the tool's version.
pub(crate) fn render(files: &[FileReport<'_>], rules: &[CodeInfo], version: &str) -> Value {
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for f in files {
        let uri = uri(f.path);
        if let Some(e) = f.error {
            notifications.push(json!({
                "level": "error",
                "message": { "text": format!("not linted: {e}") },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri } } }],
            }));
        }
        for (d, fp) in f.diags.iter().zip(fingerprints(&ci_path(f.path), f.diags)) {
            let mut r = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": message_with_help(d) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": {
                            "startLine": d.span_or_start().start.line.max(1),
                            "startColumn": d.span_or_start().start.column.max(1),
                            "endLine": d.span_or_start().end.line.max(d.span_or_start().start.line).max(1),
                            "endColumn": d.span_or_start().end.column.max(1),
                        },
                    },
                }],
                "partialFingerprints": { "zeropsCache/v1": fp },
            });
            if let Some(i) = rules.iter().position(|c| c.id == d.code) {
                r["ruleIndex"] = json!(i);
            }
            results.push(r);
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "zerops-cache",
                    "version": version,
                    "informationUri": "https://github.com/zerops-cache/zerops-cache",
                    "rules": rules.iter().map(rule).collect::<Vec<_>>(),
                },
            },
            // Our columns count characters (Unicode scalar values), not the
            // UTF-16 code units SARIF assumes by default.
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::fixture;
    use zerops_cache_contract::lint::CODES;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("./a b/zerops.yaml"), "a%20b/zerops.yaml");
        assert_eq!(uri("/srv/x/zerops.yml"), "file:///srv/x/zerops.yml");
        assert_eq!(uri("ç.yaml"), "%C3%A7.yaml");
    }

    #[test]
    fn results_point_at_their_rules() {
        let diags = fixture::diags();
        let log = render(
            &[FileReport {
                path: "zerops.yaml",
                diags: &diags,
                error: None,
            }],
            CODES,
            "0.0.0",
        );
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), CODES.len());
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
        for (r, c) in rules.iter().zip(CODES) {
            assert_eq!(
                r["helpUri"].as_str().unwrap(),
                format!(
                    "https://github.com/zerops-cache/zerops-cache/blob/main/docs/codes/{}.md",
                    c.code
                )
            );
            assert!(r["help"]["text"].as_str().unwrap().starts_with(c.summary));
            assert!(r["help"]["markdown"].as_str().unwrap().contains(c.code));
        }
        let first = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(first["startLine"], 4);
        assert_eq!(first["startColumn"], 7);
        assert_eq!(first["endColumn"], 13);
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    }
}
