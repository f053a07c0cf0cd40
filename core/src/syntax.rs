//! tree-sitter integration: the language registry and per-document syntax state.
//!
//! CONTRACT (used by `documents` and `context`; keep these signatures):
//! - [`language_for`] picks a language from an LSP `languageId`, falling back to the path's extension.
//! - [`SyntaxState`] follows text edits cheaply (`edit`, no parse) and parses lazily (`ensure_parsed`).
//!   Only byte offsets are meaningful in trees; row/column points are best effort, because the rope
//!   counts a lone CR as a line break and tree-sitter does not.
//! - [`queries`] answers the questions context extraction asks of a tree (enclosing scopes, imports,
//!   definitions) from each language's `grammars/<lang>/context.scm`.
//!
//! Languages are data: an entry in `grammars/languages.toml` ([`crate::languages`]) names its
//! grammar, and [`languages`] pairs each compiled-in grammar with its query file.

pub mod languages;
mod parse;
pub mod queries;
mod rope_text;

pub use languages::{Language, language_for};
pub use queries::{Definition, ScopeInfo, definitions, imports, scopes_at};
pub(crate) use rope_text::RopeText;

use crate::text::{ByteEdit, BytePoint};
use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

/// The syntax tree of one document, kept in step with its text.
#[derive(Debug)]
pub struct SyntaxState {
    language: &'static Language,
    /// Invariant: when `stale` is false, the tree describes exactly the document's current text.
    /// When it is true, the tree has been `edit`ed to match the text's byte offsets but not
    /// reparsed, so it may only serve as the old tree of an incremental parse.
    tree: Option<Tree>,
    stale: bool,
    /// The last parse gave up (timeout). We do not retry on every request: a file that takes too
    /// long once will take too long again. A whole-text replacement (`reset`) clears this.
    gave_up: bool,
}

impl SyntaxState {
    pub fn new(language: &'static Language) -> Self {
        Self { language, tree: None, stale: false, gave_up: false }
    }

    pub fn language(&self) -> &'static Language {
        self.language
    }

    /// Follows one edit (already applied to the text). Cheap: never parses.
    pub fn edit(&mut self, edit: &ByteEdit) {
        if let Some(tree) = &mut self.tree {
            tree.edit(&InputEdit {
                start_byte: edit.start_byte,
                old_end_byte: edit.old_end_byte,
                new_end_byte: edit.new_end_byte,
                start_position: point(edit.start_point),
                old_end_position: point(edit.old_end_point),
                new_end_position: point(edit.new_end_point),
            });
        }
        self.stale = true;
    }

    /// The whole text was replaced: the old tree is useless.
    pub fn reset(&mut self) {
        self.tree = None;
        self.stale = false;
        self.gave_up = false;
    }

    /// Brings the tree up to date with `rope` (incrementally when an old tree exists).
    /// Returns `None` when the language's grammar cannot parse in time (see [`parse::PARSE_TIMEOUT`]).
    pub fn ensure_parsed(&mut self, rope: &Rope) -> Option<&Tree> {
        let up_to_date = self.tree.is_some() && !self.stale;
        if !up_to_date && !self.gave_up {
            let old_tree = if self.stale { self.tree.take() } else { None };
            self.tree = parse::parse_rope(self.language, rope, old_tree.as_ref());
            self.stale = false;
            self.gave_up = self.tree.is_none();
        }
        self.fresh_tree()
    }

    /// What a parse needs, so it can run without holding the document: `None` when the tree
    /// is up to date (or the grammar gave up on this text).
    pub fn parse_job(&self) -> Option<ParseJob> {
        let up_to_date = self.tree.is_some() && !self.stale;
        if up_to_date || self.gave_up {
            return None;
        }
        // A tree clone shares its nodes (tree-sitter's copy is a reference count), so this is
        // cheap; the stale tree stays here to keep following edits.
        let old_tree = if self.stale { self.tree.clone() } else { None };
        Some(ParseJob { language: self.language, old_tree })
    }

    /// Installs the result of a [`ParseJob`] run on the current text.
    pub fn finish(&mut self, tree: Option<Tree>) {
        self.gave_up = tree.is_none();
        self.tree = tree;
        self.stale = false;
    }

    /// The tree, if it is up to date with the text.
    pub fn fresh_tree(&self) -> Option<&Tree> {
        if self.stale { None } else { self.tree.as_ref() }
    }

    /// Drops the tree to bound memory; the next `ensure_parsed` parses from scratch.
    pub fn evict(&mut self) {
        self.tree = None;
        self.stale = false;
    }

    pub fn has_tree(&self) -> bool {
        self.tree.is_some()
    }
}

/// A parse to run away from the document (see [`SyntaxState::parse_job`]).
#[derive(Debug)]
pub struct ParseJob {
    language: &'static Language,
    old_tree: Option<Tree>,
}

impl ParseJob {
    /// Whether the parse starts from an old tree (cheap, in proportion to the edit) rather than
    /// from nothing (in proportion to the document: ~80 ms for 20,000 lines).
    pub fn is_incremental(&self) -> bool {
        self.old_tree.is_some()
    }

    /// Parses `rope` (incrementally from the old tree, when there is one).
    pub fn run(&self, rope: &Rope) -> Option<Tree> {
        parse::parse_rope(self.language, rope, self.old_tree.as_ref())
    }
}

fn point(point: BytePoint) -> Point {
    Point { row: point.row, column: point.byte_col }
}

#[cfg(all(test, feature = "lang-rust"))]
mod tests {
    use super::*;

    #[test]
    fn edits_make_the_tree_stale_until_reparsed() {
        let Some(rust) = language_for("rust", "") else { panic!("rust is enabled") };
        let mut rope = Rope::from_str("fn main() {}\n");
        let mut state = SyntaxState::new(rust);
        assert!(state.fresh_tree().is_none());
        assert!(state.ensure_parsed(&rope).is_some());
        assert!(state.fresh_tree().is_some());

        // Insert " x" after `main(` … as `Document::apply_change` would.
        rope.insert(8, "x: u8");
        let at = BytePoint { row: 0, byte_col: 8 };
        state.edit(&ByteEdit {
            start_byte: 8,
            old_end_byte: 8,
            new_end_byte: 13,
            start_point: at,
            old_end_point: at,
            new_end_point: BytePoint { row: 0, byte_col: 13 },
        });
        assert!(state.has_tree());
        assert!(state.fresh_tree().is_none());
        let Some(tree) = state.ensure_parsed(&rope) else { panic!("reparse failed") };
        assert!(tree.root_node().to_sexp().contains("parameters (parameter"));

        state.evict();
        assert!(!state.has_tree());
        assert!(state.ensure_parsed(&rope).is_some());
    }
}
