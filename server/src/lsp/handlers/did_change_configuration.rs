//! `workspace/didChangeConfiguration`: live reload. Problems are shown and the last good
//! configuration stays in force; a changed configuration rebuilds the provider chains.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::session::Session;

pub async fn handle(session: &Session, params: lsp::DidChangeConfigurationParams) {
    let Some(update) = session.update_config(|state| state.apply_settings(&params.settings)) else { return };
    tracing::info!(
        applied = update.applied,
        changed = update.changed,
        n_problems = update.problems.len(),
        "settings changed"
    );
    session.tell_config_problems(&update.problems).await;
    if update.changed {
        session.install_chains().await;
    }
}
