//! The `ollama` provider against a loopback server speaking Ollama's API: `/api/generate` with
//! `suffix`, the "does not support insert" fallbacks (raw template, chat), `/api/chat`, NDJSON
//! streams with a final `done` line, `{"error"}` lines after 200, and misbehaving streams.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::ollama::Ollama;
use switchboard_providers::{
    ErrorKind, FimPrompt, GenerateRequest, Prompt, Provider, ProviderSpec, Snippet, StreamEvent, Usage,
};

fn spec(server: &MockServer, model: &str) -> ProviderSpec {
    ProviderSpec { model: Some(model.into()), base_url: Some(server.url()), ..ProviderSpec::default() }
}

fn provider(spec: &ProviderSpec) -> Ollama {
    Ollama::from_spec("ollama-test", spec).expect("valid spec")
}

fn fim_request() -> GenerateRequest {
    let fim = FimPrompt {
        extra: vec![Snippet { path: "util.py".into(), text: "def sub(a, b):\n    return a - b\n".into() }],
        path: Some("main.py".into()),
        ..support::python_fim()
    };
    GenerateRequest { prompt: Prompt::Fim(fim.into()), ..support::python_fim_request() }
}

fn chat_request() -> GenerateRequest {
    support::chat_request()
}

fn line(text: &str) -> String {
    format!(
        "{}\n",
        json!({"model":"qwen2.5-coder:1.5b-base","created_at":"2026-11-25T12:00:00.000Z","response":text,"done":false})
    )
}

fn done_line() -> String {
    format!(
        "{}\n",
        json!({"model":"qwen2.5-coder:1.5b-base","created_at":"2026-11-25T12:00:01.000Z","response":"","done":true,
            "done_reason":"stop","context":[1,2,3],"total_duration":5_000_000_u64,"load_duration":1_000_000_u64,
            "prompt_eval_count":26,"prompt_eval_duration":1_000_000_u64,"eval_count":5,"eval_duration":2_000_000_u64})
    )
}

fn chat_line(text: &str) -> String {
    format!(
        "{}\n",
        json!({"model":"qwen2.5-coder:7b","created_at":"2026-11-25T12:00:00.000Z",
            "message":{"role":"assistant","content":text},"done":false})
    )
}

fn chat_done_line() -> String {
    format!(
        "{}\n",
        json!({"model":"qwen2.5-coder:7b","created_at":"2026-11-25T12:00:01.000Z",
            "message":{"role":"assistant","content":""},"done":true,"done_reason":"stop",
            "prompt_eval_count":30,"eval_count":6})
    )
}

fn fim_stream() -> Reply {
    Reply::ndjson([line("return "), line("a + b"), done_line()])
}

fn no_insert(model: &str) -> Reply {
    Reply::json(
        400,
        json!({"error": format!("registry.ollama.ai/library/{model} does not support insert")}).to_string(),
    )
}

#[tokio::test]
async fn fim_sends_suffix_to_api_generate() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(fim_stream());
    let mut spec = spec(&server, "qwen2.5-coder:1.5b-base");
    spec.keep_alive = Some("30m".into());
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(26, 5)));
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/generate");
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "model": "qwen2.5-coder:1.5b-base",
            "prompt": "def add(a, b):\n    ",
            "suffix": "\n\nprint(add(1, 2))\n",
            "stream": true,
            "options": {"num_predict": 48, "temperature": 0.0, "stop": ["\n\n"]},
            "keep_alive": "30m"
        })
    );
}

#[tokio::test]
async fn no_insert_falls_back_to_the_raw_template_and_remembers() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(no_insert("qwen2.5-coder:7b-instruct"));
    server.push(fim_stream());
    server.push(fim_stream());
    let provider = provider(&spec(&server, "qwen2.5-coder:7b-instruct"));
    let answer = collect(provider.generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    let answer = collect(provider.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");

    let requests = server.requests();
    assert_eq!(requests.len(), 3, "the refused round trip is paid once");
    assert!(requests[0].json().get("suffix").is_some());
    for retried in &requests[1..] {
        assert_eq!(retried.path, "/api/generate");
        assert_eq!(
            retried.json(),
            json!({
                "model": "qwen2.5-coder:7b-instruct",
                "prompt": "<|repo_name|>project\n<|file_sep|>util.py\ndef sub(a, b):\n    return a - b\n\
                           <|file_sep|>main.py\n<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
                "raw": true,
                "stream": true,
                "options": {"num_predict": 48, "temperature": 0.0,
                    "stop": ["\n\n", "<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"]}
            })
        );
    }
}

#[tokio::test]
async fn no_insert_without_a_known_template_falls_back_to_chat() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(no_insert("llama3.2:3b"));
    server.push(Reply::ndjson([chat_line("```python\n"), chat_line("return a + b\n```"), chat_done_line()]));
    server.push(Reply::ndjson([chat_line("return a * b"), chat_done_line()]));
    let provider = provider(&spec(&server, "llama3.2:3b"));
    let answer = collect(provider.generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(30, 6)));
    let answer = collect(provider.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a * b");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].path, "/api/chat");
    assert_eq!(requests[2].path, "/api/chat");
    let body = requests[1].json();
    assert_eq!(body["messages"][0]["role"], json!("system"));
    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(user.contains("def add(a, b):\n    <CURSOR>\n\nprint(add(1, 2))"), "{user}");
    assert!(user.contains("util.py"), "{user}");
}

#[tokio::test]
async fn a_configured_template_goes_raw_at_once() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(fim_stream());
    let mut spec = spec(&server, "my-finetune");
    spec.fim = Some("codellama".into());
    spec.context_tokens = Some(8192);
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");
    let body = server.requests()[0].json();
    assert_eq!(body["prompt"], json!("<PRE> def add(a, b):\n     <SUF>\n\nprint(add(1, 2))\n <MID>"));
    assert_eq!(body["raw"], json!(true));
    assert_eq!(body["options"]["stop"], json!(["\n\n", "<EOT>"]));
    assert_eq!(body["options"]["num_ctx"], json!(8192));
}

#[tokio::test]
async fn chat_uses_api_chat() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(Reply::ndjson([chat_line("Hi"), chat_line(" there"), chat_done_line()]));
    let answer = collect(provider(&spec(&server, "qwen2.5-coder:7b")).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hi there");
    assert_eq!(answer.usage, Some(Usage::new(30, 6)));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/api/chat");
    assert_eq!(
        request.json(),
        json!({
            "model": "qwen2.5-coder:7b",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"say hi"}],
            "stream": true,
            "options": {"num_predict": 64}
        })
    );
}

#[tokio::test]
async fn a_whole_answer_without_streaming() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(Reply::json(
        200,
        json!({"model":"qwen2.5-coder:1.5b-base","created_at":"2026-11-25T12:00:00Z","response":"return a + b",
            "done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":5})
        .to_string(),
    ));
    let mut spec = spec(&server, "qwen2.5-coder:1.5b-base");
    spec.stream = Some(false);
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(26, 5)));
    assert_eq!(server.requests()[0].json()["stream"], json!(false));
}

#[tokio::test]
async fn an_error_line_after_200_is_classified() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(Reply::ndjson([
        line("ret"),
        "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n".to_owned(),
    ]));
    let mut stream = provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(fim_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("ret".into()));
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server);
    assert_eq!(error.message, "an error was encountered while running the model: unexpected EOF");
    assert!(stream.next().await.is_none(), "the stream ends after an error");
}

#[tokio::test]
async fn every_error_is_classified() {
    let cases = [
        (404, r#"{"error":"model \"qwen9\" not found, try pulling it first"}"#, ErrorKind::InvalidRequest),
        (400, r#"{"error":"invalid options: num_predict"}"#, ErrorKind::InvalidRequest),
        (429, r#"{"error":"too many requests"}"#, ErrorKind::RateLimited),
        (500, r#"{"error":"llama runner process has terminated: signal: killed"}"#, ErrorKind::Server),
        (502, r#"{"error":"an error was encountered while running the model"}"#, ErrorKind::Server),
        (
            503,
            r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
            ErrorKind::Overloaded,
        ),
    ];
    for (status, body, kind) in cases {
        let server = MockServer::strict(support::vendors::ollama).await;
        server.push(Reply::json(status, body));
        let error = failed(provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(fim_request()).await);
        assert_eq!(error.kind, kind, "HTTP {status} {body}");
        assert_eq!(error.status, Some(status));
        assert_eq!(error.provider, "ollama-test");
        assert_eq!(server.request_count(), 1, "HTTP {status}: no fallback for other errors");
    }
}

#[tokio::test]
async fn a_malformed_line_a_cut_a_reset_and_a_drip() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(Reply::ndjson([line("ok"), "{not json\n".to_owned()]));
    let ollama = provider(&spec(&server, "qwen2.5-coder:1.5b-base"));
    let answer = collect(ollama.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "ok");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);

    server.push(Reply::ndjson([line("half")]));
    let answer = collect(ollama.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network, "no done line");

    server.push(Reply::ndjson([line("par")]).then_reset());
    let answer = collect(ollama.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);

    server.push(fim_stream().drip(Duration::from_millis(40)));
    let answer = collect(ollama.generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");

    // A line split across chunks is reassembled.
    let whole = line("return a + b");
    let (first, second) = whole.split_at(20);
    server.push(Reply::ndjson([first.to_owned(), second.to_owned(), done_line()]));
    let answer = collect(ollama.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");
}

#[tokio::test]
async fn a_drip_past_the_deadline_times_out() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(fim_stream().drip(Duration::from_millis(250)));
    let mut request = fim_request();
    request.deadline = deadline_in(400);
    let answer = collect(provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "return ");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_hung_up_on() {
    let server = MockServer::strict_always(support::vendors::ollama, Reply::hang()).await;
    let mut request = fim_request();
    request.deadline = deadline_in(300);
    let error = failed(provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.push(fim_stream().drip(Duration::from_millis(200)).pause_before(0, Duration::ZERO));
    let mut stream = provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(fim_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("return ".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[test]
fn the_strict_emulation_refuses_what_ollama_refuses() {
    let generate = json!({"model": "qwen2.5-coder:1.5b-base", "prompt": "a", "suffix": "b", "stream": true,
        "options": {"num_predict": 16, "temperature": 0.2, "stop": ["\n"]}, "keep_alive": "30m"});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::ollama,
        "/api/generate",
        &[],
        &generate,
        &[
            ("model", Value::Null),
            ("keep_alive", json!("3600")),
            ("keep_alive", json!("-1")),
            ("options", json!({"num_predict": "16"})),
            ("options", json!({"stop": "\n"})),
            ("prompt", json!(["a"])),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let raw = json!({"model": "qwen2.5-coder:1.5b-base", "prompt": "<|fim_prefix|>a", "raw": true});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::ollama,
        "/api/generate",
        &[],
        &raw,
        &[("system", json!("be brief")), ("template", json!("{{ .Prompt }}"))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn single_and_multi_line_completions_native_and_chat() {
    let server = MockServer::strict(support::vendors::ollama).await;
    server.set_fallback(fim_stream());
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, ..fim_request() };
        let answer =
            collect(provider(&spec(&server, "qwen2.5-coder:1.5b-base")).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "return a + b");
    }
    let chat = MockServer::strict(support::vendors::ollama).await;
    chat.set_fallback(Reply::ndjson([chat_line("```python\n"), chat_line("return a + b\n```"), chat_done_line()]));
    let mut spec = spec(&chat, "qwen2.5-coder:7b");
    spec.fim = Some("chat".into());
    let request = GenerateRequest { stop: vec!["\n".to_owned()], ..fim_request() };
    let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");
    // Asked of a chat model, the answer opens with its fence: no line-end stop may end it there.
    assert!(chat.requests()[0].json()["options"].get("stop").is_none());
}
