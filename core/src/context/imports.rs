//! The file's header: import/use/include/require/package statements above the cursor, in order.
//!
//! With a syntax tree they are the language's `@import` captures. Running the query over a whole
//! 20,000-line file on every keystroke would cost milliseconds, and imports live at the top, so it
//! runs over the header only: chunk by chunk from the top while imports keep coming
//! ([`keep_scanning`]), never past the cursor line or [`MAX_HEADER_LINES`], and only over nodes
//! near the root ([`MAX_IMPORT_DEPTH`]). `syntax::imports` answers for the whole file; this is the
//! same question over a byte range and depth.
//!
//! The header is read once for the whole file, wherever the cursor is, and kept with the text it
//! was read from ([`cached_header`]): typing below it does not change it, so later completions
//! compare that text (a memcmp) instead of running the query again; the cursor line then bounds
//! which of its imports are used.
//!
//! Without a tree, lines that look like an import in the document's language (its table entry's
//! `imports`) stand in, each extended over following lines while its brackets are open
//! (`import (` … `)` in Go).

use std::collections::HashMap;
use std::ops::{ControlFlow, Range};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ropey::Rope;
use tree_sitter::{
    CaptureQuantifier, Query, QueryCursor, QueryCursorOptions, QueryCursorState, StreamingIterator, Tree,
};

use super::lines;
use crate::documents::DocumentSnapshot;
use crate::languages::LanguageEntry;
use crate::syntax::{self, RopeText, queries::CAPTURE_IMPORT};

/// Imports are looked for in this many lines at the top of the file at most.
const MAX_HEADER_LINES: usize = 400;
/// A file whose first import is not within this many lines (a long license comment is fine) is
/// taken to have none.
const FIRST_IMPORT_WITHIN_LINES: usize = 128;
/// The header ends this many lines after its last import.
const HEADER_GAP_LINES: usize = 32;
/// The tree scan's first chunk, in lines; later chunks double.
const FIRST_CHUNK_LINES: usize = 64;
/// Bounds the work of the import query, like the syntax layer's own queries.
const MATCH_LIMIT: u32 = 256;
/// Imports are top-level statements, or nearly: inside a C# namespace's declaration list (depth
/// 3) or a C header guard (depth 2). Not descending further makes the query visit a few nodes per
/// item instead of every node of the header.
const MAX_IMPORT_DEPTH: u32 = 3;
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
    if before_line == 0 {
        return Vec::new();
    }
    let rope = snapshot.rope();
    let scan_end = lines::line_start(rope, before_line.min(MAX_HEADER_LINES));
    let header = cached_header(snapshot);
    header.imports.iter().filter(|import| import.start_byte < scan_end).cloned().collect()
}

/// Every import of the file's header, wherever the cursor is, with what it was read from.
#[derive(Debug)]
struct Header {
    /// What was read: the language's name (or the table entry's, without a grammar), and
    /// whether a syntax tree was.
    language: Option<&'static str>,
    with_tree: bool,
    /// The text the imports were found in: the file from its start through the last line
    /// scanned (and the end of the last import, if that is later).
    text: String,
    /// Whether `text` was the whole file: a longer file could have imports past it.
    whole_file: bool,
    imports: Vec<ImportCandidate>,
}

impl Header {
    fn read(snapshot: &DocumentSnapshot, language: Option<&'static str>, with_tree: bool) -> Self {
        let rope = snapshot.rope();
        let (ranges, scanned_lines) = match (snapshot.language(), snapshot.tree()) {
            (Some(language), Some(tree)) => from_tree(language, tree, rope, MAX_HEADER_LINES),
            _ => by_line_prefix(rope, snapshot.language_entry(), MAX_HEADER_LINES),
        };
        let scan_end = lines::line_start(rope, scanned_lines);
        let text_end = ranges.iter().map(|range| range.end).fold(scan_end, usize::max).min(rope.len_bytes());
        let imports = ranges
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
            .collect();
        Self {
            language,
            with_tree,
            text: String::from(rope.byte_slice(..text_end)),
            whole_file: text_end == rope.len_bytes(),
            imports,
        }
    }

    /// Whether reading `snapshot` would find these imports again: the same language and tree
    /// or none, and the same text up to where the scan stopped. (The tree of a header whose
    /// text is the same is the same: statements before the scan end do not change with text
    /// after it, short of one continued onto the first line after the scan.)
    fn holds_for(&self, snapshot: &DocumentSnapshot, language: Option<&'static str>, with_tree: bool) -> bool {
        let rope = snapshot.rope();
        let length_fits =
            if self.whole_file { rope.len_bytes() == self.text.len() } else { rope.len_bytes() >= self.text.len() };
        self.language == language
            && self.with_tree == with_tree
            && length_fits
            && starts_with(rope, self.text.as_bytes())
    }
}

/// Whether the text of `rope` begins with `prefix`, compared chunk by chunk.
fn starts_with(rope: &Rope, prefix: &[u8]) -> bool {
    let mut rest = prefix;
    for chunk in rope.chunks() {
        if rest.is_empty() {
            break;
        }
        let chunk = chunk.as_bytes();
        let n = chunk.len().min(rest.len());
        if chunk[..n] != rest[..n] {
            return false;
        }
        rest = &rest[n..];
    }
    rest.is_empty()
}

/// How many headers are kept: the files being edited now.
const CACHED_HEADERS: usize = 8;
/// A header longer than this (minified code on a few huge lines) is read each time, not kept.
const MAX_CACHED_HEADER_BYTES: usize = 64 * 1024;

/// The header of `snapshot`, from the cache when its text has not changed since it was read.
///
/// The header is the same from keystroke to keystroke unless the edit is in it, and scanning it
/// with the import query was a fifth of the work of a completion; comparing its text is a
/// memcmp. The cache holds the last few headers read, most recent first.
fn cached_header(snapshot: &DocumentSnapshot) -> Arc<Header> {
    let language =
        snapshot.language().map(|language| language.name).or(snapshot.language_entry().map(|entry| entry.name));
    let with_tree = snapshot.language().is_some() && snapshot.tree().is_some();
    {
        // A panic while holding the lock cannot leave the list half-updated; keep using it.
        let mut cache = header_cache().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = cache.iter().position(|header| header.holds_for(snapshot, language, with_tree)) {
            let header = cache.remove(found);
            cache.insert(0, Arc::clone(&header));
            return header;
        }
    }
    // Read outside the lock: another document's completion need not wait for this one's scan.
    let header = Arc::new(Header::read(snapshot, language, with_tree));
    if header.text.len() <= MAX_CACHED_HEADER_BYTES {
        let mut cache = header_cache().lock().unwrap_or_else(PoisonError::into_inner);
        cache.insert(0, Arc::clone(&header));
        cache.truncate(CACHED_HEADERS);
    }
    header
}

fn header_cache() -> &'static Mutex<Vec<Arc<Header>>> {
    static HEADERS: OnceLock<Mutex<Vec<Arc<Header>>>> = OnceLock::new();
    HEADERS.get_or_init(Mutex::default)
}

/// Whether the header may go on past line `scanned_lines`, given the line of the last import
/// found so far.
fn keep_scanning(last_import_line: Option<usize>, scanned_lines: usize) -> bool {
    match last_import_line {
        None => scanned_lines < FIRST_IMPORT_WITHIN_LINES,
        Some(line) => scanned_lines <= line + HEADER_GAP_LINES,
    }
}

/// The imports in the first `limit_line` lines, and how many lines were scanned.
fn from_tree(
    language: &'static syntax::Language,
    tree: &Tree,
    rope: &Rope,
    limit_line: usize,
) -> (Vec<Range<usize>>, usize) {
    let Some(import_query) = import_query(language) else { return (Vec::new(), 0) };
    let mut ranges = Vec::new();
    let mut chunk_start_line = 0;
    let mut chunk_lines = FIRST_CHUNK_LINES;
    loop {
        let chunk_end_line = (chunk_start_line + chunk_lines).min(limit_line);
        let chunk = lines::line_start(rope, chunk_start_line)..lines::line_start(rope, chunk_end_line);
        query_imports(&import_query, tree, rope, chunk, &mut ranges);
        let last_import_line = ranges.iter().map(|range| range.start).max().map(|start| lines::line_of(rope, start));
        if chunk_end_line >= limit_line || !keep_scanning(last_import_line, chunk_end_line) {
            break;
        }
        chunk_start_line = chunk_end_line;
        chunk_lines *= 2;
    }
    let scanned_lines = (chunk_start_line + chunk_lines).min(limit_line);
    ranges.sort_by_key(|range| (range.start, usize::MAX - range.end));
    // An import inside another (a `use` list and one of its items) counts once, as the outer one;
    // so does one that straddles two chunks and was found in both.
    let mut outermost: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if outermost.last().is_none_or(|last| range.start >= last.end) {
            outermost.push(range);
        }
    }
    (outermost, scanned_lines)
}

/// Adds the ranges of the imports that intersect `chunk` to `ranges`.
fn query_imports(
    import_query: &ImportQuery,
    tree: &Tree,
    rope: &Rope,
    chunk: Range<usize>,
    ranges: &mut Vec<Range<usize>>,
) {
    let scan_end = chunk.end;
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_byte_range(chunk);
    cursor.set_max_start_depth(Some(MAX_IMPORT_DEPTH));
    // A byte range alone does not stop the cursor from stepping through every later top-level
    // item (thousands in a large file) looking for another match; halting once it is past the
    // header does. Matches already finished are still returned.
    let mut stop_after_header = |state: &QueryCursorState| {
        if state.current_byte_offset() > scan_end { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let options = QueryCursorOptions::new().progress_callback(&mut stop_after_header);
    let mut matches = cursor.matches_with_options(&import_query.query, tree.root_node(), RopeText(rope), options);
    while let Some(query_match) = matches.next() {
        ranges.extend(query_match.nodes_for_capture_index(import_query.import_index).map(|node| node.byte_range()));
    }
}

/// A language's context query with every pattern that does not capture `@import` disabled.
#[derive(Debug)]
struct ImportQuery {
    query: Query,
    import_index: u32,
}

/// Import-only queries by language name; `None` for a language whose query has no imports.
type ImportQueries = HashMap<&'static str, Option<Arc<ImportQuery>>>;

/// The import-only query of `language`, compiled on first use and kept for the process.
///
/// The full context query also matches scopes and definitions, which keeps the query cursor
/// descending into every item of the header; with only import patterns left it stays near the
/// root, which makes the header scan several times cheaper. `None` when the language's query does
/// not compile (the syntax layer logs that) or captures no imports.
fn import_query(language: &'static syntax::Language) -> Option<Arc<ImportQuery>> {
    // A panic while holding the lock cannot leave the map half-updated; keep using it.
    let mut cache = import_queries().lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(language.name).or_insert_with(|| compile_import_query(language).map(Arc::new)).clone()
}

fn import_queries() -> &'static Mutex<ImportQueries> {
    static IMPORT_QUERIES: OnceLock<Mutex<ImportQueries>> = OnceLock::new();
    IMPORT_QUERIES.get_or_init(Mutex::default)
}

/// Compiles the import-only query of `language` now (see [`super::warm_up`]).
pub(super) fn warm_up(language: &'static syntax::Language) {
    let _ = import_query(language);
}

/// Whether the import-only query of `language` is compiled (or known not to exist). A lock
/// held by a compilation in progress counts as not yet.
pub(super) fn is_compiled(language: &'static syntax::Language) -> bool {
    import_queries().try_lock().is_ok_and(|cache| cache.contains_key(language.name))
}

fn compile_import_query(language: &syntax::Language) -> Option<ImportQuery> {
    let mut query = language.compile_context_query().ok()?;
    let import_index = query.capture_index_for_name(CAPTURE_IMPORT)?;
    for pattern_index in 0..query.pattern_count() {
        let captures_import = query
            .capture_quantifiers(pattern_index)
            .get(import_index as usize)
            .is_some_and(|quantifier| *quantifier != CaptureQuantifier::Zero);
        if !captures_import {
            query.disable_pattern(pattern_index);
        }
    }
    Some(ImportQuery { query, import_index })
}

/// The import-looking lines in the first `limit_line` lines, and how many lines were read.
fn by_line_prefix(rope: &Rope, language: Option<&LanguageEntry>, limit_line: usize) -> (Vec<Range<usize>>, usize) {
    // Plain text and languages whose entry says nothing about imports: we would only be guessing.
    let Some(language) = language.filter(|language| !language.import_prefixes.is_empty()) else {
        return (Vec::new(), 0);
    };
    let mut ranges = Vec::new();
    let mut last_import_line = None;
    let mut scanned_lines = 0;
    let mut header = lines::lines_from(rope, 0).take(limit_line);
    while let Some(line) = header.next() {
        if !keep_scanning(last_import_line, line.idx) {
            break;
        }
        scanned_lines = line.idx + 1;
        let content = line.content();
        let trimmed = content.trim_start();
        let is_import = language.import_prefixes.iter().any(|prefix| trimmed.starts_with(prefix))
            || language.import_contains.iter().any(|text| trimmed.contains(text));
        if !is_import {
            continue;
        }
        let mut open = language.bracket_balance(trimmed);
        let mut end = line.start + content.len();
        for _ in 0..MAX_FALLBACK_IMPORT_LINES {
            if open <= 0 {
                break;
            }
            let Some(continuation) = header.next() else { break };
            scanned_lines = continuation.idx + 1;
            let continuation_content = continuation.content();
            open += language.bracket_balance(&continuation_content);
            end = continuation.start + continuation_content.len();
        }
        ranges.push(line.start + lines::indent_len(&content)..end);
        last_import_line = Some(line.idx);
    }
    (ranges, scanned_lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback(language: &str, text: &str) -> Vec<String> {
        let rope = Rope::from_str(text);
        by_line_prefix(&rope, crate::languages::find(language), rope.len_lines())
            .0
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

    #[test]
    fn the_header_ends_a_while_after_the_last_import() {
        assert!(keep_scanning(None, 0) && keep_scanning(None, FIRST_IMPORT_WITHIN_LINES - 1));
        assert!(!keep_scanning(None, FIRST_IMPORT_WITHIN_LINES));
        assert!(keep_scanning(Some(200), 200 + HEADER_GAP_LINES));
        assert!(!keep_scanning(Some(200), 201 + HEADER_GAP_LINES));
        let late = format!("{}import os\n", "x = 1\n".repeat(FIRST_IMPORT_WITHIN_LINES + 1));
        assert!(fallback("python", &late).is_empty());
        let spread = format!("import a\n{}import b\n", "x = 1\n".repeat(HEADER_GAP_LINES - 1));
        assert_eq!(fallback("python", &spread).len(), 2);
    }

    fn texts(imports: &[ImportCandidate]) -> Vec<&str> {
        imports.iter().map(|import| import.text.as_str()).collect()
    }

    /// What reading the header afresh finds, without the cache.
    fn uncached(snapshot: &DocumentSnapshot, before_line: usize) -> Vec<ImportCandidate> {
        let language = snapshot.language().map(|language| language.name);
        let header = Header::read(snapshot, language, snapshot.tree().is_some());
        let scan_end = lines::line_start(snapshot.rope(), before_line.min(MAX_HEADER_LINES));
        header.imports.into_iter().filter(|import| import.start_byte < scan_end).collect()
    }

    #[test]
    fn a_header_read_before_answers_until_its_text_changes() {
        let body = "fn main() {\n    let x = 1;\n}\n".repeat(40);
        let first = DocumentSnapshot::from_text("file:///a.rs", "rust", &format!("use a;\nuse b;\n\n{body}"));
        assert_eq!(texts(&header_imports(&first, 100)), ["use a;", "use b;"]);
        // An edit in the body: the same header, from the cache or not.
        let typed = DocumentSnapshot::from_text("file:///a.rs", "rust", &format!("use a;\nuse b;\n\n{body}let"));
        assert_eq!(texts(&header_imports(&typed, 100)), ["use a;", "use b;"]);
        // The cursor still bounds what is used.
        assert_eq!(texts(&header_imports(&typed, 1)), ["use a;"]);
        // An edit in the header is seen.
        let edited = DocumentSnapshot::from_text("file:///a.rs", "rust", &format!("use a;\nuse c::d;\n\n{body}"));
        assert_eq!(texts(&header_imports(&edited, 100)), ["use a;", "use c::d;"]);
        // The same text read without a tree is read again, not taken from the tree's entry.
        assert_eq!(header_imports(&first.without_tree(), 100), uncached(&first.without_tree(), 100));
    }

    #[test]
    fn a_file_that_grows_past_a_header_read_to_its_end_is_read_again() {
        let short = DocumentSnapshot::from_text("file:///a.py", "python", "import os\n");
        assert_eq!(texts(&header_imports(&short, 5)), ["import os"]);
        let longer = DocumentSnapshot::from_text("file:///a.py", "python", "import os\nimport sys\nx = 1\n");
        assert_eq!(texts(&header_imports(&longer, 5)), ["import os", "import sys"]);
    }

    proptest::proptest! {
        // Each case parses two dozen files.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever was cached before, the answer is what a fresh read of the header gives.
        #[test]
        fn the_cache_answers_as_a_fresh_read_would(
            edits in proptest::collection::vec((0usize..100, 0usize..6, 0usize..100), 1..12),
        ) {
            let pieces = ["use a;\n", "use b::{c,\n d};\n", "\n", "fn f() {}\n", "// note\n", "use"];
            // Longer than the first chunk the scan reads, so edits below the header keep it.
            let mut lines: Vec<&str> = vec!["use x;\n", "use y;\n", "\n"];
            lines.extend(std::iter::repeat_n("fn g() {}\n", 80));
            for (at, piece, cursor) in edits {
                lines.insert(at.min(lines.len()), pieces[piece]);
                let text = lines.concat();
                for snapshot in [
                    DocumentSnapshot::from_text("file:///p.rs", "rust", &text),
                    DocumentSnapshot::from_text("file:///p.rs", "rust", &text).without_tree(),
                ] {
                    proptest::prop_assert_eq!(header_imports(&snapshot, cursor), uncached(&snapshot, cursor));
                }
            }
        }
    }
}
