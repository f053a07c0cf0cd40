//! `textDocument/didOpen`: start tracking a document. Never parses: that waits for a feature
//! that needs the tree. The language's queries are compiled in the background (once).

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::convert;
use crate::lsp::session::Session;

pub fn handle(session: &Session, params: lsp::DidOpenTextDocumentParams) {
    let document = params.text_document;
    let language_id = String::from(document.language_id);
    let uri = convert::uri(&document.uri);
    session.documents.open(uri, &language_id, document.version, &document.text);
    session.features.completion.note_open(uri);
    // The language's queries are compiled once per process, in the background, so the first
    // completion in a language does not wait for them.
    if let Some(language) = session.documents.snapshot(uri).and_then(|snapshot| snapshot.language()) {
        tokio::task::spawn_blocking(move || switchboard_core::context::warm_up(language));
    }
}
