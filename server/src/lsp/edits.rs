//! Line edits (the actions engine's) as LSP text edits: positions in the negotiated encoding,
//! the document's own line ending, and the last line of a document that does not end with a
//! line break (there is no line after it to put the end of a range on).

use serde_json::{Value, json};
use switchboard_core::documents::{DocumentSnapshot, PositionEncoding, position};

use crate::actions::rewrite::LineEdit;

/// The line ending the document uses (its first one), `\n` when it has none.
pub fn line_ending(snapshot: &DocumentSnapshot) -> &'static str {
    let rope = snapshot.rope();
    let first_break = rope.bytes().position(|byte| byte == b'\n');
    match first_break {
        Some(at) if at > 0 && rope.byte(at - 1) == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// `edits` (against `snapshot`'s lines) as LSP `TextEdit` JSON values.
pub fn text_edits(snapshot: &DocumentSnapshot, edits: &[LineEdit], encoding: PositionEncoding) -> Vec<Value> {
    let eol = line_ending(snapshot);
    let rope = snapshot.rope();
    let text_len = rope.len_bytes();
    let ends_with_break = text_len > 0 && rope.byte(text_len - 1) == b'\n';
    // Lines as the engine counts them: a final line break starts no line.
    let n_lines = if ends_with_break { rope.len_lines() - 1 } else { rope.len_lines() };
    let at_byte = |byte: usize| {
        let point = position::from_byte_offset(rope, byte, encoding);
        json!({ "line": point.line, "character": point.col })
    };
    let line_start = |line: usize| at_byte(rope.line_to_byte(line));
    let end_of_text = at_byte(text_len);
    edits
        .iter()
        .map(|edit| {
            let start = edit.start.min(n_lines);
            let end = edit.end.clamp(start, n_lines);
            let body = edit.lines.join(eol);
            let (from, to, text) = if end < n_lines || ends_with_break {
                // Whole lines, each ending with a line break.
                let text = if edit.lines.is_empty() { String::new() } else { format!("{body}{eol}") };
                (line_start(start), if end < n_lines { line_start(end) } else { end_of_text.clone() }, text)
            } else if start < n_lines {
                // Up to the end of a last line that has no line break: the new text has none either.
                if edit.lines.is_empty() && start > 0 {
                    // Deleting the last lines also deletes the break before them.
                    let previous_end = rope.line_to_byte(start) - eol.len();
                    (at_byte(previous_end), end_of_text.clone(), String::new())
                } else {
                    (line_start(start), end_of_text.clone(), body)
                }
            } else {
                // After the last line, which has no line break: add one first.
                let text = if edit.lines.is_empty() { String::new() } else { format!("{eol}{body}") };
                (end_of_text.clone(), end_of_text.clone(), text)
            };
            json!({ "range": { "start": from, "end": to }, "newText": text })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies LSP edits (UTF-8 positions, non-overlapping) to `text`, last first.
    fn apply(text: &str, edits: &[Value]) -> String {
        let snapshot = DocumentSnapshot::from_text("file:///t.txt", "plaintext", text);
        let rope = snapshot.rope();
        let offset = |point: &Value| {
            let line = point["line"].as_u64().unwrap() as usize;
            let col = point["character"].as_u64().unwrap() as usize;
            if line >= rope.len_lines() { rope.len_bytes() } else { rope.line_to_byte(line) + col }
        };
        let mut spans: Vec<(usize, usize, String)> = edits
            .iter()
            .map(|edit| {
                (
                    offset(&edit["range"]["start"]),
                    offset(&edit["range"]["end"]),
                    edit["newText"].as_str().unwrap().into(),
                )
            })
            .collect();
        spans.sort_by_key(|span| std::cmp::Reverse(span.0));
        let mut out = text.to_owned();
        for (start, end, new_text) in spans {
            out.replace_range(start..end, &new_text);
        }
        out
    }

    fn edit(start: usize, end: usize, lines: &[&str]) -> LineEdit {
        LineEdit { start, end, lines: lines.iter().map(|line| (*line).to_owned()).collect() }
    }

    fn applied(text: &str, edits: &[LineEdit]) -> String {
        let snapshot = DocumentSnapshot::from_text("file:///t.txt", "plaintext", text);
        apply(text, &text_edits(&snapshot, edits, PositionEncoding::Utf8))
    }

    #[test]
    fn edits_in_the_middle_replace_whole_lines() {
        assert_eq!(applied("a\nb\nc\n", &[edit(1, 2, &["B1", "B2"])]), "a\nB1\nB2\nc\n");
        assert_eq!(applied("a\nb\nc\n", &[edit(1, 2, &[])]), "a\nc\n");
        assert_eq!(applied("a\nb\nc\n", &[edit(1, 1, &["new"])]), "a\nnew\nb\nc\n");
    }

    #[test]
    fn the_document_keeps_its_line_endings() {
        assert_eq!(applied("a\r\nb\r\nc\r\n", &[edit(1, 2, &["x", "y"])]), "a\r\nx\r\ny\r\nc\r\n");
        assert_eq!(applied("a\r\nb", &[edit(1, 2, &["x", "y"])]), "a\r\nx\r\ny");
    }

    #[test]
    fn a_last_line_without_a_line_break_is_edited_in_place() {
        assert_eq!(applied("a\nb", &[edit(1, 2, &["x", "y"])]), "a\nx\ny");
        assert_eq!(applied("a\nb", &[edit(1, 2, &[])]), "a");
        assert_eq!(applied("a\nb", &[edit(2, 2, &["", "tests"])]), "a\nb\n\ntests");
        assert_eq!(applied("a\nb\n", &[edit(2, 2, &["", "tests"])]), "a\nb\n\ntests\n");
        assert_eq!(applied("only", &[edit(0, 1, &[])]), "");
        assert_eq!(applied("", &[edit(0, 0, &["x"])]), "x\n");
    }

    #[test]
    fn columns_are_in_the_negotiated_encoding() {
        let text = "é😀\nb";
        let snapshot = DocumentSnapshot::from_text("file:///t.txt", "plaintext", text);
        let edits = text_edits(&snapshot, &[edit(1, 2, &[])], PositionEncoding::Utf16);
        assert_eq!(edits[0]["range"]["start"], json!({ "line": 0, "character": 3 }));
    }
}
