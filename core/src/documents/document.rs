//! One open document: its text in a rope, its version and its syntax, changed together.

use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Tree;

use super::position::{self, PositionEncoding, Range};
use crate::languages::{self, LanguageEntry};
use crate::syntax::{self, Language, SyntaxState};
use crate::text::{ByteEdit, BytePoint};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error("document is not open: {0}")]
    NotOpen(String),
}

/// One entry of a `didChange` notification: a replacement of `range`, or of the whole text when
/// `range` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentChange {
    pub range: Option<Range>,
    pub text: String,
}

impl ContentChange {
    pub fn full(text: impl Into<String>) -> Self {
        Self { range: None, text: text.into() }
    }

    pub fn replace(range: Range, text: impl Into<String>) -> Self {
        Self { range: Some(range), text: text.into() }
    }
}

#[derive(Debug)]
pub struct Document {
    uri: Arc<str>,
    /// The path part of the URI, used for language detection, prompts and exclusions.
    path: Arc<str>,
    language_id: Arc<str>,
    /// The document's language in the table, grammar or not; `None` for plain text.
    entry: Option<&'static LanguageEntry>,
    /// The text. Line breaks are exactly LSP's (`\n`, `\r\n`, lone `\r`).
    rope: Rope,
    /// The version the editor last gave. Changes are applied in arrival order whatever it says;
    /// a version that goes backwards is logged, since it means the editor and we disagree.
    version: i32,
    /// `None` for languages without a grammar: they work as plain text.
    /// Invariant: the tree, when present and fresh, describes exactly `rope`.
    syntax: Option<SyntaxState>,
    /// The text may contain a `\r` not followed by `\n`. Tree-sitter counts rows by `\n` only,
    /// while the rope (like LSP) also breaks lines at a lone `\r`; without one the two agree and
    /// points come cheaply from the rope. Set when one may have appeared, cleared on full sync.
    may_have_lone_cr: bool,
    /// How many changes have been applied: a parse made off the document is installed only if
    /// this has not moved since its text was taken.
    n_changes: u64,
}

impl Document {
    pub fn new(uri: &str, language_id: &str, version: i32, text: &str) -> Self {
        let path = path_of_uri(uri);
        let entry = languages::for_document(language_id, &path);
        let syntax = entry.and_then(syntax::languages::for_entry).map(SyntaxState::new);
        Self {
            uri: uri.into(),
            path: path.into(),
            language_id: language_id.into(),
            entry,
            rope: Rope::from_str(text),
            version,
            syntax,
            may_have_lone_cr: has_lone_cr(text.as_bytes()),
            n_changes: 0,
        }
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The language's syntax: `None` for plain text and for languages without a grammar.
    pub fn language(&self) -> Option<&'static Language> {
        self.syntax.as_ref().map(SyntaxState::language)
    }

    /// The language's table entry: `None` only for plain text (a language not in the table).
    pub fn language_entry(&self) -> Option<&'static LanguageEntry> {
        self.entry
    }

    /// Applies the changes of one `didChange` in order, each against the result of the one
    /// before, to the text and the syntax tree together. Never parses: that waits until someone
    /// needs the tree.
    pub fn apply_changes(&mut self, version: i32, changes: &[ContentChange], encoding: PositionEncoding) {
        if version < self.version {
            tracing::warn!(uri = %self.uri, old = self.version, new = version, "document version went backwards");
        }
        for change in changes {
            self.apply_change(change, encoding);
        }
        self.version = version;
    }

    fn apply_change(&mut self, change: &ContentChange, encoding: PositionEncoding) {
        self.n_changes += 1;
        let Some(range) = change.range else {
            self.rope = Rope::from_str(&change.text);
            self.may_have_lone_cr = has_lone_cr(change.text.as_bytes());
            if let Some(syntax) = &mut self.syntax {
                syntax.reset();
            }
            return;
        };
        let mut start_byte = position::to_byte_offset(&self.rope, range.start, encoding);
        let mut end_byte = position::to_byte_offset(&self.rope, range.end, encoding);
        if end_byte < start_byte {
            // A reversed range is a client bug; the kindest reading is the range it spans.
            std::mem::swap(&mut start_byte, &mut end_byte);
        }
        if start_byte == end_byte && change.text.is_empty() {
            // Nothing changes: the tree stays fresh.
            return;
        }
        let start_point = self.byte_point(start_byte);
        let old_end_point = self.byte_point(end_byte);
        let start_char = self.rope.byte_to_char(start_byte);
        let end_char = self.rope.byte_to_char(end_byte);
        if end_char > start_char {
            self.rope.remove(start_char..end_char);
        }
        if !change.text.is_empty() {
            self.rope.insert(start_char, &change.text);
        }
        if !self.may_have_lone_cr {
            // A lone `\r` can only appear inside the inserted text or at its two edges. Counted
            // in chars: both line-break characters are one char, and char indices never split one.
            let from = start_char.saturating_sub(1);
            let to = (start_char + change.text.chars().count() + 1).min(self.rope.len_chars());
            let around: Vec<char> = self.rope.slice(from..to).chars().collect();
            // The window's last char is unchanged text whose successor is unchanged too, unless
            // it ends the document.
            self.may_have_lone_cr = around.windows(2).any(|pair| pair[0] == '\r' && pair[1] != '\n')
                || (to == self.rope.len_chars() && around.last() == Some(&'\r'));
        }
        if let Some(syntax) = &mut self.syntax {
            syntax.edit(&ByteEdit {
                start_byte,
                old_end_byte: end_byte,
                new_end_byte: start_byte + change.text.len(),
                start_point,
                old_end_point,
                new_end_point: point_after(start_point, &change.text),
            });
        }
    }

    /// The point of `byte_offset` as tree-sitter counts it: rows end at `\n` only.
    fn byte_point(&self, byte_offset: usize) -> BytePoint {
        if !self.may_have_lone_cr {
            let row = self.rope.byte_to_line(byte_offset);
            return BytePoint { row, byte_col: byte_offset - self.rope.line_to_byte(row) };
        }
        // Rare (old Mac files): count the `\n`s before the offset.
        let (mut row, mut line_start, mut position) = (0, 0, 0);
        for chunk in self.rope.byte_slice(..byte_offset).chunks() {
            for (idx, byte) in chunk.bytes().enumerate() {
                if byte == b'\n' {
                    row += 1;
                    line_start = position + idx + 1;
                }
            }
            position += chunk.len();
        }
        BytePoint { row, byte_col: byte_offset - line_start }
    }

    /// Brings the syntax tree up to date, parsing incrementally if needed.
    pub fn ensure_parsed(&mut self) -> Option<&Tree> {
        let rope = &self.rope;
        self.syntax.as_mut()?.ensure_parsed(rope)
    }

    /// A parse to run without holding the document, with the text it parses and a token for
    /// [`Document::install_parse`]; `None` when the tree is already fresh (or there is no grammar).
    pub fn parse_job(&self) -> Option<(crate::syntax::ParseJob, Rope, u64)> {
        let job = self.syntax.as_ref()?.parse_job()?;
        Some((job, self.rope.clone(), self.n_changes))
    }

    /// Installs a tree parsed from the text taken with `token`, unless the text has changed
    /// since. Returns whether it was installed.
    pub fn install_parse(&mut self, token: u64, tree: Option<Tree>) -> bool {
        if token != self.n_changes {
            return false;
        }
        match &mut self.syntax {
            Some(syntax) => {
                syntax.finish(tree);
                true
            }
            None => false,
        }
    }

    /// Drops the syntax tree to bound memory.
    pub fn evict_tree(&mut self) {
        if let Some(syntax) = &mut self.syntax {
            syntax.evict();
        }
    }

    pub fn has_tree(&self) -> bool {
        self.syntax.as_ref().is_some_and(SyntaxState::has_tree)
    }

    /// A frozen copy: shares the rope's and tree's storage, so it is cheap to take and send.
    /// The tree is included only if it is fresh.
    pub fn snapshot(&self) -> DocumentSnapshot {
        DocumentSnapshot {
            uri: self.uri.clone(),
            path: self.path.clone(),
            language_id: self.language_id.clone(),
            version: self.version,
            rope: self.rope.clone(),
            language: self.language(),
            entry: self.entry,
            tree: self.syntax.as_ref().and_then(SyntaxState::fresh_tree).cloned(),
        }
    }
}

/// Whether `bytes` holds a `\r` that is not followed by `\n` (a `\r` at the very end counts).
fn has_lone_cr(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(idx, &byte)| byte == b'\r' && bytes.get(idx + 1) != Some(&b'\n'))
}

/// Where a point ends after inserting `text` at `start`, as tree-sitter counts it: rows end at
/// `\n` only (a CRLF is one row break either way; a lone `\r` is none for tree-sitter).
fn point_after(start: BytePoint, text: &str) -> BytePoint {
    let mut row = start.row;
    let mut line_start = 0;
    for (idx, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            row += 1;
            line_start = idx + 1;
        }
    }
    if row == start.row {
        BytePoint { row, byte_col: start.byte_col + text.len() }
    } else {
        BytePoint { row, byte_col: text.len() - line_start }
    }
}

/// The path of a `file:` URI, percent-decoded; other URIs are kept whole.
pub fn path_of_uri(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("file://") else {
        return uri.to_owned();
    };
    fn hex(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).map(|digit| digit as u8)
    }
    let raw = rest.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut idx = 0;
    while idx < raw.len() {
        if raw[idx] == b'%'
            && idx + 2 < raw.len()
            && let (Some(high), Some(low)) = (hex(raw[idx + 1]), hex(raw[idx + 2]))
        {
            bytes.push(high * 16 + low);
            idx += 3;
            continue;
        }
        bytes.push(raw[idx]);
        idx += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `file:` URI of an absolute path, percent-encoding what a URI path may not hold as is
/// (the inverse of [`path_of_uri`]).
pub fn uri_of_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len() + 7);
    uri.push_str("file://");
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => uri.push(byte as char),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// An immutable view of a document at one version.
#[derive(Debug, Clone)]
pub struct DocumentSnapshot {
    uri: Arc<str>,
    path: Arc<str>,
    language_id: Arc<str>,
    version: i32,
    rope: Rope,
    language: Option<&'static Language>,
    entry: Option<&'static LanguageEntry>,
    tree: Option<Tree>,
}

impl DocumentSnapshot {
    /// A snapshot of text that is not in any store (tests, the one-shot CLI, benches).
    pub fn from_text(uri: &str, language_id: &str, text: &str) -> Self {
        let mut document = Document::new(uri, language_id, 0, text);
        document.ensure_parsed();
        document.snapshot()
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn language_id(&self) -> &str {
        &self.language_id
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The whole text as one string. Allocates: prefer `rope()` slices on hot paths.
    pub fn text(&self) -> String {
        String::from(&self.rope)
    }

    /// The language's syntax: `None` for plain text and for languages without a grammar.
    pub fn language(&self) -> Option<&'static Language> {
        self.language
    }

    /// The language's table entry: `None` only for plain text (a language not in the table).
    pub fn language_entry(&self) -> Option<&'static LanguageEntry> {
        self.entry
    }

    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// The same snapshot without its tree: features fall back to what they read from the text.
    #[must_use]
    pub fn without_tree(&self) -> Self {
        Self { tree: None, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::position::LineCol;

    #[test]
    fn paths_become_uris_and_back() {
        for path in ["/home/me/src/main.rs", "/tmp/with space/100%.py", "/tmp/ünï/c++/a:b.ts"] {
            let uri = uri_of_path(path);
            assert!(uri.starts_with("file:///"), "{uri}");
            assert!(!uri["file://".len()..].contains([' ', ':']), "{uri}");
            assert_eq!(path_of_uri(&uri), path);
        }
        assert_eq!(uri_of_path("/tmp/a b.rs"), "file:///tmp/a%20b.rs");
    }

    #[test]
    fn file_uris_become_decoded_paths() {
        assert_eq!(path_of_uri("file:///home/me/a%20b/%E6%97%A5.rs"), "/home/me/a b/日.rs");
        assert_eq!(path_of_uri("file:///x/100%"), "/x/100%");
        assert_eq!(path_of_uri("untitled:Untitled-1"), "untitled:Untitled-1");
    }

    #[test]
    fn point_after_counts_every_kind_of_line_break() {
        let start = BytePoint { row: 2, byte_col: 4 };
        assert_eq!(point_after(start, "ab"), BytePoint { row: 2, byte_col: 6 });
        assert_eq!(point_after(start, "a\r\nbc"), BytePoint { row: 3, byte_col: 2 });
        // A lone CR is not a row break for tree-sitter.
        assert_eq!(point_after(start, "a\rb\nc"), BytePoint { row: 3, byte_col: 1 });
        assert_eq!(point_after(start, "\n"), BytePoint { row: 3, byte_col: 0 });
    }

    #[test]
    fn a_parse_of_text_that_changed_meanwhile_is_not_installed() {
        let mut document = Document::new("file:///a.rs", "rust", 1, "fn a() {}\n");
        let (job, rope, token) = document.parse_job().expect("no tree yet");
        let parsed = job.run(&rope);
        // An edit arrives while the parse runs.
        let end = Range::new(LineCol::new(1, 0), LineCol::new(1, 0));
        document.apply_changes(2, &[ContentChange::replace(end, "fn b() {}\n")], PositionEncoding::Utf8);
        assert!(!document.install_parse(token, parsed), "a tree of older text must not be installed");
        assert!(document.snapshot().tree().is_none());
        let (job, rope, token) = document.parse_job().expect("still no fresh tree");
        assert!(document.install_parse(token, job.run(&rope)));
        let tree = document.snapshot().tree().cloned().expect("fresh tree");
        assert_eq!(tree.root_node().named_child_count(), 2, "both functions are in the tree");
        assert!(document.parse_job().is_none(), "nothing left to parse");
    }

    #[test]
    fn several_changes_apply_in_order() {
        let mut document = Document::new("file:///a.txt", "plaintext", 1, "hello world");
        document.apply_changes(
            2,
            &[
                ContentChange::replace(Range::new(LineCol::new(0, 0), LineCol::new(0, 5)), "goodbye"),
                // Against the result of the first change.
                ContentChange::replace(Range::new(LineCol::new(0, 7), LineCol::new(0, 7)), ",\r\n"),
                ContentChange::replace(Range::new(LineCol::new(1, 1), LineCol::new(1, 99)), "there"),
            ],
            PositionEncoding::Utf16,
        );
        assert_eq!(document.rope().to_string(), "goodbye,\r\n there");
        assert_eq!(document.version(), 2);
        document.apply_changes(3, &[ContentChange::full("new")], PositionEncoding::Utf16);
        assert_eq!(document.snapshot().text(), "new");
    }

    #[test]
    fn reversed_and_out_of_range_changes_never_panic() {
        let mut document = Document::new("file:///a.txt", "plaintext", 1, "abc\ndef");
        let reversed = Range::new(LineCol::new(1, 2), LineCol::new(0, 1));
        document.apply_changes(2, &[ContentChange::replace(reversed, "X")], PositionEncoding::Utf8);
        assert_eq!(document.rope().to_string(), "aXf");
        let far = Range::new(LineCol::new(40, 3), LineCol::new(90, 0));
        document.apply_changes(3, &[ContentChange::replace(far, "!")], PositionEncoding::Utf32);
        assert_eq!(document.rope().to_string(), "aXf!");
    }
}
