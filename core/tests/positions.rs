//! Property tests of position conversion (issue 11): any line and column an editor may send,
//! past the end and `u32::MAX` included, in every encoding, over text with every kind of line
//! break and characters of every width, against a naive model of LSP positions written
//! independently of `position.rs` (the same model as `document_edits.rs`).

use proptest::prelude::*;
use ropey::Rope;
use switchboard_core::documents::position::{from_byte_offset, line_start_byte, to_byte_offset};
use switchboard_core::documents::{LineCol, PositionEncoding};

/// `(start, content end)` of every line: lines end at `\n`, `\r\n` or a lone `\r`.
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

/// The byte offset of `position`: a line past the end is the end of the text, a column past the
/// line's content is its end, a column inside a character is that character's start.
fn model_offset(text: &str, position: LineCol, encoding: PositionEncoding) -> usize {
    let Some(&(start, end)) = lines(text).get(position.line as usize) else {
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

/// Where `byte_offset` lands: clamped to the text, snapped back to a character's start, and
/// from between a CRLF's `\r` and `\n` back to the end of the line's content.
fn model_snap(text: &str, byte_offset: usize) -> usize {
    let mut offset = byte_offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
        offset -= 1;
    }
    offset
}

/// The position of a snapped offset, counted by the model.
fn model_position(text: &str, byte_offset: usize, encoding: PositionEncoding) -> LineCol {
    let lines = lines(text);
    let line = lines.iter().rposition(|&(start, _)| start <= byte_offset).unwrap_or(0);
    let (start, end) = lines[line];
    let col = text[start..byte_offset.min(end)].chars().map(|ch| units(ch, encoding)).sum::<usize>();
    LineCol::new(line as u32, col as u32)
}

fn text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "bc",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\r\r\n",
        "\n\r",
        "é",
        "e\u{301}",
        "日本",
        "😀",
        "𝔣",
        "\u{10ffff}",
        "\u{feff}",
        "\u{2028}",
        "\u{85}",
        "\u{0}",
        "👩\u{200d}💻",
        "🇫🇷",
    ]);
    prop_oneof![
        4 => prop::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat()),
        1 => "\\PC{0,40}",
        1 => "(?s).{0,40}",
    ]
}

fn encoding() -> impl Strategy<Value = PositionEncoding> {
    prop::sample::select(vec![PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32])
}

/// A line or column near where the text is, or far past it.
fn coordinate() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 0u32..40,
        1 => Just(u32::MAX),
        1 => Just(u32::MAX - 1),
        1 => any::<u32>(),
    ]
}

fn is_inside_crlf(text: &str, offset: usize) -> bool {
    offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Any position maps to a character boundary inside the text, never between a CRLF's two
    /// halves, exactly where the model puts it.
    #[test]
    fn any_position_maps_to_a_boundary(text in text(), line in coordinate(), col in coordinate(), encoding in encoding()) {
        let rope = Rope::from_str(&text);
        let position = LineCol::new(line, col);
        let offset = to_byte_offset(&rope, position, encoding);
        prop_assert!(offset <= text.len());
        prop_assert!(text.is_char_boundary(offset));
        prop_assert!(!is_inside_crlf(&text, offset));
        prop_assert_eq!(offset, model_offset(&text, position, encoding));
    }

    /// Any byte offset, `usize::MAX` and offsets inside characters included, maps to the
    /// model's position, and back to the offset it snapped to.
    #[test]
    fn any_offset_maps_to_a_position_and_back(text in text(), raw in prop_oneof![0usize..200, Just(usize::MAX), any::<usize>()], encoding in encoding()) {
        let rope = Rope::from_str(&text);
        let position = from_byte_offset(&rope, raw, encoding);
        let snapped = model_snap(&text, raw);
        prop_assert_eq!(position, model_position(&text, snapped, encoding));
        prop_assert_eq!(to_byte_offset(&rope, position, encoding), snapped);
        let line_start = line_start_byte(&rope, raw);
        prop_assert_eq!(line_start, lines(&text)[position.line as usize].0);
    }

    /// Every position inside the text that is not inside a character round-trips, in every
    /// encoding.
    #[test]
    fn in_range_positions_round_trip(text in text(), pick in any::<prop::sample::Index>(), encoding in encoding()) {
        let rope = Rope::from_str(&text);
        // Every valid position: each line's columns at character boundaries, its end included.
        let mut positions = Vec::new();
        for (line, &(start, end)) in lines(&text).iter().enumerate() {
            let mut col = 0;
            positions.push(LineCol::new(line as u32, 0));
            for ch in text[start..end].chars() {
                col += units(ch, encoding);
                positions.push(LineCol::new(line as u32, col as u32));
            }
        }
        let position = positions[pick.index(positions.len())];
        let offset = to_byte_offset(&rope, position, encoding);
        prop_assert_eq!(from_byte_offset(&rope, offset, encoding), position);
    }
}
