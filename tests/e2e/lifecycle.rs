//! Transport and lifecycle: initialize/shutdown/exit, exit codes, stdin closing, the client
//! process dying, unknown methods, malformed input, panics, cancellation and concurrency.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Options, TestServer};

#[test]
fn version_flag_prints_the_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("--version").output().expect("run");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), format!("switchboard {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn initialize_then_shutdown_and_exit_with_code_zero() {
    let mut server = TestServer::start();
    let result = server.initialize();
    assert_eq!(result["serverInfo"]["name"], "switchboard");
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync");
    let status = server.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_code_one() {
    let mut server = TestServer::start();
    server.initialize();
    server.notify("exit", Value::Null);
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn position_encoding_prefers_utf8_then_utf16() {
    for (offered, expected) in [
        (json!(["utf-16", "utf-8", "utf-32"]), "utf-8"),
        (json!(["utf-32", "utf-16"]), "utf-16"),
        (json!(["utf-32"]), "utf-32"),
        (json!(null), "utf-16"),
    ] {
        let mut server = TestServer::start();
        let result = server.initialize_with(json!({"general": {"positionEncodings": offered}}), Value::Null);
        assert_eq!(result["capabilities"]["positionEncoding"], expected, "offered {offered}");
    }
}

#[test]
fn closing_stdin_ends_the_server() {
    let mut server = TestServer::start();
    server.initialize();
    server.close_stdin();
    assert!(server.wait_exit(Duration::from_secs(10)).is_some(), "server still running after stdin closed");
}

#[test]
fn the_server_exits_when_the_client_process_dies() {
    let mut fake_editor = Command::new("sleep").arg("600").stdin(Stdio::null()).spawn().expect("spawn sleep");
    let mut server = TestServer::start();
    server.call("initialize", json!({"processId": fake_editor.id(), "capabilities": {}, "rootUri": null}));
    server.notify("initialized", json!({}));
    // Alive while the editor lives.
    assert!(server.wait_exit(Duration::from_millis(500)).is_none());
    fake_editor.kill().expect("kill");
    fake_editor.wait().expect("reap");
    assert!(server.wait_exit(Duration::from_secs(15)).is_some(), "server outlived its client process");
}

#[test]
fn unknown_methods_get_method_not_found_and_unknown_notifications_are_ignored() {
    let mut server = TestServer::start();
    server.initialize();
    let response = server.request("textDocument/noSuchThing", json!({}));
    assert_eq!(response["error"]["code"], -32601);
    // The specification: a `$/` request the server does not support gets MethodNotFound too; only
    // `$/` notifications may be ignored.
    let response = server.request("$/noSuchRequest", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    server.notify("$/noSuchNotification", json!({"x": 1}));
    server.notify("custom/whatever", json!(null));
    // Still serving.
    let response = server.request("switchboard/debug/sleep", json!({"ms": 1}));
    assert!(response.get("error").is_none(), "{response}");
}

#[test]
fn malformed_messages_get_an_error_and_the_server_keeps_running() {
    let mut server = TestServer::start();
    server.initialize();
    server.send_raw(b"{this is not json");
    server.send_raw(br#"{"jsonrpc":"2.0","id":77,"method":"textDocument/didOpen","params":{"textDocument":"oops"}}"#);
    let bad_params = server.request("switchboard/debug/sleep", json!({"ms": "soon"}));
    assert_eq!(bad_params["error"]["code"], -32602, "{bad_params}");
    // A didOpen with the wrong shape changes nothing and breaks nothing.
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": 5}}));
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///none.rs", "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    server.open("file:///ok.txt", "plaintext", "fine");
    assert_eq!(server.document("file:///ok.txt")["text"], "fine");
    let messages = server.drain(Duration::from_millis(200));
    assert!(messages.iter().any(|m| m["error"]["code"] == -32700), "parse error reported: {messages:?}");
}

#[test]
fn a_panicking_handler_is_answered_with_an_error_and_the_server_keeps_serving() {
    let mut server = TestServer::start();
    server.initialize();
    let response = server.request("switchboard/debug/panic", Value::Null);
    assert_eq!(response["error"]["code"], -32603);
    assert!(response["error"]["message"].as_str().unwrap_or_default().contains("switchboard/debug/panic"));
    server.open("file:///after.txt", "plaintext", "still alive");
    assert_eq!(server.document("file:///after.txt")["text"], "still alive");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn debug_methods_are_off_unless_enabled() {
    let mut server = TestServer::start_with(Options { env: vec![], args: vec![] });
    server.initialize();
    assert_eq!(server.request("switchboard/debug/panic", Value::Null)["error"]["code"], -32601);
}

#[test]
fn slow_requests_starve_neither_cancellation_nor_other_requests() {
    let mut server = TestServer::start();
    server.initialize();
    // Far more slow requests than tower-lsp's default limit of 4 in flight.
    let slow: Vec<i64> =
        (0..12).map(|_| server.send_request("switchboard/debug/sleep", json!({"ms": 30_000}))).collect();
    let started = Instant::now();
    server.open("file:///quick.txt", "plaintext", "quick");
    assert_eq!(server.document("file:///quick.txt")["text"], "quick");
    for id in &slow {
        server.notify("$/cancelRequest", json!({"id": id}));
    }
    for id in slow {
        let response = server.response(id);
        assert_eq!(response["error"]["code"], -32800, "cancelled request {id}: {response}");
    }
    assert!(started.elapsed() < Duration::from_secs(15), "cancellation waited for the slow requests");
}

#[test]
fn logs_go_to_the_log_file_and_never_to_stdout() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("switchboard.log");
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into())],
        args: vec!["--log-file".into(), log.display().to_string(), "--log-level".into(), "debug".into()],
    });
    server.initialize();
    server.open("file:///a.txt", "plaintext", "a");
    // Every message on stdout parsed as JSON-RPC (the reader would have stopped otherwise).
    assert_eq!(server.document("file:///a.txt")["text"], "a");
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
    let logged = std::fs::read_to_string(&log).expect("log file");
    assert!(logged.contains("initialize"), "log file: {logged}");
}
