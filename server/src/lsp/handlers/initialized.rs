//! `initialized`: the client is ready to hear from us: report configuration problems and start
//! relaying provider events (a blocked key, a provider now serving in another's place) as
//! `window/showMessage`. The provider chains were already built during `initialize`; that none
//! serves completions is told a moment later, once settings the client pushes have had time to come.

use std::sync::Arc;

use switchboard_providers::{ProviderEvent, Severity};
use tower_lsp_server::gen_lsp_types::MessageType;

use crate::lsp::session::Session;

pub async fn handle(session: &Arc<Session>) {
    // The HTTPS client (its TLS roots take about 10 ms to load) is built now, on a blocking
    // thread, not on the first keystroke's path; not at all while every provider is a plain
    // `http://` server (a local model), whose requests never use it.
    let providers = &session.config().providers;
    let needs_tls = providers.is_empty()
        || providers.values().any(|spec| {
            switchboard_providers::registry::provider_info(spec)
                .endpoint
                .is_none_or(|endpoint| !endpoint.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://")))
        });
    if needs_tls {
        tokio::spawn(async {
            let _ = switchboard_providers::http::client().await;
        });
    }
    // The built-in secret shapes (about 2 ms of regex compilation) likewise, before the first
    // prompt is masked.
    if session.config().redact.enabled {
        tokio::task::spawn_blocking(switchboard_core::secrets::warm_up);
    }
    let problems = session.config.lock().map(|state| state.last_problems().to_vec()).unwrap_or_default();
    session.tell_config_problems(&problems).await;
    crate::lsp::config_watch::spawn(session);
    let told = Arc::clone(session);
    tokio::spawn(async move {
        tokio::time::sleep(crate::lsp::session::SETTINGS_GRACE).await;
        told.tell_if_no_provider().await;
    });
    let mut events = session.health.subscribe();
    let session = Arc::clone(session);
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                // A failed action tells its own failure, naming the action.
                Ok(ProviderEvent::AllFailed { chain, .. }) if chain == crate::provider_chains::ACTIONS_CHAIN => {}
                Ok(event) => {
                    let kind = match event.severity() {
                        Severity::Error => MessageType::Error,
                        Severity::Warning => MessageType::Warning,
                        Severity::Info => MessageType::Info,
                    };
                    // The provider layer already tells each episode once; no de-duplication here,
                    // so a provider that fails again after recovering is reported again.
                    session.show(kind, event.message()).await;
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n_missed)) => {
                    tracing::warn!(n_missed, "provider events were dropped");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
