//! Fallback chains end to end: real providers against loopback servers (and the fake provider
//! where only the chain's bookkeeping matters). One request, several vendors, one answer.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use support::{MockServer, Reply, deadline_in};
use switchboard_providers::anthropic::Anthropic;
use switchboard_providers::fake::{FakeProvider, FakeReply};
use switchboard_providers::openai_compat::OpenAiCompatible;
use switchboard_providers::{
    Chain, ChainOptions, ChatMessage, ChatPrompt, ChatRole, CircuitState, ErrorKind, GenerateRequest, Health, Prompt,
    Provider, ProviderEvent, ProviderInfo, ProviderSpec, Purpose, Registry, Secret, Severity, StreamEvent,
};
use tokio::sync::broadcast;

const BLOCKED: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"This credential is only authorized for use with Claude Code and cannot be used for other API requests."},"request_id":"req_011CTest"}"#;

fn request(purpose: Purpose) -> GenerateRequest {
    GenerateRequest {
        prompt: Prompt::Chat(ChatPrompt {
            system: None,
            messages: vec![ChatMessage { role: ChatRole::User, content: "hi".into() }],
            stable_prefix: None,
        }),
        max_tokens: 16,
        stop: Vec::new(),
        temperature: None,
        deadline: deadline_in(5_000),
        purpose,
        choices: 1,
    }
}

fn openai_stream(text: &str) -> Reply {
    let chunk =
        json!({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]});
    let last = json!({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]});
    let usage =
        json!({"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3}});
    Reply::sse_data([chunk.to_string(), last.to_string(), usage.to_string(), "[DONE]".to_owned()])
}

fn openai(name: &str, server: &MockServer) -> Arc<dyn Provider> {
    let spec = ProviderSpec {
        model: Some("gpt-test".into()),
        base_url: Some(format!("{}/v1", server.url())),
        api_key: Some(Secret::new("sk-test-openai-0123456789")),
        ..ProviderSpec::default()
    };
    Arc::new(OpenAiCompatible::from_spec(switchboard_providers::ProviderKind::Openai, name, &spec).unwrap())
}

fn anthropic(name: &str, server: &MockServer) -> Arc<dyn Provider> {
    let spec = ProviderSpec {
        model: Some("claude-test".into()),
        base_url: Some(server.url()),
        api_key: Some(Secret::new("sk-ant-oat01-subscription-token")),
        ..ProviderSpec::default()
    };
    Arc::new(Anthropic::from_spec(name, &spec).unwrap())
}

fn anthropic_info() -> ProviderInfo {
    ProviderInfo {
        vendor: Some("Anthropic".into()),
        key_env: Some("ANTHROPIC_API_KEY".into()),
        key_url: Some("console.anthropic.com".into()),
        ..ProviderInfo::default()
    }
}

fn openai_info() -> ProviderInfo {
    ProviderInfo { vendor: Some("OpenAI".into()), key_env: Some("OPENAI_API_KEY".into()), ..ProviderInfo::default() }
}

fn chain_of(providers: Vec<(Arc<dyn Provider>, ProviderInfo)>, options: ChainOptions) -> Chain {
    let mut registry = Registry::new(Arc::new(Health::default()));
    let names: Vec<String> = providers.iter().map(|(provider, _)| provider.name().to_owned()).collect();
    for (provider, info) in providers {
        registry.insert(provider, info);
    }
    registry.chain("completion", &names, options).unwrap()
}

fn drain(events: &mut broadcast::Receiver<ProviderEvent>) -> Vec<ProviderEvent> {
    let mut received = Vec::new();
    while let Ok(event) = events.try_recv() {
        received.push(event);
    }
    received
}

#[tokio::test]
async fn blocked_credential_fails_over_in_the_same_request_and_is_skipped_afterwards() {
    let claude_server = MockServer::always(Reply::json(400, BLOCKED)).await;
    let openai_server = MockServer::always(openai_stream("ok")).await;
    let chain = chain_of(
        vec![
            (anthropic("claude", &claude_server), anthropic_info()),
            (openai("openai-fast", &openai_server), openai_info()),
        ],
        ChainOptions::default(),
    );
    let mut events = chain.health().subscribe();

    let answer = chain.generate(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!((answer.provider.as_str(), answer.text.as_str()), ("openai-fast", "ok"));
    assert_eq!(claude_server.request_count(), 1, "a blocked credential is not retried");

    // The next requests go straight to the second provider.
    let answer = chain.stream(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!(answer.provider, "openai-fast");
    let answer = chain.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!(answer.provider, "openai-fast");
    assert_eq!(claude_server.request_count(), 1, "the blocked provider is skipped while its circuit is open");
    assert!(matches!(
        chain.health().circuit("claude"),
        CircuitState::Open { reason: ErrorKind::BlockedCredential, .. }
    ));

    let events = drain(&mut events);
    assert_eq!(events.len(), 1, "told once: {events:?}");
    assert_eq!(
        events[0],
        ProviderEvent::Failed {
            provider: "claude".into(),
            kind: ErrorKind::BlockedCredential,
            now_using: Some("openai-fast".into()),
            message: "Anthropic (claude) rejected the credential: subscription logins are not allowed outside the \
                      vendor's own tool. Set an API key from console.anthropic.com in ANTHROPIC_API_KEY. Now using: \
                      openai-fast."
                .into(),
        }
    );
    assert_eq!(events[0].severity(), Severity::Warning);
}

#[tokio::test]
async fn rate_limited_with_a_long_retry_after_moves_on_and_pauses_the_provider() {
    let limited = MockServer::always(
        Reply::json(
            429,
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
        )
        .header("retry-after", "30"),
    )
    .await;
    let healthy = MockServer::always(openai_stream("ok")).await;
    let chain = chain_of(
        vec![
            (openai("first", &limited), ProviderInfo::default()),
            (openai("second", &healthy), ProviderInfo::default()),
        ],
        ChainOptions::default(),
    );
    let started = tokio::time::Instant::now();
    let answer = chain.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!(answer.provider, "second");
    assert!(started.elapsed() < Duration::from_secs(2), "did not wait out the retry-after");
    assert_eq!(limited.request_count(), 1);
    chain.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!(limited.request_count(), 1, "skipped until the retry-after has passed");
    let usage = chain.health().usage_of("first").unwrap();
    assert_eq!(usage.failures_of(ErrorKind::RateLimited), 1);
}

#[tokio::test]
async fn rate_limited_with_a_short_retry_after_is_retried_for_a_code_action() {
    let server = MockServer::start().await;
    server.push(
        Reply::json(429, r#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#)
            .header("retry-after-ms", "50"),
    );
    server.set_fallback(openai_stream("second try"));
    let backup = MockServer::always(openai_stream("backup")).await;
    let chain = chain_of(
        vec![(openai("first", &server), ProviderInfo::default()), (openai("second", &backup), ProviderInfo::default())],
        ChainOptions::default(),
    );
    let answer = chain.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!((answer.provider.as_str(), answer.text.as_str()), ("first", "second try"));
    assert_eq!(server.request_count(), 2);
    assert_eq!(backup.request_count(), 0);
}

#[tokio::test]
async fn a_hanging_provider_times_out_and_the_next_one_answers() {
    let hanging = MockServer::always(Reply::hang()).await;
    let healthy = MockServer::always(openai_stream("ok")).await;
    let chain = chain_of(
        vec![(openai("slow", &hanging), ProviderInfo::default()), (openai("fast", &healthy), ProviderInfo::default())],
        ChainOptions { attempt_timeout: Some(Duration::from_millis(300)), ..ChainOptions::default() },
    );
    let started = tokio::time::Instant::now();
    let answer = chain.generate(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!(answer.provider, "fast");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(hanging.wait_closed(1, Duration::from_secs(2)).await, "the abandoned request's connection was closed");
    assert_eq!(chain.health().usage_of("slow").unwrap().failures_of(ErrorKind::Timeout), 1);
}

#[tokio::test]
async fn the_last_provider_is_not_cut_off_by_the_attempt_timeout() {
    // The attempt timeout leaves room for the next provider; with none left, a slow first token
    // is still worth waiting for (until the request's own deadline).
    let hanging = MockServer::always(Reply::hang()).await;
    let slow = MockServer::always(openai_stream("late but fine").pause_before(0, Duration::from_millis(600))).await;
    let chain = chain_of(
        vec![(openai("hangs", &hanging), ProviderInfo::default()), (openai("slow", &slow), ProviderInfo::default())],
        ChainOptions { attempt_timeout: Some(Duration::from_millis(300)), ..ChainOptions::default() },
    );
    let answer = chain.generate(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!((answer.provider.as_str(), answer.text.as_str()), ("slow", "late but fine"));
}

#[tokio::test]
async fn when_all_fail_the_caller_gets_one_clear_error_and_the_user_one_message() {
    let unauthorized = MockServer::always(Reply::json(
        401,
        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    ))
    .await;
    let broken = MockServer::always(Reply::json(500, r#"{"error":{"message":"boom","type":"server_error"}}"#)).await;
    let chain = chain_of(
        vec![(openai("openai", &unauthorized), openai_info()), (openai("backup", &broken), ProviderInfo::default())],
        ChainOptions::default(),
    );
    let mut events = chain.health().subscribe();
    let error = chain.generate(request(Purpose::Probe)).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Auth);
    assert_eq!(error.errors.len(), 2);
    assert_eq!(
        error.to_string(),
        "all providers failed: openai rejected the API key (Incorrect API key provided). Check OPENAI_API_KEY; \
         backup: server (boom)"
    );
    let told = drain(&mut events);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(matches!(&told[0], ProviderEvent::AllFailed { chain, .. } if chain == "completion"));
    assert_eq!(told[0].severity(), Severity::Error);

    // The same failure again is not news.
    let error = chain.generate(request(Purpose::Probe)).await.unwrap_err();
    assert_eq!(error.skipped, vec![("openai".to_owned(), ErrorKind::Auth)]);
    assert!(drain(&mut events).is_empty());
}

#[tokio::test]
async fn dropping_a_chain_stream_closes_the_upstream_connection() {
    let dripping =
        MockServer::always(openai_stream("tok").drip(Duration::from_millis(300)).pause_before(0, Duration::ZERO)).await;
    let chain = chain_of(vec![(openai("only", &dripping), ProviderInfo::default())], ChainOptions::default());
    let mut answer = chain.stream(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!(answer.stream.next().await.unwrap().unwrap(), StreamEvent::Text("tok".into()));
    drop(answer);
    assert!(dripping.wait_closed(1, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn cancelling_a_pending_request_closes_the_upstream_connection() {
    let hanging = MockServer::always(Reply::hang()).await;
    let chain = chain_of(vec![(openai("only", &hanging), ProviderInfo::default())], ChainOptions::default());
    assert!(hanging.connections_opened() == 0);
    let abandoned =
        tokio::time::timeout(Duration::from_millis(200), chain.generate(request(Purpose::CodeAction))).await;
    assert!(abandoned.is_err(), "the caller gave up first");
    assert!(hanging.wait_closed(1, Duration::from_secs(2)).await, "the server saw the client hang up");
}

#[tokio::test]
async fn hedging_takes_the_faster_provider_and_drops_the_other() {
    let slow = MockServer::always(openai_stream("slow").pause_before(0, Duration::from_secs(3))).await;
    let fast = MockServer::always(openai_stream("fast")).await;
    let chain = chain_of(
        vec![(openai("slow", &slow), ProviderInfo::default()), (openai("fast", &fast), ProviderInfo::default())],
        ChainOptions { hedge_after: Some(Duration::from_millis(100)), ..ChainOptions::default() },
    );
    let started = tokio::time::Instant::now();
    let answer = chain.generate(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!((answer.provider.as_str(), answer.text.as_str()), ("fast", "fast"));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(slow.request_count(), 1);
    assert!(slow.wait_closed(1, Duration::from_secs(2)).await, "the losing request was cancelled");
}

#[tokio::test]
async fn hedging_keeps_the_first_when_it_is_fast_enough() {
    let quick = MockServer::always(openai_stream("first")).await;
    let spare = MockServer::always(openai_stream("spare")).await;
    let chain = chain_of(
        vec![(openai("first", &quick), ProviderInfo::default()), (openai("spare", &spare), ProviderInfo::default())],
        ChainOptions { hedge_after: Some(Duration::from_millis(500)), ..ChainOptions::default() },
    );
    assert_eq!(chain.generate(request(Purpose::InlineCompletion)).await.unwrap().provider, "first");
    assert_eq!(spare.request_count(), 0);
}

#[tokio::test]
async fn a_failure_mid_answer_moves_on_when_nothing_reached_the_caller() {
    let chunk = json!({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"par"},"finish_reason":null}]});
    let resetting = MockServer::always(Reply::sse_data([chunk.to_string()]).then_reset()).await;
    let healthy = MockServer::always(openai_stream("whole")).await;
    let chain = chain_of(
        vec![
            (openai("flaky", &resetting), ProviderInfo::default()),
            (openai("steady", &healthy), ProviderInfo::default()),
        ],
        ChainOptions::default(),
    );
    let answer = chain.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!((answer.provider.as_str(), answer.text.as_str()), ("steady", "whole"));

    // The streaming form has already handed out "par": the error ends that stream.
    let mut streamed = chain.stream(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!(streamed.provider, "flaky");
    assert_eq!(streamed.stream.next().await.unwrap().unwrap(), StreamEvent::Text("par".into()));
    assert_eq!(streamed.stream.next().await.unwrap().unwrap_err().kind, ErrorKind::Network);
}

#[tokio::test]
async fn usage_is_counted_per_provider() {
    let server = MockServer::always(openai_stream("ok")).await;
    let chain = chain_of(vec![(openai("counted", &server), ProviderInfo::default())], ChainOptions::default());
    for _ in 0..2 {
        chain.generate(request(Purpose::CodeAction)).await.unwrap();
    }
    let usage = chain.health().usage_of("counted").unwrap();
    assert_eq!((usage.requests, usage.successes), (2, 2));
    assert_eq!((usage.input_tokens, usage.output_tokens), (22, 6));
    assert!(usage.last_first_token_latency.is_some() && usage.mean_first_token_latency.is_some());
    assert_eq!(usage.circuit, CircuitState::Closed);
    assert_eq!(chain.health().usage().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_open_the_circuit_and_a_probe_closes_it() {
    let flaky = Arc::new(FakeProvider::new("flaky"));
    for _ in 0..3 {
        flaky.push(FakeReply::fail(ErrorKind::Overloaded, "Overloaded"));
    }
    flaky.set_fallback(FakeReply::text("back"));
    let steady = Arc::new(FakeProvider::always("steady", FakeReply::text("steady")));
    let health = Arc::new(Health::default());
    let chain = Chain::new(
        "actions",
        vec![flaky.clone() as Arc<dyn Provider>, steady.clone() as Arc<dyn Provider>],
        ChainOptions::default(),
        health.clone(),
    );
    let mut events = health.subscribe();
    let mut request = request(Purpose::Probe);
    request.deadline = None;
    for _ in 0..3 {
        assert_eq!(chain.generate(request.clone()).await.unwrap().provider, "steady");
    }
    assert_eq!(flaky.request_count(), 3);
    let told = drain(&mut events);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].message(),
        "flaky failed 3 times in a row (overloaded: Overloaded); pausing it for 30 s. Now using: steady."
    );

    // Open: skipped.
    assert_eq!(chain.generate(request.clone()).await.unwrap().provider, "steady");
    assert_eq!(flaky.request_count(), 3);

    // After the cool-off one probe goes through, succeeds, and closes the circuit.
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(chain.generate(request.clone()).await.unwrap().provider, "flaky");
    assert_eq!(health.circuit("flaky"), CircuitState::Closed);
    let told = drain(&mut events);
    assert!(matches!(&told[..], [ProviderEvent::Recovered { provider, .. }] if provider == "flaky"), "{told:?}");
}

#[tokio::test]
async fn invalid_requests_move_on_without_opening_the_circuit() {
    let picky = Arc::new(FakeProvider::always("picky", FakeReply::fail(ErrorKind::InvalidRequest, "bad param")));
    let lenient = Arc::new(FakeProvider::always("lenient", FakeReply::text("fine")));
    let chain = Chain::new(
        "c",
        vec![picky.clone() as Arc<dyn Provider>, lenient as Arc<dyn Provider>],
        ChainOptions::default(),
        Arc::new(Health::default()),
    );
    for _ in 0..4 {
        assert_eq!(chain.generate(request(Purpose::CodeAction)).await.unwrap().provider, "lenient");
    }
    assert_eq!(picky.request_count(), 4, "neither retried nor paused");
}

#[tokio::test]
async fn a_cancelled_provider_stops_the_chain() {
    let cancelled = Arc::new(FakeProvider::always("a", FakeReply::fail(ErrorKind::Cancelled, "gave up")));
    let next = Arc::new(FakeProvider::always("b", FakeReply::text("x")));
    let chain = Chain::new(
        "c",
        vec![cancelled as Arc<dyn Provider>, next.clone() as Arc<dyn Provider>],
        ChainOptions::default(),
        Arc::new(Health::default()),
    );
    let error = chain.generate(request(Purpose::CodeAction)).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Cancelled);
    assert_eq!(next.request_count(), 0);
}

#[tokio::test]
async fn the_fake_provider_records_requests_and_follows_its_script() {
    let fake = FakeProvider::new("fake");
    fake.push(FakeReply::chunks(["a", "b"]));
    fake.push(FakeReply::FailAfter { chunks: vec!["x".into()], kind: ErrorKind::Network, message: "cut".into() });
    let mut first = fake.generate(request(Purpose::CodeAction)).await.unwrap();
    assert_eq!(first.next().await.unwrap().unwrap(), StreamEvent::Text("a".into()));
    assert_eq!(first.next().await.unwrap().unwrap(), StreamEvent::Text("b".into()));
    assert!(first.next().await.is_none());
    let mut second = fake.generate(request(Purpose::InlineCompletion)).await.unwrap();
    assert_eq!(second.next().await.unwrap().unwrap(), StreamEvent::Text("x".into()));
    assert_eq!(second.next().await.unwrap().unwrap_err().kind, ErrorKind::Network);
    let error = support::failed(fake.generate(request(Purpose::CodeAction)).await);
    assert_eq!(error.kind, ErrorKind::BadResponse, "no script left");
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].purpose, Purpose::InlineCompletion);
}

#[tokio::test]
async fn cached_tokens_are_counted_per_provider_and_repeated_reports_once() {
    // Gemini repeats its running usage on later chunks and Anthropic reports after the first
    // text and at the end: each report is a running total, and only what it adds is counted.
    let chunk = |text: &str| {
        json!({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})
            .to_string()
    };
    let usage = |output: u64| {
        json!({"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1500,"completion_tokens":output,
            "prompt_tokens_details":{"cached_tokens":1024}}})
        .to_string()
    };
    let server =
        MockServer::always(Reply::sse_data([chunk("a"), usage(1), chunk("b"), usage(4), "[DONE]".to_owned()])).await;
    let chain = chain_of(vec![(openai("cached", &server), ProviderInfo::default())], ChainOptions::default());
    for _ in 0..2 {
        chain.generate(request(Purpose::CodeAction)).await.unwrap();
    }
    let usage = chain.health().usage_of("cached").unwrap();
    assert_eq!((usage.input_tokens, usage.cached_input_tokens, usage.output_tokens), (3000, 2048, 8));
    assert_eq!(usage.cache_write_tokens, 0);
}
