//! `textDocument/didChange`: apply the changes in order, synchronously (no `.await` between
//! reading and writing the document), so edits land in the order the editor sent them.

use tower_lsp_server::gen_lsp_types as lsp;

use crate::lsp::convert;
use crate::lsp::session::Session;

pub fn handle(session: &Session, params: lsp::DidChangeTextDocumentParams) {
    let uri = convert::uri(&params.text_document.text_document_identifier.uri);
    let changes: Vec<_> = params.content_changes.into_iter().map(convert::content_change).collect();
    if let Err(error) = session.documents.change(uri, params.text_document.version, &changes, session.encoding()) {
        tracing::warn!(%error, "didChange ignored");
        return;
    }
    // O(1) bookkeeping for completion: typing rhythm and where the user is editing.
    if let Some(line) = changes.last().and_then(|change| change.range).map(|range| range.start.line as usize) {
        session.features.completion.note_edit(uri, line);
    }
}
