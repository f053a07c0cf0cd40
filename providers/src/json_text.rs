//! JSON strings for the large texts of a request (the code before and after the cursor), written
//! a word at a time.
//!
//! serde_json looks each byte up in a table and writes every run between two escapes on its own;
//! code has a line break every few dozen bytes, and the prompt and suffix are most of a body, so
//! that was a tenth of the server's work per completion. Here one test of eight bytes at once
//! flags exactly the ones that need escaping (`"`, `\`, or a control character below U+0020), and
//! the runs between them are copied whole. The output is byte for byte what serde_json writes
//! (tests check it).

/// Appends `text` to `out` as a JSON string, quotes included.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 16 + 2);
    out.push(b'"');
    let mut run_start = 0;
    let mut words = bytes.chunks_exact(8);
    let mut word_start = 0;
    for word in &mut words {
        let mut mask = escape_mask(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        // Every flagged byte is one to escape (the mask is exact), lowest first.
        while mask != 0 {
            write_escape(out, bytes, word_start + (mask.trailing_zeros() / 8) as usize, &mut run_start);
            mask &= mask - 1;
        }
        word_start += 8;
    }
    for (offset, byte) in words.remainder().iter().enumerate() {
        if ESCAPES[usize::from(*byte)] != 0 {
            write_escape(out, bytes, word_start + offset, &mut run_start);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Writes the run before `bytes[idx]` (from `run_start`) and the escape of `bytes[idx]`, which
/// must need one.
fn write_escape(out: &mut Vec<u8>, bytes: &[u8], idx: usize, run_start: &mut usize) {
    let byte = bytes[idx];
    out.extend_from_slice(&bytes[*run_start..idx]);
    match ESCAPES[usize::from(byte)] {
        b'u' => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        }
        letter => out.extend_from_slice(&[b'\\', letter]),
    }
    *run_start = idx + 1;
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` (little-endian) that is `"`, `\` or below 0x20, and of no
/// other byte. Each test adds to a byte's low seven bits only, so no carry crosses into the next
/// byte (at most 0x7f + 0x7f), and a byte with its high bit set is never flagged.
fn escape_mask(word: u64) -> u64 {
    // A byte's high bit after adding 0x60 to its low seven bits: set when they are 0x20 or more.
    let below_space = !((word & LOW7).wrapping_add(ONES * 0x60) | word);
    let is_zero = |x: u64| !((x & LOW7).wrapping_add(LOW7) | x);
    (below_space | is_zero(word ^ (ONES * u64::from(b'"'))) | is_zero(word ^ (ONES * u64::from(b'\\')))) & HIGHS
}

/// For each byte, what follows the backslash of its escape as serde_json writes it: a letter, `u`
/// for `\u00XX`, or 0 when the byte is written as it is (RFC 8259 section 7 requires these
/// escapes and no others).
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table
};

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
    fn the_word_mask_flags_exactly_the_bytes_to_escape_in_any_lane() {
        for lane in 0..8u32 {
            for byte in 0..=0xffu8 {
                for filler in [b'a', b'"', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff] {
                    let mut bytes = [filler; 8];
                    bytes[lane as usize] = byte;
                    assert_eq!(escape_mask(u64::from_le_bytes(bytes)), expected_mask(bytes), "{bytes:x?}");
                }
            }
        }
    }

    fn expected_mask(bytes: [u8; 8]) -> u64 {
        let mut mask = 0;
        for (lane, byte) in bytes.iter().enumerate() {
            if *byte < 0x20 || *byte == b'"' || *byte == b'\\' {
                mask |= 0x80 << (8 * lane);
            }
        }
        mask
    }

    proptest::proptest! {
        #[test]
        fn any_word_is_masked_exactly(word in proptest::prelude::any::<u64>()) {
            proptest::prop_assert_eq!(escape_mask(word), expected_mask(word.to_le_bytes()));
        }

        #[test]
        fn any_text_is_written_as_serde_json_writes_it(text in "(?s)[\"\\\\\n\t\u{0}-\u{1f}a-z é日\u{1f600}]{0,80}") {
            proptest::prop_assert_eq!(written(&text), serde_json::to_string(&text).unwrap_or_default());
        }
    }
}
