//! Switchboard's own LSP methods, under the `switchboard/` prefix. Documented in
//! docs/lsp-extensions.md; a test keeps the two in step.
//!
//! The `switchboard/debug/*` methods exist so that tests can drive the failure paths a real
//! editor cannot trigger on demand (a handler that panics, a request slow enough to cancel).
//! They answer only when the server runs with `SWITCHBOARD_DEBUG_METHODS=1`; otherwise they
//! answer `MethodNotFound` like any unknown method.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Error, Result};

use super::session::Session;

/// Every custom method: (name, one-line description). docs/lsp-extensions.md lists the same.
pub const METHODS: &[(&str, &str)] = &[
    ("switchboard/status", "the provider chains in force, usage per provider, and completion counters"),
    ("switchboard/debug/sleep", "debug only: answers `null` after `ms` milliseconds"),
    ("switchboard/debug/panic", "debug only: panics inside the handler; answered as an internal error"),
    ("switchboard/debug/document", "debug only: the server's view of an open document: text, version, language, tree"),
];

pub const DEBUG_METHODS_ENV: &str = "SWITCHBOARD_DEBUG_METHODS";

#[derive(Debug, Deserialize)]
pub struct SleepParams {
    pub ms: u64,
}

fn require_debug(session: &Session) -> Result<()> {
    if session.debug_methods { Ok(()) } else { Err(Error::method_not_found()) }
}

pub async fn debug_sleep(session: &Session, params: SleepParams) -> Result<Option<()>> {
    require_debug(session)?;
    tokio::time::sleep(Duration::from_millis(params.ms.min(60_000))).await;
    Ok(None)
}

pub async fn debug_panic(session: &Session) -> Result<Option<()>> {
    require_debug(session)?;
    panic!("switchboard/debug/panic was called");
}

#[derive(Debug, Deserialize)]
pub struct DocumentParams {
    pub uri: String,
}

#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub text: String,
    pub version: i32,
    pub language: Option<&'static str>,
    /// The syntax tree as an S-expression, when the language has a grammar.
    pub tree: Option<String>,
}

pub async fn debug_document(session: &Session, params: DocumentParams) -> Result<Option<DocumentView>> {
    require_debug(session)?;
    Ok(session.documents.snapshot_with_syntax(&params.uri).map(|snapshot| DocumentView {
        text: snapshot.text(),
        version: snapshot.version(),
        language: snapshot.language().map(|language| language.name),
        tree: snapshot.tree().map(|tree| tree.root_node().to_sexp()),
    }))
}

/// `switchboard/status`: what is serving, and what it has cost so far.
#[derive(Debug, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub position_encoding: &'static str,
    pub open_documents: usize,
    /// Provider names of each chain, in order.
    pub completion_chain: Vec<String>,
    pub actions_chain: Vec<String>,
    /// Whether the chains came from zero-config detection.
    pub detected: bool,
    pub providers: Vec<ProviderStatus>,
    pub completion: CompletionCounters,
    pub actions: ActionCounters,
    /// Secrets masked in prompts, and completions dropped for using one.
    pub redact: crate::runtime::redact::RedactionStatus,
    /// The last messages shown to the user (`window/showMessage`), oldest first.
    pub messages: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ProviderStatus {
    pub name: String,
    pub requests: u64,
    pub successes: u64,
    /// Failures by kind (`auth`, `rate_limited`, ...).
    pub failures: std::collections::BTreeMap<&'static str, u64>,
    /// Prompt tokens as the vendor reported them, cached ones included.
    pub input_tokens: u64,
    /// Of `input_tokens`, read from the vendor's prompt cache (billed at a discount).
    pub cached_input_tokens: u64,
    /// Of `input_tokens`, written to the prompt cache (Anthropic's `cache_control`).
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub mean_first_token_ms: Option<u64>,
    /// `closed`, `half_open`, or `open: <reason>`.
    pub circuit: String,
}

#[derive(Debug, Serialize)]
pub struct CompletionCounters {
    pub provider_calls: u64,
    pub cache_hits: u64,
    pub superseded: u64,
    pub adopted: u64,
}

#[derive(Debug, Serialize)]
pub struct ActionCounters {
    /// `textDocument/codeAction` requests answered (none calls a model).
    pub listings: u64,
    pub provider_calls: u64,
    /// Runs that produced an edit, a file or a message.
    pub applied: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Actions running now.
    pub running: usize,
}

pub async fn status(session: &Session) -> Result<Status> {
    use std::sync::atomic::Ordering::Relaxed;
    use switchboard_providers::CircuitState;
    let names = |chain: &Option<std::sync::Arc<switchboard_providers::Chain>>| -> Vec<String> {
        chain.as_ref().map(|chain| chain.providers().iter().map(|p| p.name().to_owned()).collect()).unwrap_or_default()
    };
    let (completion_chain, actions_chain, detected) = session
        .chains
        .lock()
        .map(|chains| (names(&chains.completion), names(&chains.actions), chains.detected))
        .unwrap_or_default();
    let providers = session
        .health
        .usage()
        .into_iter()
        .map(|usage| ProviderStatus {
            failures: usage.failures.iter().map(|(kind, n)| (kind.as_str(), *n)).collect(),
            circuit: match usage.circuit {
                CircuitState::Closed => "closed".to_owned(),
                CircuitState::HalfOpen => "half_open".to_owned(),
                CircuitState::Open { reason, .. } => format!("open: {}", reason.as_str()),
            },
            mean_first_token_ms: usage.mean_first_token_latency.map(|latency| latency.as_millis() as u64),
            name: usage.provider,
            requests: usage.requests,
            successes: usage.successes,
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_tokens: usage.cache_write_tokens,
            output_tokens: usage.output_tokens,
        })
        .collect();
    let counters = &session.features.completion.counters;
    Ok(Status {
        version: env!("CARGO_PKG_VERSION"),
        position_encoding: session.encoding().lsp_name(),
        open_documents: session.documents.len(),
        completion_chain,
        actions_chain,
        detected,
        providers,
        messages: session.recent_messages(),
        completion: CompletionCounters {
            provider_calls: counters.provider_calls.load(Relaxed),
            cache_hits: counters.cache_hits.load(Relaxed),
            superseded: counters.superseded.load(Relaxed),
            adopted: counters.adopted.load(Relaxed),
        },
        actions: {
            let actions = &session.features.actions;
            let counters = &actions.counters;
            ActionCounters {
                listings: counters.listings.load(Relaxed),
                provider_calls: counters.provider_calls.load(Relaxed),
                applied: counters.applied.load(Relaxed),
                failed: counters.failed.load(Relaxed),
                cancelled: counters.cancelled.load(Relaxed),
                running: actions.n_running(),
            }
        },
        redact: session.features.actions.settings().redaction.status(),
    })
}
