//! tree-sitter integration: the language registry and per-document syntax state.
//!
//! CONTRACT (used by `documents` and `context`; keep these signatures):
//! - [`language_for`] picks a language from an LSP `languageId`, falling back to the path's extension.
//! - [`SyntaxState`] follows text edits cheaply (`edit`, no parse) and parses lazily (`ensure_parsed`).
//!   Only byte offsets are meaningful in trees; row/column points are best effort.
//!
//! STUB: to be replaced by the syntax implementation.

use crate::text::ByteEdit;
use ropey::Rope;
use tree_sitter::Tree;

/// One supported language: static data plus its grammar and compiled queries.
#[derive(Debug)]
pub struct Language {
    /// Canonical name, e.g. `rust`, `typescript`, `tsx`, `c_sharp`.
    pub name: &'static str,
}

/// Looks a language up by LSP `languageId`, then by the file extension of `path`.
pub fn language_for(_language_id: &str, _path: &str) -> Option<&'static Language> {
    None
}

/// The syntax tree of one document, kept in step with its text.
#[derive(Debug)]
pub struct SyntaxState {
    language: &'static Language,
    tree: Option<Tree>,
}

impl SyntaxState {
    pub fn new(language: &'static Language) -> Self {
        Self { language, tree: None }
    }

    pub fn language(&self) -> &'static Language {
        self.language
    }

    /// Follows one edit (already applied to the text). Cheap: never parses.
    pub fn edit(&mut self, _edit: &ByteEdit) {}

    /// The whole text was replaced: the old tree is useless.
    pub fn reset(&mut self) {
        self.tree = None;
    }

    /// Brings the tree up to date with `rope` (incrementally when an old tree exists).
    pub fn ensure_parsed(&mut self, _rope: &Rope) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// The tree, if it is up to date with the text.
    pub fn fresh_tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// Drops the tree to bound memory; the next `ensure_parsed` parses from scratch.
    pub fn evict(&mut self) {
        self.tree = None;
    }

    pub fn has_tree(&self) -> bool {
        self.tree.is_some()
    }
}
