//! A key never appears in a log line, an error message, a `Debug` dump or a user message: this
//! test runs failing requests with a known key, captures every log line at TRACE (ours,
//! reqwest's, hyper's), and greps everything for it.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use support::{MockServer, Reply, deadline_in};
use switchboard_providers::keys::{self, KeyError};
use switchboard_providers::{
    ChainOptions, ChatMessage, ChatPrompt, ChatRole, GenerateRequest, Health, KeySource, Prompt, ProviderKind,
    ProviderSpec, Purpose, Registry, Secret,
};

const KEY: &str = "sk-test-SECRET-4f9a8b7c6d5e4f3a2b1c";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request() -> GenerateRequest {
    GenerateRequest {
        prompt: Prompt::Chat(ChatPrompt {
            system: None,
            messages: vec![ChatMessage { role: ChatRole::User, content: "hi".into() }],
            stable_prefix: None,
        }),
        max_tokens: 8,
        stop: Vec::new(),
        temperature: None,
        deadline: deadline_in(3_000),
        purpose: Purpose::Probe,
        choices: 1,
    }
}

// A current-thread runtime, so the thread-local subscriber sees every task's logs.
#[tokio::test]
async fn the_key_never_leaks() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let echoing = MockServer::always(Reply::json(
        401,
        json!({"error":{"message":format!("Incorrect API key provided: {KEY}."),"type":"invalid_request_error",
            "code":"invalid_api_key"}})
        .to_string(),
    ))
    .await;
    let blocked = MockServer::always(Reply::json(
        400,
        json!({"type":"error","error":{"type":"invalid_request_error",
            "message":"This credential is only authorized for use with Claude Code and cannot be used for other API requests."}})
        .to_string(),
    ))
    .await;
    let gone = MockServer::start().await;
    let gone_url = gone.url();
    drop(gone);

    let spec = |kind: ProviderKind, base_url: String| ProviderSpec {
        kind: Some(kind),
        model: Some("m".into()),
        base_url: Some(base_url),
        api_key: Some(Secret::new(KEY)),
        headers: [("X-Gateway-Token".to_owned(), KEY.to_owned())].into(),
        ..ProviderSpec::default()
    };
    let specs = [
        ("echoing".to_owned(), spec(ProviderKind::Openai, format!("{}/v1", echoing.url()))),
        ("blocked".to_owned(), spec(ProviderKind::Anthropic, blocked.url())),
        ("gone".to_owned(), spec(ProviderKind::Openai, gone_url)),
    ];
    let (registry, errors) =
        Registry::from_specs(specs.iter().map(|(name, spec)| (name, spec)), Arc::new(Health::default()));
    assert!(errors.is_empty(), "{errors:?}");
    let mut events = registry.health().subscribe();
    let names: Vec<String> = specs.iter().map(|(name, _)| name.clone()).collect();
    let chain = registry.chain("completion", &names, ChainOptions::default()).unwrap();

    let mut seen: Vec<String> = Vec::new();
    let error = chain.generate(request()).await.unwrap_err();
    assert_eq!(error.errors.len(), 3, "{error}");
    seen.push(format!("{error} {error:?}"));
    for provider_error in &error.errors {
        seen.push(format!("{provider_error} {provider_error:?}"));
    }
    while let Ok(event) = events.try_recv() {
        seen.push(format!("{} {event:?}", event.message()));
    }
    seen.push(format!("{registry:?} {chain:?} {:?}", registry.health().usage()));
    seen.push(format!("{specs:?}"));
    seen.push(format!("{:?}", KeySource::Inline(Secret::new(KEY))));

    // A key command that misbehaves: its output must not end up in the error.
    let command = format!("echo {KEY} >&2; echo {KEY}; exit 1");
    let key_error = keys::run_key_command(&command, keys::KEY_COMMAND_TIMEOUT).await.unwrap_err();
    assert!(matches!(key_error, KeyError::CommandFailed(_)));
    seen.push(format!("{key_error} {key_error:?}"));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("provider failed"), "the subscriber captured our logs:\n{logs}");
    assert!(!logs.contains(KEY), "the key leaked into the logs:\n{logs}");
    for text in seen {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
}
