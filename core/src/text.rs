//! Small text helpers shared by every layer of the core: plain byte-range edits and
//! token estimates.

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
    fn token_estimate_round_trips_within_one_token() {
        for n_tokens in [0, 1, 10, 1000] {
            let text = "x".repeat(bytes_for_tokens(n_tokens));
            assert!(estimate_tokens(&text).abs_diff(n_tokens) <= 1);
        }
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
    }
}
