//! `textDocument/didClose`: forget a document and its syntax tree.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::convert;
use crate::lsp::session::Session;

pub fn handle(session: &Session, params: lsp::DidCloseTextDocumentParams) {
    let uri = convert::uri(&params.text_document.uri);
    session.features.completion.forget(uri);
    if !session.documents.close(uri) {
        tracing::warn!(uri, "didClose for a document that was not open");
    }
}
