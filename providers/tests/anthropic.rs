//! The `anthropic` provider against a loopback server speaking the Messages API: exact
//! requests, named SSE events, prefill for FIM, and every error with Anthropic's own bodies.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use support::{MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::anthropic::Anthropic;
use switchboard_providers::{ErrorKind, GenerateRequest, Provider, ProviderSpec, StreamEvent, Usage};

const KEY: &str = "sk-ant-api03-test-0123456789abcdef";

const BLOCKED: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"This credential is only authorized for use with Claude Code and cannot be used for other API requests."},"request_id":"req_011CTest"}"#;

fn spec(server: &MockServer) -> ProviderSpec {
    support::keyed_spec(server.url(), "claude-test", KEY)
}

/// A loopback Anthropic that refuses what the real Messages API refuses.
async fn strict_server() -> MockServer {
    MockServer::strict(support::anthropic_messages).await
}

fn provider(spec: &ProviderSpec) -> Anthropic {
    Anthropic::from_spec("claude", spec).expect("valid spec")
}

fn chat_request() -> GenerateRequest {
    GenerateRequest { max_tokens: 100, temperature: Some(0.0), ..support::chat_request() }
}

fn event(name: &str, data: serde_json::Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn message_stream(texts: &[&str]) -> Vec<String> {
    let mut events = vec![
        event(
            "message_start",
            json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],
                "model":"claude-test","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}),
        ),
        event(
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        event("ping", json!({"type":"ping"})),
    ];
    for text in texts {
        events.push(event(
            "content_block_delta",
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}),
        ));
    }
    events.push(event("content_block_stop", json!({"type":"content_block_stop","index":0})));
    events.push(event(
        "message_delta",
        json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":7}}),
    ));
    events.push(event("message_stop", json!({"type":"message_stop"})));
    events
}

#[tokio::test]
async fn streams_named_events_and_sends_the_exact_request() {
    let server = strict_server().await;
    server.push(Reply::sse(message_stream(&["Hello", " there"])));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello there");
    assert_eq!(answer.usage, Some(Usage::new(25, 7)));

    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "model": "claude-test",
            "max_tokens": 100,
            "system": "be brief",
            "messages": [{"role":"user","content":"say hi"}],
            "temperature": 0.0,
            "stream": true
        })
    );
}

#[tokio::test]
async fn unknown_events_are_ignored() {
    let server = strict_server().await;
    let mut events = message_stream(&["a"]);
    events.insert(3, event("brand_new_event", json!({"type":"brand_new_event","x":1})));
    events.insert(
        4,
        event(
            "content_block_delta",
            json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}),
        ),
    );
    server.push(Reply::sse(events));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a");
}

#[tokio::test]
async fn non_streamed_message() {
    let server = strict_server().await;
    server.push(Reply::json(
        200,
        json!({"id":"msg_1","type":"message","role":"assistant","model":"claude-test",
            "content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":9,"output_tokens":3}})
        .to_string(),
    ));
    let mut spec = spec(&server);
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "Hi!");
    assert_eq!(answer.usage, Some(Usage::new(9, 3)));
    assert_eq!(server.requests()[0].json()["stream"], json!(false));
}

#[tokio::test]
async fn fim_uses_a_fence_prefill() {
    let server = strict_server().await;
    // The answer continues after the prefilled opening fence.
    server.push(Reply::sse(message_stream(&["\n", "a + b", "\n"])));
    let request = support::rust_fim_request();
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a + b");
    let body = server.requests()[0].json();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.last().unwrap(), &json!({"role":"assistant","content":"```rust"}));
    assert_eq!(body["stop_sequences"], json!(["```"]));
}

#[tokio::test]
async fn every_error_is_classified_by_its_type() {
    let body = |kind: &str, message: &str| {
        json!({"type":"error","error":{"type":kind,"message":message},"request_id":"req_1"}).to_string()
    };
    let cases = [
        (400, BLOCKED.to_owned(), ErrorKind::BlockedCredential),
        (401, body("authentication_error", "invalid x-api-key"), ErrorKind::Auth),
        (
            401,
            body("authentication_error", "OAuth authentication is currently not supported."),
            ErrorKind::BlockedCredential,
        ),
        (403, body("permission_error", "Your API key does not have permission"), ErrorKind::Auth),
        (402, body("billing_error", "Payment required"), ErrorKind::Quota),
        (
            400,
            body("invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
            ErrorKind::Quota,
        ),
        (
            429,
            body("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
            ErrorKind::RateLimited,
        ),
        (529, body("overloaded_error", "Overloaded"), ErrorKind::Overloaded),
        (500, body("api_error", "Internal server error"), ErrorKind::Server),
        (504, body("timeout_error", "Request timeout"), ErrorKind::Timeout),
        (400, body("invalid_request_error", "max_tokens: Field required"), ErrorKind::InvalidRequest),
        (404, body("not_found_error", "model: claude-nope"), ErrorKind::InvalidRequest),
        (413, body("request_too_large", "Request exceeds the maximum size"), ErrorKind::InvalidRequest),
    ];
    for (status, body, kind) in cases {
        let server = strict_server().await;
        server.push(Reply::json(status, body.clone()).header("retry-after", "4"));
        let error = failed(provider(&spec(&server)).generate(chat_request()).await);
        assert_eq!(error.kind, kind, "HTTP {status} {body}");
        assert_eq!(error.status, Some(status));
        assert_eq!(error.retry_after, Some(Duration::from_secs(4)));
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}

#[tokio::test]
async fn an_error_event_after_200_is_classified() {
    let server = strict_server().await;
    let mut events = message_stream(&["par"]);
    events.truncate(4);
    events.push(event("error", json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})));
    server.push(Reply::sse(events));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    let error = answer.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Overloaded);
    assert_eq!(error.message, "Overloaded");
}

#[tokio::test]
async fn a_stream_without_message_stop_is_a_network_error() {
    let server = strict_server().await;
    let mut events = message_stream(&["par"]);
    events.truncate(4);
    server.push(Reply::sse(events));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_malformed_event_is_a_bad_response() {
    let server = strict_server().await;
    server.push(Reply::sse(["event: content_block_delta\ndata: {oops\n\n"]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);
}

#[tokio::test]
async fn slow_drip_reset_and_hang() {
    let server = strict_server().await;
    server.push(Reply::sse(message_stream(&["a", "b"])).drip(Duration::from_millis(20)));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!((answer.text.as_str(), answer.error), ("ab", None));

    server.push(Reply::sse(message_stream(&["a"])[..4].to_vec()).then_reset());
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);

    server.push(Reply::hang());
    let mut request = chat_request();
    request.deadline = deadline_in(300);
    let error = failed(provider(&spec(&server)).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = strict_server().await;
    server.push(
        Reply::sse(message_stream(&["a", "b", "c"])).drip(Duration::from_millis(150)).pause_before(0, Duration::ZERO),
    );
    let mut stream = provider(&spec(&server)).generate(chat_request()).await.unwrap();
    // message_start is consumed silently; the first event is the first text.
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("a".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await);
}

#[test]
fn no_fim_modes_but_chat() {
    let spec = ProviderSpec { model: Some("m".into()), fim: Some("native".into()), ..ProviderSpec::default() };
    assert!(Anthropic::from_spec("c", &spec).is_err());
}

#[tokio::test]
async fn a_single_line_completion_is_accepted_and_ends_at_the_line_end() {
    // Single-line completions ask to stop at "\n"; the Messages API refuses whitespace-only stop
    // sequences, so the provider leaves them out and the caller's stream reader ends the line.
    let server = strict_server().await;
    server.push(Reply::sse(message_stream(&["\n", "a + b", "\n"])));
    let request = GenerateRequest { stop: vec!["\n".into(), "\r\n".into(), " ".into()], ..support::rust_fim_request() };
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a + b");
    assert_eq!(server.requests()[0].json()["stop_sequences"], json!(["```"]));
}

#[test]
fn the_strict_emulation_refuses_what_anthropic_refuses() {
    // The emulation itself must refuse what the real API refuses, or the tests above prove nothing.
    let request = |body: serde_json::Value| support::Recorded {
        method: "POST".into(),
        path: "/v1/messages".into(),
        headers: vec![("x-api-key".into(), KEY.into()), ("anthropic-version".into(), "2023-06-01".into())],
        body: body.to_string(),
    };
    let valid = json!({"model": "claude-test", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]});
    assert!(support::anthropic_messages(&request(valid.clone())).is_none());
    let mut refused = Vec::new();
    for (field, value) in [
        ("stop_sequences", json!(["\n"])),
        ("stop_sequences", json!(["ok", " \t"])),
        ("temperature", json!(1.5)),
        ("max_tokens", json!(0)),
        ("n", json!(3)),
        ("messages", json!([])),
        ("messages", json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "```rust\n"}])),
    ] {
        let mut body = valid.clone();
        body[field] = value.clone();
        refused.push((field, value.clone(), support::anthropic_messages(&request(body)).is_some()));
    }
    assert!(refused.iter().all(|(_, _, refused)| *refused), "{refused:?}");
    let mut unversioned = request(valid);
    unversioned.headers.retain(|(name, _)| name != "anthropic-version");
    assert!(support::anthropic_messages(&unversioned).is_some());
}

/// A text block, with a breakpoint when `marked`.
fn block(text: &str, marked: bool) -> serde_json::Value {
    match marked {
        true => json!({"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}),
        false => json!({"type": "text", "text": text}),
    }
}

#[test]
fn the_strict_emulation_refuses_invalid_cache_control() {
    // docs.anthropic.com/en/docs/build-with-claude/prompt-caching: at most four breakpoints per
    // request (system, tools and messages together), only `ephemeral` with a `ttl` of 5m or 1h,
    // never on an empty text block or a thinking block.
    let request = |body: serde_json::Value| support::Recorded {
        method: "POST".into(),
        path: "/v1/messages".into(),
        headers: vec![("x-api-key".into(), KEY.into()), ("anthropic-version".into(), "2023-06-01".into())],
        body: body.to_string(),
    };
    let with = |system: serde_json::Value, content: serde_json::Value| {
        request(json!({"model": "claude-test", "max_tokens": 16, "system": system,
            "messages": [{"role": "user", "content": content}]}))
    };
    let four = with(json!([block("sys", true)]), json!([block("a", true), block("b", true), block("c", true)]));
    assert!(support::anthropic_messages(&four).is_none());
    let ttl =
        with(json!("sys"), json!([{"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]));
    assert!(support::anthropic_messages(&ttl).is_none());

    let five = with(
        json!([block("sys", true)]),
        json!([block("a", true), block("b", true), block("c", true), block("d", true)]),
    );
    let refusal = support::anthropic_messages(&five).expect("a fifth breakpoint is refused");
    assert!(format!("{refusal:?}").contains("A maximum of 4 blocks with cache_control may be provided. Found 5."));
    for content in [
        json!([block("", true)]),
        json!([{"type": "text", "text": "a", "cache_control": {"type": "persistent"}}]),
        json!([{"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "2h"}}]),
        json!([{"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "scope": "org"}}]),
        json!([{"type": "thinking", "thinking": "hm", "signature": "s", "cache_control": {"type": "ephemeral"}}]),
        json!([{"type": "text", "text": "a", "cache": true}]),
        json!([]),
    ] {
        assert!(support::anthropic_messages(&with(json!("sys"), content.clone())).is_some(), "{content}");
    }
}

#[tokio::test]
async fn cache_counts_are_read_from_message_start_and_message_delta() {
    // A streamed answer whose prompt was partly read from the cache and partly written to it:
    // the three input counts are reported apart and add up to the prompt
    // (docs.anthropic.com/en/docs/build-with-claude/prompt-caching, "Tracking cache performance").
    let server = strict_server().await;
    let mut events = message_stream(&["Hello"]);
    events[0] = event(
        "message_start",
        json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],
            "model":"claude-test","stop_reason":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":188,
            "cache_read_input_tokens":1800,"output_tokens":1,"service_tier":"standard"}}}),
    );
    let delta = events.len() - 2;
    events[delta] = event(
        "message_delta",
        json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
            "usage":{"input_tokens":21,"cache_creation_input_tokens":188,"cache_read_input_tokens":1800,"output_tokens":9}}),
    );
    server.push(Reply::sse(events));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    let expected = Usage { input_tokens: 2009, cached_input_tokens: 1800, cache_write_tokens: 188, output_tokens: 9 };
    assert_eq!(answer.usage, Some(expected));

    let server = strict_server().await;
    server.push(Reply::json(
        200,
        json!({"id":"msg_1","type":"message","role":"assistant","model":"claude-test",
            "content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":1030,"output_tokens":3}})
        .to_string(),
    ));
    let mut spec = spec(&server);
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.usage, Some(Usage::new(1034, 3).with_cached(1030)));
}

/// A FIM request in a file whose header (imports) holds `header_lines` lines.
fn fim_with_header(header_lines: usize, window: &str) -> GenerateRequest {
    let header: String =
        (0..header_lines).map(|line| format!("use crate::module_{line}::{{Alpha{line}, Beta{line}}};\n")).collect();
    let prompt = switchboard_providers::FimPrompt {
        header_len: header.len(),
        prefix: header + window,
        suffix: "\n}\n".into(),
        path: Some("src/lib.rs".into()),
        language: Some("rust".into()),
        ..switchboard_providers::FimPrompt::default()
    };
    GenerateRequest { prompt: switchboard_providers::Prompt::Fim(prompt.into()), ..support::rust_fim_request() }
}

fn sonnet_spec(server: &MockServer) -> ProviderSpec {
    support::keyed_spec(server.url(), "claude-sonnet-4-5", KEY)
}

#[tokio::test]
async fn breakpoints_mark_a_long_stable_prefix_and_only_that() {
    let server = strict_server().await;
    server.push(Reply::sse(message_stream(&["\n", "a + b", "\n"])));
    server.push(Reply::sse(message_stream(&["\n", "a - b", "\n"])));
    let provider = provider(&sonnet_spec(&server));
    // About 40 visible characters a line: 150 lines is well over Sonnet's 1,024 tokens.
    for window in ["fn add(a: i32, b: i32) -> i32 {\n    ", "fn sub(a: i32, b: i32) -> i32 {\n    a"] {
        let answer = collect(provider.generate(fim_with_header(150, window)).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
    }
    let bodies: Vec<serde_json::Value> = server.requests().iter().map(|request| request.json()).collect();
    let marked: Vec<&serde_json::Value> = bodies.iter().map(|body| &body["messages"][0]["content"][0]).collect();
    for (body, first) in bodies.iter().zip(&marked) {
        assert_eq!(first["cache_control"], json!({"type": "ephemeral"}), "{body}");
        let text = first["text"].as_str().unwrap();
        assert!(text.starts_with("File src/lib.rs (rust), its imports and the definitions around the cursor:\n"));
        assert!(text.ends_with("use crate::module_149::{Alpha149, Beta149};\n```\n\n"), "the mark ends the header");
        // Then the window's lines above the cursor's line, marked too (they stay while the
        // user types on that line), and the cursor's line and what follows, unmarked.
        let above = &body["messages"][0]["content"][1];
        assert_eq!(above["cache_control"], json!({"type": "ephemeral"}), "{body}");
        assert!(above["text"].as_str().unwrap().ends_with("-> i32 {\n"), "{above}");
        let rest = &body["messages"][0]["content"][2];
        assert!(rest.get("cache_control").is_none() && rest["text"].as_str().unwrap().contains("<CURSOR>"));
        assert_eq!(body.to_string().matches("cache_control").count(), 2);
    }
    // The first marked prefix is byte-identical across the two cursor positions: the second
    // request reads what the first wrote.
    assert_eq!(marked[0], marked[1]);
    assert_ne!(bodies[0]["messages"][0]["content"][1], bodies[1]["messages"][0]["content"][1]);
}

#[tokio::test]
async fn no_breakpoint_below_the_models_minimum() {
    let server = strict_server().await;
    server.push(Reply::sse(message_stream(&["\n", "a + b", "\n"])));
    server.push(Reply::sse(message_stream(&["\n", "a + b", "\n"])));
    // 10 header lines: a few hundred tokens, under Sonnet's 1,024.
    let answer =
        collect(provider(&sonnet_spec(&server)).generate(fim_with_header(10, "fn f() {\n    ")).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    // 150 lines would do for Sonnet, but not for Haiku 4.5's 4,096.
    let haiku = support::keyed_spec(server.url(), "claude-haiku-4-5", KEY);
    let answer = collect(provider(&haiku).generate(fim_with_header(150, "fn f() {\n    ")).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    for request in server.requests() {
        let body = request.json();
        assert!(body["messages"][0]["content"].is_string(), "{body}");
        assert!(!body.to_string().contains("cache_control"));
    }
}
