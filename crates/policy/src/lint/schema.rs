//! The structure the official zerops.yaml JSON schema describes, written as
//! Rust data, and a walker that checks a YAML tree against it.
//!
//! The policy does not embed a JSON-schema engine: the schema uses only
//! `type`, `enum`, `properties`, `additionalProperties`, `required`, `items`
//! and `oneOf` over branches of different JSON types, which these tables
//! express directly. A test walks the official schema file and these tables
//! side by side and fails on any difference, so they cannot drift; a
//! differential test runs a real JSON-schema validator over the corpus and
//! hundreds of mutants and compares verdicts.
//!
//! The walker knows the few violations the platform is known to accept
//! (official recipes use them): those become warnings that say the official
//! schema rejects them. Everything else the schema rejects is an error.

use super::bases::{BUILD_BASES, RUN_BASES};
use crate::diag::Code;
use crate::diag::{Diagnostic, Span};
use crate::yaml::{Node, ScalarKind, Value};

/// What a value must look like.
#[derive(Debug)]
pub enum Shape {
    String,
    Boolean,
    Integer,
    Number,
    /// A string from a fixed list.
    Enum(&'static [&'static str]),
    Array(&'static Shape),
    Object(&'static Object),
    /// One of several shapes; in this schema the branches always differ in
    /// JSON type, so the node's type picks the branch.
    OneOf(&'static [Shape]),
}

/// What an object allows besides its named properties.
#[derive(Debug)]
pub enum Extra {
    /// `additionalProperties: false`.
    Forbidden,
    /// `additionalProperties: <shape>` (free-form keys, e.g. env variables).
    Allowed(&'static Shape),
}

#[derive(Debug)]
pub struct Object {
    pub props: &'static [(&'static str, Shape)],
    pub extra: Extra,
    pub required: &'static [&'static str],
}

impl Object {
    pub fn prop(&self, key: &str) -> Option<&'static Shape> {
        self.props.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }
}

const STR_LIST: Shape = Shape::Array(&Shape::String);
const STR_OR_LIST: Shape = Shape::OneOf(&[Shape::String, Shape::Array(&Shape::String)]);
const OS: Shape = Shape::Enum(&["alpine", "ubuntu"]);
const ENV: Shape = Shape::Object(&Object {
    props: &[],
    extra: Extra::Allowed(&Shape::OneOf(&[
        Shape::String,
        Shape::Number,
        Shape::Boolean,
    ])),
    required: &[],
});
const HTTP_GET: Shape = Shape::Object(&Object {
    props: &[
        ("scheme", Shape::String),
        ("host", Shape::String),
        ("port", Shape::Integer),
        ("path", Shape::String),
    ],
    extra: Extra::Forbidden,
    required: &["port", "path"],
});
const EXEC: Shape = Shape::Object(&Object {
    props: &[("command", Shape::String)],
    extra: Extra::Forbidden,
    required: &["command"],
});

/// `zerops[].build`.
pub static BUILD: Object = Object {
    props: &[
        ("os", OS),
        (
            "base",
            Shape::OneOf(&[
                Shape::Enum(BUILD_BASES),
                Shape::Array(&Shape::Enum(BUILD_BASES)),
            ]),
        ),
        ("prepareCommands", STR_LIST),
        ("buildCommands", STR_LIST),
        ("deploy", STR_OR_LIST),
        ("deployFiles", STR_OR_LIST),
        (
            "cache",
            Shape::OneOf(&[Shape::Boolean, Shape::String, Shape::Array(&Shape::String)]),
        ),
        ("addToRunPrepare", STR_OR_LIST),
        ("envVariables", ENV),
    ],
    extra: Extra::Forbidden,
    required: &["deployFiles"],
};

/// `zerops[].deploy`.
pub static DEPLOY: Object = Object {
    props: &[
        (
            "readinessCheck",
            Shape::Object(&Object {
                props: &[
                    ("httpGet", HTTP_GET),
                    ("exec", EXEC),
                    ("failureTimeout", Shape::Integer),
                    ("retryPeriod", Shape::Integer),
                ],
                extra: Extra::Forbidden,
                required: &[],
            }),
        ),
        ("temporaryShutdown", Shape::Boolean),
    ],
    extra: Extra::Forbidden,
    required: &[],
};

/// `zerops[].run`.
pub static RUN: Object = Object {
    props: &[
        ("initCommands", STR_LIST),
        ("prepareCommands", STR_LIST),
        ("os", OS),
        ("base", Shape::Enum(RUN_BASES)),
        ("start", Shape::String),
        ("documentRoot", Shape::String),
        ("siteConfigPath", Shape::String),
        (
            "envReplace",
            Shape::Object(&Object {
                props: &[("target", STR_OR_LIST), ("delimiter", STR_OR_LIST)],
                extra: Extra::Forbidden,
                required: &["target", "delimiter"],
            }),
        ),
        (
            "healthCheck",
            Shape::Object(&Object {
                props: &[
                    ("httpGet", HTTP_GET),
                    ("exec", EXEC),
                    ("failureTimeout", Shape::Integer),
                    ("disconnectTimeout", Shape::Integer),
                    ("recoveryTimeout", Shape::Integer),
                    ("execPeriod", Shape::Integer),
                ],
                extra: Extra::Forbidden,
                required: &[],
            }),
        ),
        (
            "routing",
            Shape::Object(&Object {
                props: &[
                    ("root", Shape::String),
                    ("cors", Shape::String),
                    (
                        "redirects",
                        Shape::Array(&Shape::Object(&Object {
                            props: &[
                                ("from", Shape::String),
                                ("to", Shape::String),
                                ("status", Shape::Integer),
                                ("preservePath", Shape::Boolean),
                                ("preserveQuery", Shape::Boolean),
                            ],
                            extra: Extra::Forbidden,
                            required: &["from", "to"],
                        })),
                    ),
                    (
                        "headers",
                        Shape::Array(&Shape::Object(&Object {
                            props: &[
                                ("for", Shape::String),
                                (
                                    "values",
                                    Shape::Object(&Object {
                                        props: &[],
                                        extra: Extra::Allowed(&Shape::String),
                                        required: &[],
                                    }),
                                ),
                            ],
                            extra: Extra::Forbidden,
                            required: &["for", "values"],
                        })),
                    ),
                ],
                extra: Extra::Forbidden,
                required: &[],
            }),
        ),
        (
            "ports",
            Shape::Array(&Shape::Object(&Object {
                props: &[
                    ("protocol", Shape::Enum(&["tcp", "udp"])),
                    ("port", Shape::Integer),
                    ("httpSupport", Shape::Boolean),
                    ("description", Shape::String),
                ],
                extra: Extra::Forbidden,
                required: &["port"],
            })),
        ),
        ("envVariables", ENV),
        (
            "startCommands",
            Shape::Array(&Shape::Object(&Object {
                props: &[
                    ("name", Shape::String),
                    ("command", Shape::String),
                    ("workingDir", Shape::String),
                    ("initCommands", STR_LIST),
                ],
                extra: Extra::Forbidden,
                required: &["command"],
            })),
        ),
        (
            "crontab",
            Shape::Array(&Shape::Object(&Object {
                props: &[
                    ("timing", Shape::String),
                    ("command", Shape::String),
                    ("workingDir", Shape::String),
                    ("allContainers", Shape::Boolean),
                ],
                extra: Extra::Forbidden,
                required: &["timing", "command", "allContainers"],
            })),
        ),
    ],
    extra: Extra::Forbidden,
    required: &[],
};

/// One item of `zerops`.
pub static SETUP: Object = Object {
    props: &[
        ("setup", Shape::String),
        ("build", Shape::Object(&BUILD)),
        ("deploy", Shape::Object(&DEPLOY)),
        ("run", Shape::Object(&RUN)),
        ("extends", STR_OR_LIST),
    ],
    extra: Extra::Forbidden,
    required: &["setup"],
};

/// The whole file.
pub static ROOT: Object = Object {
    props: &[("zerops", Shape::Array(&Shape::Object(&SETUP)))],
    extra: Extra::Forbidden,
    required: &["zerops"],
};

/// Keys of import.yaml's service entries that people put into `run` and the
/// platform ignores there (`run.verticalAutoscaling` is in an official
/// recipe; the docs say `run.mount` is silently ignored). Tolerated:
/// warning, not error.
pub const IMPORT_ONLY_RUN_KEYS: &[&str] = &[
    "verticalAutoscaling",
    "minContainers",
    "maxContainers",
    "mount",
];

/// Does `node`'s JSON type fit `shape` (ignoring enums and contents)?
fn type_fits(node: &Node, shape: &Shape) -> bool {
    match (&node.value, shape) {
        (_, Shape::OneOf(branches)) => branches.iter().any(|b| type_fits(node, b)),
        (Value::Seq(_), Shape::Array(_)) => true,
        (Value::Map(_), Shape::Object(_)) => true,
        (Value::Scalar(s), _) => match (s.kind(), shape) {
            (ScalarKind::String, Shape::String | Shape::Enum(_)) => true,
            (ScalarKind::Bool(_), Shape::Boolean) => true,
            (ScalarKind::Int | ScalarKind::Float, Shape::Number) => true,
            (ScalarKind::Int, Shape::Integer) => true,
            // JSON Schema's `integer` accepts 2.0.
            (ScalarKind::Float, Shape::Integer) => is_integral(&s.text),
            _ => false,
        },
        _ => false,
    }
}

fn is_integral(text: &str) -> bool {
    text.parse::<f64>()
        .is_ok_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// "a string", "a list of strings", "a boolean, a string or a list of strings".
pub fn describe(shape: &Shape) -> String {
    match shape {
        Shape::String | Shape::Enum(_) => "a string".into(),
        Shape::Boolean => "a boolean".into(),
        Shape::Integer => "an integer".into(),
        Shape::Number => "a number".into(),
        Shape::Object(_) => "a map".into(),
        Shape::Array(item) => format!("a list of {}", plural(item)),
        Shape::OneOf(branches) => {
            let parts: Vec<String> = branches.iter().map(describe).collect();
            match parts.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} or {last}", rest.join(", "))
                }
                _ => parts.join(""),
            }
        }
    }
}

fn plural(shape: &Shape) -> String {
    match shape {
        Shape::String | Shape::Enum(_) => "strings".into(),
        Shape::Boolean => "booleans".into(),
        Shape::Integer => "integers".into(),
        Shape::Number => "numbers".into(),
        Shape::Object(_) => "maps".into(),
        Shape::Array(_) => "lists".into(),
        Shape::OneOf(_) => "values".into(),
    }
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The path below the setup, as users write it: `build.cache`,
/// `run.ports[0].port`. Empty for the setup itself.
fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path.iter().skip(2) {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The setup-relative path with every index written `[]`, for rules:
/// `build.base[]`, `run.ports[].port`.
fn rule_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path.iter().skip(2) {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(_) => s.push_str("[]"),
        }
    }
    s
}

/// Checks every item of the `zerops` list against the setup schema. The
/// root itself is checked by `lint::check_root` (its codes predate this).
pub fn check_setups(zerops: &Node, out: &mut Vec<Diagnostic>) {
    let Some(items) = zerops.as_seq() else { return };
    let mut w = SchemaCheck {
        out,
        extends: false,
    };
    for (i, item) in items.iter().enumerate() {
        let mut path = vec![Seg::Key("zerops".into()), Seg::Index(i)];
        if item.as_map().is_none() {
            w.out.push(
                Diagnostic::error(
                    Code::WrongType,
                    item.span,
                    format!(
                        "item {} of `zerops` is {}; each item must be a map (a setup)",
                        i + 1,
                        item.type_name()
                    ),
                )
                .with_help(
                    "write a setup as `- setup: <service hostname>` followed by its sections",
                ),
            );
            continue;
        }
        w.extends = item.get("extends").is_some();
        w.object(item, &SETUP, &mut path, item.span);
    }
}

/// One pass of the schema over the setups (not a tree walk of the
/// filesystem: that is `plan::walker::Walker`).
struct SchemaCheck<'a> {
    out: &'a mut Vec<Diagnostic>,
    /// Whether the setup being walked has `extends` (for advice).
    extends: bool,
}

impl SchemaCheck<'_> {
    /// `label` is where to point when the node as a whole is at fault and
    /// has no text of its own (a missing key: the key that holds the map).
    fn check(&mut self, node: &Node, shape: &Shape, path: &mut Vec<Seg>, label: Span) {
        let shape = match shape {
            Shape::OneOf(branches) => match branches.iter().find(|b| type_fits(node, b)) {
                Some(b) => b,
                None => return self.wrong_type(node, shape, path),
            },
            s => s,
        };
        if !type_fits(node, shape) {
            return self.wrong_type(node, shape, path);
        }
        match shape {
            Shape::Enum(allowed) => self.enumerated(node, allowed, path),
            Shape::Array(item) => {
                for (i, n) in node.as_seq().unwrap_or(&[]).iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.check(n, item, path, n.span);
                    path.pop();
                }
            }
            Shape::Object(obj) => self.object(node, obj, path, label),
            _ => {}
        }
    }

    fn object(&mut self, node: &Node, obj: &Object, path: &mut Vec<Seg>, label: Span) {
        let entries = node.as_map().unwrap_or(&[]);
        let here = display(path);
        let rule = rule_path(path);
        for (k, v) in entries {
            let Some(key) = k.as_scalar().map(|s| s.text.clone()) else {
                self.out.push(
                    Diagnostic::error(
                        Code::KeyNotString,
                        k.span,
                        format!(
                            "a key in {} is {}; keys must be strings",
                            section(&here),
                            k.type_name()
                        ),
                    )
                    .with_help("remove the `?` complex key or write a plain name"),
                );
                continue;
            };
            let shape = obj.prop(&key).or(match obj.extra {
                Extra::Allowed(s) => Some(s),
                Extra::Forbidden => None,
            });
            match shape {
                Some(s) => {
                    path.push(Seg::Key(key));
                    self.check(v, s, path, k.span);
                    path.pop();
                }
                None if rule == "run" && IMPORT_ONLY_RUN_KEYS.contains(&key.as_str()) => {
                    self.out.push(
                        Diagnostic::warning(
                            Code::RunImportOnlyKey,
                            k.span,
                            format!(
                                "`run.{key}` is an import.yaml setting; the official zerops.yaml \
                                 schema rejects it, and the platform ignores it here"
                            ),
                        )
                        .with_help(format!(
                            "set `{key}` in import.yaml or in the service's settings, and remove it here"
                        )),
                    );
                }
                None => self.unknown_key(k, &key, obj, &here, &rule),
            }
        }
        if rule == "build" && node.get("deploy").is_some() {
            let key = entries
                .iter()
                .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "deploy"))
                .map_or(label, |(k, _)| k.span);
            let d = if node.get("deployFiles").is_none() {
                Diagnostic::warning(
                    Code::BuildDeployDeprecated,
                    key,
                    "`build.deploy` is the deprecated name of `deployFiles`; the official schema \
                     rejects a build without `deployFiles`, though the platform still accepts it",
                )
                .with_help("rename `deploy` to `deployFiles`")
            } else {
                Diagnostic::warning(
                    Code::BuildDeployDeprecated,
                    key,
                    "`build.deploy` is the deprecated name of `deployFiles`, and `deployFiles` is set too",
                )
                .with_help("remove `deploy`; `deployFiles` says what is deployed")
            };
            self.out.push(d);
        }
        for req in obj.required {
            if node.get(req).is_some() {
                continue;
            }
            if rule == "build" && *req == "deployFiles" && node.get("deploy").is_some() {
                continue; // reported above as build-deploy-deprecated
            }
            let (message, mut help) = missing_help(&here, req);
            if self.extends && rule == "build" {
                help.push_str(
                    "; `extends` replaces whole sections, so this `build` does not inherit the \
                     parent's `deployFiles`",
                );
            }
            self.out
                .push(Diagnostic::error(Code::MissingKey, label, message).with_help(help));
        }
    }

    fn unknown_key(&mut self, k: &Node, key: &str, obj: &Object, here: &str, rule: &str) {
        let allowed: Vec<&str> = obj.props.iter().map(|(k, _)| *k).collect();
        let help = if let Some(s) = suggest(key, &allowed) {
            format!("did you mean `{s}`?")
        } else if let Some(h) = misplaced(key, rule) {
            h
        } else {
            format!("allowed here: {}", allowed.join(", "))
        };
        self.out.push(
            Diagnostic::error(
                Code::UnknownKey,
                k.span,
                format!(
                    "unknown key `{key}` in {}; the platform rejects the file",
                    section(here)
                ),
            )
            .with_help(help),
        );
    }

    fn wrong_type(&mut self, node: &Node, shape: &Shape, path: &[Seg]) {
        let here = display(path);
        let rule = rule_path(path);
        if node.is_null() && (rule == "build.envVariables" || rule == "run.envVariables") {
            self.out.push(
                Diagnostic::warning(
                    Code::EnvVariablesNull,
                    node.span,
                    format!(
                        "`{here}` is empty (null); the official schema rejects it (it wants a map), \
                         though the platform accepts it"
                    ),
                )
                .with_help("remove the empty `envVariables:` line, or write `envVariables: {}`"),
            );
            return;
        }
        let expected = describe(shape);
        let help = wrong_type_help(node, shape);
        let d = Diagnostic::error(
            Code::WrongType,
            node.span,
            format!("`{here}` is {}; it must be {expected}", node.type_name()),
        );
        self.out.push(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    fn enumerated(&mut self, node: &Node, allowed: &[&str], path: &[Seg]) {
        let Some(value) = node.as_str() else { return };
        if allowed.contains(&value) {
            return;
        }
        let here = display(path);
        let rule = rule_path(path);
        let is_base = matches!(rule.as_str(), "build.base" | "build.base[]" | "run.base");
        if !is_base {
            self.out.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    node.span,
                    format!(
                        "`{here}` is `{value}`; it must be one of: {}",
                        allowed.join(", ")
                    ),
                )
                .with_help(match suggest(value, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of: {}", allowed.join(", ")),
                }),
            );
            return;
        }
        let section = if rule.starts_with("run") {
            "run"
        } else {
            "build"
        };
        if let Some((os, rest)) = os_prefixed(value) {
            self.out.push(
                Diagnostic::warning(
                    Code::BaseOsPrefixed,
                    node.span,
                    format!(
                        "`{value}` uses the `<os>/<stack>@<version>` form; the official schema \
                         rejects it, though the platform accepts it"
                    ),
                )
                .with_help(format!("write `{rest}` and set `os: {os}` in `{section}`")),
            );
            return;
        }
        let stack = value.split('@').next().unwrap_or(value);
        let known: Vec<&str> = allowed
            .iter()
            .copied()
            .filter(|b| b.split('@').next() == Some(stack))
            .collect();
        let help = if known.is_empty() {
            format!(
                "check the name against the list at docs.zerops.io; stacks the schema knows: {}",
                stacks(allowed).join(", ")
            )
        } else {
            format!(
                "versions of `{stack}` the schema knows: {}",
                known.join(", ")
            )
        };
        self.out.push(
            Diagnostic::warning(
                Code::BaseUnknown,
                node.span,
                format!(
                    "`{value}` is not in the official schema's list for `{section}.base`, so the \
                     schema rejects it; the platform's list changes, so it may still exist"
                ),
            )
            .with_help(help),
        );
    }
}

fn section(here: &str) -> String {
    if here.is_empty() {
        "the setup".to_string()
    } else {
        format!("`{here}`")
    }
}

/// `alpine/bun@1.3` → ("alpine", "bun@1.3").
fn os_prefixed(value: &str) -> Option<(&str, &str)> {
    let (os, rest) = value.split_once('/')?;
    (matches!(os, "alpine" | "ubuntu") && rest.contains('@') && !rest.contains('/'))
        .then_some((os, rest))
}

fn stacks(allowed: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = allowed
        .iter()
        .filter_map(|b| b.split_once('@').map(|(s, _)| s.to_string()))
        .collect();
    v.dedup();
    v
}

fn missing_help(here: &str, req: &str) -> (String, String) {
    let message = format!("{} is missing the required key `{req}`", section(here));
    let help = match (here, req) {
        ("", "setup") => "name the service this setup is for: `setup: <service hostname>`".into(),
        ("build", "deployFiles") => {
            "add `deployFiles: ./` to deploy the whole source, or list the paths to deploy".into()
        }
        _ => format!("add `{req}:`"),
    };
    (message, help)
}

fn wrong_type_help(node: &Node, shape: &Shape) -> Option<String> {
    let wants_list = matches!(shape, Shape::Array(_));
    let wants_string = matches!(shape, Shape::String | Shape::Enum(_))
        || matches!(shape, Shape::OneOf(b) if b.iter().any(|s| matches!(s, Shape::String)));
    match &node.value {
        Value::Scalar(_) if wants_list && !node.is_null() => {
            Some("write it as a list: one `- item` per line".into())
        }
        Value::Map(m) if wants_string && m.len() == 1 => {
            Some("a `: ` inside a plain value makes YAML read a map; quote the whole value".into())
        }
        Value::Scalar(s) if matches!(shape, Shape::Integer) && s.kind() == ScalarKind::String => {
            let digits: String = s.text.chars().take_while(char::is_ascii_digit).collect();
            Some(if digits.is_empty() {
                "write a whole number, without quotes".to_string()
            } else {
                format!("write a whole number, without quotes or units: `{digits}`")
            })
        }
        Value::Scalar(s) if wants_string && s.kind() != ScalarKind::Null => {
            Some(format!("quote it to make it a string: \"{}\"", s.text))
        }
        _ => None,
    }
}

/// A known key within edit distance 2 (or differing only in case).
pub(crate) fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    allowed
        .iter()
        .map(|a| (edit_distance(&lower, &a.to_ascii_lowercase()), *a))
        .filter(|(d, a)| {
            *d <= 2
                .min(a.len() / 3)
                .max(usize::from(lower == a.to_ascii_lowercase()))
        })
        .min()
        .map(|(_, a)| a)
}

/// Edit distance where swapping two adjacent characters is one edit
/// (optimal string alignment), so `cahce` is one edit from `cache`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// Help for a key that exists, but in another section or another format.
fn misplaced(key: &str, rule: &str) -> Option<String> {
    let legacy = match (rule, key) {
        ("build", "build") => Some("buildCommands"),
        ("build" | "run", "prepare") => Some("prepareCommands"),
        ("run", "init") => Some("initCommands"),
        _ => None,
    };
    if let Some(now) = legacy {
        return Some(format!(
            "`{key}` is the legacy (v1) name; it is now `{now}`"
        ));
    }
    let sections: [(&str, &Object); 4] = [
        ("build", &BUILD),
        ("run", &RUN),
        ("deploy", &DEPLOY),
        ("setup", &SETUP),
    ];
    let homes: Vec<&str> = sections
        .iter()
        .filter(|(name, obj)| *name != rule && obj.prop(key).is_some())
        .map(|(name, _)| *name)
        .collect();
    match homes.as_slice() {
        [] => None,
        ["setup"] => Some(format!("`{key}` belongs one level up, next to `setup`")),
        [one, ..] => Some(format!("`{key}` belongs in `{one}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as J;

    fn schema() -> J {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/corpus/zerops-schema/zerops_yml_schema.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    const IGNORED: &[&str] = &[
        "description",
        "deprecated",
        "title",
        "$schema",
        "$id",
        "examples",
    ];

    fn keywords(j: &J) -> Vec<&str> {
        let mut k: Vec<&str> = j
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| !IGNORED.contains(k))
            .collect();
        k.sort();
        k
    }

    /// Walks the JSON schema and a table side by side; any difference,
    /// or any JSON-schema keyword the tables cannot express, fails.
    fn same(j: &J, s: &Shape, at: &str) {
        let kw = keywords(j);
        match s {
            Shape::String | Shape::Boolean | Shape::Integer | Shape::Number => {
                let t = match s {
                    Shape::String => "string",
                    Shape::Boolean => "boolean",
                    Shape::Integer => "integer",
                    _ => "number",
                };
                assert_eq!(kw, ["type"], "{at}");
                assert_eq!(j["type"], t, "{at}");
            }
            Shape::Enum(list) => {
                assert_eq!(kw, ["enum", "type"], "{at}");
                assert_eq!(j["type"], "string", "{at}");
                let json: Vec<&str> = j["enum"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(json, *list, "{at}: enum differs from the schema");
            }
            Shape::Array(item) => {
                assert_eq!(kw, ["items", "type"], "{at}");
                assert_eq!(j["type"], "array", "{at}");
                same(&j["items"], item, &format!("{at}[]"));
            }
            Shape::OneOf(branches) => {
                assert_eq!(kw, ["oneOf"], "{at}");
                let js = j["oneOf"].as_array().unwrap();
                assert_eq!(js.len(), branches.len(), "{at}");
                for (i, (jb, b)) in js.iter().zip(branches.iter()).enumerate() {
                    same(jb, b, &format!("{at}/oneOf{i}"));
                }
                // The walker picks a branch by type: branches must differ in type.
                let types: Vec<&J> = js.iter().map(|b| &b["type"]).collect();
                for (i, t) in types.iter().enumerate() {
                    assert!(!types[..i].contains(t), "{at}: oneOf branches share a type");
                }
            }
            Shape::Object(obj) => same_object(j, obj, at),
        }
    }

    fn same_object(j: &J, obj: &Object, at: &str) {
        let kw = keywords(j);
        for k in &kw {
            assert!(
                ["type", "properties", "additionalProperties", "required"].contains(k),
                "{at}: keyword `{k}` is not modelled"
            );
        }
        assert_eq!(j["type"], "object", "{at}");
        let props = j.get("properties").and_then(J::as_object);
        let mut json_keys: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut ours: Vec<&str> = obj.props.iter().map(|(k, _)| *k).collect();
        json_keys.sort();
        ours.sort();
        assert_eq!(json_keys, ours, "{at}: properties differ");
        for (k, s) in obj.props {
            same(&props.unwrap()[*k], s, &format!("{at}.{k}"));
        }
        match (&obj.extra, j.get("additionalProperties")) {
            (Extra::Forbidden, Some(J::Bool(false))) => {}
            (Extra::Allowed(s), Some(a)) if a.is_object() => same(a, s, &format!("{at}.*")),
            (e, a) => panic!("{at}: additionalProperties {a:?} vs {e:?}"),
        }
        let mut req: Vec<&str> = j
            .get("required")
            .and_then(J::as_array)
            .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let mut our_req = obj.required.to_vec();
        req.sort();
        our_req.sort();
        assert_eq!(req, our_req, "{at}: required differs");
    }

    #[test]
    fn tables_equal_official_schema() {
        same_object(&schema(), &ROOT, "root");
    }

    #[test]
    fn base_lists_are_the_schema_enums() {
        let s = schema();
        let build = &s["properties"]["zerops"]["items"]["properties"]["build"]["properties"]["base"]
            ["oneOf"][0]["enum"];
        let run =
            &s["properties"]["zerops"]["items"]["properties"]["run"]["properties"]["base"]["enum"];
        let strs = |v: &J| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(strs(build), BUILD_BASES);
        assert_eq!(strs(run), RUN_BASES);
    }

    #[test]
    fn describes_shapes() {
        let cache = BUILD.prop("cache").unwrap();
        assert_eq!(describe(cache), "a boolean, a string or a list of strings");
        assert_eq!(describe(&STR_LIST), "a list of strings");
    }

    #[test]
    fn missing_deploy_files_under_extends_explains_section_replacement() {
        let d = crate::lint::lint(
            "zerops:\n  - setup: base\n    build:\n      deployFiles: ./\n  - setup: app\n    extends: base\n    build:\n      os: ubuntu\n",
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, "missing-key");
        assert_eq!(
            (
                d[0].span.unwrap().start.line,
                d[0].span.unwrap().start.column
            ),
            (7, 5)
        );
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .contains("replaces whole sections")
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("deployfiles", &["deployFiles", "cache"]),
            Some("deployFiles")
        );
        assert_eq!(
            suggest("buildComands", &["buildCommands"]),
            Some("buildCommands")
        );
        assert_eq!(suggest("xyz", &["os"]), None);
        assert_eq!(suggest("oss", &["os"]), None);
    }
}
