//! The `gemini` provider against a loopback server speaking the native Gemini API: exact
//! requests, streamed and whole answers, Google RPC errors, and misbehaving streams.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use support::{ErrorCase, MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::gemini::Gemini;
use switchboard_providers::{
    ChatMessage, ChatPrompt, ChatRole, ErrorKind, GenerateRequest, Prompt, Provider, ProviderSpec, Purpose,
    StreamEvent, Usage,
};

const KEY: &str = "AIza-test-gemini-0123456789abcdef";

fn spec(server: &MockServer, model: &str) -> ProviderSpec {
    support::keyed_spec(server.url(), model, KEY)
}

fn provider(spec: &ProviderSpec) -> Gemini {
    Gemini::from_spec("gemini-test", spec).expect("valid spec")
}

fn flash(server: &MockServer) -> Gemini {
    provider(&spec(server, "gemini-2.5-flash"))
}

fn chat_request() -> GenerateRequest {
    GenerateRequest {
        prompt: Prompt::Chat(ChatPrompt {
            system: Some("be brief".into()),
            messages: vec![
                ChatMessage { role: ChatRole::User, content: "say hi".into() },
                ChatMessage { role: ChatRole::Assistant, content: "Hi".into() },
                ChatMessage { role: ChatRole::User, content: "again".into() },
            ],
            stable_prefix: None,
        }),
        max_tokens: 64,
        stop: vec!["\n\n".into()],
        temperature: Some(0.2),
        deadline: deadline_in(5_000),
        purpose: Purpose::CodeAction,
        choices: 1,
    }
}

fn fim_request() -> GenerateRequest {
    support::rust_fim_request()
}

fn chunk(text: &str) -> String {
    json!({"candidates":[{"content":{"role":"model","parts":[{"text":text}]},"index":0}],
        "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash"})
    .to_string()
}

fn last_chunk(text: &str) -> String {
    json!({"candidates":[{"content":{"role":"model","parts":[{"text":text}]},"finishReason":"STOP","index":0}],
        "usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3,"totalTokenCount":12},
        "modelVersion":"gemini-2.5-flash"})
    .to_string()
}

fn hello_stream() -> Reply {
    Reply::sse_data([chunk("Hel"), chunk("lo"), last_chunk("!")])
}

#[tokio::test]
async fn stream_sends_the_exact_request() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(hello_stream());
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello!");
    assert_eq!(answer.usage, Some(Usage::new(9, 3)));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assert_eq!(request.header("x-goog-api-key"), Some(KEY));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "contents": [
                {"role":"user","parts":[{"text":"say hi"}]},
                {"role":"model","parts":[{"text":"Hi"}]},
                {"role":"user","parts":[{"text":"again"}]}
            ],
            "systemInstruction": {"parts":[{"text":"be brief"}]},
            "generationConfig": {
                "maxOutputTokens": 64,
                "temperature": 0.2,
                "stopSequences": ["\n\n"],
                "thinkingConfig": {"thinkingBudget": 0}
            }
        })
    );
}

#[tokio::test]
async fn whole_answer_without_streaming_and_no_thinking_switch_on_pro() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::json(
        200,
        json!({"candidates":[{"content":{"role":"model","parts":[
                {"text":"pondering","thought":true},{"text":"Hi there"}]},"finishReason":"STOP","index":0}],
            "usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"thoughtsTokenCount":7,"totalTokenCount":14}})
        .to_string(),
    ));
    let mut spec = spec(&server, "models/gemini-2.5-pro");
    spec.stream = Some(false);
    // A base URL copied with `/v1beta` is not doubled.
    spec.base_url = Some(format!("{}/v1beta/", server.url()));
    let answer = collect(provider(&spec).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "Hi there", "thought parts are not the answer");
    assert_eq!(answer.usage, Some(Usage::new(5, 9)));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1beta/models/gemini-2.5-pro:generateContent");
    assert!(request.json()["generationConfig"].get("thinkingConfig").is_none());
}

#[tokio::test]
async fn fim_is_chat_prompted_and_the_code_extracted() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse_data([chunk("Here is the code:\n```rust\n"), chunk("    a + b\n"), last_chunk("```\n")]));
    let answer = collect(flash(&server).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a + b");
    assert_eq!(answer.usage, Some(Usage::new(9, 3)));
    let body = server.requests()[0].json();
    let user = body["contents"][0]["parts"][0]["text"].as_str().unwrap_or_default();
    assert!(user.contains("fn add(a: i32, b: i32) -> i32 {\n    <CURSOR>\n}"), "{user}");
    assert!(body["systemInstruction"]["parts"][0]["text"].as_str().unwrap_or_default().contains("<CURSOR>"));
    assert_eq!(body["generationConfig"]["maxOutputTokens"], json!(32));
}

#[tokio::test]
async fn every_error_is_classified() {
    let cases = [
        ErrorCase {
            status: 429,
            body: r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#,
            headers: &[],
            kind: ErrorKind::RateLimited,
            retry_after: Some(Duration::from_secs(37)),
        },
        ErrorCase {
            status: 429,
            body: r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}"#,
            headers: &[],
            kind: ErrorKind::Quota,
            retry_after: None,
        },
        ErrorCase {
            status: 429,
            body: r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
            headers: &[("retry-after", "4")],
            kind: ErrorKind::RateLimited,
            retry_after: Some(Duration::from_secs(4)),
        },
        ErrorCase {
            status: 400,
            body: r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#,
            headers: &[],
            kind: ErrorKind::Auth,
            retry_after: None,
        },
        ErrorCase {
            status: 403,
            body: r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#,
            headers: &[],
            kind: ErrorKind::Auth,
            retry_after: None,
        },
        ErrorCase {
            status: 400,
            body: r#"{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}"#,
            headers: &[],
            kind: ErrorKind::InvalidRequest,
            retry_after: None,
        },
        ErrorCase {
            status: 404,
            body: r#"{"error":{"code":404,"message":"models/gemini-nope is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}"#,
            headers: &[],
            kind: ErrorKind::InvalidRequest,
            retry_after: None,
        },
        ErrorCase {
            status: 500,
            body: r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#,
            headers: &[],
            kind: ErrorKind::Server,
            retry_after: None,
        },
        ErrorCase {
            status: 503,
            body: r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
            headers: &[],
            kind: ErrorKind::Overloaded,
            retry_after: None,
        },
        ErrorCase {
            status: 504,
            body: r#"{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}"#,
            headers: &[],
            kind: ErrorKind::Timeout,
            retry_after: None,
        },
        ErrorCase {
            status: 502,
            body: "<html><body>Bad Gateway</body></html>",
            headers: &[],
            kind: ErrorKind::Server,
            retry_after: None,
        },
    ];
    for case in cases {
        let server = MockServer::strict(support::vendors::gemini).await;
        server.push(case.reply());
        let error = failed(flash(&server).generate(chat_request()).await);
        assert_eq!(error.kind, case.kind, "HTTP {} {}", case.status, case.body);
        assert_eq!(error.status, Some(case.status));
        assert_eq!(error.retry_after, case.retry_after, "HTTP {} {}", case.status, case.body);
        assert_eq!(error.provider, "gemini-test");
        assert!(!error.message.is_empty());
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}

#[tokio::test]
async fn an_error_in_a_200_stream_is_classified() {
    let server = MockServer::strict(support::vendors::gemini).await;
    let error = json!({"error":{"code":503,"message":"The model is overloaded. Please try again later.",
        "status":"UNAVAILABLE"}});
    server.push(Reply::sse_data([chunk("par"), error.to_string()]));
    let mut stream = flash(&server).generate(chat_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("par".into()));
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Overloaded);
    assert_eq!(error.message, "The model is overloaded. Please try again later.");
    assert!(stream.next().await.is_none(), "the stream ends after an error");
}

#[tokio::test]
async fn a_blocked_prompt_is_an_invalid_request() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse_data([json!({"promptFeedback":{"blockReason":"SAFETY"},
        "usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}})
    .to_string()]));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    let error = answer.error.expect("an error");
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert!(error.message.contains("SAFETY"), "{}", error.message);
}

#[tokio::test]
async fn comments_and_blank_lines_are_tolerated() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse([
        ": keep-alive\n\n".to_owned(),
        "\n".to_owned(),
        format!("data: {}\n\n", chunk("a")),
        format!("data: {}\r\n\r\n", last_chunk("b")),
    ]));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "ab");
}

#[tokio::test]
async fn a_malformed_chunk_is_a_bad_response() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse_data([chunk("ok"), "{\"candidates\": [".to_owned()]));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "ok");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);
}

#[tokio::test]
async fn a_stream_without_finish_reason_is_cut_short() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse_data([chunk("half")]));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "half");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_slow_drip_within_the_deadline_completes() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(hello_stream().drip(Duration::from_millis(40)));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello!");
}

#[tokio::test]
async fn a_drip_past_the_deadline_times_out() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(hello_stream().drip(Duration::from_millis(250)));
    let mut request = chat_request();
    request.deadline = deadline_in(400);
    let answer = collect(flash(&server).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "Hel");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_reset_mid_stream_is_a_network_error() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(Reply::sse_data([chunk("par")]).then_reset());
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_the_deadline() {
    let server = MockServer::strict_always(support::vendors::gemini, Reply::hang()).await;
    let mut request = chat_request();
    request.deadline = deadline_in(300);
    let started = tokio::time::Instant::now();
    let error = failed(flash(&server).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(hello_stream().drip(Duration::from_millis(200)).pause_before(0, Duration::ZERO));
    let mut stream = flash(&server).generate(chat_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("Hel".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[tokio::test]
async fn the_key_defaults_to_gemini_api_key() {
    let server = MockServer::strict(support::vendors::gemini).await;
    let mut spec = spec(&server, "gemini-2.5-flash");
    spec.api_key = None;
    spec.api_key_env = Some("SWITCHBOARD_TEST_SURELY_UNSET_GEMINI_KEY".into());
    let error = failed(provider(&spec).generate(chat_request()).await);
    assert_eq!(error.kind, ErrorKind::Auth);
    assert_eq!(error.message, "environment variable SWITCHBOARD_TEST_SURELY_UNSET_GEMINI_KEY is not set");
    assert_eq!(server.request_count(), 0);
}

#[test]
fn config_errors_say_what_to_fix() {
    let spec = ProviderSpec { fim: Some("native".into()), ..ProviderSpec::default() };
    let error = Gemini::from_spec("g", &spec).unwrap_err();
    assert_eq!(error, "fim = \"native\" is not supported for kind gemini; use \"chat\"");
}

#[test]
fn the_strict_emulation_refuses_what_gemini_refuses() {
    let valid = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"maxOutputTokens": 64, "temperature": 0.2, "thinkingConfig": {"thinkingBudget": 0}}});
    let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
    let wrong = support::vendors::wrongly_judged(
        support::vendors::gemini,
        path,
        &[("x-goog-api-key", KEY)],
        &valid,
        &[
            ("contents", json!([])),
            ("contents", json!([{"role": "assistant", "parts": [{"text": "hi"}]}])),
            ("max_tokens", json!(64)),
            ("generationConfig", json!({"temperature": 2.5})),
            ("generationConfig", json!({"stopSequences": ["a", "b", "c", "d", "e", "f"]})),
            ("generationConfig", json!({"maxOutputTokens": 0})),
            ("generationConfig", json!({"stop": ["\n"]})),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let pro = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}});
    let refused = support::vendors::gemini(&support::Recorded {
        method: "POST".into(),
        path: "/v1beta/models/gemini-2.5-pro:generateContent".into(),
        headers: vec![("x-goog-api-key".into(), KEY.into())],
        body: pro.to_string(),
    });
    assert!(refused.is_some(), "2.5 Pro only works in thinking mode");
}

#[tokio::test]
async fn single_and_multi_line_completions_get_the_code() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.set_fallback(Reply::sse_data([chunk("```rust\n"), chunk("a + b\n"), last_chunk("```\n")]));
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, temperature: Some(2.3), ..fim_request() };
        let answer = collect(flash(&server).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "a + b");
    }
    for request in server.requests() {
        let config = &request.json()["generationConfig"];
        // The answer opens with its fence: a line-end stop would have ended it there.
        assert!(config.get("stopSequences").is_none(), "{config}");
        assert_eq!(config["temperature"], json!(2.0), "within Gemini's range");
    }
}

#[tokio::test]
async fn output_tokens_stay_within_the_models_limit() {
    let server = MockServer::strict(support::vendors::gemini).await;
    server.push(hello_stream());
    let request = GenerateRequest { max_tokens: 20_000, ..chat_request() };
    let answer = collect(provider(&spec(&server, "gemini-2.0-flash")).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(server.requests()[0].json()["generationConfig"]["maxOutputTokens"], json!(8192));
}

#[tokio::test]
async fn cached_content_tokens_are_read_from_usage_metadata() {
    // ai.google.dev/api/generate-content#UsageMetadata: `promptTokenCount` includes the
    // `cachedContentTokenCount` that implicit caching (Gemini 2.5) read from its cache.
    let server = MockServer::strict(support::vendors::gemini).await;
    let last = json!({"candidates":[{"content":{"role":"model","parts":[{"text":"!"}]},"finishReason":"STOP","index":0}],
        "usageMetadata":{"promptTokenCount":2100,"candidatesTokenCount":3,"totalTokenCount":2103,
            "cachedContentTokenCount":2048,
            "promptTokensDetails":[{"modality":"TEXT","tokenCount":2100}],
            "cacheTokensDetails":[{"modality":"TEXT","tokenCount":2048}]},
        "modelVersion":"gemini-2.5-flash"});
    server.push(Reply::sse_data([chunk("Hel"), last.to_string()]));
    let answer = collect(flash(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.usage, Some(Usage::new(2100, 3).with_cached(2048)));
}
