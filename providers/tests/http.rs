//! The shared HTTP pieces on their own: the NDJSON reader, the SSE reader over awkward chunking,
//! and the extra CA bundle.

mod support;

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use support::{MockServer, Reply, deadline_in};
use switchboard_providers::ErrorKind;
use switchboard_providers::http;

async fn get(server: &MockServer) -> reqwest::Response {
    http::send("test", http::client().await.get(server.url()), deadline_in(5_000)).await.expect("response")
}

#[tokio::test]
async fn ndjson_lines_split_anywhere_with_blank_lines() {
    let server = MockServer::start().await;
    let pieces: Vec<Vec<u8>> = vec![
        b"{\"response\":\"a\"}\n\n{\"resp".to_vec(),
        b"onse\":\"\xC3".to_vec(),
        b"\xA9\"}\r\n   \n".to_vec(),
        b"{\"done\":true}".to_vec(),
    ];
    let mut reply = Reply::sse_bytes(pieces);
    reply.headers = vec![("content-type".into(), "application/x-ndjson".into())];
    server.push(reply);
    let lines: Vec<String> =
        http::ndjson_stream("test", get(&server).await, deadline_in(5_000)).map(|line| line.unwrap()).collect().await;
    assert_eq!(lines, [r#"{"response":"a"}"#, r#"{"response":"é"}"#, r#"{"done":true}"#]);
}

#[tokio::test]
async fn ndjson_stall_times_out_and_ends() {
    let server = MockServer::start().await;
    server.push(Reply::ndjson(["{\"a\":1}\n", "{\"b\":2}\n"]).pause_before(1, Duration::from_secs(5)));
    let mut lines = http::ndjson_stream("test", get(&server).await, deadline_in(300));
    assert_eq!(lines.next().await.unwrap().unwrap(), r#"{"a":1}"#);
    assert_eq!(lines.next().await.unwrap().unwrap_err().kind, ErrorKind::Timeout);
    assert!(lines.next().await.is_none());
}

#[tokio::test]
async fn sse_events_keep_their_names_and_skip_comments() {
    let server = MockServer::start().await;
    server.push(Reply::sse([": hello\n\nevent: ping\ndata: {}\n\n", "data: a\ndata: b\n\n"]));
    let events: Vec<http::SseEvent> =
        http::sse_stream("test", get(&server).await, deadline_in(5_000)).map(|event| event.unwrap()).collect().await;
    assert_eq!(
        events,
        [
            http::SseEvent { event: "ping".into(), data: "{}".into() },
            http::SseEvent { event: "message".into(), data: "a\nb".into() },
        ]
    );
}

#[test]
fn extra_ca_bundle() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-ca.pem");
    assert_eq!(http::load_ca_bundle(&fixture).unwrap().len(), 1);
    assert!(http::load_ca_bundle(Path::new("/nonexistent/ca.pem")).is_err());
    let empty = std::env::temp_dir().join(format!("switchboard-empty-{}.pem", std::process::id()));
    std::fs::write(&empty, "").unwrap();
    assert!(http::load_ca_bundle(&empty).is_err());
    let _ = std::fs::remove_file(&empty);
    // A bad bundle is skipped, not fatal: the client still builds.
    let _client = http::build_client(Some(Path::new("/nonexistent/ca.pem")));
    let _client = http::build_client(Some(&fixture));
}
