//! Rope reading for context extraction: line bounds, char-boundary snapping and small copies.
//!
//! Everything here works on byte offsets into the rope and costs O(log n) per call, so callers can
//! walk a window of lines without ever materializing the document. Line breaks are LSP's (`\n`,
//! `\r\n`, lone `\r`), as the rope counts them.

use std::borrow::Cow;

use ropey::{Rope, RopeSlice};

/// Where one line starts, where its content ends (before the line break) and where the next line
/// starts (after the line break; the document length for the last line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineBounds {
    pub start: usize,
    pub content_end: usize,
    pub next_start: usize,
}

/// One line of the rope, line break included, and where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'rope> {
    pub idx: usize,
    pub start: usize,
    pub slice: RopeSlice<'rope>,
}

impl<'rope> Line<'rope> {
    /// The line's text without its line break; borrowed unless the line straddles rope chunks.
    pub(crate) fn content(&self) -> Cow<'rope, str> {
        match Cow::from(self.slice) {
            Cow::Borrowed(text) => Cow::Borrowed(strip_line_break(text)),
            Cow::Owned(mut text) => {
                text.truncate(strip_line_break(&text).len());
                Cow::Owned(text)
            }
        }
    }
}

fn strip_line_break(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

/// The lines from `line_idx` down to the end of the document. Walking a rope's lines with its
/// iterator is much cheaper than looking each line up by index.
pub(crate) fn lines_from(rope: &Rope, line_idx: usize) -> impl Iterator<Item = Line<'_>> + Clone {
    let line_idx = line_idx.min(rope.len_lines());
    let mut start = line_start(rope, line_idx);
    let mut idx = line_idx;
    let mut lines = rope.lines_at(line_idx);
    std::iter::from_fn(move || {
        let slice = lines.next()?;
        let line = Line { idx, start, slice };
        idx += 1;
        start += slice.len_bytes();
        Some(line)
    })
}

/// The lines of `text`, which starts at byte `start` of the rope at line `idx`: each line's index,
/// start and content without its line break. Breaks are the rope's (`\n`, `\r\n`, lone `\r`).
/// For a stretch read line by line, one copy of its text and this beat ropey's line iterator.
pub(crate) fn split_lines(text: &str, start: usize, idx: usize) -> impl Iterator<Item = (usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut idx = idx;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let rest = &bytes[at..];
        let (content_len, break_len) = match memchr::memchr2(b'\n', b'\r', rest) {
            Some(pos) if rest[pos] == b'\r' && rest.get(pos + 1) == Some(&b'\n') => (pos, 2),
            Some(pos) => (pos, 1),
            None => (rest.len(), 0),
        };
        let line = (idx, start + at, &text[at..at + content_len]);
        at += content_len + break_len;
        idx += 1;
        Some(line)
    })
}

/// The contents (without line breaks) of the rope's lines `lines`, clamped to the document,
/// from one copy of their text.
pub fn line_texts(rope: &Rope, lines: std::ops::Range<usize>) -> Vec<String> {
    let end = lines.end.min(rope.len_lines());
    let first = lines.start.min(end);
    let text = String::from(rope.byte_slice(line_start(rope, first)..line_start(rope, end)));
    let mut texts: Vec<String> = split_lines(&text, 0, first).map(|(_, _, content)| content.to_owned()).collect();
    // The empty line after a final line break has no text to split.
    texts.resize(end - first, String::new());
    texts
}

/// The lines above `line_idx`, nearest first.
pub(crate) fn lines_before(rope: &Rope, line_idx: usize) -> impl Iterator<Item = Line<'_>> + Clone {
    let line_idx = line_idx.min(rope.len_lines());
    let mut start = line_start(rope, line_idx);
    let mut idx = line_idx;
    let mut lines = rope.lines_at(line_idx);
    std::iter::from_fn(move || {
        let slice = lines.prev()?;
        idx = idx.checked_sub(1)?;
        start = start.checked_sub(slice.len_bytes())?;
        Some(Line { idx, start, slice })
    })
}

/// The bounds of line `line_idx`, clamped to the last line.
pub(crate) fn line_bounds(rope: &Rope, line_idx: usize) -> LineBounds {
    let line_idx = line_idx.min(rope.len_lines().saturating_sub(1));
    let start = line_start(rope, line_idx);
    let next_start = line_start(rope, line_idx + 1).max(start);
    let mut content_end = next_start;
    if content_end > start && rope.byte(content_end - 1) == b'\n' {
        content_end -= 1;
    }
    if content_end > start && rope.byte(content_end - 1) == b'\r' {
        content_end -= 1;
    }
    LineBounds { start, content_end, next_start }
}

/// The byte where line `line_idx` starts; the document length past the last line.
pub(crate) fn line_start(rope: &Rope, line_idx: usize) -> usize {
    rope.try_line_to_byte(line_idx).unwrap_or_else(|_| rope.len_bytes())
}

/// The line that contains `byte_offset` (clamped to the document).
pub(crate) fn line_of(rope: &Rope, byte_offset: usize) -> usize {
    rope.byte_to_line(byte_offset.min(rope.len_bytes()))
}

/// Clamps a requested cursor into the document and onto a place where one can type: never inside
/// a multi-byte character (snaps back to its start) and never between the `\r` and `\n` of a CRLF
/// (snaps back before the `\r`, the end of the line's content).
pub(crate) fn normalize_cursor(rope: &Rope, byte_offset: usize) -> usize {
    let cursor = snap_back(rope, byte_offset);
    if cursor > 0 && cursor < rope.len_bytes() && rope.byte(cursor - 1) == b'\r' && rope.byte(cursor) == b'\n' {
        cursor - 1
    } else {
        cursor
    }
}

/// The start of the character containing `byte_offset` (clamped to the document).
pub(crate) fn snap_back(rope: &Rope, byte_offset: usize) -> usize {
    let byte_offset = byte_offset.min(rope.len_bytes());
    rope.char_to_byte(rope.byte_to_char(byte_offset))
}

/// The first character boundary at or after `byte_offset` (clamped to the document).
pub(crate) fn snap_forward(rope: &Rope, byte_offset: usize) -> usize {
    let byte_offset = byte_offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(byte_offset);
    let start = rope.char_to_byte(char_idx);
    if start == byte_offset { start } else { rope.char_to_byte(char_idx + 1) }
}

/// The text of a byte range, borrowed when it lies in one chunk. Ranges that are out of bounds or
/// not on character boundaries (a caller bug) give an empty string rather than a panic.
pub(crate) fn text(rope: &Rope, start: usize, end: usize) -> Cow<'_, str> {
    match rope.get_byte_slice(start..end.max(start)) {
        Some(slice) => slice.into(),
        None => {
            tracing::warn!(start, end, len = rope.len_bytes(), "context: byte range off character boundaries");
            Cow::Borrowed("")
        }
    }
}

pub(crate) use crate::text::indent_width;

/// The byte length of the leading whitespace of `line`.
pub(crate) fn indent_len(line: &str) -> usize {
    // ASCII whitespace byte by byte (`trim_start` decodes each char); the rest of the line only
    // when a non-ASCII char, which may be Unicode whitespace, follows.
    // `char::is_whitespace`'s ASCII members: `u8::is_ascii_whitespace` leaves out 0x0b.
    let ascii = line.bytes().position(|byte| !matches!(byte, b' ' | b'\t'..=b'\r')).unwrap_or(line.len());
    match line.as_bytes().get(ascii) {
        Some(byte) if !byte.is_ascii() => line.len() - line[ascii..].trim_start().len(),
        _ => ascii,
    }
}

/// `text` cut to at most `max_bytes`, at a character boundary.
pub(crate) fn truncate_at_char(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_len_is_the_length_trim_start_takes_off() {
        let lines = [
            "",
            "x",
            "    x",
            "\t\tx",
            " \u{b}\u{c}\r\nx",
            "\u{a0}x",
            "  \u{3000}\u{2028}x",
            "  é",
            "\u{1c}x",
            "   ",
            "\u{85}",
        ];
        for line in lines {
            assert_eq!(indent_len(line), line.len() - line.trim_start().len(), "{line:?}");
        }
    }

    #[test]
    fn split_lines_agrees_with_the_rope_on_every_line_break() {
        let text = "a\r\nbb\rccc\n\nd";
        let rope = Rope::from_str(text);
        let from_rope: Vec<(usize, usize, String)> =
            lines_from(&rope, 0).map(|line| (line.idx, line.start, line.content().into_owned())).collect();
        let split: Vec<(usize, usize, String)> =
            split_lines(text, 0, 0).map(|(idx, start, content)| (idx, start, content.to_owned())).collect();
        assert_eq!(split, from_rope);
        // From the middle: indices and offsets follow the rope's.
        let tail: Vec<(usize, usize, &str)> = split_lines(&text[3..], 3, 1).collect();
        assert_eq!(tail, [(1, 3, "bb"), (2, 6, "ccc"), (3, 10, ""), (4, 11, "d")]);
    }

    #[test]
    fn line_texts_are_the_rope_lines_without_their_breaks() {
        let rope = Rope::from_str("a\r\nbb\rccc\n\nd\n");
        let each = |range: std::ops::Range<usize>| -> Vec<String> {
            range
                .filter_map(|line| rope.get_line(line))
                .map(|slice| slice.to_string().trim_end_matches(['\n', '\r']).to_owned())
                .collect()
        };
        for (start, end) in [(0, 6), (1, 3), (2, 2), (4, 9), (5, 6), (9, 12)] {
            assert_eq!(line_texts(&rope, start..end), each(start..end), "{start}..{end}");
        }
    }

    #[test]
    fn line_bounds_know_every_line_break() {
        let rope = Rope::from_str("ab\r\ncd\ref\n\ngh");
        let bounds: Vec<_> = (0..rope.len_lines())
            .map(|line| line_bounds(&rope, line))
            .map(|b| (b.start, b.content_end, b.next_start))
            .collect();
        assert_eq!(bounds, [(0, 2, 4), (4, 6, 7), (7, 9, 10), (10, 10, 11), (11, 13, 13)]);
        // Past the end: the last line.
        assert_eq!(line_bounds(&rope, 99).start, 11);
        let empty = Rope::new();
        assert_eq!(line_bounds(&empty, 0), LineBounds { start: 0, content_end: 0, next_start: 0 });
    }

    #[test]
    fn line_iterators_agree_with_line_bounds() {
        let rope = Rope::from_str("ab\r\ncd\ref\n\ngh");
        let down: Vec<_> =
            lines_from(&rope, 1).map(|line| (line.idx, line.start, line.content().into_owned())).collect();
        assert_eq!(
            down,
            [(1, 4, "cd".to_owned()), (2, 7, "ef".to_owned()), (3, 10, String::new()), (4, 11, "gh".to_owned())]
        );
        let up: Vec<_> = lines_before(&rope, 3).map(|line| (line.idx, line.start, line.slice.len_bytes())).collect();
        assert_eq!(up, [(2, 7, 3), (1, 4, 3), (0, 0, 4)]);
        assert_eq!(lines_before(&rope, 0).count(), 0);
        assert_eq!(lines_from(&rope, 99).count(), 0);
    }

    #[test]
    fn cursors_snap_out_of_characters_and_crlf() {
        let rope = Rope::from_str("é\r\nx");
        assert_eq!(normalize_cursor(&rope, 1), 0);
        assert_eq!(normalize_cursor(&rope, 2), 2);
        assert_eq!(normalize_cursor(&rope, 3), 2);
        assert_eq!(normalize_cursor(&rope, 4), 4);
        assert_eq!(normalize_cursor(&rope, 999), 5);
        assert_eq!(snap_forward(&rope, 1), 2);
        assert_eq!(truncate_at_char("aé", 2), "a");
    }
}
