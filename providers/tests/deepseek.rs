//! The `deepseek` provider against a loopback server speaking DeepSeek's wire format: chat,
//! FIM through `/beta/completions`, keep-alives, the balance error, and misbehaving streams.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{Body, MockServer, Piece, Reply, collect, deadline_in, failed};
use switchboard_providers::openai_compat::OpenAiCompatible;
use switchboard_providers::{ErrorKind, GenerateRequest, Provider, ProviderKind, ProviderSpec, StreamEvent, Usage};

/// The `deepseek` kind: a profile of the OpenAI-compatible provider.
type DeepSeek = OpenAiCompatible;

fn deepseek(name: &str, spec: &ProviderSpec) -> Result<DeepSeek, String> {
    OpenAiCompatible::from_spec(ProviderKind::Deepseek, name, spec)
}

const KEY: &str = "sk-test-deepseek-0123456789abcdef";

fn spec(server: &MockServer, model: &str) -> ProviderSpec {
    support::keyed_spec(server.url(), model, KEY)
}

fn provider(spec: &ProviderSpec) -> DeepSeek {
    deepseek("deepseek-test", spec).expect("valid spec")
}

fn chat_model(server: &MockServer) -> DeepSeek {
    provider(&spec(server, "deepseek-v4-flash"))
}

fn chat_request() -> GenerateRequest {
    GenerateRequest { stop: vec!["\n\n".into()], temperature: Some(0.5), ..support::chat_request() }
}

fn fim_request(max_tokens: u32) -> GenerateRequest {
    GenerateRequest { max_tokens, ..support::python_fim_request() }
}

fn chunk(text: &str) -> String {
    json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"deepseek-v4-flash",
        "system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":text},"logprobs":null,"finish_reason":null}]})
    .to_string()
}

fn finish_chunk() -> String {
    json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""},
        "finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13,
        "prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":11}})
    .to_string()
}

fn text_chunk(text: &str, finish: Option<&str>) -> String {
    json!({"id":"f1","object":"text_completion","created":1,"model":"deepseek-v4-flash",
        "choices":[{"text":text,"index":0,"logprobs":null,"finish_reason":finish}]})
    .to_string()
}

#[tokio::test]
async fn chat_stream_sends_the_exact_request_and_skips_keep_alives() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse([
        ": keep-alive\n\n".to_owned(),
        format!("data: {}\n\n", chunk("Hel")),
        ": keep-alive\n\n".to_owned(),
        format!("data: {}\n\n", chunk("lo")),
        format!("data: {}\n\ndata: [DONE]\n\n", finish_chunk()),
    ]));
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hello");
    assert_eq!(answer.usage, Some(Usage::new(11, 2)));
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(
        request.json(),
        json!({
            "model": "deepseek-v4-flash",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"say hi"}],
            "max_tokens": 64,
            "temperature": 0.5,
            "stop": ["\n\n"],
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn fim_goes_to_the_beta_completions_endpoint_with_capped_max_tokens() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse_data([
        text_chunk("return ", None),
        text_chunk("a + b", None),
        text_chunk("", Some("stop")),
        json!({"id":"f1","object":"text_completion","choices":[],
            "usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24}})
        .to_string(),
        "[DONE]".to_owned(),
    ]));
    // A user `base_url` with `/v1` still reaches `/beta` at the host.
    let mut spec = spec(&server, "deepseek-v4-flash");
    spec.base_url = Some(format!("{}/v1/", server.url()));
    let answer = collect(provider(&spec).generate(fim_request(8_000)).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(20, 4)));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/beta/completions");
    assert_eq!(
        request.json(),
        json!({
            "model": "deepseek-v4-flash",
            "prompt": "def add(a, b):\n    ",
            "suffix": "\n\nprint(add(1, 2))\n",
            "max_tokens": 4096,
            "temperature": 0.0,
            "stop": ["\n\n"],
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn a_whole_answer_after_keep_alive_blank_lines() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    let body = json!({"id":"f1","object":"text_completion","model":"deepseek-v4-flash",
        "choices":[{"text":"return a + b","index":0,"logprobs":null,"finish_reason":"stop"}],
        "usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24,
            "prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":20}});
    // The blank lines arrive first, then the body, as DeepSeek does while a request is queued.
    let pieces = ["\n".to_owned(), "\n\n".to_owned(), body.to_string()]
        .into_iter()
        .map(|data| Piece { delay: Duration::ZERO, data: data.into_bytes() })
        .collect();
    let reply = Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Pieces(pieces),
    }
    .pause_before(1, Duration::from_millis(50));
    server.push(reply);
    let mut spec = spec(&server, "deepseek-v4-flash");
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(fim_request(32)).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(20, 4)));
    let body = server.requests()[0].json();
    assert_eq!(body["stream"], json!(false));
    assert!(body.get("stream_options").is_none());
}

#[tokio::test]
async fn the_reasoner_is_chat_prompted_for_fim() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    let reasoning = json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,
        "delta":{"content":null,"reasoning_content":"Let me think."},"finish_reason":null}]});
    server.push(Reply::sse_data([
        reasoning.to_string(),
        chunk("```python\n"),
        chunk("return a + b\n```"),
        finish_chunk(),
        "[DONE]".to_owned(),
    ]));
    let answer = collect(provider(&spec(&server, "deepseek-v4-pro")).generate(fim_request(32)).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    let request = &server.requests()[0];
    assert_eq!(request.path, "/chat/completions");
    let user = request.json()["messages"][1]["content"].as_str().unwrap_or_default().to_owned();
    assert!(user.contains("def add(a, b):\n    <CURSOR>\n\nprint(add(1, 2))"), "{user}");
}

struct ErrorCase {
    status: u16,
    body: &'static str,
    kind: ErrorKind,
}

#[tokio::test]
async fn every_error_is_classified() {
    let cases = [
        ErrorCase {
            status: 400,
            body: r#"{"error":{"message":"Invalid request: missing field `messages`","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
            kind: ErrorKind::InvalidRequest,
        },
        ErrorCase {
            status: 401,
            body: r#"{"error":{"message":"Authentication Fails, Your api key: ****cdef is invalid","type":"authentication_error","param":null,"code":"invalid_request_error"}}"#,
            kind: ErrorKind::Auth,
        },
        ErrorCase {
            status: 402,
            body: r#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#,
            kind: ErrorKind::Quota,
        },
        ErrorCase {
            status: 422,
            body: r#"{"error":{"message":"Invalid max_tokens value, the valid range of max_tokens is [1, 8192]","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
            kind: ErrorKind::InvalidRequest,
        },
        ErrorCase {
            status: 429,
            body: r#"{"error":{"message":"Rate Limit Reached","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#,
            kind: ErrorKind::RateLimited,
        },
        ErrorCase {
            status: 500,
            body: r#"{"error":{"message":"Server Error","type":"server_error","param":null,"code":"internal_error"}}"#,
            kind: ErrorKind::Server,
        },
        ErrorCase {
            status: 503,
            body: r#"{"error":{"message":"Server Overloaded","type":"server_error","param":null,"code":"overloaded"}}"#,
            kind: ErrorKind::Overloaded,
        },
    ];
    for case in cases {
        let server = MockServer::strict(support::vendors::deepseek).await;
        server.push(Reply::json(case.status, case.body).header("retry-after", "2"));
        let error = failed(chat_model(&server).generate(chat_request()).await);
        assert_eq!(error.kind, case.kind, "HTTP {} {}", case.status, case.body);
        assert_eq!(error.status, Some(case.status));
        assert_eq!(error.retry_after, Some(Duration::from_secs(2)));
        assert_eq!(error.provider, "deepseek-test");
        assert!(!error.message.is_empty());
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}

#[tokio::test]
async fn an_error_in_a_200_stream_is_classified() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    let error =
        json!({"error":{"message":"Insufficient Balance","type":"unknown_error","code":"invalid_request_error"}});
    server.push(Reply::sse_data([chunk("par"), error.to_string()]));
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Quota);
}

#[tokio::test]
async fn a_malformed_chunk_is_a_bad_response() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse_data([chunk("ok"), "{oops".to_owned()]));
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "ok");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);
}

#[tokio::test]
async fn a_slow_drip_completes_and_a_late_one_times_out() {
    let stream = || Reply::sse_data([chunk("a"), chunk("b"), finish_chunk(), "[DONE]".to_owned()]);
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(stream().drip(Duration::from_millis(40)));
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "ab");

    server.push(stream().drip(Duration::from_millis(250)));
    let mut request = chat_request();
    request.deadline = deadline_in(400);
    let answer = collect(chat_model(&server).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "a");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_reset_mid_stream_is_a_network_error() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse_data([chunk("par")]).then_reset());
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_stream_cut_short_is_a_network_error() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse_data([chunk("half")]));
    let answer = collect(chat_model(&server).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_hung_up_on() {
    let server = MockServer::strict_always(support::vendors::deepseek, Reply::hang()).await;
    let mut request = fim_request(32);
    request.deadline = deadline_in(300);
    let error = failed(chat_model(&server).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(
        Reply::sse_data([chunk("a"), chunk("b"), finish_chunk(), "[DONE]".to_owned()])
            .drip(Duration::from_millis(200))
            .pause_before(0, Duration::ZERO),
    );
    let mut stream = chat_model(&server).generate(chat_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("a".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[test]
fn config() {
    let spec = ProviderSpec { fim: Some("codellama".into()), ..ProviderSpec::default() };
    let error = deepseek("d", &spec).unwrap_err();
    assert_eq!(error, "fim = \"codellama\" is not supported for kind deepseek; use \"native\" or \"chat\"");
    // Unknown DeepSeek models are chat-prompted, not sent to the FIM beta.
    let spec = ProviderSpec { model: Some("deepseek-v9".into()), ..ProviderSpec::default() };
    let provider = deepseek("d", &spec).expect("valid");
    assert_eq!(provider.capabilities().fim, switchboard_providers::FimMode::Chat);
}

#[test]
fn the_strict_emulation_refuses_what_deepseek_refuses() {
    let auth = [("authorization", "Bearer sk-test")];
    let fim = json!({"model": "deepseek-v4-flash", "prompt": "a", "suffix": "b", "max_tokens": 16, "stream": true,
        "stream_options": {"include_usage": true}});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::deepseek,
        "/beta/completions",
        &auth,
        &fim,
        &[
            ("model", json!("deepseek-chat")),
            ("model", json!("deepseek-v4-pro")),
            ("prompt", Value::Null),
            ("max_tokens", json!(5000)),
            ("n", json!(3)),
            ("temperature", json!(2.5)),
            ("stop", json!(vec!["x"; 17])),
            ("stream", json!(false)),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let chat = json!({"model": "deepseek-v4-pro", "messages": [{"role": "user", "content": "hi"}]});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::deepseek,
        "/chat/completions",
        &auth,
        &chat,
        &[("model", json!("deepseek-reasoner")), ("messages", json!([]))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn the_default_model_is_one_deepseek_still_serves() {
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.set_fallback(Reply::sse_data([text_chunk("a + b", Some("stop")), "[DONE]".to_owned()]));
    let spec = ProviderSpec { model: None, ..spec(&server, "unused") };
    let deepseek = provider(&spec);
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, ..fim_request(64) };
        let answer = collect(deepseek.generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "a + b");
    }
    assert_eq!(server.requests()[0].json()["model"], json!("deepseek-v4-flash"));
}

#[tokio::test]
async fn cache_hit_tokens_are_the_cached_prompt_tokens() {
    // api-docs.deepseek.com/guides/kv_cache: `prompt_tokens` = `prompt_cache_hit_tokens` +
    // `prompt_cache_miss_tokens`; the hits are billed at the cache price.
    let server = MockServer::strict(support::vendors::deepseek).await;
    server.push(Reply::sse_data([
        text_chunk("a + b", None),
        text_chunk("", Some("stop")),
        json!({"id":"f1","object":"text_completion","choices":[],
            "usage":{"prompt_tokens":1300,"completion_tokens":4,"total_tokens":1304,
                "prompt_cache_hit_tokens":1280,"prompt_cache_miss_tokens":20}})
        .to_string(),
        "[DONE]".to_owned(),
    ]));
    let spec = spec(&server, "deepseek-v4-flash");
    let answer = collect(provider(&spec).generate(fim_request(64)).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.usage, Some(Usage::new(1300, 4).with_cached(1280)));
}
