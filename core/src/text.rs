//! Small text helpers shared by every layer of the core (and the server's features): plain
//! byte-range edits, token estimates and indentation widths.

/// A point in a document as tree-sitter counts it: a zero-based row and a byte column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct BytePoint {
    pub row: usize,
    pub byte_col: usize,
}

/// One replacement already resolved to byte offsets and points, computed against the text
/// *before* the replacement. It carries everything tree-sitter's `InputEdit` needs, so the
/// syntax layer can follow a text edit without seeing the rope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteEdit {
    pub start_byte: usize,
    pub old_end_byte: usize,
    pub new_end_byte: usize,
    pub start_point: BytePoint,
    pub old_end_point: BytePoint,
    pub new_end_point: BytePoint,
}

/// Columns a tab counts for when indentation widths are compared. Only comparisons within one
/// file or one suggestion use it, so the exact value matters little.
pub const TAB_WIDTH: usize = 4;

/// The leading spaces and tabs of `line`.
pub fn indent_of(line: &str) -> &str {
    // Bytes, not chars: both are ASCII, and this runs for every line of a window.
    &line[..line.bytes().position(|byte| byte != b' ' && byte != b'\t').unwrap_or(line.len())]
}

/// The width in columns of the leading spaces and tabs of `line` (or of a run of indentation),
/// a tab counting [`TAB_WIDTH`]. The one indentation width: context, post-processing, the
/// streaming stop rule and actions all measure with it.
pub fn indent_width(line: &str) -> usize {
    indent_of(line).chars().map(|character| if character == '\t' { TAB_WIDTH } else { 1 }).sum()
}

/// Estimated number of model tokens in `text`. Code averages about 3.5 UTF-8 bytes per
/// token across the common BPE vocabularies; we round up so budgets keep some headroom.
pub fn estimate_tokens(text: &str) -> usize {
    tokens_for_bytes(text.len())
}

/// [`estimate_tokens`] for a text of `n_bytes` bytes, when only its length is known.
pub fn tokens_for_bytes(n_bytes: usize) -> usize {
    (n_bytes * 2).div_ceil(7)
}

/// The inverse of [`estimate_tokens`]: how many bytes of code fit in `n_tokens`.
pub fn bytes_for_tokens(n_tokens: usize) -> usize {
    n_tokens * 7 / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_width_counts_tabs_as_a_level() {
        assert_eq!(indent_of("\t  x"), "\t  ");
        assert_eq!(indent_of(" \u{a0}x"), " ");
        assert_eq!(indent_of("\t \t"), "\t \t");
        assert_eq!(indent_of("x  "), "");
        assert_eq!(indent_width("\t  x"), TAB_WIDTH + 2);
        assert_eq!(indent_width("x"), 0);
        assert_eq!(indent_width("    "), 4);
    }

    #[test]
    fn token_estimate_round_trips_within_one_token() {
        for n_tokens in [0, 1, 10, 1000] {
            let text = "x".repeat(bytes_for_tokens(n_tokens));
            assert!(estimate_tokens(&text).abs_diff(n_tokens) <= 1);
        }
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
    }
}
