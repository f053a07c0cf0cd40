//! Property test: random edit sequences applied to a `Document`, in every position encoding,
//! give the same text as a plain `String` with a naive, independent implementation of LSP
//! positions (line breaks `\n`, `\r\n`, lone `\r`; columns clamped to the line's content;
//! columns inside a character snapped back to its start; lines past the end → end of text).

use proptest::prelude::*;
use switchboard_core::documents::{ContentChange, Document, LineCol, PositionEncoding, Range};

/// Start offsets of every line, and the byte offset where each line's content ends.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut result = Vec::new();
    let mut start = 0;
    let mut idx = 0;
    while idx < bytes.len() {
        match bytes[idx] {
            b'\r' if bytes.get(idx + 1) == Some(&b'\n') => {
                result.push((start, idx));
                idx += 2;
                start = idx;
            }
            b'\r' | b'\n' => {
                result.push((start, idx));
                idx += 1;
                start = idx;
            }
            _ => idx += 1,
        }
    }
    result.push((start, bytes.len()));
    result
}

fn units(ch: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => ch.len_utf8(),
        PositionEncoding::Utf16 => ch.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

fn model_offset(text: &str, position: LineCol, encoding: PositionEncoding) -> usize {
    let lines = lines(text);
    let Some(&(start, end)) = lines.get(position.line as usize) else {
        return text.len();
    };
    let mut consumed = 0;
    for (offset, ch) in text[start..end].char_indices() {
        if consumed + units(ch, encoding) > position.col as usize {
            return start + offset;
        }
        consumed += units(ch, encoding);
    }
    end
}

fn model_apply(text: &mut String, change: &ContentChange, encoding: PositionEncoding) {
    match change.range {
        None => *text = change.text.clone(),
        Some(range) => {
            let mut start = model_offset(text, range.start, encoding);
            let mut end = model_offset(text, range.end, encoding);
            if end < start {
                std::mem::swap(&mut start, &mut end);
            }
            text.replace_range(start..end, &change.text);
        }
    }
}

fn fragment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "bc", " ", "\n", "\r\n", "\r", "é", "e\u{301}", "日本", "😀", "𝔣", "{", "}", "\t", "x\ny",
    ]);
    prop::collection::vec(pieces, 0..4).prop_map(|parts| parts.concat())
}

fn change() -> impl Strategy<Value = ContentChange> {
    let position = (0u32..8, 0u32..14).prop_map(|(line, col)| LineCol::new(line, col));
    prop_oneof![
        9 => (position.clone(), position, fragment())
            .prop_map(|(start, end, text)| ContentChange::replace(Range::new(start, end), text)),
        1 => fragment().prop_map(ContentChange::full),
    ]
}

fn encoding() -> impl Strategy<Value = PositionEncoding> {
    prop::sample::select(vec![PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_match_a_string_model(
        initial in fragment(),
        batches in prop::collection::vec(prop::collection::vec(change(), 1..4), 1..12),
        encoding in encoding(),
    ) {
        let mut document = Document::new("file:///model.txt", "plaintext", 0, &initial);
        let mut model = initial.clone();
        for (version, batch) in batches.iter().enumerate() {
            document.apply_changes(version as i32 + 1, batch, encoding);
            for change in batch {
                model_apply(&mut model, change, encoding);
            }
            prop_assert_eq!(document.rope().to_string(), model.clone());
        }
        prop_assert_eq!(document.version(), batches.len() as i32);
    }
}
