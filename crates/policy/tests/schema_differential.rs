//! Differential test: our linter against a real JSON-schema validator (the
//! `jsonschema` crate) and the official zerops.yaml schema, over every corpus
//! file and over mutants generated from the schema-valid ones.
//!
//! Verdicts are never listed by hand. For every input:
//! - schema-valid ⇒ no schema-class diagnostic (the unmutated corpus files:
//!   no error at all);
//! - each schema error is classified by rule (below, independently of the
//!   policy code) as *tolerated* (deprecated `build.deploy`, import-only
//!   `run` keys, a `base` outside the schema's list, null `envVariables`) or
//!   not; tolerated ⇒ a warning of the tolerated class and no schema error;
//!   otherwise ⇒ an error;
//! - positions: every schema error has a diagnostic of the expected class
//!   inside the text of the failing node, and every schema-class diagnostic
//!   of ours lies inside the text of some failing node (no false positives,
//!   no misplaced carets, anchors included);
//! - legacy formats ⇒ one `legacy-format` error, and the schema rejects them.
//!
//! The instance given to the validator is our YAML tree turned into JSON
//! (merge keys and aliases applied, as the platform's parser would).

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value as J};
use std::collections::BTreeSet;
use zerops_cache_policy::lint::{self, Category};
use zerops_cache_policy::yaml::{self, Node, ScalarKind, Value};
use zerops_cache_policy::{Diagnostic, Pos, Severity, Span};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/anchors");

// ---------------------------------------------------------------------------
// Inputs

fn read_dir(dir: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn corpus() -> Vec<(String, String)> {
    read_dir(&format!("{ROOT}/zerops-yml"))
}

fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(format!("{ROOT}/zerops-schema/zerops_yml_schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------
// YAML tree → JSON

fn to_json(n: &Node) -> Option<J> {
    Some(match &n.value {
        Value::Scalar(s) => match s.kind() {
            ScalarKind::Null => J::Null,
            ScalarKind::Bool(b) => J::Bool(b),
            ScalarKind::Int => int(&s.text)?,
            ScalarKind::Float => {
                let f: f64 = s.text.parse().ok()?;
                J::from(serde_json::Number::from_f64(f)?)
            }
            ScalarKind::String => J::String(s.text.clone()),
        },
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.as_scalar()?.text.clone(), to_json(v)?);
            }
            J::Object(m)
        }
    })
}

fn int(t: &str) -> Option<J> {
    let parsed = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else {
        t.parse::<i64>().ok()
    };
    match parsed {
        Some(i) => Some(J::from(i)),
        None => Some(J::from(serde_json::Number::from_f64(t.parse().ok()?)?)),
    }
}

// ---------------------------------------------------------------------------
// Schema errors, classified by rule

/// Import.yaml service keys that the platform ignores inside `run`
/// (`verticalAutoscaling` is in an official recipe; the docs say `run.mount`
/// is silently ignored).
const IMPORT_ONLY: &[&str] = &[
    "verticalAutoscaling",
    "minContainers",
    "maxContainers",
    "mount",
];

#[derive(Debug)]
struct SchemaError {
    pointer: Vec<String>,
    tolerated: bool,
    what: String,
}

fn segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer[1..]
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The path below `zerops/<i>` with array indices written `[]`:
/// `build.base`, `run.ports[].port`.
fn rule_path(instance: &J, pointer: &[String]) -> String {
    let mut cur = instance;
    let mut out = String::new();
    for (depth, seg) in pointer.iter().enumerate() {
        let next = match cur {
            J::Array(a) => {
                if depth >= 2 {
                    out.push_str("[]");
                }
                a.get(seg.parse::<usize>().unwrap_or(usize::MAX))
            }
            J::Object(o) => {
                if depth >= 2 {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(seg);
                }
                o.get(seg)
            }
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    out
}

fn at<'a>(instance: &'a J, pointer: &[String]) -> Option<&'a J> {
    let mut cur = instance;
    for seg in pointer {
        cur = match cur {
            J::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            J::Object(o) => o.get(seg)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn is_str_or_str_list(v: &J) -> bool {
    v.is_string() || v.as_array().is_some_and(|a| a.iter().all(J::is_string))
}

fn schema_errors(v: &jsonschema::Validator, instance: &J) -> Vec<SchemaError> {
    v.iter_errors(instance)
        .map(|e| {
            let pointer = segments(e.instance_path().as_str());
            let rule = rule_path(instance, &pointer);
            let node = at(instance, &pointer).unwrap_or(&J::Null);
            let tolerated = match e.kind() {
                ValidationErrorKind::Required { property } => {
                    rule == "build" && property == "deployFiles" && node.get("deploy").is_some()
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    rule == "run" && unexpected.iter().all(|k| IMPORT_ONLY.contains(&k.as_str()))
                }
                ValidationErrorKind::OneOfNotValid { .. } => {
                    rule == "build.base" && is_str_or_str_list(node)
                }
                ValidationErrorKind::Enum { .. } => {
                    node.is_string()
                        && matches!(rule.as_str(), "run.base" | "build.base" | "build.base[]")
                }
                ValidationErrorKind::Type { .. } => {
                    node.is_null() && (rule == "build.envVariables" || rule == "run.envVariables")
                }
                _ => false,
            };
            SchemaError {
                pointer,
                tolerated,
                what: format!("{} at `{}`", e, e.instance_path().as_str()),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Positions

fn within(p: Pos, s: Span) -> bool {
    s.start <= p && p <= s.end
}

/// Spans of the node at `pointer` (and its key in the parent), and of every
/// node below it: a diagnostic for that node must start inside one of them.
fn spans_at(root: &Node, pointer: &[String]) -> Vec<Span> {
    let mut cur = root;
    let mut key_span = None;
    for seg in pointer {
        match &cur.value {
            Value::Map(entries) => {
                let Some((k, v)) = entries
                    .iter()
                    .rev()
                    .find(|(k, _)| k.as_scalar().is_some_and(|s| &s.text == seg))
                else {
                    return Vec::new();
                };
                key_span = Some(k.span);
                cur = v;
            }
            Value::Seq(items) => {
                let Some(n) = seg.parse::<usize>().ok().and_then(|i| items.get(i)) else {
                    return Vec::new();
                };
                key_span = None;
                cur = n;
            }
            Value::Scalar(_) => return Vec::new(),
        }
    }
    let mut out: Vec<Span> = key_span.into_iter().collect();
    collect(cur, &mut out);
    out
}

fn collect(n: &Node, out: &mut Vec<Span>) {
    out.push(n.span);
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            out.push(k.span);
            collect(v, out);
        }),
        Value::Scalar(_) => {}
    }
}

fn category(d: &Diagnostic) -> Category {
    let info = lint::codes::info(d.code.as_str())
        .unwrap_or_else(|| panic!("code `{}` is not in the table", d.code));
    assert_eq!(
        info.severity, d.severity,
        "{} emitted with another severity",
        d.code
    );
    info.category
}

// ---------------------------------------------------------------------------
// The comparison

#[derive(Default, Debug)]
struct Tally {
    inputs: usize,
    unparsable: usize,
    valid: usize,
    tolerated_only: usize,
    invalid: usize,
    legacy: usize,
}

/// Compares one input; returns a description of the first disagreement.
fn compare(
    v: &jsonschema::Validator,
    src: &str,
    strict_valid: bool,
    tally: &mut Tally,
) -> Result<(), String> {
    tally.inputs += 1;
    let diags = lint::lint(src);
    let cats: Vec<Category> = diags.iter().map(category).collect();
    let doc = match yaml::parse(src, yaml::Limits::default()) {
        Ok(doc) => doc,
        Err(_) => {
            tally.unparsable += 1;
            return if diags.iter().any(|d| d.severity == Severity::Error) {
                Ok(())
            } else {
                Err("unparsable input without an error".into())
            };
        }
    };
    let Some(root) = doc.root.as_ref() else {
        tally.unparsable += 1;
        return Ok(());
    };
    let Some(instance) = to_json(root) else {
        tally.unparsable += 1; // a complex key or a non-finite number: JSON cannot say it
        return Ok(());
    };
    let errors = schema_errors(v, &instance);
    let show = |msg: &str| format!("{msg}\nschema: {errors:#?}\nlint: {diags:#?}");

    if cats.contains(&Category::Legacy) {
        tally.legacy += 1;
        if errors.is_empty() {
            return Err(show("legacy-format on a schema-valid file"));
        }
        if diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
            != 1
        {
            return Err(show("a legacy file must get exactly one error"));
        }
        return Ok(());
    }

    let schema_class = |c: &Category| matches!(c, Category::Schema | Category::Tolerated);
    let semantic =
        |c: &Category| matches!(c, Category::Setup | Category::Cache | Category::DeployFiles);
    if errors.is_empty() {
        tally.valid += 1;
        for (d, c) in diags.iter().zip(&cats) {
            if schema_class(c) {
                return Err(show(&format!("schema-valid, yet `{}`", d.code)));
            }
            if d.severity == Severity::Error && (strict_valid || !semantic(c)) {
                return Err(show(&format!("schema-valid, yet error `{}`", d.code)));
            }
        }
        return Ok(());
    }

    let hard = errors.iter().any(|e| !e.tolerated);
    if hard {
        tally.invalid += 1;
        if !diags
            .iter()
            .zip(&cats)
            .any(|(d, c)| d.severity == Severity::Error && *c == Category::Schema)
        {
            return Err(show("schema-invalid, yet no schema error"));
        }
    } else {
        tally.tolerated_only += 1;
        for (d, c) in diags.iter().zip(&cats) {
            if d.severity == Severity::Error && !semantic(c) {
                return Err(show(&format!(
                    "only tolerated violations, yet error `{}`",
                    d.code
                )));
            }
        }
    }
    // Every schema error has a diagnostic of the right class in its text.
    for e in &errors {
        let want = if e.tolerated {
            Category::Tolerated
        } else {
            Category::Schema
        };
        let spans = spans_at(root, &e.pointer);
        let found = diags.iter().zip(&cats).any(|(d, c)| {
            *c == want
                && (e.pointer.is_empty() || spans.iter().any(|s| within(d.span.unwrap().start, *s)))
        });
        if !found {
            return Err(show(&format!(
                "no {want:?} diagnostic inside the text of: {}",
                e.what
            )));
        }
    }
    // Every schema-class diagnostic lies in the text of some failing node.
    let failing: Vec<Vec<Span>> = errors.iter().map(|e| spans_at(root, &e.pointer)).collect();
    for (d, c) in diags.iter().zip(&cats) {
        if !schema_class(c) {
            continue;
        }
        let root_level = errors.iter().any(|e| e.pointer.is_empty());
        if !root_level
            && !failing
                .iter()
                .flatten()
                .any(|s| within(d.span.unwrap().start, *s))
        {
            return Err(show(&format!(
                "`{}` at {}:{} matches no schema error",
                d.code,
                d.span.unwrap().start.line,
                d.span.unwrap().start.column
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Mutations: text edits at the positions of nodes, so the mutants keep the
// file's layout, comments and anchors.

struct Text<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Text<'a> {
    fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Text { src, line_starts }
    }

    fn offset(&self, p: Pos) -> Option<usize> {
        let start = *self.line_starts.get(p.line.checked_sub(1)? as usize)?;
        let line = &self.src[start..];
        let col = p.column.checked_sub(1)? as usize;
        let mut chars = line.char_indices();
        match chars.nth(col) {
            Some((i, _)) => Some(start + i),
            None => Some(start + line.len()).filter(|_| line.chars().count() == col),
        }
    }

    fn edit(&self, from: usize, to: usize, with: &str) -> String {
        format!("{}{}{}", &self.src[..from], with, &self.src[to..])
    }

    fn line_start(&self, off: usize) -> usize {
        self.src[..off].rfind('\n').map_or(0, |i| i + 1)
    }
}

const REPLACEMENTS: &[&str] = &[
    "12",
    "true",
    "~",
    "zc-string",
    "[zc-item]",
    "{zcKey: 1}",
    "alpine/nodejs@22",
    "nodejs@99",
    "[]",
    "{}",
    "1.5",
];

/// Replacements tried per node, rotating through `REPLACEMENTS`.
const PER_NODE: usize = 3;

const INSERTED_KEYS: &[&str] = &["zcUnknownKey: 1", "verticalAutoscaling: {minRam: 1}"];

fn walk<'n>(n: &'n Node, key: Option<&'n Node>, out: &mut Vec<(Option<&'n Node>, &'n Node)>) {
    out.push((key, n));
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| walk(i, None, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| walk(v, Some(k), out)),
        Value::Scalar(_) => {}
    }
}

fn mutants(src: &str) -> Vec<String> {
    let root = yaml::parse(src, yaml::Limits::default())
        .unwrap()
        .root
        .unwrap();
    let t = Text::new(src);
    let mut nodes = Vec::new();
    walk(&root, None, &mut nodes);
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (i, (key, node)) in nodes.iter().enumerate() {
        if !seen.insert((key.map(|k| k.span), node.span)) {
            continue; // the same text reached again through an alias
        }
        let (Some(s), Some(e)) = (t.offset(node.span.start), t.offset(node.span.end)) else {
            continue;
        };
        // Replace the value; keep the whitespace that leads to the next token.
        if i > 0 && e >= s {
            let seg = &src[s..e];
            let tail = seg.rfind('\n').map_or("", |nl| &seg[nl..]);
            if tail.trim().is_empty() {
                // Rotate through the replacements so every kind is used
                // across the corpus without multiplying the count by 11.
                for r in 0..PER_NODE {
                    let with = REPLACEMENTS[(i * PER_NODE + r) % REPLACEMENTS.len()];
                    out.insert(t.edit(s, e - tail.len(), with));
                }
            }
        }
        // Insert a key into a map.
        if let Value::Map(entries) = &node.value {
            let flow = src[s..].starts_with('{');
            for ins in INSERTED_KEYS {
                if flow {
                    let sep = if entries.is_empty() { "" } else { ", " };
                    out.insert(t.edit(s + 1, s + 1, &format!("{ins}{sep}")));
                } else if let Some((k, _)) = entries
                    .iter()
                    .find(|(k, _)| k.span.start >= node.span.start)
                    && let Some(ko) = t.offset(k.span.start)
                {
                    let indent = " ".repeat(k.span.start.column as usize - 1);
                    out.insert(t.edit(ko, ko, &format!("{ins}\n{indent}")));
                }
            }
            // Delete and rename each entry written here.
            for (k, v) in entries
                .iter()
                .filter(|(k, _)| k.span.start >= node.span.start && k.span.start <= node.span.end)
            {
                let (Some(ks), Some(ke), Some(ve)) = (
                    t.offset(k.span.start),
                    t.offset(k.span.end),
                    t.offset(v.span.end),
                ) else {
                    continue;
                };
                if ve < ks {
                    continue;
                }
                let name = &k.as_scalar().map(|s| s.text.clone()).unwrap_or_default();
                out.insert(t.edit(ks, ke, &format!("{name}X")));
                if name == "deployFiles" {
                    out.insert(t.edit(ks, ke, "deploy"));
                }
                let seg = &src[ks..ve];
                let first_on_line = src[t.line_start(ks)..ks].trim().is_empty();
                let deleted = match seg.rfind('\n') {
                    Some(nl) if seg[nl..].trim().is_empty() && first_on_line => {
                        t.edit(t.line_start(ks), ks + nl + 1, "")
                    }
                    None if first_on_line => {
                        let eol = src[ve..].find('\n').map_or(src.len(), |i| ve + i + 1);
                        t.edit(t.line_start(ks), eol, "")
                    }
                    _ => {
                        let after = &src[ve..];
                        let skip = if after.starts_with(", ") { 2 } else { 0 };
                        t.edit(ks, ve + skip, "")
                    }
                };
                out.insert(deleted);
            }
        }
    }
    out.insert(format!("{src}\nzcExtraRoot: 1\n"));
    out.insert(format!("{src}\nservices: []\n"));
    out.remove(src);
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn corpus_agrees_with_the_schema() {
    let v = validator();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (name, src) in corpus().iter().chain(read_dir(FIXTURES).iter()) {
        if let Err(e) = compare(&v, src, true, &mut tally) {
            failures.push(format!("{name}: {e}"));
        }
    }
    eprintln!("corpus + fixtures: {tally:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Sanity: the corpus holds each class (67 files + 4 anchor fixtures).
    assert_eq!(tally.inputs, 71);
    assert!(
        tally.valid >= 50 && tally.invalid >= 3 && tally.tolerated_only >= 3 && tally.legacy == 5,
        "{tally:?}"
    );
}

#[test]
fn mutants_agree_with_the_schema() {
    let v = validator();
    let bases: Vec<(String, String)> = corpus()
        .into_iter()
        .chain(read_dir(FIXTURES))
        .filter(|(_, src)| {
            yaml::parse(src, yaml::Limits::default())
                .ok()
                .and_then(|d| d.root)
                .and_then(|r| to_json(&r))
                .is_some_and(|i| v.is_valid(&i))
        })
        .collect();
    // Split the bases over the available cores; each thread has its own validator.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let results: Vec<(Tally, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let bases = &bases;
                scope.spawn(move || {
                    let v = validator();
                    let mut tally = Tally::default();
                    let mut failures = Vec::new();
                    for (name, src) in bases.iter().skip(t).step_by(threads) {
                        for m in mutants(src) {
                            if let Err(e) = compare(&v, &m, false, &mut tally) {
                                failures.push(format!("{name} mutant:\n{m}\n{e}"));
                            }
                        }
                    }
                    (tally, failures)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (t, f) in results {
        tally.inputs += t.inputs;
        tally.unparsable += t.unparsable;
        tally.valid += t.valid;
        tally.tolerated_only += t.tolerated_only;
        tally.invalid += t.invalid;
        tally.legacy += t.legacy;
        failures.extend(f);
    }
    eprintln!("{} schema-valid bases, mutants: {tally:?}", bases.len());
    if !failures.is_empty() {
        let mut kinds = std::collections::BTreeMap::new();
        for f in &failures {
            let reason = f
                .lines()
                .find(|l| l.starts_with("no ") || l.contains("yet") || l.contains("matches no"))
                .unwrap_or("?");
            let reason: String = reason.chars().take(90).collect();
            kinds.entry(reason).or_insert((0, f)).0 += 1;
        }
        for (r, (n, _)) in &kinds {
            eprintln!("{n:5} {r}");
        }
        let first: Vec<&str> = kinds.values().map(|(_, f)| f.as_str()).collect();
        panic!(
            "{} of {} mutants disagree:\n{}",
            failures.len(),
            tally.inputs,
            first.join("\n=========\n")
        );
    }
    assert!(bases.len() >= 50, "{}", bases.len());
    assert!(tally.inputs > 5000, "{tally:?}");
    assert!(
        tally.tolerated_only > 100 && tally.invalid > 2000 && tally.valid > 1000,
        "{tally:?}"
    );
}

#[test]
fn every_code_is_in_the_table_with_its_severity() {
    // The mutants and corpus go through `category`, which asserts this; here
    // also the codes that need the tree or bytes.
    let facts = lint::TreeFacts {
        entries: vec!["a".into()],
        depth: 1,
        tracked: Some(vec!["b".into()]),
    };
    let src = "zerops:\n  - setup: a\n    build:\n      deployFiles: ./\n      cache: [x, b]\n";
    for d in lint::lint_with_tree(src, Some("a"), &facts)
        .iter()
        .chain(&lint::lint_bytes(b"\xff"))
        .chain(&lint::lint_with_tree(src, Some("nope"), &facts))
    {
        category(d);
    }
}
