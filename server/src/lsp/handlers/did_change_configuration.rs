//! `workspace/didChangeConfiguration`: live reload of settings.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::session::Session;

pub async fn handle(_session: &Session, params: lsp::DidChangeConfigurationParams) {
    tracing::info!(has_settings = !params.settings.is_null(), "didChangeConfiguration");
}
