//! The `LanguageServer` implementation: a routing table. Each method is one line that hands the
//! params to its handler through `dispatch`; there is no logic here.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use super::session::{ServerOptions, Session};
use super::{dispatch, ext, handlers};

/// How many messages may be in flight at once. tower-lsp's default of 4 lets four slow model
/// calls starve `$/cancelRequest` and every other request; 64 keeps the queue moving.
pub const CONCURRENCY: usize = 64;

#[derive(Debug, Clone)]
pub struct Router {
    session: Arc<Session>,
}

impl Router {
    pub fn new(client: Client, options: ServerOptions) -> Self {
        Self { session: Arc::new(Session::new(client, options)) }
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    async fn debug_sleep(&self, params: ext::SleepParams) -> Result<Option<()>> {
        dispatch::request("switchboard/debug/sleep", ext::debug_sleep(&self.session, params)).await
    }

    async fn status(&self) -> Result<ext::Status> {
        dispatch::request("switchboard/status", ext::status(&self.session)).await
    }

    async fn debug_document(&self, params: ext::DocumentParams) -> Result<Option<ext::DocumentView>> {
        dispatch::request("switchboard/debug/document", ext::debug_document(&self.session, params)).await
    }

    async fn work_done_progress_cancel(&self, params: lsp::WorkDoneProgressCancelParams) {
        dispatch::notification("window/workDoneProgress/cancel", async {
            handlers::execute_command::cancel_progress(&self.session, &params.token);
        })
        .await;
    }

    async fn debug_panic(&self) -> Result<Option<()>> {
        dispatch::request("switchboard/debug/panic", ext::debug_panic(&self.session)).await
    }
}

impl LanguageServer for Router {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        if let Some(process_id) = params.process_id {
            watch_client_process(process_id);
        }
        dispatch::request("initialize", handlers::initialize::handle(&self.session, params)).await
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        dispatch::notification("initialized", handlers::initialized::handle(&self.session)).await;
    }

    async fn shutdown(&self) -> Result<()> {
        dispatch::request("shutdown", handlers::shutdown::handle(&self.session)).await
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        dispatch::notification("textDocument/didOpen", async { handlers::did_open::handle(&self.session, params) })
            .await;
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        dispatch::notification("textDocument/didChange", async { handlers::did_change::handle(&self.session, params) })
            .await;
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        dispatch::notification("textDocument/didClose", async { handlers::did_close::handle(&self.session, params) })
            .await;
    }

    async fn completion(&self, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
        dispatch::request("textDocument/completion", handlers::completion::handle(&self.session, params)).await
    }

    async fn inline_completion(
        &self,
        params: lsp::InlineCompletionParams,
    ) -> Result<Option<lsp::InlineCompletionResponse>> {
        dispatch::request("textDocument/inlineCompletion", handlers::inline_completion::handle(&self.session, params))
            .await
    }

    async fn code_action(&self, params: lsp::CodeActionParams) -> Result<Option<Vec<lsp::CodeActionResponse>>> {
        dispatch::request("textDocument/codeAction", async { handlers::code_action::handle(&self.session, params) })
            .await
    }

    async fn code_action_resolve(&self, params: lsp::CodeAction) -> Result<lsp::CodeAction> {
        dispatch::request("codeAction/resolve", handlers::execute_command::resolve(&self.session, params)).await
    }

    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<lsp::LspAny>> {
        dispatch::request("workspace/executeCommand", handlers::execute_command::handle(&self.session, params)).await
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        dispatch::notification(
            "workspace/didChangeConfiguration",
            handlers::did_change_configuration::handle(&self.session, params),
        )
        .await;
    }
}

/// Exits the process when the editor that started us is gone, even if it left our stdin open.
fn watch_client_process(process_id: i32) {
    if process_id <= 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            if !process_alive(process_id).await {
                tracing::warn!(process_id, "the client process is gone; exiting");
                std::process::exit(1);
            }
        }
    });
}

#[cfg(target_os = "linux")]
async fn process_alive(process_id: i32) -> bool {
    tokio::fs::metadata(format!("/proc/{process_id}")).await.is_ok()
}

#[cfg(all(unix, not(target_os = "linux")))]
async fn process_alive(process_id: i32) -> bool {
    // `kill -0` checks existence without signalling; a permission error still means it exists.
    match tokio::process::Command::new("kill").arg("-0").arg(process_id.to_string()).output().await {
        Ok(output) => output.status.success() || String::from_utf8_lossy(&output.stderr).contains("ermitted"),
        Err(_) => true,
    }
}

#[cfg(not(unix))]
async fn process_alive(_process_id: i32) -> bool {
    true
}

/// Serves LSP on stdin/stdout until the client sends `exit` or closes stdin. Returns the exit
/// code the spec asks for: 0 if `shutdown` came before, 1 otherwise.
pub async fn serve_stdio(options: ServerOptions) -> i32 {
    let (service, socket) = LspService::build(|client| Router::new(client, options))
        .custom_method("switchboard/status", Router::status)
        .custom_method("switchboard/debug/sleep", Router::debug_sleep)
        .custom_method("switchboard/debug/panic", Router::debug_panic)
        .custom_method("switchboard/debug/document", Router::debug_document)
        .custom_method("window/workDoneProgress/cancel", Router::work_done_progress_cancel)
        .finish();
    let session = service.inner().session().clone();
    let (input, output) = super::stdio::open();
    let (server_input, server_output, writer) = super::transport::GuardedIo::start(input, output).split();
    // A task, not the future the runtime blocks on: a wake-up of that future makes the
    // current-thread scheduler poll the event loop once more before it polls it (an extra
    // `epoll_wait` per wake-up), and every request and reply wakes the server's future.
    let serve = Server::new(server_input, server_output, socket)
        .concurrency_level(CONCURRENCY)
        .serve(dispatch::AnswerEveryRequest::new(service));
    let _ = tokio::spawn(serve).await;
    super::transport::GuardedIo::flush(writer).await;
    if session.shutdown_requested() { 0 } else { 1 }
}
