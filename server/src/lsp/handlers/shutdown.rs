//! `shutdown`: stop taking work; `exit` follows.

use tower_lsp_server::jsonrpc::Result;

use crate::lsp::session::Session;

pub async fn handle(session: &Session) -> Result<()> {
    tracing::info!("shutdown requested");
    session.request_shutdown();
    Ok(())
}
