//! The language server in process, over an in-memory connection: a burst
//! of changes is linted once, after the burst, for the last version (with
//! an injected debounce, so the count does not depend on the clock).

use crate::common::host;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use std::time::Duration;

fn notify(c: &Connection, method: &str, params: Value) {
    c.sender
        .send(Message::Notification(Notification::new(
            method.into(),
            params,
        )))
        .unwrap();
}

/// The next `publishDiagnostics`, skipping other messages.
fn next_publish(c: &Connection) -> Value {
    loop {
        match c.receiver.recv_timeout(Duration::from_secs(30)).unwrap() {
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                return n.params;
            }
            _ => {}
        }
    }
}

/// A server on an in-memory connection with `debounce`, initialized, with
/// `untitled:/zerops.yaml` open and its first diagnostics (version 1) read.
fn start(debounce: Option<Duration>) -> (Connection, std::thread::JoinHandle<anyhow::Result<()>>) {
    let (server, client) = Connection::memory();
    let t = std::thread::spawn(move || match debounce {
        Some(d) => zerops_cache::lsp::serve_with(&server, host(), d),
        None => zerops_cache::lsp::serve(&server, host()),
    });
    client
        .sender
        .send(Message::Request(Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({ "capabilities": {} }),
        )))
        .unwrap();
    match client.receiver.recv().unwrap() {
        Message::Response(r) => {
            let caps = &r.result.unwrap()["capabilities"];
            assert_eq!(caps["positionEncoding"], "utf-16");
            assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
        }
        m => panic!("{m:?}"),
    }
    notify(&client, "initialized", json!({}));
    // Not a file: no directory, so no tree lints; the name still counts.
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "yaml", "version": 1,
                "text": "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n" } }),
    );
    let first = next_publish(&client);
    assert_eq!(first["version"], 1);
    assert_eq!(first["diagnostics"], json!([]));
    (client, t)
}

const URI: &str = "untitled:/zerops.yaml";

/// Versions 2..=20 of the document, each with an unknown key of its own.
fn burst(client: &Connection) {
    for v in 2..=20 {
        let text = format!(
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      bogus{v}: 1\n"
        );
        notify(
            client,
            "textDocument/didChange",
            json!({ "textDocument": { "uri": URI, "version": v },
                    "contentChanges": [{ "text": text }] }),
        );
    }
}

/// `shutdown` is answered with nothing published before it; then `exit`.
fn shut_down(client: &Connection, t: std::thread::JoinHandle<anyhow::Result<()>>) {
    client
        .sender
        .send(Message::Request(Request::new(
            RequestId::from(2),
            "shutdown".into(),
            json!(null),
        )))
        .unwrap();
    loop {
        match client
            .receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
        {
            Message::Response(r) if r.id == RequestId::from(2) => break,
            Message::Notification(n) => panic!("nothing more was due: {n:?}"),
            _ => {}
        }
    }
    notify(client, "exit", json!(null));
    t.join().unwrap().unwrap();
}

/// No burst outlasts an hour's debounce, so nothing is linted during it:
/// the save that follows lints once, the last version.
#[test]
fn a_burst_of_changes_is_linted_once_for_the_last_version() {
    let (client, t) = start(Some(Duration::from_secs(3600)));
    burst(&client);
    notify(
        &client,
        "textDocument/didSave",
        json!({ "textDocument": { "uri": URI } }),
    );
    let second = next_publish(&client);
    assert_eq!(second["version"], 20, "the first lint after the burst");
    let d = &second["diagnostics"][0];
    assert_eq!(d["code"], "unknown-key");
    crate::text_snapshot!("burst_diagnostic", d["message"].as_str().unwrap());
    // A file of another name gets nothing.
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "untitled:/compose.yaml", "languageId": "yaml",
                "version": 1, "text": "- x\n" } }),
    );
    shut_down(&client, t);
}

/// With the real debounce, the burst's last version is linted without a
/// save (how many lints a busy machine fits into the burst is not asked).
#[test]
fn the_debounce_lints_the_last_version_by_itself() {
    let (client, t) = start(None);
    burst(&client);
    let last = loop {
        let p = next_publish(&client);
        if p["version"] == 20 {
            break p;
        }
    };
    assert_eq!(last["diagnostics"][0]["code"], "unknown-key");
    shut_down(&client, t);
}
