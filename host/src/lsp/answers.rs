//! Requests answered from the component's `assist` interface, and the
//! conversion of its answers (and of diagnostics) to LSP types.

use lsp_server::{ErrorCode, Request};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest,
    Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CompletionItem,
    CompletionItemKind, CompletionParams, CompletionTextEdit, DiagnosticSeverity, DocumentSymbol,
    DocumentSymbolParams, Documentation, GotoDefinitionParams, Hover, HoverContents, HoverParams,
    Location, MarkupContent, MarkupKind, NumberOrString, SymbolKind, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::Value;
use std::collections::HashMap;
use zerops_cache_contract::lint::TreeFacts;
use zerops_cache_contract::{Diagnostic, Severity, Span, assist};

use super::position::{Encoding, from_lsp, range, span};
use zerops_cache_component::component::PolicyHost;

/// An open document as requests see it.
#[derive(Clone, Copy)]
pub(crate) struct Open<'a> {
    pub(crate) text: &'a str,
    /// The listing of its project directory, once gathered.
    pub(crate) tree: Option<&'a TreeFacts>,
}

/// The link to the code's documentation page (see `lint::DOCS_BASE`).
fn code_description(code: zerops_cache_contract::Code) -> Option<lsp_types::CodeDescription> {
    let href = zerops_cache_contract::lint::href(code)
        .parse::<Uri>()
        .ok()?;
    Some(lsp_types::CodeDescription { href })
}

pub(crate) fn diagnostic(text: &str, enc: Encoding, d: &Diagnostic) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        range: range(text, enc, d.span_or_start()),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: code_description(d.code),
        source: Some("zerops-cache".into()),
        message: match &d.help {
            Some(h) => format!("{}\nhelp: {h}", d.message),
            None => d.message.clone(),
        },
        ..Default::default()
    }
}

/// A request's failure, with its JSON-RPC code.
#[derive(Debug)]
pub(crate) struct RpcError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl RpcError {
    pub(crate) fn internal(message: impl Into<String>) -> RpcError {
        RpcError {
            code: ErrorCode::InternalError,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for RpcError {
    fn from(e: anyhow::Error) -> RpcError {
        RpcError::internal(format!("{e:#}"))
    }
}

impl From<serde_json::Error> for RpcError {
    fn from(e: serde_json::Error) -> RpcError {
        RpcError::internal(format!("encoding the answer: {e}"))
    }
}

/// The params of a request, or -32602 saying what is wrong with them
/// (a negative position, a missing field...).
fn read_params<T: serde::de::DeserializeOwned>(what: &str, v: Value) -> Result<T, RpcError> {
    serde_json::from_value(v).map_err(|e| RpcError {
        code: ErrorCode::InvalidParams,
        message: format!("reading the {what} request: {e}"),
    })
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The answer to one request, as JSON (`null` for documents this server
/// does not handle); -32601 for a method it does not know, -32602 for
/// params that do not read.
pub(crate) fn answer(
    host: &PolicyHost,
    enc: Encoding,
    docs: &HashMap<&str, Open<'_>>,
    req: Request,
) -> Result<Value, RpcError> {
    let text_of = |uri: &Uri| docs.get(uri.as_str()).map(|d| d.text);
    let method = req.method.clone();
    let params = req.params;
    Ok(match method.as_str() {
        HoverRequest::METHOD => {
            let p: HoverParams = read_params("hover", params)?;
            let pp = p.text_document_position_params;
            let Some(text) = text_of(&pp.text_document.uri) else {
                return Ok(Value::Null);
            };
            let at = from_lsp(text, enc, pp.position);
            let tree = docs.get(pp.text_document.uri.as_str()).and_then(|d| d.tree);
            hover(host.hover(text, at, tree)?, text, enc)?
        }
        Completion::METHOD => {
            let p: CompletionParams = read_params("completion", params)?;
            let pp = p.text_document_position;
            let Some(text) = text_of(&pp.text_document.uri) else {
                return Ok(Value::Null);
            };
            let at = from_lsp(text, enc, pp.position);
            let items = completion_items(host, text, enc, at)?;
            serde_json::to_value(items)?
        }
        CodeActionRequest::METHOD => {
            let p: CodeActionParams = read_params("code action", params)?;
            let uri = p.text_document.uri.clone();
            let Some(text) = text_of(&uri) else {
                return Ok(Value::Null);
            };
            if p.context.only.as_ref().is_some_and(|only| {
                !only
                    .iter()
                    .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
            }) {
                return Ok(Value::Array(Vec::new()));
            }
            let actions = quick_fixes(host, text, enc, &uri, &p)?;
            serde_json::to_value(actions)?
        }
        DocumentSymbolRequest::METHOD => {
            let p: DocumentSymbolParams = read_params("document symbol", params)?;
            let Some(text) = text_of(&p.text_document.uri) else {
                return Ok(Value::Null);
            };
            serde_json::to_value(symbols(text, enc, host.symbols(text)?))?
        }
        GotoDefinition::METHOD => {
            let p: GotoDefinitionParams = read_params("definition", params)?;
            let pp = p.text_document_position_params;
            let Some(text) = text_of(&pp.text_document.uri) else {
                return Ok(Value::Null);
            };
            match host.definition(text, from_lsp(text, enc, pp.position))? {
                None => Value::Null,
                Some(s) => serde_json::to_value(Location {
                    uri: pp.text_document.uri,
                    range: range(text, enc, s),
                })?,
            }
        }
        other => {
            return Err(RpcError {
                code: ErrorCode::MethodNotFound,
                message: format!("zerops-cache does not answer `{other}`"),
            });
        }
    })
}

/// The hover of the component (markdown over a span), for the client.
fn hover(h: Option<assist::Hover>, text: &str, enc: Encoding) -> Result<Value, RpcError> {
    Ok(match h {
        None => Value::Null,
        Some(h) => serde_json::to_value(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: h.markdown,
            }),
            range: Some(range(text, enc, h.span)),
        })?,
    })
}

/// The completion items at `at` (keys and values), each replacing the
/// span the component names.
fn completion_items(
    host: &PolicyHost,
    text: &str,
    enc: Encoding,
    at: zerops_cache_contract::diag::Pos,
) -> Result<Vec<CompletionItem>, RpcError> {
    let items = host
        .complete(text, at)?
        .into_iter()
        .map(|c| CompletionItem {
            label: c.label,
            kind: Some(match c.kind {
                assist::CompletionKind::Key => CompletionItemKind::PROPERTY,
                assist::CompletionKind::Value => CompletionItemKind::VALUE,
            }),
            detail: Some(c.detail),
            documentation: (!c.documentation.is_empty()).then_some(Documentation::MarkupContent(
                MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: c.documentation,
                },
            )),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: range(text, enc, c.replace),
                new_text: c.insert_text,
            })),
            ..Default::default()
        })
        .collect();
    Ok(items)
}

/// The quick fixes whose span overlaps the requested range, each with the
/// client's diagnostics it fixes.
fn quick_fixes(
    host: &PolicyHost,
    text: &str,
    enc: Encoding,
    uri: &Uri,
    p: &CodeActionParams,
) -> Result<Vec<CodeActionOrCommand>, RpcError> {
    let wanted = span(text, enc, p.range);
    let actions: Vec<CodeActionOrCommand> = host
        .fixes(text)?
        .into_iter()
        .filter(|f| overlaps(f.span, wanted))
        .map(|f| {
            let r = range(text, enc, f.span);
            let diagnostics: Vec<lsp_types::Diagnostic> = p
                .context
                .diagnostics
                .iter()
                .filter(|d| {
                    d.range == r && d.code == Some(NumberOrString::String(f.code.to_string()))
                })
                .cloned()
                .collect();
            let edits = f
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: range(text, enc, e.span),
                    new_text: e.new_text.clone(),
                })
                .collect();
            CodeActionOrCommand::CodeAction(CodeAction {
                title: f.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..Default::default()
                }),
                is_preferred: Some(f.preferred),
                ..Default::default()
            })
        })
        .collect();
    Ok(actions)
}

/// The flat list with parent indices as a tree of `DocumentSymbol`s.
fn symbols(text: &str, enc: Encoding, flat: Vec<assist::Symbol>) -> Vec<DocumentSymbol> {
    #[allow(deprecated)] // `deprecated` is a required field of the struct
    let mut nodes: Vec<(Option<u32>, DocumentSymbol)> = flat
        .into_iter()
        .map(|s| {
            (
                s.parent,
                DocumentSymbol {
                    name: s.name,
                    detail: (!s.detail.is_empty()).then_some(s.detail),
                    kind: match s.kind {
                        assist::SymbolKind::Setup => SymbolKind::MODULE,
                        assist::SymbolKind::Section => SymbolKind::OBJECT,
                    },
                    tags: None,
                    deprecated: None,
                    range: range(text, enc, s.span),
                    selection_range: range(text, enc, s.selection),
                    children: None,
                },
            )
        })
        .collect();
    // Children come after their parent: attach from the end.
    let mut roots = Vec::new();
    while let Some((parent, sym)) = nodes.pop() {
        match parent.and_then(|p| nodes.get_mut(p as usize)) {
            Some((_, p)) => p.children.get_or_insert_with(Vec::new).insert(0, sym),
            None => roots.insert(0, sym),
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerops_cache_contract::Pos;

    #[test]
    fn every_diagnostic_links_to_its_code_page() {
        for c in zerops_cache_contract::lint::CODES {
            let d = Diagnostic::error(c.id, Span::point(Pos::START), "m");
            let l = diagnostic("x\n", Encoding::Utf16, &d);
            assert_eq!(
                l.code_description.expect("a link").href.as_str(),
                format!(
                    "https://github.com/zerops-cache/zerops-cache/blob/main/docs/codes/{}.md",
                    c.code
                )
            );
        }
    }
}
