//! The `openai` provider against a loopback server speaking OpenAI's (and OpenRouter's) wire
//! format: exact requests, streamed and whole answers, every error, and misbehaving streams.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{ErrorCase, MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::openai_compat::OpenAiCompatible;
use switchboard_providers::{ErrorKind, GenerateRequest, Provider, ProviderKind, ProviderSpec, StreamEvent, Usage};

/// The `openai` kind: a profile of the OpenAI-compatible provider.
type OpenAi = OpenAiCompatible;

fn openai(name: &str, spec: &ProviderSpec) -> Result<OpenAi, String> {
    OpenAiCompatible::from_spec(ProviderKind::Openai, name, spec)
}

const KEY: &str = "sk-test-openai-0123456789abcdef";

fn spec(server: &MockServer) -> ProviderSpec {
    support::keyed_spec(format!("{}/v1", server.url()), "gpt-test", KEY)
}

fn provider(spec: &ProviderSpec) -> OpenAi {
    openai("openai-test", spec).expect("valid spec")
}

fn chat_request() -> GenerateRequest {
    GenerateRequest { stop: vec!["\n\n".into()], temperature: Some(0.2), ..support::chat_request() }
}

fn fim_request() -> GenerateRequest {
    support::rust_fim_request()
}

fn chunk(text: &str) -> String {
    json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
        "choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})
    .to_string()
}

fn finish_chunk() -> String {
    json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})
        .to_string()
}

fn usage_chunk(input: u64, output: u64) -> String {
    json!({"id":"c1","object":"chat.completion.chunk","choices":[],
        "usage":{"prompt_tokens":input,"completion_tokens":output,"total_tokens":input+output}})
    .to_string()
}

fn hello_stream() -> Reply {
    Reply::sse_data([chunk("Hel"), chunk("lo"), finish_chunk(), usage_chunk(12, 2), "[DONE]".to_owned()])
}

#[tokio::test]
async fn chat_stream_sends_the_exact_request() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream());
    let mut spec = spec(&server);
    spec.organization = Some("org-1".into());
    spec.project = Some("proj-1".into());
    spec.headers.insert("X-Title".into(), "Switchboard".into());
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello");
    assert_eq!(answer.usage, Some(Usage::new(12, 2)));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(request.header("openai-organization"), Some("org-1"));
    assert_eq!(request.header("openai-project"), Some("proj-1"));
    assert_eq!(request.header("x-title"), Some("Switchboard"));
    assert_eq!(
        request.json(),
        json!({
            "model": "gpt-test",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"say hi"}],
            "max_completion_tokens": 64,
            "temperature": 0.2,
            "stop": ["\n\n"],
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn chat_without_streaming() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::json(
        200,
        json!({"id":"c1","object":"chat.completion","choices":[{"index":0,
            "message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":5,"completion_tokens":2}})
        .to_string(),
    ));
    let mut spec = spec(&server);
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "Hi there");
    assert_eq!(answer.usage, Some(Usage::new(5, 2)));
    let body = server.requests()[0].json();
    assert_eq!(body["stream"], json!(false));
    assert!(body.get("stream_options").is_none());
}

#[tokio::test]
async fn native_fim_uses_completions_with_suffix() {
    let server = MockServer::strict(support::vendors::openai).await;
    let text_chunk = |text: &str| {
        json!({"object":"text_completion","choices":[{"index":0,"text":text,"finish_reason":null}]}).to_string()
    };
    let last = json!({"object":"text_completion","choices":[{"index":0,"text":"","finish_reason":"stop"}]});
    server.push(Reply::sse_data([text_chunk("a + "), text_chunk("b"), last.to_string(), "[DONE]".into()]));
    let mut spec = spec(&server);
    spec.fim = Some("native".into());
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "a + b");
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/completions");
    assert_eq!(
        request.json(),
        json!({
            "model": "gpt-test",
            "prompt": "fn add(a: i32, b: i32) -> i32 {\n    ",
            "suffix": "\n}\n",
            "max_tokens": 32,
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn fim_on_a_chat_model_goes_through_chat_and_extracts_the_code() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::sse_data([chunk("```rust\n"), chunk("a + b\n"), chunk("```"), finish_chunk(), "[DONE]".into()]));
    let answer = collect(provider(&spec(&server)).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "a + b");
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    let body = request.json();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("fn add(a: i32, b: i32) -> i32 {\n    <CURSOR>\n}"), "{user}");
}

#[tokio::test]
async fn every_error_is_classified() {
    let cases = [
        ErrorCase {
            status: 401,
            body: r#"{"error":{"message":"Incorrect API key provided: sk-test-********cdef.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            headers: &[],
            kind: ErrorKind::Auth,
            retry_after: None,
        },
        ErrorCase {
            status: 403,
            body: r#"{"error":{"message":"Project does not have access to model","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            headers: &[],
            kind: ErrorKind::Auth,
            retry_after: None,
        },
        ErrorCase {
            status: 429,
            body: r#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
            headers: &[("retry-after-ms", "1500"), ("retry-after", "2")],
            kind: ErrorKind::RateLimited,
            retry_after: Some(Duration::from_millis(1500)),
        },
        ErrorCase {
            status: 429,
            body: r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            headers: &[],
            kind: ErrorKind::Quota,
            retry_after: None,
        },
        ErrorCase {
            status: 402,
            body: r#"{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/credits"}}"#,
            headers: &[],
            kind: ErrorKind::Quota,
            retry_after: None,
        },
        ErrorCase {
            status: 400,
            body: r#"{"error":{"message":"Invalid 'messages': empty array.","type":"invalid_request_error","param":"messages","code":"empty_array"}}"#,
            headers: &[],
            kind: ErrorKind::InvalidRequest,
            retry_after: None,
        },
        ErrorCase {
            status: 404,
            body: r#"{"error":{"message":"The model `gpt-nope` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            headers: &[],
            kind: ErrorKind::InvalidRequest,
            retry_after: None,
        },
        ErrorCase {
            status: 500,
            body: r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
            headers: &[],
            kind: ErrorKind::Server,
            retry_after: None,
        },
        ErrorCase {
            status: 503,
            body: r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}"#,
            headers: &[("retry-after", "3")],
            kind: ErrorKind::Overloaded,
            retry_after: Some(Duration::from_secs(3)),
        },
        ErrorCase {
            status: 502,
            body: "<html><body>bad gateway</body></html>",
            headers: &[],
            kind: ErrorKind::Server,
            retry_after: None,
        },
    ];
    for case in cases {
        let server = MockServer::strict(support::vendors::openai).await;
        server.push(case.reply());
        let error = failed(provider(&spec(&server)).generate(chat_request()).await);
        assert_eq!(error.kind, case.kind, "HTTP {} {}", case.status, case.body);
        assert_eq!(error.status, Some(case.status));
        assert_eq!(error.retry_after, case.retry_after, "HTTP {}", case.status);
        assert_eq!(error.provider, "openai-test");
        assert!(!error.message.is_empty());
        assert!(!error.to_string().contains(KEY));
    }
}

#[tokio::test]
async fn should_retry_header_is_kept() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::json(500, r#"{"error":{"message":"x"}}"#).header("x-should-retry", "false"));
    let error = failed(provider(&spec(&server)).generate(chat_request()).await);
    assert_eq!(error.should_retry, Some(false));
}

/// A redirect is not followed: a 307 keeps the body, so following it would send the prompt to a
/// host nobody configured. The error names where it pointed (not its query) and what to do.
#[tokio::test]
async fn a_redirect_is_an_error_and_the_code_stays_here() {
    let server = MockServer::strict(support::vendors::openai).await;
    let elsewhere = MockServer::strict(support::vendors::openai).await;
    let location = format!("{}/v1/chat/completions?token=abc", elsewhere.url());
    server.push(Reply::json(307, "").header("location", &location));
    let error = failed(provider(&spec(&server)).generate(chat_request()).await);
    assert_eq!((error.kind, error.status), (ErrorKind::InvalidRequest, Some(307)));
    assert!(error.message.contains(&format!("{}/v1/chat/completions", elsewhere.url())), "{}", error.message);
    assert!(error.message.contains("base_url") && !error.message.contains("token=abc"), "{}", error.message);
    assert_eq!((server.request_count(), elsewhere.request_count()), (1, 0));
}

#[tokio::test]
async fn keep_alive_comments_are_skipped() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::sse([
        ": OPENROUTER PROCESSING\n\n".to_owned(),
        "\n".to_owned(),
        format!("data: {}\n\n", chunk("a")),
        ": keep-alive\n\n".to_owned(),
        format!("data: {}\n\n", chunk("b")),
        format!("data: {}\n\ndata: [DONE]\n\n", finish_chunk()),
    ]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "ab");
}

#[tokio::test]
async fn an_error_chunk_in_a_200_stream_is_classified() {
    let server = MockServer::strict(support::vendors::openai).await;
    let error_chunk = json!({"id":"c1","object":"chat.completion.chunk",
        "error":{"code":429,"message":"Provider rate limited"},
        "choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]});
    server.push(Reply::sse_data([chunk("par"), error_chunk.to_string()]));
    let mut stream = provider(&spec(&server)).generate(chat_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("par".into()));
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.message, "Provider rate limited");
    assert!(stream.next().await.is_none(), "the stream ends after an error");
}

#[tokio::test]
async fn a_malformed_chunk_is_a_bad_response() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::sse_data([chunk("ok"), "{not json".to_owned()]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "ok");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);
}

#[tokio::test]
async fn a_stream_cut_short_is_a_network_error() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::sse_data([chunk("half")]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn utf8_split_across_chunks() {
    let server = MockServer::strict(support::vendors::openai).await;
    let frame = format!("data: {}\n\n", chunk("héllo → ✓"));
    let bytes = frame.into_bytes();
    // Split inside the two-byte "é".
    let split = bytes.iter().position(|byte| *byte == 0xC3).unwrap() + 1;
    let done = format!("data: {}\n\ndata: [DONE]\n\n", finish_chunk()).into_bytes();
    server.push(Reply::sse_bytes(vec![bytes[..split].to_vec(), bytes[split..].to_vec(), done]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "héllo → ✓");
}

#[tokio::test]
async fn a_slow_drip_within_the_deadline_completes() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream().drip(Duration::from_millis(40)));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello");
}

#[tokio::test]
async fn a_drip_past_the_deadline_times_out() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream().drip(Duration::from_millis(250)));
    let mut request = chat_request();
    request.deadline = deadline_in(400);
    // The headers arrive at once; the first chunk at 250 ms, the second would at 500 ms.
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "Hel");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_reset_mid_stream_is_a_network_error() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::sse_data([chunk("par")]).then_reset());
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_the_deadline() {
    let server = MockServer::strict_always(support::vendors::openai, Reply::hang()).await;
    let mut request = chat_request();
    request.deadline = deadline_in(300);
    let started = tokio::time::Instant::now();
    let error = failed(provider(&spec(&server)).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn timeout_ms_bounds_a_request_without_deadline() {
    let server = MockServer::strict_always(support::vendors::openai, Reply::hang()).await;
    let mut spec = spec(&server);
    spec.timeout_ms = Some(200);
    let mut request = chat_request();
    request.deadline = None;
    let error = failed(provider(&spec).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream().drip(Duration::from_millis(200)).pause_before(0, Duration::ZERO));
    let mut stream = provider(&spec(&server)).generate(chat_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("Hel".into()));
    assert_eq!(server.connections_open(), 1);
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let server = MockServer::strict(support::vendors::openai).await;
    let spec = spec(&server);
    drop(server);
    // Give the aborted accept loop a moment to release the port.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let error = failed(provider(&spec).generate(chat_request()).await);
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
}

#[tokio::test]
async fn a_missing_key_says_which_variable() {
    let server = MockServer::strict(support::vendors::openai).await;
    let mut spec = spec(&server);
    spec.api_key = None;
    spec.api_key_env = Some("SWITCHBOARD_TEST_SURELY_UNSET_KEY".into());
    let error = failed(provider(&spec).generate(chat_request()).await);
    assert_eq!(error.kind, ErrorKind::Auth);
    assert_eq!(error.message, "environment variable SWITCHBOARD_TEST_SURELY_UNSET_KEY is not set");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_local_server_needs_no_key() {
    // A local OpenAI-compatible server (LM Studio, vLLM, llama.cpp) takes no key; OpenAI's own
    // validation, which requires one, does not apply.
    let server = MockServer::start().await;
    server.push(hello_stream());
    let mut spec = spec(&server);
    spec.api_key = None;
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "Hello");
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[test]
fn config_errors_say_what_to_fix() {
    let error = openai("x", &ProviderSpec::default()).unwrap_err();
    assert!(error.contains("model"), "{error}");
    let spec = ProviderSpec { model: Some("m".into()), fim: Some("starcoder2".into()), ..ProviderSpec::default() };
    assert!(openai("x", &spec).unwrap_err().contains("starcoder2"));
}

/// Streamed chunks of several choices, interleaved as OpenAI sends them (`index` per choice).
fn choice_chunk(index: u32, text: &str) -> String {
    json!({"object":"text_completion","choices":[{"index":index,"text":text,"finish_reason":null}]}).to_string()
}

#[tokio::test]
async fn several_answers_come_from_one_request_with_n() {
    let server = MockServer::strict(support::vendors::openai).await;
    let last = json!({"object":"text_completion","choices":[
        {"index":0,"text":"","finish_reason":"stop"},{"index":1,"text":"","finish_reason":"stop"},
        {"index":2,"text":"","finish_reason":"stop"}]});
    server.push(Reply::sse_data([
        choice_chunk(0, "a + "),
        choice_chunk(2, "b.add("),
        choice_chunk(1, "a.wrapping_add(b)"),
        choice_chunk(0, "b"),
        choice_chunk(2, "a)"),
        // A choice that was not asked for is not an answer.
        choice_chunk(3, "unwanted"),
        last.to_string(),
        "[DONE]".into(),
    ]));
    let mut spec = spec(&server);
    spec.fim = Some("native".into());
    spec.max_choices = Some(3);
    let request = GenerateRequest { choices: 3, ..fim_request() };
    let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a + b");
    assert_eq!(answer.alternatives.get(&1).map(String::as_str), Some("a.wrapping_add(b)"));
    assert_eq!(answer.alternatives.get(&2).map(String::as_str), Some("b.add(a)"));
    assert_eq!(answer.alternatives.len(), 2);
    assert_eq!(server.request_count(), 1, "one request for three answers");
    assert_eq!(server.requests()[0].json()["n"], json!(3));
}

#[tokio::test]
async fn several_chat_answers_are_each_extracted_from_their_reply() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(Reply::json(
        200,
        json!({"object":"chat.completion","choices":[
            {"index":0,"message":{"role":"assistant","content":"```rust\na + b\n```"},"finish_reason":"stop"},
            {"index":1,"message":{"role":"assistant","content":"Here you go:\n```rust\nb + a\n```"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":30,"completion_tokens":12}})
        .to_string(),
    ));
    let mut spec = spec(&server);
    spec.fim = Some("chat".into());
    spec.stream = Some(false);
    spec.max_choices = Some(4);
    let request = GenerateRequest { choices: 2, ..fim_request() };
    let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a + b");
    assert_eq!(answer.alternatives.get(&1).map(String::as_str), Some("b + a"));
    let body = server.requests()[0].json();
    assert_eq!(body["n"], json!(2), "asks for what the request wants, within max_choices");
    assert_eq!(answer.usage, Some(Usage::new(30, 12)));
}

#[tokio::test]
async fn a_compatible_server_gets_no_n_unless_configured() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream());
    // The spec points at a loopback server, not OpenAI: `n` is not assumed to work there.
    let request = GenerateRequest { choices: 3, ..chat_request() };
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "Hello");
    assert!(answer.alternatives.is_empty());
    assert!(server.requests()[0].json().get("n").is_none());
}

#[test]
fn the_strict_emulation_refuses_what_openai_refuses() {
    let auth = [("authorization", "Bearer sk-test")];
    let chat = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "stream": true,
        "stream_options": {"include_usage": true}});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::openai,
        "/v1/chat/completions",
        &auth,
        &chat,
        &[
            ("messages", json!([])),
            ("model", Value::Null),
            ("temperature", json!(2.5)),
            ("top_p", json!(1.5)),
            ("n", json!(0)),
            ("n", json!(200)),
            ("stop", json!(["a", "b", "c", "d", "e"])),
            ("stream", json!(false)),
            ("max_completion_tokens", json!(0)),
            ("suffix", json!("x")),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let reasoning = json!({"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::openai,
        "/v1/chat/completions",
        &auth,
        &reasoning,
        &[("temperature", json!(0.2)), ("stop", json!(["\n"])), ("max_tokens", json!(16))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let fim = json!({"model": "gpt-3.5-turbo-instruct", "prompt": "a", "suffix": "b", "max_tokens": 16});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::openai,
        "/v1/completions",
        &auth,
        &fim,
        &[("prompt", Value::Null), ("messages", json!([])), ("stream_options", json!({"include_usage": true}))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn a_reasoning_model_gets_no_temperature_and_no_stop() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream());
    let mut spec = spec(&server);
    spec.model = Some("gpt-5-mini".into());
    let request = GenerateRequest { stop: vec!["\n".into()], temperature: Some(0.2), ..support::rust_fim_request() };
    let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    let body = server.requests()[0].json();
    assert!(body.get("temperature").is_none() && body.get("stop").is_none(), "{body}");
}

#[tokio::test]
async fn a_temperature_above_the_range_is_sent_at_its_top() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.push(hello_stream());
    let request = GenerateRequest { temperature: Some(2.6), ..chat_request() };
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(server.requests()[0].json()["temperature"], json!(2.0));
}

#[test]
fn the_strict_emulation_refuses_what_openrouter_refuses() {
    let chat = json!({"model": "openai/gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::openrouter,
        "/api/v1/chat/completions",
        &[("authorization", "Bearer sk-or-test")],
        &chat,
        &[
            ("model", json!("gpt-4.1-mini")),
            ("messages", json!([])),
            ("temperature", json!(2.5)),
            ("stop", json!(["a", "b", "c", "d", "e"])),
            ("max_tokens", json!(0)),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn openrouter_takes_single_and_multi_line_completions() {
    let server = MockServer::strict(support::vendors::openrouter).await;
    server.set_fallback(Reply::sse_data([chunk("```rust\na + b\n```"), finish_chunk(), "[DONE]".to_owned()]));
    let spec = support::keyed_spec(format!("{}/api/v1", server.url()), "openai/gpt-4.1-mini", KEY);
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, temperature: Some(0.2), ..support::rust_fim_request() };
        let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "a + b");
    }
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn openai_takes_single_and_multi_line_completions_from_a_chat_model() {
    let server = MockServer::strict(support::vendors::openai).await;
    server.set_fallback(Reply::sse_data([
        chunk("```rust\n"),
        chunk("a + b\n```"),
        finish_chunk(),
        "[DONE]".to_owned(),
    ]));
    let spec = support::keyed_spec(format!("{}/v1", server.url()), "gpt-4.1-mini", KEY);
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, temperature: Some(0.2), ..support::rust_fim_request() };
        let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "a + b");
    }
    // The answer opens with its fence: a line-end stop would have ended it there.
    assert!(server.requests().iter().all(|request| request.json().get("stop").is_none()));
}

#[tokio::test]
async fn cached_prompt_tokens_are_read_from_the_usage_chunk() {
    // platform.openai.com/docs/guides/prompt-caching: a prompt of 1,024 tokens or more is
    // cached automatically, and the last chunk (with `stream_options.include_usage`) counts the
    // cached part inside `prompt_tokens`, as `prompt_tokens_details.cached_tokens`.
    let server = MockServer::strict(support::vendors::openai).await;
    let usage = json!({"id":"c1","object":"chat.completion.chunk","choices":[],
        "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
            "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
            "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,
                "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}});
    server.push(Reply::sse_data([chunk("Hi"), finish_chunk(), usage.to_string(), "[DONE]".to_owned()]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.usage, Some(Usage::new(2006, 300).with_cached(1920)));
    assert_eq!(server.requests()[0].json()["stream_options"], json!({"include_usage": true}));
}
