//! Code from elsewhere that helps a model complete here: chunks around recent edits and from
//! other open documents (a bounded ring, de-duplicated by similarity, as llama.vim does), and the
//! definitions of identifiers used near the cursor.
//!
//! Cost discipline: a keystroke only records `(uri, line)` in O(1); chunks are cut and indexed
//! when a completion asks for them, and the ring never holds more than `capacity` chunks.

use std::collections::VecDeque;
use std::ops::Range;

use crate::documents::DocumentSnapshot;
use crate::syntax::queries;
use crate::text::{estimate_tokens, tokens_for_bytes};

/// Lines on each side of an edited line that make up its chunk.
const CHUNK_RADIUS: usize = 8;
/// Lines per chunk sampled from an opened document.
const OPEN_CHUNK_LINES: usize = 16;
/// Chunks sampled per opened document.
const OPEN_CHUNKS: usize = 6;
/// Two chunks this similar are one chunk: the newer replaces the older.
const DUPLICATE_SIMILARITY: f32 = 0.8;
/// Below this similarity to the cursor's neighbourhood a chunk is not worth its tokens.
const MIN_RELEVANCE: f32 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnippetSource {
    RecentEdit,
    OpenDocument,
    Definition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedSnippet {
    pub path: String,
    pub text: String,
    pub source: SnippetSource,
}

#[derive(Debug, Clone)]
struct Chunk {
    uri: String,
    path: String,
    lines: Range<usize>,
    text: String,
    words: Vec<u64>,
    source: SnippetSource,
}

/// Sorted, de-duplicated hashes of the identifier-like words of `text`.
fn word_set(text: &str) -> Vec<u64> {
    let mut words: Vec<u64> = text
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .filter(|word| word.len() >= 2)
        .map(|word| {
            // FNV-1a: fast, and collisions only blur a similarity estimate.
            word.bytes()
                .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Jaccard similarity of two sorted sets.
fn jaccard(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f32 / (a.len() + b.len() - shared) as f32
}

fn lines_text(snapshot: &DocumentSnapshot, lines: Range<usize>) -> String {
    let rope = snapshot.rope();
    let end = lines.end.min(rope.len_lines());
    let start = lines.start.min(end);
    String::from(rope.slice(rope.line_to_char(start)..rope.line_to_char(end)))
}

#[derive(Debug)]
enum Pending {
    Edit { uri: String, line: usize },
    Open { uri: String },
}

/// The ring of chunks, kept by the session and fed by document events.
#[derive(Debug)]
pub struct RecentChunks {
    chunks: VecDeque<Chunk>,
    pending: VecDeque<Pending>,
    capacity: usize,
}

impl Default for RecentChunks {
    fn default() -> Self {
        Self::new(64)
    }
}

impl RecentChunks {
    pub fn new(capacity: usize) -> Self {
        Self { chunks: VecDeque::new(), pending: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Records that `line` of `uri` was edited. O(1): repeated edits to one place coalesce.
    pub fn note_edit(&mut self, uri: &str, line: usize) {
        if let Some(Pending::Edit { uri: last_uri, line: last_line }) = self.pending.back()
            && last_uri == uri
            && last_line.abs_diff(line) <= CHUNK_RADIUS
        {
            return;
        }
        if self.pending.len() >= self.capacity {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending::Edit { uri: uri.to_owned(), line });
    }

    /// Records that `uri` was opened: some of its chunks join the ring at the next refresh.
    pub fn note_open(&mut self, uri: &str) {
        if self.pending.len() >= self.capacity {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending::Open { uri: uri.to_owned() });
    }

    pub fn forget(&mut self, uri: &str) {
        self.chunks.retain(|chunk| chunk.uri != uri);
        self.pending.retain(|pending| match pending {
            Pending::Edit { uri: pending_uri, .. } | Pending::Open { uri: pending_uri } => pending_uri != uri,
        });
    }

    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Turns recorded events into chunks, reading current text through `snapshot_of`.
    pub fn refresh(&mut self, snapshot_of: impl Fn(&str) -> Option<DocumentSnapshot>) {
        while let Some(pending) = self.pending.pop_front() {
            match pending {
                Pending::Edit { uri, line } => {
                    let Some(snapshot) = snapshot_of(&uri) else { continue };
                    let lines = line.saturating_sub(CHUNK_RADIUS)..line + CHUNK_RADIUS + 1;
                    self.add(&snapshot, lines, SnippetSource::RecentEdit);
                }
                Pending::Open { uri } => {
                    let Some(snapshot) = snapshot_of(&uri) else { continue };
                    let n_lines = snapshot.rope().len_lines();
                    let step = (n_lines / OPEN_CHUNKS).max(OPEN_CHUNK_LINES);
                    for start in (0..n_lines).step_by(step).take(OPEN_CHUNKS) {
                        self.add(&snapshot, start..start + OPEN_CHUNK_LINES, SnippetSource::OpenDocument);
                    }
                }
            }
        }
    }

    fn add(&mut self, snapshot: &DocumentSnapshot, lines: Range<usize>, source: SnippetSource) {
        let text = lines_text(snapshot, lines.clone());
        let words = word_set(&text);
        if words.len() < 3 {
            return;
        }
        // A near-duplicate (the same region, edited again) is replaced by the newer chunk.
        self.chunks
            .retain(|chunk| !(chunk.uri == snapshot.uri() && jaccard(&chunk.words, &words) >= DUPLICATE_SIMILARITY));
        if self.chunks.len() == self.capacity {
            self.chunks.pop_front();
        }
        self.chunks.push_back(Chunk {
            uri: snapshot.uri().to_owned(),
            path: snapshot.path().to_owned(),
            lines,
            text,
            words,
            source,
        });
    }

    /// The chunks most similar to `neighbourhood` (the text around the cursor), within
    /// `max_tokens`, skipping chunks of `current` that overlap `window_lines` (already in the
    /// prompt). Most relevant last, so the best sits nearest the cursor in a prompt.
    pub fn select(
        &self,
        current: &DocumentSnapshot,
        window_lines: Range<usize>,
        neighbourhood: &str,
        max_tokens: usize,
    ) -> Vec<RelatedSnippet> {
        let query = word_set(neighbourhood);
        let mut scored: Vec<(f32, &Chunk)> = self
            .chunks
            .iter()
            .filter(|chunk| {
                !(chunk.uri == current.uri()
                    && chunk.lines.start < window_lines.end
                    && window_lines.start < chunk.lines.end)
            })
            .map(|chunk| (jaccard(&chunk.words, &query), chunk))
            .filter(|(score, _)| *score >= MIN_RELEVANCE)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut budget = max_tokens;
        let mut picked = Vec::new();
        for (_, chunk) in scored {
            let cost = estimate_tokens(&chunk.text);
            if cost > budget {
                continue;
            }
            budget -= cost;
            picked.push(RelatedSnippet { path: chunk.path.clone(), text: chunk.text.clone(), source: chunk.source });
        }
        picked.reverse();
        picked
    }
}

/// Identifiers on the lines around `byte_offset` (the cursor's line and `radius` lines above).
pub fn identifiers_near(snapshot: &DocumentSnapshot, byte_offset: usize, radius: usize) -> Vec<String> {
    let rope = snapshot.rope();
    let line = rope.byte_to_line(byte_offset.min(rope.len_bytes()));
    let text = lines_text(snapshot, line.saturating_sub(radius)..line + 1);
    let mut names: Vec<String> = text
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .filter(|word| word.len() >= 2 && !word.chars().next().is_some_and(|ch| ch.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One named definition in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Definition {
    name: String,
    byte_range: Range<usize>,
}

/// Definitions per document, computed once per document version: with the language's query for
/// other documents (they rarely change, and the query over a whole file is the expensive part),
/// and with a shallow walk for the document being edited (it changes at every keystroke, so it
/// gets the cheap method: top-level items and one level into their bodies).
#[derive(Debug, Default)]
pub struct DefinitionIndex {
    by_uri: std::collections::HashMap<String, (i32, bool, std::sync::Arc<Definitions>)>,
}

/// A document's definitions by name: a request looks up the few names near the cursor instead
/// of scanning every definition of the file.
#[derive(Debug, Default)]
struct Definitions {
    by_name: std::collections::HashMap<String, Vec<Range<usize>>>,
}

impl Definitions {
    fn from_list(list: Vec<Definition>) -> Self {
        let mut by_name: std::collections::HashMap<String, Vec<Range<usize>>> = std::collections::HashMap::new();
        for definition in list {
            by_name.entry(definition.name).or_default().push(definition.byte_range);
        }
        Self { by_name }
    }

    fn named<'a>(&'a self, names: &'a [String]) -> impl Iterator<Item = &'a Range<usize>> + 'a {
        names.iter().filter_map(|name| self.by_name.get(name)).flatten()
    }
}

impl DefinitionIndex {
    fn of(&mut self, document: &DocumentSnapshot, shallow: bool) -> std::sync::Arc<Definitions> {
        if let Some((version, was_shallow, definitions)) = self.by_uri.get(document.uri())
            && *version == document.version()
            && *was_shallow == shallow
        {
            return definitions.clone();
        }
        let list = if shallow { shallow_definitions(document) } else { query_definitions(document) };
        let definitions = std::sync::Arc::new(Definitions::from_list(list));
        self.by_uri.insert(document.uri().to_owned(), (document.version(), shallow, definitions.clone()));
        definitions
    }

    pub fn forget(&mut self, uri: &str) {
        self.by_uri.remove(uri);
    }
}

fn query_definitions(document: &DocumentSnapshot) -> Vec<Definition> {
    let (Some(language), Some(tree)) = (document.language(), document.tree()) else {
        return Vec::new();
    };
    let rope = document.rope();
    queries::definitions(language, tree, rope)
        .into_iter()
        .map(|definition| Definition {
            name: String::from(rope.byte_slice(definition.name_byte_range.clone())),
            byte_range: definition.byte_range,
        })
        .collect()
}

/// Field ids looked up once per walk: looking fields up by name compares strings at every node.
struct Fields {
    name: Option<std::num::NonZeroU16>,
    body: Option<std::num::NonZeroU16>,
    definition: Option<std::num::NonZeroU16>,
    declaration: Option<std::num::NonZeroU16>,
}

/// Records the definition held by `node`, if any; returns the node that holds it (wrappers such
/// as decorators and exports hold it in a field).
fn consider<'tree>(
    node: tree_sitter::Node<'tree>,
    rope: &ropey::Rope,
    fields: &Fields,
    found: &mut Vec<Definition>,
) -> tree_sitter::Node<'tree> {
    let field = |id: Option<std::num::NonZeroU16>| id.and_then(|id| node.child_by_field_id(id.get()));
    let node = field(fields.definition).or_else(|| field(fields.declaration)).unwrap_or(node);
    if let Some(name) = fields.name.and_then(|id| node.child_by_field_id(id.get())) {
        let range = name.byte_range();
        if range.end <= rope.len_bytes() && range.len() <= 128 {
            found.push(Definition { name: String::from(rope.byte_slice(range)), byte_range: node.byte_range() });
        }
    }
    node
}

/// Named items at the top level of `document` and one level into their bodies.
fn shallow_definitions(document: &DocumentSnapshot) -> Vec<Definition> {
    let Some(tree) = document.tree() else { return Vec::new() };
    let rope = document.rope();
    let language = tree.language();
    let fields = Fields {
        name: language.field_id_for_name("name"),
        body: language.field_id_for_name("body"),
        definition: language.field_id_for_name("definition"),
        declaration: language.field_id_for_name("declaration"),
    };
    let mut found = Vec::new();
    let root = tree.root_node();
    let mut cursor = root.walk();
    for item in root.named_children(&mut cursor) {
        let item = consider(item, rope, &fields, &mut found);
        if let Some(body) = fields.body.and_then(|id| item.child_by_field_id(id.get())) {
            let mut body_cursor = body.walk();
            for member in body.named_children(&mut body_cursor) {
                consider(member, rope, &fields, &mut found);
            }
        }
    }
    found
}

/// Definitions, in `current` and `documents` (which should carry fresh trees), of the names in
/// `identifiers` (sorted), skipping definitions that lie inside `window` of `current` (already in
/// the prompt). Each is cut to its first `max_lines` lines.
pub fn definitions_of(
    identifiers: &[String],
    current: &DocumentSnapshot,
    window: Range<usize>,
    documents: &[DocumentSnapshot],
    index: &mut DefinitionIndex,
    max_lines: usize,
    max_tokens: usize,
) -> Vec<RelatedSnippet> {
    // A common name (`new`, `fmt`, a method every type has) can be defined hundreds of times:
    // only the few nearest the cursor are worth their tokens, and only those are looked at.
    const PER_NAME: usize = 2;
    let cursor = window.start + (window.end - window.start) / 2;
    let mut picked = Vec::new();
    let mut budget = max_tokens;
    let mut take = |document: &DocumentSnapshot, byte_range: &Range<usize>, picked: &mut Vec<RelatedSnippet>| {
        let rope = document.rope();
        // Cheap checks first: the text is built only for a definition that may fit.
        if byte_range.end > rope.len_bytes() || budget == 0 {
            return;
        }
        let first_line = rope.byte_to_line(byte_range.start);
        let last_line = rope.byte_to_line(byte_range.end).min(first_line + max_lines.max(1) - 1);
        let n_bytes = rope.line_to_byte((last_line + 1).min(rope.len_lines())) - rope.line_to_byte(first_line);
        if tokens_for_bytes(n_bytes) > budget {
            return;
        }
        let text = lines_text(document, first_line..last_line + 1);
        budget = budget.saturating_sub(estimate_tokens(&text));
        picked.push(RelatedSnippet { path: document.path().to_owned(), text, source: SnippetSource::Definition });
    };
    let here = index.of(current, true);
    for name in identifiers {
        let mut outside: Vec<&Range<usize>> = here
            .named(std::slice::from_ref(name))
            .filter(|range| !(range.start < window.end && window.start < range.end))
            .collect();
        outside.sort_by_key(|range| range.start.abs_diff(cursor));
        for byte_range in outside.into_iter().take(PER_NAME) {
            take(current, byte_range, &mut picked);
        }
    }
    for document in documents.iter().filter(|document| document.uri() != current.uri()) {
        let there = index.of(document, false);
        for name in identifiers {
            for byte_range in there.named(std::slice::from_ref(name)).take(PER_NAME) {
                take(document, byte_range, &mut picked);
            }
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(uri: &str, language_id: &str, text: &str) -> DocumentSnapshot {
        DocumentSnapshot::from_text(uri, language_id, text)
    }

    #[test]
    fn jaccard_of_word_sets() {
        let a = word_set("let total = price * quantity;");
        let b = word_set("total = price + tax");
        assert!((jaccard(&a, &a) - 1.0).abs() < f32::EPSILON);
        assert!(jaccard(&a, &b) > 0.2 && jaccard(&a, &b) < 1.0);
        assert_eq!(jaccard(&a, &[]), 0.0);
    }

    #[test]
    fn edits_become_chunks_ranked_by_similarity_and_deduplicated() {
        let other = snapshot(
            "file:///billing.rs",
            "rust",
            "fn invoice_total(price: u32, quantity: u32) -> u32 {\n    price * quantity\n}\n\nfn unrelated_banner() -> &'static str {\n    \"hello banner world\"\n}\n",
        );
        let current = snapshot("file:///main.rs", "rust", "fn main() {\n    let total = invoice_total(price, \n}\n");
        let mut ring = RecentChunks::default();
        ring.note_edit(other.uri(), 1);
        ring.note_edit(other.uri(), 2); // coalesces with the previous edit
        ring.refresh(|uri| (uri == other.uri()).then(|| other.clone()));
        assert_eq!(ring.len(), 1);
        ring.note_edit(other.uri(), 1);
        ring.refresh(|uri| (uri == other.uri()).then(|| other.clone()));
        assert_eq!(ring.len(), 1, "the same region edited again replaces its chunk");
        let picked = ring.select(&current, 0..3, "let total = invoice_total(price, quantity", 1000);
        assert_eq!(picked.len(), 1);
        assert!(picked[0].text.contains("fn invoice_total"));
        assert_eq!(picked[0].source, SnippetSource::RecentEdit);
        assert!(ring.select(&current, 0..3, "zzz yyy xxx", 1000).is_empty(), "irrelevant chunks are not sent");
        assert!(ring.select(&current, 0..3, "invoice_total price quantity", 1).is_empty(), "budget respected");
        ring.forget(other.uri());
        assert!(ring.is_empty());
    }

    #[test]
    fn chunks_inside_the_prompt_window_are_skipped() {
        let current = snapshot("file:///a.rs", "rust", "fn alpha_beta(gamma: u8) -> u8 {\n    gamma + 1\n}\n");
        let mut ring = RecentChunks::default();
        ring.note_open(current.uri());
        ring.refresh(|_| Some(current.clone()));
        assert!(ring.select(&current, 0..3, "alpha_beta gamma", 1000).is_empty());
        assert_eq!(ring.select(&current, 100..200, "alpha_beta gamma", 1000).len(), 1);
    }

    #[test]
    fn definitions_of_identifiers_near_the_cursor() {
        let lib = snapshot(
            "file:///lib.rs",
            "rust",
            "pub struct Invoice {\n    pub total: u32,\n}\n\npub fn make_invoice(total: u32) -> Invoice {\n    Invoice { total }\n}\n",
        );
        let text = "fn main() {\n    let invoice = make_invoice(3);\n    invoice.\n}\n";
        let current = snapshot("file:///main.rs", "rust", text);
        let cursor = text.find("invoice.").unwrap() + "invoice.".len();
        let names = identifiers_near(&current, cursor, 2);
        assert!(names.contains(&"make_invoice".to_owned()));
        let mut index = DefinitionIndex::default();
        let found = definitions_of(&names, &current, 0..text.len(), std::slice::from_ref(&lib), &mut index, 10, 1000);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].text.starts_with("pub fn make_invoice(total: u32) -> Invoice {"));
        assert_eq!(found[0].path, "/lib.rs");
        // The same version is served from the index.
        assert_eq!(
            definitions_of(&names, &current, 0..text.len(), std::slice::from_ref(&lib), &mut index, 10, 1000),
            found
        );
    }

    #[test]
    fn definitions_in_the_current_document_outside_the_window() {
        let text = "struct Cart {\n    items: Vec<u32>,\n}\n\nimpl Cart {\n    fn total(&self) -> u32 {\n        0\n    }\n}\n\nfn main() {\n    let cart = Cart::new();\n    cart.total()\n}\n";
        let current = snapshot("file:///main.rs", "rust", text);
        let names = vec!["Cart".to_owned(), "total".to_owned()];
        let window_start = text.find("fn main").unwrap();
        let found =
            definitions_of(&names, &current, window_start..text.len(), &[], &mut DefinitionIndex::default(), 10, 1000);
        let texts: Vec<&str> = found.iter().map(|snippet| snippet.text.lines().next().unwrap_or_default()).collect();
        // The struct, the impl's method (one level into the impl's body); not `main`, in the window.
        assert_eq!(texts, ["struct Cart {", "    fn total(&self) -> u32 {"]);
    }
}
