//! From a cursor to a model request: the context window, related code from elsewhere, and the
//! parameters post-processing will need, all packed into one fill-in-the-middle prompt. The
//! provider layer decides how to send it (native FIM, a model's FIM template, or a chat prompt).

use std::sync::{Arc, Mutex};

use switchboard_core::context::{self, ContextBudget};
use switchboard_core::documents::{DocumentSnapshot, DocumentStore};
use switchboard_core::related::{self, DefinitionIndex, RecentChunks};
use switchboard_providers::{FimPrompt, Snippet};

use super::CompletionSettings;
use super::postprocess::{self, PostprocessInput};

/// How many other open documents are searched for definitions.
const MAX_DEFINITION_DOCUMENTS: usize = 8;
/// Lines of the neighbourhood compared with related chunks.
const NEIGHBOURHOOD_LINES: usize = 12;
/// Lines around the cursor that post-processing compares suggestions with.
const NEARBY_LINES: usize = 6;

/// What post-processing needs, owned, so a model call can outlive the request that made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostprocessParams {
    pub line_prefix: String,
    pub line_suffix: String,
    pub following_lines: Vec<String>,
    pub preceding_lines: Vec<String>,
    pub indent_unit: Option<String>,
    pub multiline: bool,
    pub language: Option<String>,
}

impl PostprocessParams {
    pub fn run(&self, raw: &str) -> Option<String> {
        let following: Vec<&str> = self.following_lines.iter().map(String::as_str).collect();
        let preceding: Vec<&str> = self.preceding_lines.iter().map(String::as_str).collect();
        postprocess::postprocess(&PostprocessInput {
            raw,
            line_prefix: &self.line_prefix,
            line_suffix: &self.line_suffix,
            following_lines: &following,
            preceding_lines: &preceding,
            indent_unit: self.indent_unit.as_deref(),
            multiline: self.multiline,
            language: self.language.as_deref(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Prepared {
    pub fim: Arc<FimPrompt>,
    pub stop: Vec<String>,
    /// Indentation width of the cursor's line, for the streaming stop rule.
    pub cursor_indent: usize,
    pub postprocess: PostprocessParams,
    /// The context as extracted, for `--explain`.
    pub context: context::CompletionContext,
}

/// The indentation unit around the cursor: a tab, or the smallest run of leading spaces in the
/// 80 lines above it (local style wins, and a request must not scan the whole file).
fn indent_unit(snapshot: &DocumentSnapshot, cursor_line: usize) -> Option<String> {
    let rope = snapshot.rope();
    // One copy of the lines' text: ropey's per-line and per-character iterators cost more.
    let first_line = cursor_line.saturating_sub(80);
    let first = rope.line_to_byte(first_line);
    let end = rope.line_to_byte((first_line + 81).min(rope.len_lines()));
    let text = String::from(rope.byte_slice(first..end));
    let mut smallest: Option<usize> = None;
    let mut line_start = 0;
    // memchr's searcher finds the breaks; `str::split` starts a fresh search for each line.
    let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    for line in breaks.map(|line_end| {
        let line = &text[line_start..line_end];
        line_start = line_end + 1;
        line
    }) {
        let spaces = line.bytes().take_while(|&byte| byte == b' ').count();
        if line.as_bytes().get(spaces) == Some(&b'\t') {
            return Some("\t".to_owned());
        }
        let is_blank = line[spaces..].chars().all(char::is_whitespace);
        if spaces > 0 && !is_blank {
            smallest = Some(smallest.map_or(spaces, |s: usize| s.min(spaces)));
        }
    }
    smallest.map(|width| " ".repeat(width.clamp(1, 8)))
}

fn line_text(snapshot: &DocumentSnapshot, line: usize) -> String {
    snapshot
        .rope()
        .get_line(line)
        .map(|slice| String::from(slice).trim_end_matches(['\n', '\r']).to_owned())
        .unwrap_or_default()
}

/// The imports and enclosing scope signatures that lie above the prefix window, laid out as
/// the top of the file would read with the elided parts marked by a comment, so that a FIM
/// model sees the shape of real code.
fn header(snapshot: &DocumentSnapshot, extracted: &context::CompletionContext) -> String {
    if extracted.imports.is_empty() && extracted.scopes.is_empty() {
        return String::new();
    }
    let elided = |indent: &str| match snapshot.language_entry().and_then(|language| language.line_comment()) {
        Some(comment) => format!("{indent}{comment} …\n"),
        None => String::new(),
    };
    let mut header = String::new();
    for import in &extracted.imports {
        header.push_str(import.text.trim_end());
        header.push('\n');
    }
    for scope in &extracted.scopes {
        let line = line_text(snapshot, scope.line);
        let indent: String = line.chars().take_while(|ch| ch.is_whitespace()).collect();
        header.push_str(&elided(&indent));
        header.push_str(&indent);
        header.push_str(scope.signature.trim_end());
        header.push('\n');
    }
    header.push_str(&elided(""));
    header
}

pub fn prepare(
    store: &DocumentStore,
    snapshot: &DocumentSnapshot,
    cursor: usize,
    multiline: bool,
    settings: &CompletionSettings,
    ring: &Mutex<RecentChunks>,
    definitions: &Mutex<DefinitionIndex>,
) -> Prepared {
    let rope = snapshot.rope();
    let cursor = cursor.min(rope.len_bytes());
    let cursor_line = rope.byte_to_line(cursor);
    let line_start = rope.line_to_byte(cursor_line);
    // The lines post-processing compares with, and the cursor's, from one copy of their text.
    let first_nearby = cursor_line.saturating_sub(NEARBY_LINES);
    let mut nearby = context::line_texts(rope, first_nearby..cursor_line + 1 + NEARBY_LINES);
    let following_lines = nearby.split_off((cursor_line - first_nearby + 1).min(nearby.len()));
    let full_line = nearby.pop().unwrap_or_default();
    let preceding_lines = nearby;
    let split = (cursor - line_start).min(full_line.len());
    let (line_prefix, line_suffix) = if full_line.is_char_boundary(split) {
        (full_line[..split].to_owned(), full_line[split..].to_owned())
    } else {
        (full_line.clone(), String::new())
    };
    let cursor_indent = switchboard_core::text::indent_width(&full_line);

    // Three quarters of the budget for the document itself, a quarter for code from elsewhere.
    let document_budget = settings.context_tokens * 3 / 4;
    let related_budget = settings.context_tokens - document_budget;
    let extracted = context::extract(snapshot, cursor, ContextBudget::new(document_budget));

    let n_lines = rope.len_lines();
    let window_lines =
        cursor_line.saturating_sub(NEIGHBOURHOOD_LINES * 4)..(cursor_line + NEIGHBOURHOOD_LINES).min(n_lines);
    // Only its words matter (related chunks are compared by word sets): one slice of the rope.
    let neighbourhood = {
        let first = rope.line_to_byte(cursor_line.saturating_sub(NEIGHBOURHOOD_LINES));
        let end = rope.line_to_byte((cursor_line + 1).min(n_lines));
        String::from(rope.byte_slice(first..end))
    };
    let mut extra: Vec<Snippet> = Vec::new();
    let mut remaining = related_budget;

    // Definitions of identifiers used near the cursor, in this and other open documents.
    let names = related::identifiers_near(snapshot, cursor, 3);
    let mut documents = vec![snapshot.clone()];
    documents.extend(
        store
            .uris()
            .into_iter()
            .filter(|uri| uri != snapshot.uri())
            .filter_map(|uri| store.snapshot(&uri))
            .filter(|s| s.tree().is_some())
            .take(MAX_DEFINITION_DOCUMENTS),
    );
    let window_bytes = rope.line_to_byte(window_lines.start)..rope.line_to_byte(window_lines.end);
    let found = match definitions.lock() {
        Ok(mut index) => {
            related::definitions_of(&names, snapshot, window_bytes, &documents, &mut index, 12, remaining / 2)
        }
        Err(_) => Vec::new(),
    };
    for definition in found {
        remaining = remaining.saturating_sub(switchboard_core::text::estimate_tokens(&definition.text));
        extra.push(Snippet { path: definition.path, text: definition.text });
    }
    // Recently edited and opened code that resembles the cursor's neighbourhood.
    if let Ok(mut ring) = ring.lock() {
        ring.refresh(|uri| store.snapshot(uri));
        for chunk in ring.select(snapshot, window_lines, &neighbourhood, remaining) {
            extra.push(Snippet { path: chunk.path, text: chunk.text });
        }
    }

    // The header first and the window after it: a chat prompt keeps the header in the part
    // vendors cache (`FimPrompt::header_len`); a native FIM request reads one prefix.
    let header = header(snapshot, &extracted);
    let fim = FimPrompt {
        header_len: header.len(),
        prefix: header + &extracted.prefix,
        suffix: extracted.suffix.clone(),
        extra,
        path: Some(snapshot.path().to_owned()),
        language: snapshot.language_entry().map(|language| language.name.to_owned()),
        system_prompt: settings.system_prompt.clone(),
    };
    Prepared {
        fim: Arc::new(fim),
        stop: if multiline { Vec::new() } else { vec!["\n".to_owned()] },
        cursor_indent,
        postprocess: PostprocessParams {
            line_prefix,
            line_suffix,
            following_lines,
            preceding_lines,
            // A file that does not show its indentation yet gets its language's.
            indent_unit: indent_unit(snapshot, cursor_line)
                .or_else(|| snapshot.language_entry().map(|language| language.indent.to_owned())),
            multiline,
            // The table entry, grammar or not: Markdown and Elixir get their own rules too.
            language: snapshot.language_entry().map(|language| language.name.to_owned()),
        },
        context: extracted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_small_python_document() {
        let store = DocumentStore::default();
        store.open("file:///c.py", "python", 1, "x = \n");
        let engine_ring = Mutex::new(RecentChunks::default());
        engine_ring.lock().unwrap().note_open("file:///c.py");
        let snapshot = store.snapshot_with_syntax("file:///c.py").unwrap();
        let index = Mutex::new(DefinitionIndex::default());
        let prepared = prepare(&store, &snapshot, 4, false, &CompletionSettings::default(), &engine_ring, &index);
        assert_eq!(prepared.fim.prefix, "x = ");
        assert_eq!(prepared.fim.suffix, "\n");
    }

    #[test]
    fn the_indentation_unit_is_the_smallest_indent_or_a_tab_near_the_cursor() {
        let unit = |text: &str, cursor_line: usize| {
            let store = DocumentStore::default();
            store.open("file:///u.py", "python", 1, text);
            indent_unit(&store.snapshot("file:///u.py").unwrap(), cursor_line)
        };
        let spaces = "def f():\n    if x:\n        y()\n      \n    z\n";
        assert_eq!(unit(spaces, 4).as_deref(), Some("    "), "a blank line's spaces do not count");
        assert_eq!(unit("a\n  b\n\tc", 2).as_deref(), Some("\t"), "the last line has no break");
        assert_eq!(unit("a\nb\n", 1), None);
        let far = format!("  x\n{}y\n", "a\n".repeat(100));
        assert_eq!(unit(&far, 101), None, "lines more than 80 above are not read");
        assert_eq!(unit(&far, 40).as_deref(), Some("  "));
    }

    /// Opens `text` (with a `<|>` cursor) as `uri` in `language_id`, prepares a request there as
    /// the engine does, and post-processes `raw` with what it prepared.
    fn suggestion(uri: &str, language_id: &str, text: &str, raw: &str) -> Option<String> {
        let cursor = text.find("<|>").expect("a cursor");
        let store = DocumentStore::default();
        store.open(uri, language_id, 1, &text.replacen("<|>", "", 1));
        let snapshot = store.snapshot_with_syntax(uri).unwrap();
        let (ring, index) = (Mutex::new(RecentChunks::default()), Mutex::new(DefinitionIndex::default()));
        let prepared = prepare(&store, &snapshot, cursor, true, &CompletionSettings::default(), &ring, &index);
        prepared.postprocess.run(raw)
    }

    #[test]
    fn languages_without_a_grammar_get_their_post_processing() {
        // Markdown: fences are the file's content, not a chat answer to strip.
        let fenced = "```sh\nls\n```";
        assert_eq!(
            suggestion("file:///notes/README.md", "markdown", "# Notes\n\n<|>", fenced).as_deref(),
            Some(fenced)
        );
        assert_eq!(suggestion("file:///notes/notes.txt", "plaintext", "# Notes\n\n<|>", fenced).as_deref(), Some("ls"));
        // Elixir: a block ends at its `end`, found by keywords and indentation.
        let module = "defmodule Cart do\n  def total(items) do\n    <|>\n  end\nend\n";
        let raw = "Enum.sum(items)\n  end\n\n  def count(items), do: length(items)\nend";
        assert_eq!(suggestion("file:///app/lib/cart.ex", "elixir", module, raw).as_deref(), Some("Enum.sum(items)"));
    }

    /// A chat prompt's stable part (system prompt, code from elsewhere, the file's header) is
    /// a byte-identical prefix of two requests at different cursors in the same function, so a
    /// vendor's prompt cache serves the second from the first; the window comes after it.
    #[test]
    fn the_stable_part_is_a_common_prefix_across_cursor_positions() {
        let mut text = String::new();
        for module in 0..12 {
            text.push_str(&format!("use std::collections::module_{module}::Thing{module};\n"));
        }
        text.push_str("\npub fn long_function(input: &[u32]) -> u32 {\n");
        for line in 0..900 {
            text.push_str(&format!("    let value_{line} = input.len() as u32 + {line};\n"));
        }
        text.push_str("    0\n}\n");
        let store = DocumentStore::default();
        store.open("file:///src/lib.rs", "rust", 1, &text);
        let snapshot = store.snapshot_with_syntax("file:///src/lib.rs").unwrap();
        let ring = Mutex::new(RecentChunks::default());
        let index = Mutex::new(DefinitionIndex::default());
        let settings = CompletionSettings::default();
        let prompt_at = |line: usize| {
            let cursor = snapshot.rope().line_to_byte(line) + 4;
            let prepared = prepare(&store, &snapshot, cursor, false, &settings, &ring, &index);
            switchboard_providers::chat_fim::to_chat(&prepared.fim)
        };
        let (early, late) = (prompt_at(700), prompt_at(760));
        let stable = |chat: &switchboard_providers::ChatPrompt| {
            let (message, head, _) = chat.split_stable().expect("a stable prefix");
            (chat.system.clone(), chat.messages[..message].to_vec(), head.to_owned())
        };
        let (early_stable, late_stable) = (stable(&early), stable(&late));
        assert_eq!(early_stable, late_stable);
        let head = &early_stable.2;
        assert!(head.contains("use std::collections::module_0::Thing0;"), "{head}");
        assert!(head.contains("pub fn long_function(input: &[u32]) -> u32 {\n// …\n```\n"), "{head}");
        // What follows differs: the window around each cursor.
        assert!(early.messages[0].content.len() > head.len() && early.messages[0].content != late.messages[0].content);
        assert!(!head.contains("value_699"), "the window is not in the stable part");
    }
}
