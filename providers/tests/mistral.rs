//! The `mistral` provider against a loopback server speaking Mistral's wire format: Codestral
//! FIM (`/v1/fim/completions`, chat-shaped answers), chat, errors, and misbehaving streams.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::openai_compat::OpenAiCompatible;
use switchboard_providers::{
    ErrorKind, FimMode, GenerateRequest, Provider, ProviderKind, ProviderSpec, StreamEvent, Usage,
};

/// The `mistral` kind: a profile of the OpenAI-compatible provider.
type Mistral = OpenAiCompatible;

fn mistral(name: &str, spec: &ProviderSpec) -> Result<Mistral, String> {
    OpenAiCompatible::from_spec(ProviderKind::Mistral, name, spec)
}

const KEY: &str = "test-mistral-key-0123456789abcdef";

fn spec(server: &MockServer, model: &str) -> ProviderSpec {
    support::keyed_spec(server.url(), model, KEY)
}

fn provider(spec: &ProviderSpec) -> Mistral {
    mistral("mistral-test", spec).expect("valid spec")
}

fn codestral(server: &MockServer) -> Mistral {
    provider(&spec(server, "codestral-latest"))
}

fn chat_request() -> GenerateRequest {
    GenerateRequest { temperature: Some(0.5), ..support::chat_request() }
}

fn fim_request() -> GenerateRequest {
    support::python_fim_request()
}

fn chunk(text: &str) -> String {
    json!({"id":"m1","object":"chat.completion.chunk","created":1,"model":"codestral-latest",
        "choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})
    .to_string()
}

fn finish_chunk() -> String {
    json!({"id":"m1","object":"chat.completion.chunk","created":1,"model":"codestral-latest",
        "choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":15,"total_tokens":19,"completion_tokens":4}})
    .to_string()
}

fn fim_stream() -> Reply {
    Reply::sse_data([chunk("return "), chunk("a + b"), finish_chunk(), "[DONE]".to_owned()])
}

#[tokio::test]
async fn codestral_fim_sends_the_exact_request() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(fim_stream());
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(15, 4)));
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/fim/completions");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(
        request.json(),
        json!({
            "model": "codestral-latest",
            "prompt": "def add(a, b):\n    ",
            "suffix": "\n\nprint(add(1, 2))\n",
            "max_tokens": 48,
            "temperature": 0.0,
            "stop": ["\n\n"],
            "stream": true
        })
    );
}

#[tokio::test]
async fn codestral_fim_whole_answer_is_chat_shaped() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(Reply::json(
        200,
        json!({"id":"m1","object":"chat.completion","model":"codestral-latest","created":1,
            "choices":[{"index":0,"message":{"role":"assistant","content":"return a + b","tool_calls":null},
                "finish_reason":"stop"}],
            "usage":{"prompt_tokens":15,"total_tokens":19,"completion_tokens":4}})
        .to_string(),
    ));
    // A base URL given with `/v1` is not doubled.
    let mut spec = spec(&server, "codestral-2501");
    spec.base_url = Some(format!("{}/v1/", server.url()));
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(15, 4)));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/fim/completions");
    assert_eq!(request.json()["stream"], json!(false));
}

#[tokio::test]
async fn chat_goes_to_chat_completions() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(Reply::sse_data([chunk("Hi"), finish_chunk(), "[DONE]".to_owned()]));
    let answer =
        collect(provider(&spec(&server, "mistral-large-latest")).generate(chat_request()).await.unwrap()).await;
    assert_eq!(answer.text, "Hi");
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.json(),
        json!({
            "model": "mistral-large-latest",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"say hi"}],
            "max_tokens": 64,
            "temperature": 0.5,
            "stream": true
        })
    );
}

#[tokio::test]
async fn fim_on_a_chat_model_is_chat_prompted() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(Reply::sse_data([chunk("```python\n    return a + b\n```"), finish_chunk(), "[DONE]".to_owned()]));
    let provider = provider(&spec(&server, "mistral-large-latest"));
    assert_eq!(provider.capabilities().fim, FimMode::Chat);
    let answer = collect(provider.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");
    assert_eq!(server.requests()[0].path, "/v1/chat/completions");
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
            status: 401,
            body: r#"{"message":"Unauthorized","request_id":"5b2f8c1e0a"}"#,
            kind: ErrorKind::Auth,
        },
        ErrorCase {
            status: 400,
            body: r#"{"object":"error","message":"Prompt contains 40000 tokens, too large for model with 32768 maximum context length","type":"invalid_request_error","param":null,"code":null}"#,
            kind: ErrorKind::InvalidRequest,
        },
        ErrorCase {
            status: 422,
            body: r#"{"object":"error","message":{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"Field required","input":{}}]},"type":"invalid_request_message_error","param":null,"code":null}"#,
            kind: ErrorKind::InvalidRequest,
        },
        ErrorCase { status: 429, body: r#"{"message":"Requests rate limit exceeded"}"#, kind: ErrorKind::RateLimited },
        ErrorCase {
            status: 429,
            body: r#"{"object":"error","message":"You have exceeded your monthly budget. Check your billing settings.","type":"capacity_exceeded","param":null,"code":"3505"}"#,
            kind: ErrorKind::Quota,
        },
        ErrorCase {
            status: 500,
            body: r#"{"object":"error","message":"Internal server error","type":"internal_server_error","param":null,"code":null}"#,
            kind: ErrorKind::Server,
        },
        ErrorCase {
            status: 503,
            body: r#"{"object":"error","message":"Service unavailable","type":"service_unavailable","param":null,"code":"1000"}"#,
            kind: ErrorKind::Overloaded,
        },
    ];
    for case in cases {
        let server = MockServer::strict(support::vendors::mistral).await;
        server.push(Reply::json(case.status, case.body).header("retry-after", "1"));
        let error = failed(codestral(&server).generate(fim_request()).await);
        assert_eq!(error.kind, case.kind, "HTTP {} {}", case.status, case.body);
        assert_eq!(error.status, Some(case.status));
        assert_eq!(error.retry_after, Some(Duration::from_secs(1)));
        assert_eq!(error.provider, "mistral-test");
        assert!(!error.message.is_empty());
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}

#[tokio::test]
async fn an_error_in_a_200_stream_is_classified() {
    let server = MockServer::strict(support::vendors::mistral).await;
    let error = json!({"object":"error","error":{"message":"Service unavailable","code":503}});
    server.push(Reply::sse_data([chunk("par"), error.to_string()]));
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Overloaded);
}

#[tokio::test]
async fn keep_alives_a_drip_a_reset_and_a_cut() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(Reply::sse([
        ": ping\n\n".to_owned(),
        format!("data: {}\n\n", chunk("a")),
        format!("data: {}\n\ndata: [DONE]\n\n", finish_chunk()),
    ]));
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a");

    server.push(fim_stream().drip(Duration::from_millis(40)));
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");

    server.push(Reply::sse_data([chunk("par")]).then_reset());
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);

    server.push(Reply::sse_data([chunk("half")]));
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);
}

#[tokio::test]
async fn a_drip_past_the_deadline_times_out() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(fim_stream().drip(Duration::from_millis(250)));
    let mut request = fim_request();
    request.deadline = deadline_in(400);
    let answer = collect(codestral(&server).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "return ");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_hung_up_on() {
    let server = MockServer::strict_always(support::vendors::mistral, Reply::hang()).await;
    let mut request = fim_request();
    request.deadline = deadline_in(300);
    let error = failed(codestral(&server).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.push(fim_stream().drip(Duration::from_millis(200)).pause_before(0, Duration::ZERO));
    let mut stream = codestral(&server).generate(fim_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("return ".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[test]
fn a_codestral_key_picks_the_codestral_host() {
    let spec = ProviderSpec { api_key_env: Some("CODESTRAL_API_KEY".into()), ..ProviderSpec::default() };
    let provider = mistral("c", &spec).expect("valid");
    assert!(format!("{provider:?}").contains("https://codestral.mistral.ai"), "{provider:?}");
    assert_eq!(provider.capabilities().fim, FimMode::Native, "the default model is codestral-latest");
    let provider = mistral("m", &ProviderSpec::default()).expect("valid");
    assert!(format!("{provider:?}").contains("https://api.mistral.ai"), "{provider:?}");
    let spec = ProviderSpec { fim: Some("codestral".into()), ..ProviderSpec::default() };
    assert!(mistral("m", &spec).unwrap_err().contains("not supported for kind mistral"));
}

#[test]
fn the_strict_emulation_refuses_what_mistral_refuses() {
    let auth = [("authorization", "Bearer test-mistral-key")];
    let fim = json!({"model": "codestral-latest", "prompt": "a", "suffix": "b", "max_tokens": 16, "stream": true});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::mistral,
        "/v1/fim/completions",
        &auth,
        &fim,
        &[
            ("prompt", Value::Null),
            ("model", Value::Null),
            ("stream_options", json!({"include_usage": true})),
            ("n", json!(2)),
            ("max_completion_tokens", json!(16)),
            ("temperature", json!(1.6)),
            ("top_p", json!(1.2)),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let chat = json!({"model": "mistral-small-latest", "messages": [{"role": "user", "content": "hi"}], "n": 2});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::mistral,
        "/v1/chat/completions",
        &auth,
        &chat,
        &[("messages", json!([])), ("stream_options", json!({"include_usage": true}))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn single_and_multi_line_completions_within_mistrals_temperature_range() {
    let server = MockServer::strict(support::vendors::mistral).await;
    server.set_fallback(fim_stream());
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, temperature: Some(1.9), ..fim_request() };
        let answer = collect(codestral(&server).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert!(!answer.text.is_empty());
    }
    assert!(server.requests().iter().all(|request| request.json()["temperature"] == json!(1.5)));
}

#[tokio::test]
async fn a_stream_that_ends_with_finish_reason_error_failed() {
    let server = MockServer::strict(support::vendors::mistral).await;
    let failed_chunk =
        json!({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"error"}]});
    server.push(Reply::sse_data([chunk("a +"), failed_chunk.to_string(), "[DONE]".to_owned()]));
    let answer = collect(codestral(&server).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.map(|error| error.kind), Some(ErrorKind::Server));
}
