//! `textDocument/didClose`: forget a document and its syntax tree, and stop
//! what runs on it (completion calls, actions: nothing is applied to a closed document).

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::convert;
use crate::lsp::session::Session;

pub fn handle(session: &Session, params: lsp::DidCloseTextDocumentParams) {
    let uri = convert::uri(&params.text_document.uri);
    session.features.completion.forget(uri);
    session.features.actions.forget(uri);
    if !session.documents.close(uri) {
        tracing::warn!(uri, "didClose for a document that was not open");
    }
}
