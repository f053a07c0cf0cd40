//! `initialize`: negotiate the position encoding, record what the client can do, declare ours.

use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;

use crate::lsp::capabilities;
use crate::lsp::session::Session;

pub async fn handle(session: &Session, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
    let encoding = capabilities::negotiate_encoding(&params.capabilities, None);
    session.set_encoding(encoding);
    let flags = capabilities::client_flags(&params);
    tracing::info!(client = ?flags.name, encoding = encoding.lsp_name(), inline = flags.inline_completion, "initialize");
    session.set_flags(flags);
    Ok(lsp::InitializeResult {
        capabilities: capabilities::server_capabilities(encoding),
        server_info: Some(lsp::ServerInfo::new("switchboard".to_owned(), Some(env!("CARGO_PKG_VERSION").to_owned()))),
    })
}
