//! A YAML document as a tree whose every node knows where it stands in the
//! source, built from `saphyr-parser` events with hard limits.
//!
//! Anchors and aliases are resolved by copying the anchored node (its spans
//! stay those of the anchor definition, so a finding inside merged or aliased
//! content points at the text that produced it). Merge keys (`<<`) are applied
//! while building maps: keys written in the map win over merged ones.
//!
//! Limits keep hostile input cheap: the source size, the nesting depth, and the
//! total number of nodes (aliases included) are bounded, so a "billion laughs"
//! document fails fast with a clear error instead of exhausting memory.

use crate::diag::Code;
use crate::diag::{Diagnostic, Pos, Span};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use std::collections::{BTreeMap, BTreeSet};

/// Bounds on what one document may cost to parse.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted source, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of sequences and maps.
    pub max_depth: usize,
    /// Most nodes the tree may hold after alias expansion.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A scalar as written: its text and whether it was quoted (a quoted
/// `"true"` is a string, a plain `true` is a boolean).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
    pub tag: Option<String>,
}

/// The resolved type of a plain scalar under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool(bool),
    Int,
    Float,
    String,
}

impl Scalar {
    /// What the scalar means: quoted scalars are always strings; plain ones
    /// follow the YAML 1.2 core schema.
    pub fn kind(&self) -> ScalarKind {
        if let Some(tag) = &self.tag {
            return match tag.as_str() {
                "tag:yaml.org,2002:str" | "!!str" => ScalarKind::String,
                "tag:yaml.org,2002:null" | "!!null" => ScalarKind::Null,
                "tag:yaml.org,2002:bool" | "!!bool" => ScalarKind::Bool(self.text == "true"),
                "tag:yaml.org,2002:int" | "!!int" => ScalarKind::Int,
                "tag:yaml.org,2002:float" | "!!float" => ScalarKind::Float,
                _ => ScalarKind::String,
            };
        }
        if !self.plain {
            return ScalarKind::String;
        }
        match self.text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
            "true" | "True" | "TRUE" => ScalarKind::Bool(true),
            "false" | "False" | "FALSE" => ScalarKind::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf"
            | "-.INF" | ".nan" | ".NaN" | ".NAN" => ScalarKind::Float,
            t if is_int(t) => ScalarKind::Int,
            t if is_float(t) => ScalarKind::Float,
            _ => ScalarKind::String,
        }
    }
}

fn is_int(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some(hex) = t.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c));
    }
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn is_float(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits_ok(whole) && digits_ok(f) && !(whole.is_empty() && f.is_empty()),
        None => !whole.is_empty() && digits_ok(whole) && exponent.is_some(),
    };
    let exponent_ok = match exponent {
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits_ok(e)
        }
        None => true,
    };
    mantissa_ok && exponent_ok
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in source order (merged entries first, then written ones,
    /// duplicates removed with the later one winning).
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    /// The text of a scalar node.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar that resolves to a string (quoted, or plain and
    /// not null/bool/number).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| s.kind() == ScalarKind::String)
            .map(|s| s.text.as_str())
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar().map(Scalar::kind), Some(ScalarKind::Null))
    }

    /// Looks up a string key in a map node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
            .map(|(_, v)| v)
    }

    /// A short name of the node's type for messages: "a string", "a list"...
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Null => "null",
                ScalarKind::Bool(_) => "a boolean",
                ScalarKind::Int => "an integer",
                ScalarKind::Float => "a number",
                ScalarKind::String => "a string",
            },
        }
    }
}

/// A parsed document: the root node (None for an empty document) and the
/// findings of parsing itself (duplicate keys, multiple documents...).
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Option<Node>,
    pub warnings: Vec<Diagnostic>,
}

/// Converts a parser marker (1-based line, 0-based column) to our 1-based position.
fn pos(m: &saphyr_parser::Marker) -> Pos {
    Pos::new(
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

fn span(s: &saphyr_parser::Span) -> Span {
    Span::new(pos(&s.start), pos(&s.end))
}

/// The position just after the last character of `src`.
pub fn end_of(src: &str) -> Pos {
    let line = src.lines().count().max(1);
    let last = if src.ends_with('\n') {
        ""
    } else {
        src.lines().last().unwrap_or("")
    };
    let line = if src.ends_with('\n') { line + 1 } else { line };
    Pos::new(line as u32, last.chars().count() as u32 + 1)
}

fn scan_error(e: &ScanError) -> Diagnostic {
    let at = pos(e.marker());
    if e.info().contains("recursion limit") {
        // The scanner's own bound on flow nesting, met before ours.
        return Diagnostic::error(
            Code::YamlTooDeep,
            Span::point(at),
            "the document nests too deep for the YAML parser; parsing stopped",
        )
        .with_help("a zerops.yaml is a few levels deep; check the brackets");
    }
    Diagnostic::error(
        Code::YamlSyntax,
        Span::point(at),
        format!("invalid YAML: {}", e.info()),
    )
    .with_help("fix the YAML syntax at this position; check indentation and quoting")
}

/// A syntax error met inside a flow collection (`[`/`{`) opened on an
/// earlier line, or with nothing but blanks after it on its line, is the
/// bracket never closed: reported as that, on the bracket's line from the
/// bracket to the end of what is written there, instead of the scanner's
/// point where it gave up (often the next line's `:`).
fn unclosed_flow(src: &str, open: &[Pos], d: Diagnostic) -> Diagnostic {
    let Some(err) = d.span.filter(|_| d.code == Code::YamlSyntax) else {
        return d;
    };
    let Some(&at) = open.last() else { return d };
    let lines: Vec<&str> = src.split('\n').collect();
    let Some(line) = lines.get(at.line as usize - 1) else {
        return d;
    };
    let col = at.column as usize - 1;
    let (close, what) = match line.chars().nth(col) {
        Some('[') => (']', "flow sequence"),
        Some('{') => ('}', "flow map"),
        _ => return d,
    };
    let rest_blank = lines.get(err.start.line as usize - 1).is_none_or(|l| {
        l.chars()
            .skip(err.start.column as usize - 1)
            .all(char::is_whitespace)
    });
    if err.start.line <= at.line && !rest_blank {
        return d;
    }
    let text: String = line.chars().skip(col).collect();
    let written = text.trim_end().chars().count() as u32;
    Diagnostic::error(
        Code::YamlSyntax,
        Span::new(at, Pos::new(at.line, at.column + written.max(1))),
        format!("{what} must end with `{close}`: this `{}` is never closed", if close == ']' { '[' } else { '{' }),
    )
    .with_help(format!(
        "close it with `{close}` (a {what} may span lines, but every line up to the `{close}` belongs to it){}",
        if close == ']' { ", or write the items as a block list, one `- item` per line" } else { "" }
    ))
}

/// Parses `src` into a tree. A syntax error or an exceeded limit is returned
/// as a single error diagnostic with its position.
pub fn parse(src: &str, limits: Limits) -> Result<Document, Diagnostic> {
    if src.len() > limits.max_bytes {
        return Err(Diagnostic::error(
            Code::InputTooLarge,
            Span::point(Pos::START),
            format!(
                "the file is {} bytes; the limit is {} bytes",
                src.len(),
                limits.max_bytes
            ),
        )
        .with_help("a zerops.yaml is a few kilobytes; check that this is the right file"));
    }
    let mut builder = Builder {
        limits,
        anchors: BTreeMap::new(),
        nodes: 0,
        copied_bytes: 0,
        aliases: 0,
        warnings: Vec::new(),
        open: Vec::new(),
    };
    let mut parser = Parser::new_from_str(src);
    let mut root = None;
    let mut documents = 0usize;
    loop {
        let (event, sp) = match parser.next_event() {
            None => break,
            Some(Err(e)) => return Err(scan_error(&e)),
            Some(Ok(x)) => x,
        };
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents == 2 {
                    builder.warnings.push(
                        Diagnostic::warning(
                            Code::YamlMultipleDocuments,
                            span(&sp),
                            "the file holds more than one YAML document; only the first is read",
                        )
                        .with_help("remove the `---` separator and merge the documents"),
                    );
                }
                let node = match builder.node(&mut parser, 0) {
                    Ok(n) => n,
                    Err(d) => return Err(unclosed_flow(src, &builder.open, d)),
                };
                if documents == 1 {
                    root = node;
                }
            }
            other => {
                return Err(Diagnostic::error(
                    Code::YamlSyntax,
                    span(&sp),
                    format!("invalid YAML: unexpected {other:?}"),
                ));
            }
        }
    }
    Ok(Document {
        root,
        warnings: builder.warnings,
    })
}

struct Builder {
    limits: Limits,
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    /// Scalar bytes copied for anchors and aliases; bounded by
    /// `4 * max_bytes` so a long string aliased many times cannot exhaust
    /// memory while staying under the node limit.
    copied_bytes: usize,
    /// Aliases met so far (a node count over the limit without any is a
    /// big file, not an alias bomb).
    aliases: usize,
    warnings: Vec<Diagnostic>,
    /// Where the collections being read start, outermost first (left as
    /// they are when an error returns, so it names what was left open).
    open: Vec<Pos>,
}

type P<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

impl Builder {
    fn count(&mut self, n: usize, at: Span) -> Result<(), Diagnostic> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(Diagnostic::error(
                Code::YamlTooLarge,
                at,
                format!(
                    "the document expands to more than {} nodes (aliases included); parsing stopped",
                    self.limits.max_nodes
                ),
            )
            .with_help(if self.aliases == 0 {
                "a zerops.yaml is a few hundred nodes; check that this is the right file"
            } else {
                "this looks like an alias bomb; a zerops.yaml never needs this many nodes"
            }));
        }
        Ok(())
    }

    /// Accounts for a copy of `n` (an alias expansion or an anchor kept
    /// for later aliases): its nodes and its scalar bytes.
    fn charge_copy(&mut self, n: &Node, nodes: bool, at: Span) -> Result<(), Diagnostic> {
        let (count, bytes) = cost_of(n);
        if nodes {
            self.count(count, at)?;
        }
        self.copied_bytes += bytes;
        let max = self.limits.max_bytes.saturating_mul(4);
        if self.copied_bytes > max {
            return Err(Diagnostic::error(
                Code::YamlTooLarge,
                at,
                format!("anchors and aliases copy more than {max} bytes of text; parsing stopped"),
            )
            .with_help("this looks like an alias bomb; a zerops.yaml never needs this much"));
        }
        Ok(())
    }

    fn next(&mut self, p: &mut P<'_>) -> Result<(Event<'static>, Span), Diagnostic> {
        match p.next_event() {
            Some(Ok((e, s))) => Ok((into_owned(e), span(&s))),
            Some(Err(e)) => Err(scan_error(&e)),
            None => Err(Diagnostic::error(
                Code::YamlSyntax,
                Span::point(Pos::START),
                "invalid YAML: unexpected end of input",
            )),
        }
    }

    /// Reads the node whose first event is next; `None` at DocumentEnd.
    fn node(&mut self, p: &mut P<'_>, depth: usize) -> Result<Option<Node>, Diagnostic> {
        let (ev, sp) = self.next(p)?;
        self.node_from(p, ev, sp, depth)
    }

    fn node_from(
        &mut self,
        p: &mut P<'_>,
        ev: Event<'static>,
        sp: Span,
        depth: usize,
    ) -> Result<Option<Node>, Diagnostic> {
        if depth > self.limits.max_depth {
            return Err(Diagnostic::error(
                Code::YamlTooDeep,
                sp,
                format!(
                    "the document nests deeper than {} levels; parsing stopped",
                    self.limits.max_depth
                ),
            )
            .with_help("a zerops.yaml is a few levels deep; check the indentation"));
        }
        let (node, anchor) = match ev {
            Event::DocumentEnd | Event::StreamEnd => return Ok(None),
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, sp)?;
                let plain = matches!(style, ScalarStyle::Plain);
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    }),
                    span: sp,
                };
                (node, anchor)
            }
            Event::Alias(id) => {
                self.aliases += 1;
                let Some(target) = self.anchors.get(&id).cloned() else {
                    return Err(Diagnostic::error(
                        Code::YamlSyntax,
                        sp,
                        "invalid YAML: unknown anchor",
                    ));
                };
                self.charge_copy(&target, true, sp)?;
                return Ok(Some(target));
            }
            Event::SequenceStart(anchor, _) => {
                self.count(1, sp)?;
                self.open.push(sp.start);
                let mut items = Vec::new();
                let end;
                loop {
                    let (ev, isp) = self.next(p)?;
                    if let Event::SequenceEnd = ev {
                        end = isp.end;
                        break;
                    }
                    if let Some(n) = self.node_from(p, ev, isp, depth + 1)? {
                        items.push(n);
                    }
                }
                self.open.pop();
                let start = sp.start;
                let end = items
                    .last()
                    .map(|n: &Node| n.span.end)
                    .unwrap_or(end)
                    .max(end.min(start));
                (
                    Node {
                        value: Value::Seq(items),
                        span: Span::new(start, end),
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                self.count(1, sp)?;
                self.open.push(sp.start);
                let map = self.map(p, sp, depth)?;
                self.open.pop();
                (map, anchor)
            }
            other => {
                return Err(Diagnostic::error(
                    Code::YamlSyntax,
                    sp,
                    format!("invalid YAML: unexpected {other:?}"),
                ));
            }
        };
        if anchor > 0 {
            self.charge_copy(&node, false, sp)?;
            self.anchors.insert(anchor, node.clone());
        }
        Ok(Some(node))
    }

    fn map(&mut self, p: &mut P<'_>, sp: Span, depth: usize) -> Result<Node, Diagnostic> {
        let mut merged: Vec<(Node, Node)> = Vec::new();
        let mut merged_keys: BTreeSet<String> = BTreeSet::new();
        // Written entries; a duplicate key leaves a `None` hole where the
        // earlier entry was, so the index stays valid (O(n log n) overall).
        let mut written: Vec<Option<(Node, Node)>> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut end = sp.end;
        loop {
            let (ev, ksp) = self.next(p)?;
            if let Event::MappingEnd = ev {
                end = end.max(ksp.end);
                break;
            }
            let key = self.node_from(p, ev, ksp, depth + 1)?.ok_or_else(|| {
                Diagnostic::error(
                    Code::YamlSyntax,
                    ksp,
                    "invalid YAML: map ended inside a key",
                )
            })?;
            let value = self.node(p, depth + 1)?.ok_or_else(|| {
                Diagnostic::error(
                    Code::YamlSyntax,
                    ksp,
                    "invalid YAML: map ended before a value",
                )
            })?;
            if value.span.end > end {
                end = value.span.end;
            }
            let is_merge = key.as_scalar().is_some_and(|s| s.plain && s.text == "<<");
            if is_merge {
                self.merge_into(&mut merged, &mut merged_keys, &value)?;
                continue;
            }
            if let Some(k) = key_text(&key) {
                if let Some(i) = index.get(&k).copied()
                    && let Some((first, _)) = written[i].take()
                {
                    self.warnings.push(
                        Diagnostic::warning(
                            Code::YamlDuplicateKey,
                            key.span,
                            format!("the key `{k}` appears twice in this map; the last one wins"),
                        )
                        .with_help(format!(
                            "remove one of the two; the first is at line {}",
                            first.span.start.line
                        )),
                    );
                }
                index.insert(k, written.len());
            }
            written.push(Some((key, value)));
        }
        // Keys written in the map override merged keys.
        merged.retain(|(mk, _)| key_text(mk).is_none_or(|k| !index.contains_key(&k)));
        merged.extend(written.into_iter().flatten());
        Ok(Node {
            value: Value::Map(merged),
            span: Span::new(sp.start, end),
        })
    }

    /// Applies a `<<` value: a map, or a list of maps (earlier ones win).
    fn merge_into(
        &mut self,
        merged: &mut Vec<(Node, Node)>,
        keys: &mut BTreeSet<String>,
        value: &Node,
    ) -> Result<(), Diagnostic> {
        let sources: Vec<&Node> = match &value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if items.iter().all(|n| n.as_map().is_some()) => {
                items.iter().collect()
            }
            _ => {
                return Err(Diagnostic::error(
                    Code::YamlMerge,
                    value.span,
                    "invalid YAML: a merge key `<<` takes a map or a list of maps",
                ));
            }
        };
        for src in sources {
            for (k, v) in src.as_map().unwrap_or(&[]) {
                let fresh = key_text(k).is_none_or(|kt| keys.insert(kt));
                if fresh {
                    merged.push((k.clone(), v.clone()));
                }
            }
        }
        Ok(())
    }
}

fn key_text(n: &Node) -> Option<String> {
    n.as_scalar().map(|s| s.text.clone())
}

/// Nodes and scalar bytes of a subtree.
fn cost_of(n: &Node) -> (usize, usize) {
    match &n.value {
        Value::Scalar(s) => (1, s.text.len()),
        Value::Seq(items) => items.iter().map(cost_of).fold((1, 0), add),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| add(cost_of(k), cost_of(v)))
            .fold((1, 0), add),
    }
}

fn add(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0 + b.0, a.1 + b.1)
}

fn into_owned(e: Event<'_>) -> Event<'static> {
    use std::borrow::Cow;
    match e {
        Event::Nothing => Event::Nothing,
        Event::StreamStart => Event::StreamStart,
        Event::StreamEnd => Event::StreamEnd,
        Event::DocumentStart(b) => Event::DocumentStart(b),
        Event::DocumentEnd => Event::DocumentEnd,
        Event::Alias(a) => Event::Alias(a),
        Event::Scalar(v, s, a, t) => Event::Scalar(
            Cow::Owned(v.into_owned()),
            s,
            a,
            t.map(|t| Cow::Owned(t.into_owned())),
        ),
        Event::SequenceStart(a, t) => {
            Event::SequenceStart(a, t.map(|t| Cow::Owned(t.into_owned())))
        }
        Event::SequenceEnd => Event::SequenceEnd,
        Event::MappingStart(a, t) => Event::MappingStart(a, t.map(|t| Cow::Owned(t.into_owned()))),
        Event::MappingEnd => Event::MappingEnd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Node {
        parse(src, Limits::default()).unwrap().root.unwrap()
    }

    #[test]
    fn positions_are_one_based() {
        let n = p("zerops:\n  - setup: app\n");
        let setups = n.get("zerops").unwrap();
        let first = &setups.as_seq().unwrap()[0];
        let name = first.get("setup").unwrap();
        assert_eq!(name.span.start, Pos::new(2, 12));
        assert_eq!(name.as_str(), Some("app"));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("zerops:\n  - setup: [app\n", Limits::default()).unwrap_err();
        assert_eq!(e.code, "yaml-syntax");
        assert!(e.span.unwrap().start.line >= 2, "{e:?}");
    }

    #[test]
    fn merge_keys_keep_anchor_positions() {
        let src = "a: &x\n  k: 1\n  j: 2\nb:\n  <<: *x\n  j: 3\n";
        let n = p(src);
        let b = n.get("b").unwrap();
        assert_eq!(b.get("k").unwrap().span.start.line, 2);
        assert_eq!(b.get("j").unwrap().as_scalar().unwrap().text, "3");
        assert_eq!(b.get("j").unwrap().span.start.line, 6);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let e = parse(&src, Limits::default()).unwrap_err();
        assert_eq!(e.code, "yaml-too-large");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = "[".repeat(10_000);
        let e = parse(&src, Limits::default()).unwrap_err();
        assert!(
            e.code == "yaml-too-deep" || e.code == "yaml-syntax",
            "{e:?}"
        );
    }

    #[test]
    fn scalar_kinds() {
        let n = p("a: true\nb: 'true'\nc: 12\nd: 1.5\ne: ~\nf: node\n");
        let k = |key: &str| n.get(key).unwrap().as_scalar().unwrap().kind();
        assert_eq!(k("a"), ScalarKind::Bool(true));
        assert_eq!(k("b"), ScalarKind::String);
        assert_eq!(k("c"), ScalarKind::Int);
        assert_eq!(k("d"), ScalarKind::Float);
        assert_eq!(k("e"), ScalarKind::Null);
        assert_eq!(k("f"), ScalarKind::String);
    }
}
