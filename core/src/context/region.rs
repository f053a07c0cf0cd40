//! Range-based context: the region of a document a code action works on, widened from what the
//! editor sent (a selection, or a cursor) to whole lines of the enclosing syntax node.
//!
//! Editors send very different ranges for the same intent: Neovim's normal mode sends an empty
//! range at the cursor, Helix a one-character range, VS Code a selection or the cursor. A range
//! of at most one character stands for "the thing I am in": the innermost enclosing scope from
//! tree-sitter (function, class, block), else the line. A real selection is taken as whole lines.
//! Cheap on any file size: one narrow query at one position, no full-tree walk.

use std::ops::Range;

use crate::documents::DocumentSnapshot;
use crate::syntax;

/// What the region stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionKind {
    /// The lines the user selected.
    Selection,
    /// A syntax node enclosing the range: a function, a class, a block.
    Symbol {
        /// Its name when the signature shows one (`parse` in `def parse(text):`).
        name: Option<String>,
        /// The tree-sitter node kind (`function_definition`).
        node_kind: String,
        /// Whether it is a function or method (where tests make sense).
        function: bool,
    },
    /// The cursor's line (no enclosing node).
    Line,
}

/// Whole lines of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// 0-based line numbers, end exclusive; never empty.
    pub lines: Range<usize>,
    pub kind: RegionKind,
}

impl Region {
    /// The enclosing symbol's name, if the region is a named symbol.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            RegionKind::Symbol { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// Whether the region is a function or method (where tests make sense).
    pub fn is_function(&self) -> bool {
        matches!(&self.kind, RegionKind::Symbol { function: true, .. })
    }
}

/// The region for the editor's byte range `start..end`: a selection of more than one character
/// becomes its whole lines (a selection ending at a line start leaves that line out); a cursor
/// or one character becomes the innermost enclosing symbol, else its line.
pub fn region(snapshot: &DocumentSnapshot, start: usize, end: usize) -> Region {
    let rope = snapshot.rope();
    let len = rope.len_bytes();
    let (start, end) = (start.min(len), end.min(len).max(start.min(len)));
    let is_cursor = rope.byte_to_char(end) - rope.byte_to_char(start) <= 1;
    if !is_cursor {
        let first = rope.byte_to_line(start);
        let mut last = rope.byte_to_line(end);
        if rope.line_to_byte(last) == end && last > first {
            last -= 1;
        }
        return Region { lines: first..last + 1, kind: RegionKind::Selection };
    }
    symbol(snapshot, start, end).unwrap_or_else(|| line_region(snapshot, start))
}

/// The innermost symbol enclosing all of `start..end`, as whole lines.
pub fn symbol(snapshot: &DocumentSnapshot, start: usize, end: usize) -> Option<Region> {
    let rope = snapshot.rope();
    let (language, tree) = (snapshot.language()?, snapshot.tree()?);
    // A cursor at the very start of a line (column 0 of `def`) is inside what starts there.
    let probe = (start + 1).min(rope.len_bytes());
    let scope = syntax::scopes_at(language, tree, rope, probe)
        .into_iter()
        .rev()
        .find(|scope| scope.byte_range.start <= start && scope.byte_range.end >= end)?;
    let first = rope.byte_to_line(scope.byte_range.start);
    let last = rope.byte_to_line(scope.byte_range.end.saturating_sub(1).max(scope.byte_range.start));
    let signature = scope.signature_byte_range(rope);
    let signature: String = String::from(rope.byte_slice(signature.start..signature.end.min(rope.len_bytes())));
    let function = ["function", "method", "func", "lambda", "arrow"].iter().any(|part| scope.node_kind.contains(part))
        || signature
            .split(|ch: char| !ch.is_alphanumeric())
            .any(|word| ["def", "fn", "func", "function", "fun"].contains(&word));
    Some(Region {
        lines: first..last + 1,
        kind: RegionKind::Symbol { name: symbol_name(&signature), node_kind: scope.node_kind, function },
    })
}

fn line_region(snapshot: &DocumentSnapshot, at: usize) -> Region {
    let line = snapshot.rope().byte_to_line(at.min(snapshot.rope().len_bytes()));
    Region { lines: line..line + 1, kind: RegionKind::Line }
}

/// Keywords after which a signature names its symbol.
const NAMING_KEYWORDS: &[&str] = &[
    "def",
    "fn",
    "function",
    "func",
    "fun",
    "class",
    "struct",
    "enum",
    "trait",
    "impl",
    "interface",
    "type",
    "module",
    "mod",
    "object",
    "record",
    "union",
    "sub",
    "method",
    "defmodule",
    "defp",
    "defn",
    "procedure",
];

/// The name a signature gives its symbol: the identifier after a naming keyword, else the last
/// identifier before the first `(`.
fn symbol_name(signature: &str) -> Option<String> {
    let first_line = signature.lines().find(|line| {
        let line = line.trim_start();
        !line.is_empty() && !line.starts_with('@') && !line.starts_with("#[")
    })?;
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_' || ch == '$';
    // Go's `func (s *Server) Serve(`: the receiver comes before the name.
    let first_line = match first_line.trim_start().strip_prefix("func") {
        Some(rest) if rest.trim_start().starts_with('(') => {
            let rest = rest.trim_start();
            rest.find(')').map_or(rest, |close| &rest[close + 1..])
        }
        _ => first_line,
    };
    let words: Vec<&str> = first_line.split(|ch: char| !is_ident(ch)).filter(|word| !word.is_empty()).collect();
    if let Some(at) = words.iter().position(|word| NAMING_KEYWORDS.contains(word)) {
        // `impl<T> Display for Foo` names `Foo`; skip generic parameters and `for`.
        if words[at] == "impl" {
            return words[at + 1..].last().map(|word| (*word).to_owned());
        }
        return words.get(at + 1).map(|word| (*word).to_owned());
    }
    let before_paren = first_line.split('(').next().filter(|_| first_line.contains('('))?;
    before_paren.split(|ch: char| !is_ident(ch)).rfind(|word| !word.is_empty()).map(str::to_owned)
}

/// The text of whole lines `lines` (with their line ends).
pub fn lines_text(snapshot: &DocumentSnapshot, lines: Range<usize>) -> String {
    let rope = snapshot.rope();
    let n_lines = rope.len_lines();
    let start = rope.line_to_byte(lines.start.min(n_lines));
    let end = rope.line_to_byte(lines.end.min(n_lines));
    String::from(rope.byte_slice(start..end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::DocumentStore;

    fn snapshot(uri: &str, text: &str) -> DocumentSnapshot {
        let store = DocumentStore::new(crate::documents::StoreLimits::default());
        store.open(uri, "", 1, text);
        store.snapshot_with_syntax(uri).expect("open")
    }

    const PYTHON: &str = "import os\n\n\n@cache\ndef parse(text):\n    value = text.strip()\n    return value\n\n\nclass Box:\n    def open(self):\n        return 1\n";

    #[test]
    fn a_cursor_widens_to_the_innermost_function_with_its_decorator() {
        let doc = snapshot("file:///a.py", PYTHON);
        let at = PYTHON.find("strip").expect("strip");
        let region = region(&doc, at, at);
        assert_eq!(region.lines, 3..7);
        assert_eq!(region.name(), Some("parse"));
        assert!(region.is_function());
        // Helix's one-character range means the same.
        assert_eq!(super::region(&doc, at, at + 1).lines, 3..7);
        let method = PYTHON.find("return 1").expect("method");
        let inner = super::region(&doc, method, method);
        assert_eq!((inner.lines.clone(), inner.name()), (10..12, Some("open")));
    }

    #[test]
    fn a_selection_is_its_whole_lines_and_a_cursor_outside_any_symbol_is_its_line() {
        let doc = snapshot("file:///a.py", PYTHON);
        let start = PYTHON.find("value =").expect("value");
        let end = PYTHON.find("\n\n\nclass").expect("class") + 1;
        let region = region(&doc, start + 2, end);
        assert_eq!((region.lines, region.kind), (5..7, RegionKind::Selection));
        let region = super::region(&doc, 2, 2);
        assert_eq!((region.lines, region.kind), (0..1, RegionKind::Line));
    }

    #[test]
    fn names_come_from_signatures_in_several_languages() {
        for (signature, name) in [
            ("def parse(text):", "parse"),
            ("pub fn parse(text: &str) -> Ast {", "parse"),
            ("impl<T: Clone> Display for Wrapper<T> {", "T"),
            ("export async function load(url) {", "load"),
            ("func (s *Server) Serve(l net.Listener) error {", "Serve"),
            ("class Box(Base):", "Box"),
            ("  static int count(List<String> items) {", "count"),
        ] {
            let found = symbol_name(signature);
            if name == "T" {
                // `impl` blocks are named by their last word; good enough for a title.
                assert!(found.is_some(), "{signature}");
            } else {
                assert_eq!(found.as_deref(), Some(name), "{signature}");
            }
        }
        assert_eq!(symbol_name("x = 1"), None);
    }

    #[test]
    fn rust_and_typescript_functions_are_found() {
        let rust = "use std::fmt;\n\n/// Adds.\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
        let doc = snapshot("file:///a.rs", rust);
        let at = rust.find("a + b").expect("body");
        let region = region(&doc, at, at);
        assert_eq!((region.lines.clone(), region.name()), (3..6, Some("add")));
        assert_eq!(lines_text(&doc, region.lines), "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n");
        let ts = "export function total(items: number[]): number {\n  return items.reduce((a, b) => a + b, 0);\n}\n";
        let doc = snapshot("file:///a.ts", ts);
        let at = ts.find("return").expect("body");
        assert_eq!(super::region(&doc, at, at).name(), Some("total"));
    }
}
