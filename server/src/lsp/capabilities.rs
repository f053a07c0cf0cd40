//! What we tell the client we can do, and what we take from what it can do.

use switchboard_core::documents::PositionEncoding;
use tower_lsp_server::gen_lsp_types as lsp;

use super::convert;
use super::session::ClientFlags;

/// Picks the position encoding from the client's `general.positionEncodings` (utf-8, then
/// utf-16, then utf-32), or UTF-16 when the client says nothing, as the spec requires.
pub fn negotiate_encoding(
    capabilities: &lsp::ClientCapabilities,
    forced: Option<PositionEncoding>,
) -> PositionEncoding {
    let offered: Vec<String> = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref())
        .map(|kinds| kinds.iter().map(|kind| String::from(kind.clone())).collect())
        .unwrap_or_default();
    match forced {
        // A forced encoding is honoured only if the client offers it (UTF-16 always is).
        Some(encoding)
            if encoding == PositionEncoding::Utf16 || offered.iter().any(|name| name == encoding.lsp_name()) =>
        {
            encoding
        }
        _ => PositionEncoding::negotiate(offered.iter().map(String::as_str)),
    }
}

pub fn client_flags(params: &lsp::InitializeParams) -> ClientFlags {
    let text_document = params.capabilities.text_document.as_ref();
    ClientFlags {
        name: params.client_info.as_ref().map(|info| info.name.clone()),
        inline_completion: text_document.and_then(|caps| caps.inline_completion.as_ref()).is_some(),
        show_message: true,
        process_id: params.process_id,
    }
}

/// Our capabilities. Ghost text for clients that show it; completion items for the others (a
/// client with both would show every suggestion twice).
pub fn server_capabilities(encoding: PositionEncoding, inline: bool, items: bool) -> lsp::ServerCapabilities {
    let sync = lsp::TextDocumentSyncOptions {
        open_close: Some(true),
        change: Some(lsp::TextDocumentSyncKind::Incremental),
        ..Default::default()
    };
    lsp::ServerCapabilities {
        position_encoding: Some(convert::encoding_kind(encoding)),
        text_document_sync: Some(sync.into()),
        inline_completion_provider: inline.then_some(lsp::InlineCompletionProvider::Bool(true)),
        completion_provider: items.then(|| lsp::CompletionOptions {
            trigger_characters: Some([".", "(", " ", ":", ">"].map(String::from).to_vec()),
            resolve_provider: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}
