//! The `llamacpp` provider against a loopback server speaking llama-server's API: `/infill`
//! with `input_extra`, `cache_prompt` and `t_max_predict_ms`; SSE without `[DONE]` that ends on
//! `"stop": true`; `/completion` with a built-in template; `/v1/chat/completions`; errors.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{MockServer, Reply, collect, deadline_in, failed};
use switchboard_providers::llamacpp::LlamaCpp;
use switchboard_providers::{
    ErrorKind, FimPrompt, GenerateRequest, Prompt, Provider, ProviderSpec, Secret, Snippet, StreamEvent, Usage,
};

fn spec(server: &MockServer) -> ProviderSpec {
    ProviderSpec { base_url: Some(server.url()), ..ProviderSpec::default() }
}

fn provider(spec: &ProviderSpec) -> LlamaCpp {
    LlamaCpp::from_spec("llamacpp-test", spec).expect("valid spec")
}

fn fim_request() -> GenerateRequest {
    let fim = FimPrompt {
        extra: vec![Snippet { path: "util.py".into(), text: "def sub(a, b):\n    return a - b\n".into() }],
        path: Some("main.py".into()),
        ..support::python_fim()
    };
    GenerateRequest { prompt: Prompt::Fim(fim.into()), temperature: Some(0.1), ..support::python_fim_request() }
}

fn chat_request() -> GenerateRequest {
    GenerateRequest { deadline: None, ..support::chat_request() }
}

fn piece(text: &str) -> String {
    json!({"index":0,"content":text,"tokens":[1],"stop":false,"id_slot":0,"tokens_predicted":1,"tokens_evaluated":40})
        .to_string()
}

fn stop_piece() -> String {
    json!({"index":0,"content":"","tokens":[],"id_slot":0,"stop":true,"model":"qwen2.5-coder-1.5b-q8_0.gguf",
        "tokens_predicted":5,"tokens_evaluated":40,"stop_type":"eos","stopping_word":"","tokens_cached":44,
        "timings":{"prompt_n":12,"prompt_ms":20.1,"predicted_n":5,"predicted_ms":30.2}})
    .to_string()
}

fn infill_stream() -> Reply {
    Reply::sse_data([piece("return "), piece("a + b"), stop_piece()])
}

#[tokio::test]
async fn infill_sends_the_exact_request() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(infill_stream());
    let answer = collect(provider(&spec(&server)).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    // 40 prompt tokens, 12 of them processed anew: 28 came from the slot's cache.
    assert_eq!(answer.usage, Some(Usage::new(40, 5).with_cached(28)));
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/infill");
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    let mut body = request.json();
    // The budget is what is left of the 5 s deadline when the request is built.
    let budget = body["t_max_predict_ms"].as_u64().unwrap_or(0);
    assert!((4_000..=5_000).contains(&budget), "{budget}");
    body["t_max_predict_ms"] = json!("checked");
    assert_eq!(
        body,
        json!({
            "input_prefix": "def add(a, b):\n    ",
            "input_suffix": "\n\nprint(add(1, 2))\n",
            "input_extra": [{"filename":"util.py","text":"def sub(a, b):\n    return a - b\n"}],
            "n_predict": 48,
            "temperature": 0.1,
            "stop": ["\n\n"],
            "stream": true,
            "cache_prompt": true,
            "t_max_predict_ms": "checked"
        })
    );
}

#[tokio::test]
async fn the_stream_ends_at_stop_true_even_if_the_server_keeps_the_connection() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    // Anything after the stop line is never read: the answer is complete.
    server.push(Reply::sse_data([piece("a"), stop_piece(), piece("never")]).pause_before(2, Duration::from_secs(30)));
    let mut request = fim_request();
    request.deadline = deadline_in(2_000);
    let started = tokio::time::Instant::now();
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "a");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_whole_answer_and_a_key() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(Reply::json(
        200,
        json!({"index":0,"content":"return a + b","tokens":[],"id_slot":0,"stop":true,"tokens_predicted":5,
            "tokens_evaluated":40,"timings":{"prompt_n":40,"predicted_n":5}})
        .to_string(),
    ));
    let mut spec = spec(&server);
    spec.stream = Some(false);
    spec.api_key = Some(Secret::new("llama-server-key-0123456789"));
    let mut request = fim_request();
    request.deadline = None;
    let answer = collect(provider(&spec).generate(request).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    assert_eq!(answer.usage, Some(Usage::new(40, 5)));
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer llama-server-key-0123456789"));
    let body = request.json();
    assert_eq!(body["stream"], json!(false));
    assert!(body.get("t_max_predict_ms").is_none(), "no deadline, no server-side limit");
}

#[tokio::test]
async fn a_configured_template_uses_completion() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(infill_stream());
    let mut spec = spec(&server);
    spec.fim = Some("starcoder2".into());
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a + b");
    let request = &server.requests()[0];
    assert_eq!(request.path, "/completion");
    let body = request.json();
    assert_eq!(
        body["prompt"],
        json!(
            "<repo_name>project\n<file_sep>util.py\ndef sub(a, b):\n    return a - b\n<file_sep>main.py\n\
             <fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>"
        )
    );
    assert_eq!(body["stop"], json!(["\n\n", "<|endoftext|>", "<file_sep>"]));
    assert_eq!(body["cache_prompt"], json!(true));
}

#[tokio::test]
async fn chat_uses_the_openai_compatible_endpoint() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    let chunk = |text: &str| {
        json!({"choices":[{"index":0,"delta":{"content":text},"finish_reason":null}],"object":"chat.completion.chunk"})
            .to_string()
    };
    let last = json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"object":"chat.completion.chunk",
        "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}});
    server.push(Reply::sse_data([chunk("Hi"), chunk(" there"), last.to_string(), "[DONE]".to_owned()]));
    let answer = collect(provider(&spec(&server)).generate(chat_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "Hi there");
    assert_eq!(answer.usage, Some(Usage::new(9, 2)));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.json(),
        json!({
            "model": "default",
            "messages": [{"role":"system","content":"be brief"},{"role":"user","content":"say hi"}],
            "max_tokens": 64,
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[tokio::test]
async fn a_model_without_fim_tokens_falls_back_to_chat_once() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(Reply::json(
        501,
        r#"{"error":{"code":501,"message":"Infill is not supported by this model","type":"not_supported_error"}}"#,
    ));
    let chat = |text: &str| {
        Reply::sse_data([
            json!({"choices":[{"index":0,"delta":{"content":text},"finish_reason":"stop"}]}).to_string(),
            "[DONE]".to_owned(),
        ])
    };
    server.push(chat("```python\nreturn a + b\n```"));
    server.push(chat("return a * b"));
    let llamacpp = provider(&spec(&server));
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "return a * b");
    let paths: Vec<String> = server.requests().into_iter().map(|request| request.path).collect();
    assert_eq!(paths, ["/infill", "/v1/chat/completions", "/v1/chat/completions"]);
}

#[tokio::test]
async fn every_error_is_classified() {
    let cases = [
        (401, r#"{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}"#, ErrorKind::Auth),
        (
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}"#,
            ErrorKind::InvalidRequest,
        ),
        (503, r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#, ErrorKind::Overloaded),
        (500, r#"{"error":{"code":500,"message":"Internal error","type":"server_error"}}"#, ErrorKind::Server),
        (
            404,
            r#"{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}"#,
            ErrorKind::InvalidRequest,
        ),
    ];
    for (status, body, kind) in cases {
        let server = MockServer::strict(support::vendors::llamacpp).await;
        server.push(Reply::json(status, body));
        let error = failed(provider(&spec(&server)).generate(fim_request()).await);
        assert_eq!(error.kind, kind, "HTTP {status} {body}");
        assert_eq!(error.status, Some(status));
        assert_eq!(error.provider, "llamacpp-test");
        assert_eq!(server.request_count(), 1);
    }
}

#[tokio::test]
async fn an_error_in_a_200_stream_is_classified() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    let error = json!({"error":{"code":500,"message":"slot unavailable","type":"server_error"}});
    server.push(Reply::sse_data([piece("par"), error.to_string()]));
    let answer = collect(provider(&spec(&server)).generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.text, "par");
    let error = answer.error.expect("an error");
    assert_eq!(error.kind, ErrorKind::Server);
    assert_eq!(error.message, "slot unavailable");
}

#[tokio::test]
async fn a_malformed_chunk_a_cut_a_reset_and_a_drip() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    let llamacpp = provider(&spec(&server));
    server.push(Reply::sse_data([piece("ok"), "{nope".to_owned()]));
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::BadResponse);

    server.push(Reply::sse_data([piece("half")]));
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network, "no stop line");

    server.push(Reply::sse_data([piece("par")]).then_reset());
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Network);

    server.push(infill_stream().drip(Duration::from_millis(40)));
    let answer = collect(llamacpp.generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text, "return a + b");
}

#[tokio::test]
async fn a_drip_past_the_deadline_times_out() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(infill_stream().drip(Duration::from_millis(250)));
    let mut request = fim_request();
    request.deadline = deadline_in(400);
    let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
    assert_eq!(answer.text, "return ");
    assert_eq!(answer.error.unwrap().kind, ErrorKind::Timeout);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_is_hung_up_on() {
    let server = MockServer::strict_always(support::vendors::llamacpp, Reply::hang()).await;
    let mut request = fim_request();
    request.deadline = deadline_in(300);
    let error = failed(provider(&spec(&server)).generate(request).await);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the client closed the connection");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.push(infill_stream().drip(Duration::from_millis(200)).pause_before(0, Duration::ZERO));
    let mut stream = provider(&spec(&server)).generate(fim_request()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), StreamEvent::Text("return ".into()));
    drop(stream);
    assert!(server.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[test]
fn the_strict_emulation_refuses_what_llama_server_refuses() {
    let infill = json!({"input_prefix": "a", "input_suffix": "b", "input_extra": [{"filename": "x.py", "text": "x"}],
        "n_predict": 16, "stream": true});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::llamacpp,
        "/infill",
        &[],
        &infill,
        &[
            ("input_prefix", Value::Null),
            ("input_extra", json!({"filename": "x.py"})),
            ("input_extra", json!([{"filename": "x.py"}])),
            ("prompt", json!(3)),
            ("n_predict", json!(-5)),
            ("stop", json!("\n")),
        ],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    let chat = json!({"model": "default", "messages": [{"role": "user", "content": "hi"}]});
    let wrong = support::vendors::wrongly_judged(
        support::vendors::llamacpp,
        "/v1/chat/completions",
        &[],
        &chat,
        &[("messages", json!([])), ("n", json!(3))],
    );
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn a_server_in_router_mode_gets_the_configured_model_on_every_endpoint() {
    let server = MockServer::strict(support::vendors::llamacpp_router).await;
    server.push(infill_stream());
    let mut spec = spec(&server);
    spec.model = Some("qwen2.5-coder-1.5b".into());
    let answer = collect(provider(&spec).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(server.requests()[0].json()["model"], json!("qwen2.5-coder-1.5b"));
}

#[tokio::test]
async fn single_and_multi_line_infill() {
    let server = MockServer::strict(support::vendors::llamacpp).await;
    server.set_fallback(infill_stream());
    for stop in [vec!["\n".to_owned()], Vec::new()] {
        let request = GenerateRequest { stop, ..fim_request() };
        let answer = collect(provider(&spec(&server)).generate(request).await.unwrap()).await;
        assert!(answer.error.is_none(), "{:?}", answer.error);
        assert_eq!(answer.text, "return a + b");
    }
    // A single-model server is sent no model name on `/infill` when none is configured.
    assert!(server.requests()[0].json().get("model").is_none());
}

#[tokio::test]
async fn a_newer_server_says_how_many_prompt_tokens_came_from_its_cache() {
    // Newer llama-server builds report `timings.cache_n` (prompt tokens reused from the slot).
    let server = MockServer::strict(support::vendors::llamacpp).await;
    let stop = json!({"index":0,"content":"","tokens":[],"id_slot":0,"stop":true,"tokens_predicted":5,
        "tokens_evaluated":300,"stop_type":"eos","tokens_cached":304,
        "timings":{"cache_n":296,"prompt_n":4,"prompt_ms":3.1,"predicted_n":5,"predicted_ms":30.2}});
    server.push(Reply::sse_data([piece("return "), piece("a + b"), stop.to_string()]));
    let answer = collect(provider(&spec(&server)).generate(fim_request()).await.unwrap()).await;
    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.usage, Some(Usage::new(300, 5).with_cached(296)));
}
