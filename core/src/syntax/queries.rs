//! Context queries: what context extraction asks of a syntax tree — the scopes enclosing the
//! cursor, the file's imports, its named definitions — answered from each language's
//! `grammars/<lang>/context.scm` (capture vocabulary in `grammars/README.md`).
//!
//! Every function here takes a tree that describes `rope` exactly (a fresh tree, as
//! `DocumentSnapshot::tree` gives), reads text from the rope chunk by chunk without copying the
//! document, and degrades to an empty result when the language has no usable query.

use std::ops::Range;

use ropey::Rope;
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

use super::Language;
use super::rope_text::RopeText;

/// A node that encloses code and has a signature worth showing (function, class, impl, table...).
pub const CAPTURE_SCOPE: &str = "scope";
/// The body of the `@scope` in the same match; the signature is the text before it.
pub const CAPTURE_SCOPE_BODY: &str = "scope.body";
/// An import/use/include/require/package statement or a similar file-header item.
pub const CAPTURE_IMPORT: &str = "import";
/// A named definition (function, type, class, constant...).
pub const CAPTURE_DEFINITION: &str = "definition";
/// The name of the `@definition` in the same match.
pub const CAPTURE_DEFINITION_NAME: &str = "definition.name";

/// Stops pathological queries (huge files, deep nesting) from running without bound. Matches that
/// were in progress when the limit hit are dropped, which only makes the context smaller.
const MATCH_LIMIT: u32 = 256;

/// A language's compiled `context.scm` with its capture indices looked up once.
#[derive(Debug)]
pub struct ContextQuery {
    query: Query,
    scope: Option<u32>,
    scope_body: Option<u32>,
    import: Option<u32>,
    definition: Option<u32>,
    definition_name: Option<u32>,
}

impl ContextQuery {
    pub(crate) fn new(query: Query) -> Self {
        Self {
            scope: query.capture_index_for_name(CAPTURE_SCOPE),
            scope_body: query.capture_index_for_name(CAPTURE_SCOPE_BODY),
            import: query.capture_index_for_name(CAPTURE_IMPORT),
            definition: query.capture_index_for_name(CAPTURE_DEFINITION),
            definition_name: query.capture_index_for_name(CAPTURE_DEFINITION_NAME),
            query,
        }
    }

    /// The raw tree-sitter query, for callers that need captures this module does not wrap.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The index of a capture name (one of the `CAPTURE_*` constants), if the query uses it.
    pub fn capture_index(&self, name: &str) -> Option<u32> {
        self.query.capture_index_for_name(name)
    }
}

/// One scope enclosing a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeInfo {
    /// The whole scope node, e.g. `fn f() { ... }`.
    pub byte_range: Range<usize>,
    /// Where its `@scope.body` starts (e.g. the `{`), if the query captured one.
    pub body_start_byte: Option<usize>,
    /// The tree-sitter node kind, e.g. `function_item`; handy in logs and tests.
    pub node_kind: String,
}

impl ScopeInfo {
    /// The bytes of the signature: from the start of the scope to the start of its body, or to the
    /// end of the scope's first line when no body was captured.
    pub fn signature_byte_range(&self, rope: &Rope) -> Range<usize> {
        let start = self.byte_range.start;
        let end = match self.body_start_byte {
            Some(body_start) => body_start,
            None => first_line_end(rope, start).min(self.byte_range.end),
        };
        start..end.max(start)
    }
}

/// A named definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// The name, e.g. `parse` in `fn parse() {}`.
    pub name_byte_range: Range<usize>,
    /// The whole definition.
    pub byte_range: Range<usize>,
}

/// The `@scope`s that enclose `byte_offset`, outermost first, each node once. Nested scopes
/// sharing one body (a decorated Python function, `const f = () => {}`) count once, as the outer.
///
/// A position counts as inside a scope when it is after the scope's first byte and no later than
/// its end; but a position right after a scope's closing token (`}`, `end`, `>`...) is outside,
/// while a position right after a scope that ends in a name or expression (Python's `return x`,
/// where the body has no closing token) is still inside, since that is where one types next.
pub fn scopes_at(language: &Language, tree: &Tree, rope: &Rope, byte_offset: usize) -> Vec<ScopeInfo> {
    let Some(context_query) = language.context_query() else { return Vec::new() };
    let Some(scope_index) = context_query.scope else { return Vec::new() };
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_byte_range(byte_offset.saturating_sub(1)..byte_offset.saturating_add(1));
    let mut scopes: Vec<(Node, Option<usize>)> = Vec::new();
    let mut matches = cursor.matches(&context_query.query, tree.root_node(), RopeText(rope));
    while let Some(query_match) = matches.next() {
        let Some(scope) = query_match.nodes_for_capture_index(scope_index).next() else { continue };
        if !encloses(scope, byte_offset) {
            continue;
        }
        let body_start = context_query
            .scope_body
            .and_then(|body_index| query_match.nodes_for_capture_index(body_index).next())
            .map(|body| body.start_byte());
        match scopes.iter_mut().find(|(known, _)| *known == scope) {
            // Two patterns may capture the same node; keep a body if either found one.
            Some((_, known_body)) => *known_body = known_body.or(body_start),
            None => scopes.push((scope, body_start)),
        }
    }
    // Enclosing nodes nest, so sorting by start (then by length, longest first) puts outer first.
    scopes.sort_by_key(|(node, _)| (node.start_byte(), usize::MAX - node.end_byte()));
    // Nested scopes with the same body are one scope seen by two patterns (a Python function and
    // its decorators, `const f = () => {}` and its arrow function): keep the outer, whose
    // signature says more.
    scopes.dedup_by(|inner, outer| inner.1.is_some() && inner.1 == outer.1);
    scopes
        .into_iter()
        .map(|(node, body_start_byte)| ScopeInfo {
            byte_range: node.byte_range(),
            body_start_byte,
            node_kind: node.kind().to_owned(),
        })
        .collect()
}

/// Byte ranges of every `@import`, in document order, without trailing whitespace (some
/// grammars, like C's `#include`, end the node after the line break).
pub fn imports(language: &Language, tree: &Tree, rope: &Rope) -> Vec<Range<usize>> {
    let Some(context_query) = language.context_query() else { return Vec::new() };
    let Some(import_index) = context_query.import else { return Vec::new() };
    let mut ranges = Vec::new();
    for_each_match(context_query, tree, rope, |query_match| {
        for node in query_match.nodes_for_capture_index(import_index) {
            ranges.push(trim_trailing_whitespace(rope, node.byte_range()));
        }
    });
    // Longest first among equal starts, so the outermost of nested imports is the one kept.
    ranges.sort_by_key(|range| (range.start, usize::MAX - range.end));
    ranges.dedup();
    // Drop imports nested in other imports (e.g. a pattern for a whole `use` list and one item).
    let mut outermost: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if outermost.last().is_none_or(|last| range.start >= last.end) {
            outermost.push(range);
        }
    }
    outermost
}

/// Every `@definition` with its `@definition.name`, in document order.
pub fn definitions(language: &Language, tree: &Tree, rope: &Rope) -> Vec<Definition> {
    let Some(context_query) = language.context_query() else { return Vec::new() };
    let (Some(definition_index), Some(name_index)) = (context_query.definition, context_query.definition_name) else {
        return Vec::new();
    };
    let mut definitions = Vec::new();
    for_each_match(context_query, tree, rope, |query_match| {
        let definition = query_match.nodes_for_capture_index(definition_index).next();
        let name = query_match.nodes_for_capture_index(name_index).next();
        if let (Some(definition), Some(name)) = (definition, name) {
            definitions.push(Definition { name_byte_range: name.byte_range(), byte_range: definition.byte_range() });
        }
    });
    definitions.sort_by_key(|definition| (definition.byte_range.start, definition.name_byte_range.start));
    definitions.dedup();
    definitions
}

fn for_each_match(
    context_query: &ContextQuery,
    tree: &Tree,
    rope: &Rope,
    mut visit: impl FnMut(&tree_sitter::QueryMatch<'_, '_>),
) {
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    let mut matches = cursor.matches(&context_query.query, tree.root_node(), RopeText(rope));
    while let Some(query_match) = matches.next() {
        visit(query_match);
    }
}

/// Whether `byte_offset` is inside `node` in the sense of [`scopes_at`].
fn encloses(node: Node, byte_offset: usize) -> bool {
    if byte_offset <= node.start_byte() || byte_offset > node.end_byte() {
        return false;
    }
    if byte_offset < node.end_byte() {
        return true;
    }
    // Right at the end: inside unless the node is closed by a token.
    let mut last = node;
    while let Some(child) = last.child(last.child_count().saturating_sub(1)) {
        last = child;
    }
    last.is_named() || last.is_missing() || last.byte_range().is_empty()
}

fn trim_trailing_whitespace(rope: &Rope, range: Range<usize>) -> Range<usize> {
    let mut end = range.end.min(rope.len_bytes());
    while end > range.start && rope.byte(end - 1).is_ascii_whitespace() {
        end -= 1;
    }
    range.start..end
}

fn first_line_end(rope: &Rope, byte_offset: usize) -> usize {
    let byte_offset = byte_offset.min(rope.len_bytes());
    let line = rope.byte_to_line(byte_offset);
    let next_line_start = rope.line_to_byte((line + 1).min(rope.len_lines()));
    // Trim the line break (`\n`, `\r\n` or `\r`) so the signature is just the line's content.
    let mut end = next_line_start;
    while end > byte_offset && matches!(rope.byte(end - 1), b'\n' | b'\r') {
        end -= 1;
    }
    end
}

#[cfg(all(test, feature = "lang-rust"))]
mod tests {
    use super::*;

    fn rust_scopes(text_with_cursor: &str) -> Vec<String> {
        let Some(rust) = crate::syntax::language_for("rust", "") else { panic!("rust is enabled") };
        let Some(cursor) = text_with_cursor.find("<|>") else { panic!("no cursor") };
        let rope = Rope::from_str(&text_with_cursor.replacen("<|>", "", 1));
        let Some(tree) = crate::syntax::parse::parse_rope(rust, &rope, None) else { panic!("parse failed") };
        scopes_at(rust, &tree, &rope, cursor)
            .iter()
            .map(|scope| rope.byte_slice(scope.signature_byte_range(&rope)).to_string().trim().to_owned())
            .collect()
    }

    #[test]
    fn a_cursor_in_a_signature_still_sees_the_body_start() {
        assert_eq!(
            rust_scopes("impl A {\n    fn f(&se<|>lf) -> u8 {\n        1\n    }\n}\n"),
            ["impl A", "fn f(&self) -> u8"]
        );
    }

    #[test]
    fn a_cursor_after_a_closing_token_is_outside_the_scope() {
        assert_eq!(rust_scopes("mod m {\n    fn f() {}<|>\n}\n"), ["mod m"]);
        assert_eq!(rust_scopes("fn f() {}<|>\n"), Vec::<String>::new());
        assert_eq!(rust_scopes("<|>fn f() {}\n"), Vec::<String>::new());
    }

    #[test]
    fn half_typed_code_inside_a_scope_keeps_the_scope() {
        assert_eq!(rust_scopes("fn f() {\n    let x = g(1<|>\n}\n"), ["fn f()"]);
    }

    #[test]
    fn imports_come_back_in_document_order() {
        let Some(rust) = crate::syntax::language_for("rust", "") else { panic!("rust is enabled") };
        let rope = Rope::from_str("use a::{b, c};\nmod m;\nfn f() {}\n");
        let Some(tree) = crate::syntax::parse::parse_rope(rust, &rope, None) else { panic!("parse failed") };
        let texts: Vec<String> =
            imports(rust, &tree, &rope).into_iter().map(|range| rope.byte_slice(range).to_string()).collect();
        assert_eq!(texts, ["use a::{b, c};", "mod m;"]);
    }

    #[test]
    fn a_scope_without_a_body_shows_its_first_line() {
        assert_eq!(rust_scopes("macro_rules! m {\n    () => {<|>};\n}\n"), ["macro_rules! m {"]);
    }
}
