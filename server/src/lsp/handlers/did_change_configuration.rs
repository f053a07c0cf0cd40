//! `workspace/didChangeConfiguration`: live reload. Problems are shown and the last good
//! configuration stays in force; a changed configuration rebuilds the provider chains.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::session::Session;

pub async fn handle(session: &Session, params: lsp::DidChangeConfigurationParams) {
    if let Some(update) = session.update_config(|state| state.apply_settings(&params.settings)) {
        session.config_changed(&update, "settings changed").await;
    }
}
