//! The stdio transport of the language server: `Content-Length` framing
//! read leniently, so no input can end the server.
//!
//! `lsp-server`'s own reader stops (and with it the server) at the first
//! body that is not UTF-8, not JSON, or holds a lone surrogate escape
//! (`"\udc80"`, which JavaScript clients send for an unpaired surrogate in
//! a document). This reader keeps the framing but decodes each body on its
//! own: invalid UTF-8 becomes U+FFFD, a lone surrogate escape becomes
//! `\ufffd`, and a body that still is no JSON-RPC message is answered with
//! an error (-32700 parse error, -32600 invalid request) when it has an id,
//! and logged to the client when it has none. Either way the next message
//! is read. No crate offers a lenient reader for this framing, so it is
//! written here; the framing itself is the few lines of `read_frame`.

use lsp_server::{Connection, ErrorCode, Message, Notification, RequestId, Response};
use serde_json::Value;
use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::thread::{self, JoinHandle};

/// The reader and writer threads of a stdio connection.
pub(crate) struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for both threads (the writer ends when the server drops its
    /// sender; the reader at end of input, or once its receiver is gone).
    pub(crate) fn join(self) -> io::Result<()> {
        let writer = self.writer.join().unwrap_or(Ok(()));
        // The reader may be blocked on stdin after `exit`: do not wait for
        // a client that keeps its end open.
        if self.reader.is_finished() {
            let _ = self.reader.join();
        }
        writer
    }
}

/// A connection over this process's stdin and stdout.
pub(crate) fn stdio() -> (Connection, IoThreads) {
    let (to_client, outgoing) = crossbeam_channel::unbounded::<Message>();
    let (incoming, from_client) = crossbeam_channel::unbounded::<Message>();
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for m in outgoing {
                m.write(&mut out)?;
            }
            Ok(())
        })
        .expect("spawning the LSP writer thread");
    let replies = to_client.clone();
    let reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &incoming, &replies);
        })
        .expect("spawning the LSP reader thread");
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { reader, writer },
    )
}

/// Reads frames until end of input (or until nobody listens), passing
/// messages to `incoming` and answering malformed ones on `replies`.
pub(crate) fn read_loop(
    r: &mut impl BufRead,
    incoming: &crossbeam_channel::Sender<Message>,
    replies: &crossbeam_channel::Sender<Message>,
) {
    loop {
        let body = match read_frame(r) {
            Ok(None) => return,
            Ok(Some(Ok(body))) => body,
            Ok(Some(Err(problem))) => {
                let _ = replies.send(log(&problem));
                continue;
            }
            Err(e) => {
                let _ = replies.send(log(&format!("reading stdin failed: {e}")));
                return;
            }
        };
        let sent = match decode(&body) {
            Decoded::Message(m) => {
                let exit = matches!(&m, Message::Notification(n) if n.method == "exit");
                let sent = incoming.send(m);
                if exit {
                    return;
                }
                sent.map_err(|_| ())
            }
            Decoded::Invalid {
                id: Some(id),
                code,
                problem,
            } => replies
                .send(Message::Response(Response::new_err(
                    id,
                    code as i32,
                    problem,
                )))
                .map_err(|_| ()),
            Decoded::Invalid {
                id: None, problem, ..
            } => replies
                .send(log(&format!("ignored a message: {problem}")))
                .map_err(|_| ()),
        };
        if sent.is_err() {
            return;
        }
    }
}

/// A `window/logMessage` error for the client's log.
fn log(message: &str) -> Message {
    Message::Notification(Notification::new(
        "window/logMessage".into(),
        serde_json::json!({ "type": 1, "message": format!("zerops-cache: {message}") }),
    ))
}

/// One frame's body, `Some(Err)` for a header block that names no usable
/// length (that block is skipped), `None` at end of input.
pub(crate) fn read_frame(r: &mut impl BufRead) -> io::Result<Option<Result<Vec<u8>, String>>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut line = Vec::new();
    let mut any = false;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if any {
                break;
            }
            continue; // stray blank lines between frames
        }
        any = true;
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad Content-Length header {:?}", value.trim())),
            );
        }
    }
    let n = match length {
        Some(Ok(n)) => n,
        Some(Err(problem)) => return Ok(Some(Err(problem))),
        None => return Ok(Some(Err("a message without Content-Length header".into()))),
    };
    let mut body = Vec::new();
    (&mut *r).take(n as u64).read_to_end(&mut body)?;
    if body.len() < n {
        return Ok(None); // the client went away mid-message
    }
    Ok(Some(Ok(body)))
}

/// What one body holds.
#[derive(Debug)]
pub(crate) enum Decoded {
    Message(Message),
    Invalid {
        /// The request's id, when the body is JSON with one.
        id: Option<RequestId>,
        code: ErrorCode,
        problem: String,
    },
}

/// Decodes one body leniently (see the module docs).
pub(crate) fn decode(body: &[u8]) -> Decoded {
    let text = String::from_utf8_lossy(body);
    let text = replace_lone_surrogates(&text);
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Decoded::Invalid {
                id: None,
                code: ErrorCode::ParseError,
                problem: format!("the body is not JSON ({e})"),
            };
        }
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    // Classified by its fields, not by `Message`'s untagged guess (which
    // takes `{"id": 1, "method": 3}` for a response).
    let parsed = match (value.get("method").is_some(), id.is_some()) {
        (true, true) => serde_json::from_value(value).map(Message::Request),
        (true, false) => serde_json::from_value(value).map(Message::Notification),
        (false, _) => serde_json::from_value(value).map(Message::Response),
    };
    match parsed {
        Ok(m) => Decoded::Message(m),
        Err(e) => Decoded::Invalid {
            id,
            code: ErrorCode::InvalidRequest,
            problem: format!("not a JSON-RPC request, response or notification ({e})"),
        },
    }
}

/// `\uXXXX` escapes of surrogates that are not part of a pair, replaced by
/// `\ufffd` (serde_json refuses them in strings). Backslashes occur only
/// inside strings in JSON, so escapes are found without tracking strings.
pub(crate) fn replace_lone_surrogates(json: &str) -> Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let hex = std::str::from_utf8(b.get(i + 2..i + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let b = json.as_bytes();
    if !json.contains("\\u") {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(b, i) else {
            i += 2; // any other escape (or a broken one serde_json reports)
            continue;
        };
        match unit {
            0xD800..=0xDBFF
                if escape_at(b, i + 6).is_some_and(|u| (0xDC00..=0xDFFF).contains(&u)) =>
            {
                i += 12
            }
            0xD800..=0xDFFF => {
                out.push_str(&json[last..i]);
                out.push_str("\\ufffd");
                i += 6;
                last = i;
            }
            _ => i += 6,
        }
    }
    if last == 0 {
        return Cow::Borrowed(json);
    }
    out.push_str(&json[last..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let s = |j: &str| serde_json::from_str::<String>(&replace_lone_surrogates(j)).unwrap();
        assert_eq!(s(r#""a\udc80b""#), "a\u{fffd}b");
        assert_eq!(s(r#""\ud83d""#), "\u{fffd}");
        assert_eq!(s(r#""\ud83d\ude00""#), "😀");
        assert_eq!(s(r#""\\udc80""#), "\\udc80", "an escaped backslash");
        assert_eq!(s(r#""\ud83d\u0041""#), "\u{fffd}A");
        assert!(matches!(
            replace_lone_surrogates(r#""\u0041""#),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn frames_and_bad_bodies() {
        let input =
            b"Content-Length: 2\r\n\r\n{}\r\nX-Other: 1\r\n\r\nContent-Length: 3\r\n\r\n\xff\xfe]";
        let mut r = &input[..];
        assert_eq!(read_frame(&mut r).unwrap(), Some(Ok(b"{}".to_vec())));
        assert!(matches!(read_frame(&mut r).unwrap(), Some(Err(_))));
        let body = read_frame(&mut r).unwrap().unwrap().unwrap();
        assert!(matches!(
            decode(&body),
            Decoded::Invalid {
                id: None,
                code: ErrorCode::ParseError,
                ..
            }
        ));
        assert!(matches!(decode(b"[]"), Decoded::Invalid { id: None, .. }));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        match decode(br#"{"jsonrpc":"2.0","id":7,"method":3}"#) {
            Decoded::Invalid { id, code, .. } => {
                assert_eq!(id, Some(RequestId::from(7)));
                assert_eq!(code as i32, ErrorCode::InvalidRequest as i32);
            }
            d => panic!("{d:?}"),
        }
        let m = decode(
            b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"t\":\"\xc3\x28\\udc80\"}}",
        );
        let Decoded::Message(Message::Notification(n)) = m else {
            panic!("{m:?}")
        };
        assert_eq!(n.params["t"], "\u{fffd}(\u{fffd}");
    }
}
