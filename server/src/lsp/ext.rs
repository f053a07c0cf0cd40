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
