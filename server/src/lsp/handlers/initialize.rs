//! `initialize`: load the configuration layers, negotiate the position encoding, record what the
//! client can do, declare what we do.

use std::path::PathBuf;

use switchboard_core::documents::path_of_uri;
use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;

use crate::lsp::capabilities;
use crate::lsp::session::Session;

/// The first workspace folder, else the deprecated `rootUri`.
fn workspace_root(params: &lsp::InitializeParams) -> Option<PathBuf> {
    let folder_uri = params
        .workspace_folders_initialize_params
        .workspace_folders
        .as_ref()
        .and_then(|folders| match folders {
            lsp::WorkspaceFolders::WorkspaceFolderList(list) => list.first(),
            lsp::WorkspaceFolders::Null => None,
        })
        .map(|folder| folder.uri.clone())
        .or_else(|| deprecated_root_uri(params))?;
    let path = path_of_uri(folder_uri.as_ref());
    path.starts_with('/').then(|| PathBuf::from(path))
}

/// Clients that predate workspace folders still send only `rootUri`.
#[allow(deprecated, reason = "older clients send only rootUri")]
fn deprecated_root_uri(params: &lsp::InitializeParams) -> Option<lsp::Uri> {
    params.root_uri.clone()
}

pub async fn handle(session: &Session, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
    let root = workspace_root(&params);
    let location = session.config_location.clone();
    let config = session.update_config(|state| {
        let _ = state.load_user_file(&location);
        if let Some(options) = &params.initialization_options {
            let _ = state.apply_init_options(options);
        }
        match &root {
            Some(root) => state.load_workspace_file(root),
            None => state.clear_workspace_file(),
        }
    });
    if let Ok(mut slot) = session.root.lock() {
        *slot = root;
    }
    let forced = config
        .and(Some(session.config()))
        .and_then(|config| config.server.position_encoding)
        .map(|setting| setting.encoding());
    let encoding = capabilities::negotiate_encoding(&params.capabilities, forced);
    session.set_encoding(encoding);
    let flags = capabilities::client_flags(&params);
    tracing::info!(client = ?flags.name, encoding = encoding.lsp_name(), inline = flags.inline_completion, "initialize");
    // Chains are ready before we answer, so the first completion request finds them (clients
    // send no requests before this answer).
    session.install_chains(crate::lsp::session::Tell::AllButNoProvider).await;
    let inline = flags.inline_completion && session.config().completion.surfaces.inline;
    let resolve = capabilities::offers_resolve(&flags);
    session.set_flags(flags);
    let items = session.items_enabled(&session.config());
    Ok(lsp::InitializeResult {
        capabilities: capabilities::server_capabilities(capabilities::Offered {
            encoding,
            inline,
            items,
            // Always declared: listing is free and `actions.enabled` is read at each request, so
            // turning actions on or off needs no restart.
            actions: true,
            resolve,
        }),
        server_info: Some(lsp::ServerInfo::new("switchboard".to_owned(), Some(env!("CARGO_PKG_VERSION").to_owned()))),
    })
}
