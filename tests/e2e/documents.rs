//! Document sync over the wire: incremental and full changes, several per notification, every
//! position encoding, CRLF and lone CR, non-ASCII text, and out-of-range positions.

use serde_json::{Value, json};

use crate::support::TestServer;

fn change(server: &mut TestServer, uri: &str, version: i32, changes: Value) {
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
    );
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

fn server_with(encoding: &str) -> TestServer {
    let mut server = TestServer::start();
    let result = server.initialize_with(json!({"general": {"positionEncodings": [encoding]}}), Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], encoding);
    server
}

#[test]
fn several_incremental_changes_apply_in_order_in_utf16() {
    let mut server = server_with("utf-16");
    let uri = "file:///src/main.rs";
    server.open(uri, "rust", "fn main() {\r\n    let s = \"😀日本\";\r\n}\r\n");
    change(
        &mut server,
        uri,
        2,
        json!([
            // After the emoji (2 UTF-16 units) and 日: insert "!" before 本.
            {"range": range(1, 16, 1, 16), "text": "!"},
            // Then, against that result, replace `s` with `greeting`.
            {"range": range(1, 8, 1, 9), "text": "greeting"},
            // Past the end of line 0: clamps to the end of the line, before CRLF.
            {"range": range(0, 99, 0, 200), "text": " // entry"},
        ]),
    );
    let document = server.document(uri);
    assert_eq!(document["text"], "fn main() { // entry\r\n    let greeting = \"😀日!本\";\r\n}\r\n");
    assert_eq!(document["version"], 2);
    assert_eq!(document["language"], "rust");
}

#[test]
fn utf8_and_utf32_columns() {
    for (encoding, column_after_emoji) in [("utf-8", 5), ("utf-32", 2)] {
        let mut server = server_with(encoding);
        let uri = "file:///notes.txt";
        server.open(uri, "plaintext", "a😀b\nsecond");
        change(
            &mut server,
            uri,
            2,
            json!([{"range": range(0, column_after_emoji, 0, column_after_emoji + 1), "text": "B"}]),
        );
        assert_eq!(server.document(uri)["text"], "a😀B\nsecond", "{encoding}");
    }
}

#[test]
fn lone_cr_is_a_line_break() {
    let mut server = server_with("utf-16");
    let uri = "file:///old-mac.txt";
    server.open(uri, "plaintext", "one\rtwo\rthree");
    change(&mut server, uri, 2, json!([{"range": range(2, 0, 2, 5), "text": "3"}]));
    assert_eq!(server.document(uri)["text"], "one\rtwo\r3");
}

#[test]
fn full_replacement_and_close() {
    let mut server = server_with("utf-16");
    let uri = "file:///a.py";
    server.open(uri, "python", "x = 1\n");
    change(&mut server, uri, 2, json!([{"text": "def f():\n    return 2\n"}]));
    let document = server.document(uri);
    assert_eq!(document["text"], "def f():\n    return 2\n");
    assert!(document["tree"].as_str().is_some_and(|tree| tree.contains("function_definition")), "{document}");
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    assert_eq!(server.document(uri), Value::Null, "closed documents are gone");
}

#[test]
fn requests_about_unknown_documents_get_empty_results() {
    let mut server = server_with("utf-16");
    assert_eq!(server.document("file:///never-opened.rs"), Value::Null);
    change(&mut server, "file:///never-opened.rs", 2, json!([{"text": "x"}]));
    assert_eq!(server.document("file:///never-opened.rs"), Value::Null);
}

#[test]
fn language_falls_back_to_the_file_extension() {
    let mut server = server_with("utf-16");
    server.open("file:///lib/thing.go", "plaintext", "package main\n");
    assert_eq!(server.document("file:///lib/thing.go")["language"], "go");
    server.open("file:///notes/readme.unknown", "plaintext", "just text\n");
    let document = server.document("file:///notes/readme.unknown");
    assert_eq!((document["language"].clone(), document["tree"].clone()), (Value::Null, Value::Null));
}
