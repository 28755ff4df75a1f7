"""A raw LSP client over the server's stdin/stdout that sends what careless
or broken clients send: a lone surrogate escape, invalid UTF-8, a body that
is not JSON, an unknown method, a negative position, then an ordinary
incremental didChange. It prints one JSON object of what it saw (the test in
lsp_hostile.rs asserts on it).

Usage: python3 hostile_client.py ZEROPS_CACHE_BINARY
"""

import json
import subprocess
import sys
import threading
import queue

URI = "untitled:/zerops.yaml"
TEXT = "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n"


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(obj) -> bytes:
    return frame(json.dumps(obj).encode())


def reader(stream, out: "queue.Queue"):
    while True:
        length = None
        while True:
            line = stream.readline()
            if not line:
                out.put(None)
                return
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        out.put(json.loads(stream.read(length)))


def main():
    proc = subprocess.Popen(
        [sys.argv[1], "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    incoming: "queue.Queue" = queue.Queue()
    threading.Thread(target=reader, args=(proc.stdout, incoming), daemon=True).start()

    def send(raw: bytes):
        proc.stdin.write(raw)
        proc.stdin.flush()

    seen = {"logs": [], "responses": {}, "publishes": []}

    def wait_for(pred):
        while True:
            m = incoming.get(timeout=60)
            if m is None:
                raise SystemExit("the server closed its output: " + json.dumps(seen))
            if m.get("method") == "window/logMessage":
                seen["logs"].append(m["params"]["message"])
            elif m.get("method") == "textDocument/publishDiagnostics":
                seen["publishes"].append(m["params"])
            elif "id" in m and "method" not in m:
                seen["responses"][str(m["id"])] = m
            if pred(m):
                return m

    send(message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"capabilities": {}}}))
    wait_for(lambda m: m.get("id") == 1)
    send(message({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    send(message({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": TEXT}}}))
    wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")

    # 1. A didChange whose text holds a lone surrogate escape (json.dumps
    #    would write a valid pair, so the escape is spliced in by hand).
    body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": URI, "version": 2},
        "contentChanges": [{"text": TEXT + "      bogus: LONE\n"}]}})
    send(frame(body.replace("LONE", "\\udc80").encode()))
    # 2. Raw invalid UTF-8 inside a request's string.
    send(frame(b'{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":'
               b'{"textDocument":{"uri":"untitled:/zerops.yaml"},"position":{"line":0,"character":1},'
               b'"workDoneToken":"\xff\xfe"}}'))
    # 3. A body that is not JSON at all, and one that is JSON with an id
    #    but no valid method.
    send(frame(b"this is not json {"))
    send(message({"jsonrpc": "2.0", "id": 3, "method": 42}))
    # Unknown method, negative position.
    send(message({"jsonrpc": "2.0", "id": 4, "method": "zerops/noSuchThing", "params": {}}))
    send(message({"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": URI}, "position": {"line": -1, "character": 0}}}))
    # An ordinary incremental didChange: insert a typo'd key at the end.
    send(message({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": URI, "version": 3},
        "contentChanges": [{"range": {"start": {"line": 5, "character": 0},
                                      "end": {"line": 5, "character": 0}},
                            "text": "      cahce: [x]\n"}]}}))
    last = wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"].get("version") == 3)
    for i in (2, 3, 4, 5):
        if str(i) not in seen["responses"]:
            wait_for(lambda m, i=i: m.get("id") == i)
    send(message({"jsonrpc": "2.0", "id": 6, "method": "shutdown"}))
    wait_for(lambda m: m.get("id") == 6)
    send(message({"jsonrpc": "2.0", "method": "exit"}))
    proc.stdin.close()
    seen["exit_code"] = proc.wait(timeout=30)
    seen["last"] = last["params"]
    print(json.dumps(seen))


main()
