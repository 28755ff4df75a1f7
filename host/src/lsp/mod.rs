//! `zerops-cache lsp`: a language server over stdio for files named
//! `zerops.yaml` or `zerops.yml`. Every answer comes from the policy
//! component: diagnostics from `linter` (with the tree lints for files on
//! disk), everything else from `assist`.

mod answers;
mod position;
pub(crate) mod transport;

use anyhow::{Context, Result, anyhow};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, InitializeParams, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zerops_cache_contract::lint::TreeFacts;

pub(crate) use position::Encoding;
use zerops_cache_component::component::PolicyHost;

/// How long after the last change diagnostics wait, so typing does not
/// lint every keystroke.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(200);

/// An open zerops.yaml.
struct Doc {
    uri: Uri,
    text: String,
    version: i32,
    /// The project directory, for a `file:` document.
    root: Option<PathBuf>,
    /// The listing of `root`, gathered on open and save, and the depth it
    /// was gathered to.
    tree: Option<(u32, TreeFacts)>,
}

pub(crate) struct Server<'c> {
    conn: &'c Connection,
    host: &'c PolicyHost,
    enc: Encoding,
    docs: HashMap<String, Doc>,
    /// Documents whose diagnostics are due, and when.
    due: HashMap<String, Instant>,
    /// How long after a change its diagnostics wait ([`DEBOUNCE`]).
    debounce: Duration,
}

/// Whether the document is one this server handles.
pub(crate) fn is_zerops_yaml(uri: &str) -> bool {
    let name = uri.rsplit('/').next().unwrap_or("");
    matches!(name, "zerops.yaml" | "zerops.yml")
}

/// The path of a `file:` URI, percent-decoded.
pub(crate) fn file_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            let b = h * 16 + l;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8(out).ok()?))
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn capabilities(enc: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(enc.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), " ".into(), "-".into()]),
            ..Default::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Serves one client on stdin/stdout until it says `exit`.
pub(crate) fn serve_stdio() -> Result<()> {
    let host = PolicyHost::load()?;
    let (conn, io) = transport::stdio();
    serve(&conn, &host)?;
    drop(conn);
    io.join().context("writing to stdout")?;
    Ok(())
}

/// Serves one client on `conn` (tests use an in-memory connection).
pub fn serve(conn: &Connection, host: &PolicyHost) -> Result<()> {
    serve_with(conn, host, DEBOUNCE)
}

/// [`serve`] with another debounce: a test gives one no burst outlasts,
/// so it can count lints without depending on the clock.
pub fn serve_with(conn: &Connection, host: &PolicyHost, debounce: Duration) -> Result<()> {
    // An initialize whose params do not read is answered -32602; the
    // client may send another.
    let (id, init) = loop {
        let Ok((id, params)) = conn.initialize_start() else {
            return Ok(()); // the client went away (or said `exit`) first
        };
        match serde_json::from_value::<InitializeParams>(params) {
            Ok(init) => break (id, init),
            Err(e) => conn
                .sender
                .send(Message::Response(Response::new_err(
                    id,
                    lsp_server::ErrorCode::InvalidParams as i32,
                    format!("reading the initialize request: {e}"),
                )))
                .map_err(|_| anyhow!("the client closed the connection"))?,
        }
    };
    let enc = Encoding::choose(
        init.capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    let result = serde_json::json!({
        "capabilities": capabilities(enc),
        "serverInfo": { "name": "zerops-cache", "version": env!("CARGO_PKG_VERSION") },
    });
    conn.initialize_finish(id, result)
        .map_err(|e| anyhow!("{e}"))?;
    let mut server = Server {
        conn,
        host,
        enc,
        docs: HashMap::new(),
        due: HashMap::new(),
        debounce,
    };
    server.run()
}

impl Server<'_> {
    fn run(&mut self) -> Result<()> {
        loop {
            let wait = self
                .due
                .values()
                .min()
                .map(|t| t.saturating_duration_since(Instant::now()))
                .unwrap_or(Duration::from_secs(3600));
            match self.conn.receiver.recv_timeout(wait) {
                Ok(Message::Request(req)) => {
                    if self
                        .conn
                        .handle_shutdown(&req)
                        .map_err(|e| anyhow!("{e}"))?
                    {
                        return Ok(());
                    }
                    let resp = self.request(req);
                    self.send(Message::Response(resp))?;
                }
                Ok(Message::Notification(n)) => {
                    if n.method == "exit" {
                        return Ok(());
                    }
                    self.notification(n);
                }
                Ok(Message::Response(_)) => {}
                Err(e) if e.is_timeout() => {}
                Err(_) => return Ok(()), // the client went away
            }
            self.publish_due()?;
        }
    }

    fn send(&self, m: Message) -> Result<()> {
        self.conn
            .sender
            .send(m)
            .map_err(|_| anyhow!("the client closed the connection"))
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                let uri = p.text_document.uri;
                if !is_zerops_yaml(uri.as_str()) {
                    return;
                }
                let root = file_path(uri.as_str())
                    .and_then(|p| p.parent().map(|d| d.to_path_buf()))
                    .filter(|d| d.is_dir());
                let key = uri.as_str().to_string();
                self.docs.insert(
                    key.clone(),
                    Doc {
                        uri,
                        text: p.text_document.text,
                        version: p.text_document.version,
                        root,
                        tree: None,
                    },
                );
                self.due.insert(key, Instant::now());
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) else {
                    return;
                };
                let key = p.text_document.uri.as_str().to_string();
                if let Some(doc) = self.docs.get_mut(&key) {
                    // In order: each change is against the text the one
                    // before it left (the whole text when it has no range).
                    for change in p.content_changes {
                        position::apply_change(&mut doc.text, self.enc, change.range, &change.text);
                    }
                    doc.version = p.text_document.version;
                    self.due.insert(key, Instant::now() + self.debounce);
                }
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidSaveTextDocumentParams>(DidSaveTextDocument::METHOD)
                else {
                    return;
                };
                let key = p.text_document.uri.as_str().to_string();
                if let Some(doc) = self.docs.get_mut(&key) {
                    doc.tree = None; // list the directory again
                    self.due.insert(key, Instant::now());
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = n
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                else {
                    return;
                };
                let key = p.text_document.uri.as_str().to_string();
                self.due.remove(&key);
                if let Some(doc) = self.docs.remove(&key) {
                    // Clear its diagnostics; a client already gone needs nothing.
                    let _ = self.publish(doc.uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    fn publish(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) -> Result<()> {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )))
    }

    fn publish_due(&mut self) -> Result<()> {
        let now = Instant::now();
        let ready: Vec<String> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in ready {
            self.due.remove(&key);
            let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.lint(&key)))
                .unwrap_or_else(|_| Err(anyhow!("a bug in zerops-cache (please report it)")));
            let diags = match linted {
                Ok(d) => d,
                Err(e) => {
                    let msg = format!("zerops-cache could not lint this file: {e:#}");
                    self.log_error(&msg)?;
                    continue;
                }
            };
            let Some(doc) = self.docs.get(&key) else {
                continue;
            };
            let out = diags
                .iter()
                .map(|d| answers::diagnostic(&doc.text, self.enc, d))
                .collect();
            self.publish(doc.uri.clone(), out, Some(doc.version))?;
        }
        Ok(())
    }

    /// The diagnostics of an open document: with the tree lints when it
    /// has a project directory on disk.
    fn lint(&mut self, key: &str) -> Result<Vec<zerops_cache_contract::Diagnostic>> {
        let Some(doc) = self.docs.get_mut(key) else {
            return Ok(Vec::new());
        };
        let bytes = doc.text.as_bytes();
        let Some(root) = &doc.root else {
            return self.host.lint_bytes(bytes);
        };
        let depth = self.host.tree_depth(bytes)?;
        if doc.tree.as_ref().is_none_or(|(d, _)| *d != depth) {
            doc.tree = Some((depth, zerops_cache_store::tree_facts::gather(root, depth)));
        }
        let facts = &doc.tree.as_ref().expect("gathered above").1;
        self.host.lint_with_tree(bytes, None, facts)
    }

    fn log_error(&self, message: &str) -> Result<()> {
        self.send(Message::Notification(Notification::new(
            "window/logMessage".into(),
            serde_json::json!({ "type": 1, "message": message }),
        )))
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let docs = self.open_docs();
        // A bug in answering one request must not end the session.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answers::answer(self.host, self.enc, &docs, req)
        }))
        .unwrap_or_else(|_| {
            Err(answers::RpcError::internal(
                "zerops-cache failed to answer this request (a bug; please report it)",
            ))
        });
        match answer {
            Ok(value) => Response::new_ok(id, value),
            Err(e) => Response::new_err(id, e.code as i32, e.message),
        }
    }

    fn open_docs(&self) -> HashMap<&str, answers::Open<'_>> {
        self.docs
            .iter()
            .map(|(k, d)| {
                (
                    k.as_str(),
                    answers::Open {
                        text: &d.text,
                        tree: d.tree.as_ref().map(|(_, t)| t),
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(is_zerops_yaml("file:///a/b/zerops.yaml"));
        assert!(is_zerops_yaml("file:///zerops.yml"));
        assert!(!is_zerops_yaml("file:///a/zerops.yaml.bak"));
        assert!(!is_zerops_yaml("file:///a/docker-compose.yaml"));
        assert_eq!(
            file_path("file:///a%20b/zerops.yaml"),
            Some(PathBuf::from("/a b/zerops.yaml"))
        );
        assert_eq!(file_path("untitled:1"), None);
    }
}
