//! `zerops-cache lsp` fed what broken clients send (a lone surrogate
//! escape, invalid UTF-8, a body that is not JSON, an unknown method, a
//! negative position) by a raw Python client over real pipes
//! (tests/e2e/lsp/hostile_client.py): each gets an error or a log line, and
//! the server goes on to lint the next ordinary (incremental) change.

use crate::common::repo_root;
use serde_json::Value;
use std::process::Command;

#[test]
fn malformed_messages_do_not_end_the_server() {
    let out = Command::new("python3")
        .arg(repo_root().join("tests/e2e/lsp/hostile_client.py"))
        .arg(env!("CARGO_BIN_EXE_zerops-cache"))
        .output()
        .expect("running python3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client failed: {stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the client's JSON");
    assert_eq!(seen["exit_code"], 0, "{seen:#}");
    let code = |id: &str| seen["responses"][id]["error"]["code"].as_i64();
    // Invalid UTF-8 was decoded leniently: the hover is answered.
    let hover = &seen["responses"]["2"];
    assert!(hover.get("error").is_none(), "{seen:#}");
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("zerops"),
        "{seen:#}"
    );
    assert_eq!(code("3"), Some(-32600), "an id but no method: {seen:#}");
    assert_eq!(code("4"), Some(-32601), "unknown method: {seen:#}");
    assert_eq!(code("5"), Some(-32602), "negative position: {seen:#}");
    // The non-JSON body is logged.
    let logs: Vec<&str> = seen["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap_or_default())
        .collect();
    crate::text_snapshot!("logs", logs.join("\n"));
    // The lone surrogate change was applied (its key is reported, its
    // value read as U+FFFD), and so was the incremental one after it.
    let last = &seen["last"];
    assert_eq!(last["version"], 3);
    let messages: Vec<&str> = last["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    crate::text_snapshot!("last_diagnostics", messages.join("\n"));
    // Every diagnostic links to its code's page.
    for d in last["diagnostics"].as_array().unwrap() {
        assert_eq!(
            d["codeDescription"]["href"].as_str().unwrap(),
            format!(
                "https://github.com/zerops-cache/zerops-cache/blob/main/docs/codes/{}.md",
                d["code"].as_str().unwrap()
            ),
            "{d}"
        );
    }
}
