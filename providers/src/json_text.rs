//! JSON strings for the large texts of a request (the code before and after the cursor), written
//! a word at a time.
//!
//! serde_json looks each byte up in a table and writes every run between two escapes on its own;
//! code has a line break every few dozen bytes, and the prompt and suffix are most of a body, so
//! that was a tenth of the server's work per completion. Here eight bytes are checked at once for
//! one that needs escaping (`"`, `\`, or a control character below U+0020), and runs are copied
//! whole. The output is byte for byte what serde_json writes (tests check it).

/// Appends `text` to `out` as a JSON string, quotes included.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 16 + 2);
    out.push(b'"');
    let mut run_start = 0;
    let mut idx = 0;
    while let Some(word) = bytes.get(idx..idx + 8) {
        let mask = escape_mask(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if mask == 0 {
            idx += 8;
            continue;
        }
        // The lowest flagged byte is one to escape (see `escape_mask`); go on right after it.
        idx += (mask.trailing_zeros() / 8) as usize;
        escape_at(out, bytes, idx, &mut run_start);
        idx += 1;
    }
    for idx in idx..bytes.len() {
        escape_at(out, bytes, idx, &mut run_start);
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// If `bytes[idx]` needs escaping, writes the run before it (from `run_start`) and its escape.
fn escape_at(out: &mut Vec<u8>, bytes: &[u8], idx: usize, run_start: &mut usize) {
    let byte = bytes[idx];
    let Some(escape) = escape_of(byte) else { return };
    out.extend_from_slice(&bytes[*run_start..idx]);
    match escape {
        Escape::Short(letter) => out.extend_from_slice(&[b'\\', letter]),
        Escape::Unicode => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
        }
    }
    *run_start = idx + 1;
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` (little-endian) that is `"`, `\` or below 0x20, and
/// perhaps of some bytes above such a byte: a byte's borrow can flag the next. Zero exactly when
/// no byte needs escaping, and the lowest flag is always a byte that does.
fn escape_mask(word: u64) -> u64 {
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x;
    // Below 0x20: subtracting 0x20 sets the high bit of such a byte; bytes of 0x80 and above
    // have it set already, and `!word` clears those.
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    (below_space | zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\')))) & HIGHS
}

enum Escape {
    /// `\n`, `\"` and the like.
    Short(u8),
    /// `\u00XX`.
    Unicode,
}

/// How serde_json escapes `byte`, if it does (RFC 8259 section 7 requires these and no others).
fn escape_of(byte: u8) -> Option<Escape> {
    Some(match byte {
        b'"' => Escape::Short(b'"'),
        b'\\' => Escape::Short(b'\\'),
        b'\n' => Escape::Short(b'n'),
        b'\r' => Escape::Short(b'r'),
        b'\t' => Escape::Short(b't'),
        0x08 => Escape::Short(b'b'),
        0x0c => Escape::Short(b'f'),
        0x00..0x20 => Escape::Unicode,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    #[test]
    fn every_byte_is_written_as_serde_json_writes_it() {
        for byte in 0..=0x7fu8 {
            let text = format!("ab{}cdefghijklmnop{}q", char::from(byte), char::from(byte));
            assert_eq!(written(&text), serde_json::to_string(&text).unwrap_or_default(), "byte {byte:#x}");
        }
        for text in ["", "\"", "é\u{2028}日本\u{1f600}", "fn main() {\n\tprintln!(\"hi\\n\");\n}\n", "\u{7f}\u{0}"] {
            assert_eq!(written(text), serde_json::to_string(text).unwrap_or_default());
        }
    }

    #[test]
    fn the_word_mask_finds_the_first_byte_to_escape_in_any_lane() {
        for lane in 0..8u32 {
            for byte in 0..=0xffu8 {
                let mut bytes = [b'a'; 8];
                bytes[lane as usize] = byte;
                let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                let mask = escape_mask(u64::from_le_bytes(bytes));
                assert_eq!(mask != 0, expected, "byte {byte:#x} in lane {lane}");
                if expected {
                    assert_eq!(mask.trailing_zeros() / 8, lane, "the lowest flag is the byte");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(text in "(?s)[\"\\\\\n\t\u{0}-\u{1f}a-z é日\u{1f600}]{0,80}") {
            proptest::prop_assert_eq!(written(&text), serde_json::to_string(&text).unwrap_or_default());
        }
    }
}
