//! Parsing a rope with tree-sitter: one reusable parser per thread, text fed chunk by chunk,
//! and a time limit so a pathological file cannot hang a request.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use ropey::Rope;
use tree_sitter::{ParseOptions, ParseState, Parser, Tree};

use super::Language;

/// How long one parse may run before we give up and carry on without a tree. Incremental
/// reparses of ordinary files take well under a millisecond; a full parse of a large file takes
/// tens of milliseconds. Half a second means something is badly wrong (or the file is huge).
pub(crate) const PARSE_TIMEOUT: Duration = Duration::from_millis(500);

thread_local! {
    /// Parsers hold sizable internal buffers; reusing one per thread avoids reallocating them on
    /// every keystroke. The language is set before each parse, which is cheap.
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// Parses `rope`, reusing `old_tree` (already `edit`ed to match `rope`) when given.
/// `None` when the grammar cannot be loaded or the parse ran out of time.
pub(crate) fn parse_rope(language: &Language, rope: &Rope, old_tree: Option<&Tree>) -> Option<Tree> {
    parse_rope_within(language, rope, old_tree, PARSE_TIMEOUT)
}

pub(crate) fn parse_rope_within(
    language: &Language,
    rope: &Rope,
    old_tree: Option<&Tree>,
    timeout: Duration,
) -> Option<Tree> {
    PARSER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut parser) => parse_with(&mut parser, language, rope, old_tree, timeout),
        // Only reachable if a parse re-entered this function on the same thread; stay correct.
        Err(_) => parse_with(&mut Parser::new(), language, rope, old_tree, timeout),
    })
}

fn parse_with(
    parser: &mut Parser,
    language: &Language,
    rope: &Rope,
    old_tree: Option<&Tree>,
    timeout: Duration,
) -> Option<Tree> {
    if let Err(error) = parser.set_language(&language.ts_language()) {
        tracing::error!(language = language.name, %error, "cannot load tree-sitter grammar");
        return None;
    }
    let len_bytes = rope.len_bytes();
    let mut read = |byte_offset: usize, _point: tree_sitter::Point| -> &[u8] {
        if byte_offset >= len_bytes {
            return &[];
        }
        let (chunk, chunk_start_byte, _, _) = rope.chunk_at_byte(byte_offset);
        &chunk.as_bytes()[byte_offset - chunk_start_byte..]
    };
    let started = Instant::now();
    let mut progress = |_state: &ParseState| {
        if started.elapsed() > timeout { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let options = ParseOptions::new().progress_callback(&mut progress);
    let tree = parser.parse_with_options(&mut read, old_tree, Some(options));
    if tree.is_none() {
        // A cancelled parse leaves the parser ready to *resume* it; the next parse is of other text.
        parser.reset();
        tracing::warn!(
            language = language.name,
            len_bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "parse gave up; continuing without a syntax tree"
        );
    }
    tree
}

#[cfg(all(test, feature = "lang-rust"))]
mod tests {
    use super::*;

    #[test]
    fn a_parse_that_runs_out_of_time_gives_no_tree_and_leaves_the_parser_usable() {
        let Some(rust) = crate::syntax::language_for("rust", "") else { panic!("rust is enabled") };
        let big = Rope::from_str(&"fn f() { let x = [1, 2, 3]; }\n".repeat(20_000));
        assert!(parse_rope_within(rust, &big, None, Duration::ZERO).is_none());
        let small = Rope::from_str("fn main() {}");
        let Some(tree) = parse_rope(rust, &small, None) else { panic!("parse failed") };
        assert_eq!(
            tree.root_node().to_sexp(),
            "(source_file (function_item name: (identifier) parameters: (parameters) body: (block)))"
        );
    }
}
