//! `textDocument/didOpen`: start tracking a document. Never parses: that waits for a feature
//! that needs the tree.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::convert;
use crate::lsp::session::Session;

pub fn handle(session: &Session, params: lsp::DidOpenTextDocumentParams) {
    let document = params.text_document;
    let language_id = String::from(document.language_id);
    let uri = convert::uri(&document.uri);
    session.documents.open(uri, &language_id, document.version, &document.text);
    session.features.completion.note_open(uri);
}
