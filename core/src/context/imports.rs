//! The file's header: import/use/include/require/package statements above the cursor, in order.
//!
//! With a syntax tree they are the language's `@import` captures. The query runs only over the
//! first [`MAX_HEADER_LINES`] lines (and never past the cursor line): running it over a whole
//! 20,000-line file on every keystroke would cost milliseconds, and imports live at the top.
//! `syntax::imports` answers for the whole file; this is the same question over a byte range.
//!
//! Without a tree, lines that start like an import in the document's language stand in, each
//! extended over following lines while its brackets are open (`import (` … `)` in Go).

use std::ops::Range;

use ropey::Rope;
use tree_sitter::{Node, QueryCursor, StreamingIterator, TextProvider, Tree};

use super::lines;
use crate::documents::DocumentSnapshot;
use crate::syntax::{self, queries::CAPTURE_IMPORT};

/// Imports are looked for in this many lines at the top of the file.
const MAX_HEADER_LINES: usize = 400;
/// Bounds the work of the import query, like the syntax layer's own queries.
const MATCH_LIMIT: u32 = 256;
/// How many lines the fallback follows an import whose brackets are still open.
const MAX_FALLBACK_IMPORT_LINES: usize = 64;

/// One import statement before budgeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportCandidate {
    pub start_byte: usize,
    /// Zero-based line of `start_byte`.
    pub line: usize,
    pub text: String,
}

/// The imports that start before line `before_line` (the cursor line), in document order.
pub(crate) fn header_imports(snapshot: &DocumentSnapshot, before_line: usize) -> Vec<ImportCandidate> {
    let rope = snapshot.rope();
    let scan_end = lines::line_start(rope, before_line.min(MAX_HEADER_LINES));
    if scan_end == 0 {
        return Vec::new();
    }
    let ranges = match (snapshot.language(), snapshot.tree()) {
        (Some(language), Some(tree)) => from_tree(language, tree, rope, scan_end),
        (language, _) => by_line_prefix(rope, language.map(|language| language.name), scan_end),
    };
    ranges
        .into_iter()
        .filter(|range| range.start < scan_end)
        .filter_map(|range| {
            let text = lines::text(rope, range.start, range.end);
            let text = text.trim_end();
            (!text.is_empty()).then(|| ImportCandidate {
                start_byte: range.start,
                line: lines::line_of(rope, range.start),
                text: text.to_owned(),
            })
        })
        .collect()
}

fn from_tree(language: &syntax::Language, tree: &Tree, rope: &Rope, scan_end: usize) -> Vec<Range<usize>> {
    let Some(context_query) = language.context_query() else { return Vec::new() };
    let Some(import_index) = context_query.capture_index(CAPTURE_IMPORT) else { return Vec::new() };
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_byte_range(0..scan_end);
    let mut ranges = Vec::new();
    let mut matches = cursor.matches(context_query.query(), tree.root_node(), RopeText(rope));
    while let Some(query_match) = matches.next() {
        ranges.extend(query_match.nodes_for_capture_index(import_index).map(|node| node.byte_range()));
    }
    ranges.sort_by_key(|range| (range.start, usize::MAX - range.end));
    // An import inside another (a `use` list and one of its items) counts once, as the outer one.
    let mut outermost: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if outermost.last().is_none_or(|last| range.start >= last.end) {
            outermost.push(range);
        }
    }
    outermost
}

/// What an import line starts with, per language; `None` for languages (and plain text) where we
/// would only be guessing.
fn line_prefixes(language: &str) -> Option<&'static [&'static str]> {
    Some(match language {
        "rust" => &["use ", "pub use ", "pub(crate) use ", "extern crate ", "mod "],
        "python" => &["import ", "from "],
        "javascript" | "typescript" | "tsx" => &["import ", "export * from", "export {"],
        "go" | "java" | "kotlin" => &["package ", "import "],
        "c" => &["#include", "#import"],
        "cpp" => &["#include", "#import", "import ", "using namespace ", "module "],
        "c_sharp" => &["using ", "global using ", "namespace "],
        "ruby" => &["require ", "require_relative ", "load "],
        "php" => &["namespace ", "use ", "require", "include"],
        "lua" => &["require"],
        "bash" => &["source ", ". "],
        "swift" => &["import ", "@testable import "],
        "css" => &["@import ", "@use ", "@charset "],
        "html" => &["<link ", "<script src", "<base "],
        _ => return None,
    })
}

/// Calls of `require` that often appear on the right of an assignment.
const REQUIRE_CALLS: &[&str] = &["require(", "require \"", "require '"];

fn by_line_prefix(rope: &Rope, language: Option<&str>, scan_end: usize) -> Vec<Range<usize>> {
    let Some(prefixes) = language.and_then(line_prefixes) else { return Vec::new() };
    let uses_require = matches!(language, Some("javascript" | "typescript" | "tsx" | "lua" | "ruby"));
    let n_lines = lines::line_of(rope, scan_end);
    let mut ranges = Vec::new();
    let mut line = 0;
    while line < n_lines {
        let bounds = lines::line_bounds(rope, line);
        let content = lines::text(rope, bounds.start, bounds.content_end);
        let trimmed = content.trim_start();
        let is_import = prefixes.iter().any(|prefix| trimmed.starts_with(prefix))
            || uses_require && REQUIRE_CALLS.iter().any(|call| trimmed.contains(call));
        if !is_import {
            line += 1;
            continue;
        }
        let mut open = bracket_balance(trimmed);
        let mut last_line = line;
        while open > 0 && last_line + 1 < n_lines && last_line - line < MAX_FALLBACK_IMPORT_LINES {
            last_line += 1;
            open += bracket_balance(&lines::line_text(rope, last_line));
        }
        let start = bounds.start + lines::indent_len(&content);
        ranges.push(start..lines::line_bounds(rope, last_line).content_end);
        line = last_line + 1;
    }
    ranges
}

/// Opening minus closing brackets; strings are not understood, which is fine for import lines.
fn bracket_balance(text: &str) -> isize {
    text.chars()
        .map(|character| match character {
            '(' | '[' | '{' => 1,
            ')' | ']' | '}' => -1,
            _ => 0,
        })
        .sum()
}

/// Gives query predicates the text of a node straight from the rope's chunks, without copying.
struct RopeText<'rope>(&'rope Rope);

impl<'rope> TextProvider<&'rope [u8]> for RopeText<'rope> {
    type I = RopeChunks<'rope>;

    fn text(&mut self, node: Node) -> Self::I {
        RopeChunks(self.0.get_byte_slice(node.byte_range()).map(|slice| slice.chunks()))
    }
}

struct RopeChunks<'rope>(Option<ropey::iter::Chunks<'rope>>);

impl<'rope> Iterator for RopeChunks<'rope> {
    type Item = &'rope [u8];

    fn next(&mut self) -> Option<Self::Item> {
        self.0.as_mut()?.next().map(str::as_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback(language: &str, text: &str) -> Vec<String> {
        let rope = Rope::from_str(text);
        by_line_prefix(&rope, Some(language), rope.len_bytes())
            .into_iter()
            .map(|range| lines::text(&rope, range.start, range.end).into_owned())
            .collect()
    }

    #[test]
    fn the_fallback_reads_import_lines_and_open_brackets() {
        let go = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {}\n";
        assert_eq!(fallback("go", go), ["package main", "import (\n\t\"fmt\"\n\t\"os\"\n)"]);
        let js = "import a from 'a';\nconst b = require('b');\nlet c = 1;\n";
        assert_eq!(fallback("javascript", js), ["import a from 'a';", "const b = require('b');"]);
        assert!(fallback("plaintext", "use the force\n").is_empty());
        // An import that never closes stops at the scan end, not at the end of the file.
        assert_eq!(fallback("python", "from a import (\n  b,\n").len(), 1);
    }
}
