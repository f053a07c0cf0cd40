//! Conversions between LSP types and the core's plain types. Positions are never interpreted
//! here: they become `LineCol` values that only `switchboard_core::documents::position` turns
//! into offsets.

use switchboard_core::documents::{ContentChange, LineCol, PositionEncoding, Range};
use tower_lsp_server::gen_lsp_types as lsp;

pub fn line_col(position: lsp::Position) -> LineCol {
    LineCol::new(position.line, position.character)
}

pub fn position(line_col: LineCol) -> lsp::Position {
    lsp::Position::new(line_col.line, line_col.col)
}

pub fn range(range: lsp::Range) -> Range {
    Range::new(line_col(range.start), line_col(range.end))
}

pub fn lsp_range(range: Range) -> lsp::Range {
    lsp::Range::new(position(range.start), position(range.end))
}

pub fn content_change(change: lsp::TextDocumentContentChangeEvent) -> ContentChange {
    match change {
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(partial) => {
            ContentChange::replace(range(partial.range), partial.text)
        }
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(whole) => {
            ContentChange::full(whole.text)
        }
    }
}

pub fn encoding_kind(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

pub fn uri(uri: &lsp::Uri) -> &str {
    uri.as_ref()
}
