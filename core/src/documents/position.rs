//! Position encodings: the one place where an editor's `(line, column)` becomes a byte offset
//! in a rope and back.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, exactly as LSP defines them (the rope is built
//! with ropey's `cr_lines` and without `unicode_lines`). Columns count UTF-8 bytes, UTF-16 code
//! units or Unicode scalar values, as negotiated. Out-of-range input is clamped, never an error:
//! a column past the end of its line means the end of the line (before its line break), a line
//! past the end of the document means the end of the document, and a column that falls inside a
//! multi-unit character snaps back to the start of that character.

use ropey::{Rope, RopeSlice};

/// How columns are counted. Declared in order of preference: cheapest conversion first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum PositionEncoding {
    /// Columns count UTF-8 bytes.
    Utf8,
    /// Columns count UTF-16 code units: the LSP default, and what most editors use.
    #[default]
    Utf16,
    /// Columns count Unicode scalar values.
    Utf32,
}

impl PositionEncoding {
    /// Picks the best encoding a client offers, or UTF-16 (the LSP default) when it offers none
    /// that we know.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Self {
        offered.into_iter().filter_map(Self::from_lsp_name).min().unwrap_or_default()
    }

    pub fn from_lsp_name(name: &str) -> Option<Self> {
        match name {
            "utf-8" => Some(Self::Utf8),
            "utf-16" => Some(Self::Utf16),
            "utf-32" => Some(Self::Utf32),
            _ => None,
        }
    }

    pub fn lsp_name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf16 => "utf-16",
            Self::Utf32 => "utf-32",
        }
    }
}

/// A zero-based line and a column in some [`PositionEncoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl LineCol {
    pub const fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

/// A half-open range between two positions in the same encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Range {
    pub start: LineCol,
    pub end: LineCol,
}

impl Range {
    pub const fn new(start: LineCol, end: LineCol) -> Self {
        Self { start, end }
    }
}

/// Number of chars taken by the line break at the end of `line` (0, 1 or 2).
fn line_break_chars(line: RopeSlice<'_>) -> usize {
    let n_chars = line.len_chars();
    match n_chars {
        0 => 0,
        _ => match line.char(n_chars - 1) {
            '\n' if n_chars >= 2 && line.char(n_chars - 2) == '\r' => 2,
            '\n' | '\r' => 1,
            _ => 0,
        },
    }
}

/// Converts `position` to a byte offset into `rope`, clamping as described in the module docs.
pub fn to_byte_offset(rope: &Rope, position: LineCol, encoding: PositionEncoding) -> usize {
    let line_idx = position.line as usize;
    if line_idx >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start_byte = rope.line_to_byte(line_idx);
    let line = rope.line(line_idx);
    // Line breaks are ASCII, so their char count equals their byte count.
    let content_chars = line.len_chars() - line_break_chars(line);
    let col = position.col as usize;
    let char_in_line = match encoding {
        PositionEncoding::Utf8 => {
            let content_bytes = line.char_to_byte(content_chars);
            line.byte_to_char(col.min(content_bytes))
        }
        PositionEncoding::Utf16 => {
            let content_units = line.char_to_utf16_cu(content_chars);
            line.utf16_cu_to_char(col.min(content_units))
        }
        PositionEncoding::Utf32 => col.min(content_chars),
    };
    line_start_byte + line.char_to_byte(char_in_line)
}

/// The column `text` (the start of a line, no line break in it) ends at: its length in `encoding`.
pub fn column_of(text: &str, encoding: PositionEncoding) -> u32 {
    let col = match encoding {
        PositionEncoding::Utf8 => text.len(),
        PositionEncoding::Utf16 => text.chars().map(char::len_utf16).sum(),
        PositionEncoding::Utf32 => text.chars().count(),
    };
    saturating_u32(col)
}

/// Converts a byte offset into `rope` to a position. An offset past the end means the end; one
/// inside a character, or between the `\r` and `\n` of a CRLF, snaps back.
pub fn from_byte_offset(rope: &Rope, byte_offset: usize, encoding: PositionEncoding) -> LineCol {
    let char_idx = rope.byte_to_char(byte_offset.min(rope.len_bytes()));
    let line_idx = rope.char_to_line(char_idx);
    let line = rope.line(line_idx);
    let line_start_char = rope.line_to_char(line_idx);
    let content_chars = line.len_chars() - line_break_chars(line);
    let char_in_line = (char_idx - line_start_char).min(content_chars);
    let col = match encoding {
        PositionEncoding::Utf8 => line.char_to_byte(char_in_line),
        PositionEncoding::Utf16 => line.char_to_utf16_cu(char_in_line),
        PositionEncoding::Utf32 => char_in_line,
    };
    LineCol::new(saturating_u32(line_idx), saturating_u32(col))
}

/// The byte offset of the first character of the line that holds `byte_offset`.
pub fn line_start_byte(rope: &Rope, byte_offset: usize) -> usize {
    let byte_offset = byte_offset.min(rope.len_bytes());
    rope.line_to_byte(rope.byte_to_line(byte_offset))
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::PositionEncoding::{Utf8, Utf16, Utf32};
    use super::*;

    fn rope(text: &str) -> Rope {
        Rope::from_str(text)
    }

    #[test]
    fn negotiation_prefers_utf8_then_utf16() {
        assert_eq!(PositionEncoding::negotiate(["utf-16", "utf-8"]), Utf8);
        assert_eq!(PositionEncoding::negotiate(["utf-32", "utf-16"]), Utf16);
        assert_eq!(PositionEncoding::negotiate(["utf-32"]), Utf32);
        assert_eq!(PositionEncoding::negotiate(["latin-1"]), Utf16);
        assert_eq!(PositionEncoding::negotiate([]), Utf16);
    }

    /// `column_of` the text before an offset on its line is the column `from_byte_offset` gives,
    /// at every character boundary of a line's content, in every encoding.
    #[test]
    fn column_of_the_text_before_is_the_position_column() {
        let text = rope("é𝄞 a\r\n\tß\rz\u{2028}y\n\nlast 😀");
        for encoding in [Utf8, Utf16, Utf32] {
            for line_idx in 0..text.len_lines() {
                let start = text.line_to_byte(line_idx);
                let line = text.line(line_idx).to_string();
                let content = line.trim_end_matches(['\n', '\r']);
                for (idx, _) in content.char_indices().chain([(content.len(), ' ')]) {
                    let expected = from_byte_offset(&text, start + idx, encoding);
                    assert_eq!(expected.line as usize, line_idx);
                    assert_eq!(
                        column_of(&content[..idx], encoding),
                        expected.col,
                        "{encoding:?} line {line_idx} byte {idx}"
                    );
                }
            }
        }
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr_only() {
        let text = rope("a\nb\r\nc\rd\u{2028}e\u{85}f");
        assert_eq!(text.len_lines(), 4);
        assert_eq!(to_byte_offset(&text, LineCol::new(3, 0), Utf16), 7);
        // U+2028 (3 bytes) and U+0085 are ordinary characters inside line 3, which starts at 7.
        assert_eq!(to_byte_offset(&text, LineCol::new(3, 2), Utf16), 7 + 1 + 3);
        assert_eq!(to_byte_offset(&text, LineCol::new(3, 99), Utf16), text.len_bytes());
    }

    #[test]
    fn emoji_take_two_utf16_units_and_four_bytes() {
        let text = rope("héllo 😀 wörld");
        // "héllo " is 6 chars, 7 bytes; the emoji is 1 char, 2 UTF-16 units, 4 bytes.
        let after_emoji = "héllo 😀".len();
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 8), Utf16), after_emoji);
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 7), Utf32), after_emoji);
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 11), Utf8), after_emoji);
        for encoding in [Utf8, Utf16, Utf32] {
            let back = from_byte_offset(&text, after_emoji, encoding);
            assert_eq!(to_byte_offset(&text, back, encoding), after_emoji);
        }
        assert_eq!(from_byte_offset(&text, after_emoji, Utf16), LineCol::new(0, 8));
    }

    #[test]
    fn a_column_inside_a_character_snaps_to_its_start() {
        let text = rope("a😀b");
        // UTF-16 column 2 is between the surrogates; UTF-8 column 3 is inside the emoji.
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 2), Utf16), 1);
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 3), Utf8), 1);
        assert_eq!(from_byte_offset(&text, 3, Utf16), LineCol::new(0, 1));
    }

    #[test]
    fn cjk_and_combining_characters() {
        // 日本 are 3 bytes and 1 UTF-16 unit each; e + U+0301 is two scalar values.
        let text = rope("日本e\u{301}x");
        let before_x = "日本e\u{301}".len();
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 4), Utf16), before_x);
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 4), Utf32), before_x);
        assert_eq!(to_byte_offset(&text, LineCol::new(0, 9), Utf8), before_x);
        assert_eq!(from_byte_offset(&text, before_x, Utf8), LineCol::new(0, 9));
    }

    #[test]
    fn columns_past_the_line_end_clamp_before_the_line_break() {
        let text = rope("ab\r\ncd\ref\n");
        for encoding in [Utf8, Utf16, Utf32] {
            assert_eq!(to_byte_offset(&text, LineCol::new(0, 99), encoding), 2);
            assert_eq!(to_byte_offset(&text, LineCol::new(1, 99), encoding), 6);
            assert_eq!(to_byte_offset(&text, LineCol::new(2, 99), encoding), 9);
            // The empty last line after the final newline.
            assert_eq!(to_byte_offset(&text, LineCol::new(3, 5), encoding), 10);
        }
    }

    #[test]
    fn lines_past_the_end_clamp_to_the_document_end() {
        let text = rope("ab\ncd");
        assert_eq!(to_byte_offset(&text, LineCol::new(7, 0), Utf16), 5);
        assert_eq!(to_byte_offset(&text, LineCol::new(u32::MAX, u32::MAX), Utf8), 5);
        assert_eq!(from_byte_offset(&text, 999, Utf16), LineCol::new(1, 2));
        let empty = rope("");
        assert_eq!(to_byte_offset(&empty, LineCol::new(3, 3), Utf16), 0);
        assert_eq!(from_byte_offset(&empty, 3, Utf16), LineCol::new(0, 0));
    }

    #[test]
    fn an_offset_between_cr_and_lf_snaps_to_the_line_end() {
        let text = rope("ab\r\ncd");
        assert_eq!(from_byte_offset(&text, 3, Utf16), LineCol::new(0, 2));
        assert_eq!(from_byte_offset(&text, 4, Utf16), LineCol::new(1, 0));
    }

    #[test]
    fn every_char_boundary_round_trips_in_every_encoding() {
        let source = "fn 𝔣() {\r\n  \"日本\"\r  e\u{301} 😀\n}\n";
        let text = rope(source);
        for (byte_offset, _) in source.char_indices().chain([(source.len(), ' ')]) {
            if source[..byte_offset].ends_with('\r') && source[byte_offset..].starts_with('\n') {
                continue;
            }
            for encoding in [Utf8, Utf16, Utf32] {
                let position = from_byte_offset(&text, byte_offset, encoding);
                assert_eq!(
                    to_byte_offset(&text, position, encoding),
                    byte_offset,
                    "{encoding:?} at byte {byte_offset}"
                );
            }
        }
    }
}
