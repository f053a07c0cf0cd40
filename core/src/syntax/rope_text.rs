//! Rope text for tree-sitter query predicates (`#eq?`, `#match?`): a node's text read straight
//! from the rope's chunks, without copying the document. Every query over a rope uses it.

use ropey::Rope;
use tree_sitter::{Node, TextProvider};

/// Gives query predicates the text of a node from `rope`, which the tree must describe.
pub(crate) struct RopeText<'rope>(pub(crate) &'rope Rope);

impl<'rope> TextProvider<&'rope [u8]> for RopeText<'rope> {
    type I = RopeChunks<'rope>;

    fn text(&mut self, node: Node) -> Self::I {
        // A tree that does not match the rope would be a caller bug; give no text, not a panic.
        RopeChunks(self.0.get_byte_slice(node.byte_range()).map(|slice| slice.chunks()))
    }
}

/// The chunks of one node's text.
pub(crate) struct RopeChunks<'rope>(Option<ropey::iter::Chunks<'rope>>);

impl<'rope> Iterator for RopeChunks<'rope> {
    type Item = &'rope [u8];

    fn next(&mut self) -> Option<Self::Item> {
        self.0.as_mut()?.next().map(str::as_bytes)
    }
}
