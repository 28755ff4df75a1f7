//! The language server in process, over an in-memory connection: a burst
//! of changes is linted once, after the burst, for the last version.

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

#[test]
fn changes_are_debounced_and_the_last_version_wins() {
    let (server, client) = Connection::memory();
    let t = std::thread::spawn(move || zerops_cache::lsp::serve(&server, host()));
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
    let uri = "untitled:/zerops.yaml";
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1,
                "text": "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n" } }),
    );
    let first = next_publish(&client);
    assert_eq!(first["version"], 1);
    assert_eq!(first["diagnostics"], json!([]));
    for v in 2..=20 {
        let text = format!(
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      bogus{v}: 1\n"
        );
        notify(
            &client,
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": v },
                    "contentChanges": [{ "text": text }] }),
        );
    }
    // Normally one lint for the whole burst; a server thread descheduled
    // for longer than the debounce mid-burst may lint once more.
    let mut lints = 0;
    let second = loop {
        let p = next_publish(&client);
        lints += 1;
        if p["version"] == 20 {
            break p;
        }
    };
    assert!(lints <= 3, "19 changes were linted {lints} times");
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
    notify(&client, "exit", json!(null));
    t.join().unwrap().unwrap();
}
