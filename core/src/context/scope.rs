//! The signatures of the scopes enclosing the cursor (impl, class, function...), outermost first.
//!
//! With a syntax tree they come from the language's `@scope`/`@scope.body` captures via
//! [`crate::syntax::scopes_at`]. Without one (plain text, a language without a grammar, a parse
//! that timed out) an indentation heuristic stands in: lines above the cursor, each less indented
//! than the last, that look like the opening of a definition.

use ropey::Rope;

use super::lines;
use crate::documents::DocumentSnapshot;
use crate::syntax;

/// Signatures longer than this are cut (with ` …`): a scope line is a reminder, not the code.
const MAX_SIGNATURE_BYTES: usize = 240;
/// Multi-line signatures stay multi-line only while they are this short; longer ones are
/// collapsed to one line with single spaces.
const MAX_MULTILINE_SIGNATURE_BYTES: usize = 100;
const MAX_MULTILINE_SIGNATURE_LINES: usize = 3;
/// The indentation fallback looks at most this many lines up, so a deeply indented cursor in a
/// huge file without syntax costs a bounded amount.
const MAX_FALLBACK_SCAN_LINES: usize = 2_000;
/// How far up the fallback follows a signature that spans lines (`) -> T {` back to `fn f(`).
const MAX_FALLBACK_SIGNATURE_LINES: usize = 10;

/// One enclosing scope before budgeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeCandidate {
    /// Where the scope (its signature) starts.
    pub start_byte: usize,
    /// Zero-based line of `start_byte`.
    pub line: usize,
    pub signature: String,
    /// The signature was cut to [`MAX_SIGNATURE_BYTES`].
    pub shortened: bool,
}

/// The scopes enclosing `cursor`, outermost first.
pub(crate) fn enclosing_scopes(snapshot: &DocumentSnapshot, cursor: usize) -> Vec<ScopeCandidate> {
    match (snapshot.language(), snapshot.tree()) {
        (Some(language), Some(tree)) => from_tree(language, tree, snapshot.rope(), cursor),
        _ => by_indentation(snapshot.rope(), cursor),
    }
}

fn from_tree(language: &syntax::Language, tree: &tree_sitter::Tree, rope: &Rope, cursor: usize) -> Vec<ScopeCandidate> {
    syntax::scopes_at(language, tree, rope, cursor)
        .into_iter()
        .filter_map(|scope| {
            let range = scope.signature_byte_range(rope);
            // Read a little more than we keep, so a scope whose "signature" is a whole huge node
            // (no body captured, one enormous line) costs no more than a long signature.
            let end = lines::snap_back(rope, range.end.min(range.start + 4 * MAX_SIGNATURE_BYTES));
            let start = lines::snap_back(rope, range.start);
            let raw = lines::text(rope, start, end);
            let mut raw = raw.trim_end().to_owned();
            // The body's opening brace reads as "we are inside this", as in the source.
            let opens_with_brace = scope.body_start_byte == Some(range.end)
                && range.end < rope.len_bytes()
                && rope.byte(range.end) == b'{';
            if opens_with_brace {
                raw.push_str(if raw.is_empty() { "{" } else { " {" });
            }
            let line = lines::line_of(rope, start);
            let indent_col = start - lines::line_start(rope, line);
            candidate(start, line, &raw, indent_col)
        })
        .collect()
}

/// The no-tree fallback: walk up from the cursor, keeping each line that is less indented than
/// the last one kept and looks like it opens a definition.
fn by_indentation(rope: &Rope, cursor: usize) -> Vec<ScopeCandidate> {
    let cursor_line = lines::line_of(rope, cursor);
    let bounds = lines::line_bounds(rope, cursor_line);
    let line_text = lines::text(rope, bounds.start, bounds.content_end);
    // On a blank line the indentation typed so far says where we are.
    let mut limit = if line_text.trim().is_empty() {
        lines::indent_width(&lines::text(rope, bounds.start, cursor))
    } else {
        lines::indent_width(&line_text)
    };
    let mut scopes = Vec::new();
    let mut above = lines::lines_before(rope, cursor_line).take(MAX_FALLBACK_SCAN_LINES);
    while limit > 0 {
        let Some(line) = above.next() else { break };
        let content = line.content();
        let trimmed = content.trim();
        if trimmed.is_empty() {
            continue;
        }
        let width = lines::indent_width(&content);
        if width >= limit || !looks_like_opener(trimmed) {
            continue;
        }
        limit = width;
        let first_line = signature_first_line(&mut above, line, width);
        let first_content = first_line.content();
        let start = first_line.start + lines::indent_len(&first_content);
        let end = line.start + content.len();
        let raw = lines::text(rope, start, end.max(start));
        if let Some(scope) = candidate(start, first_line.idx, &raw, width) {
            scopes.push(scope);
        }
    }
    scopes.reverse();
    scopes
}

/// A signature that ends on `line` and starts with a closing bracket (`) -> u32 {`) began further
/// up: at the nearest line, no more indented, that does not start with a closing bracket. When it
/// finds one, `above` moves past it, so the signature's lines are not read again as openers.
fn signature_first_line<'rope, Above>(above: &mut Above, line: lines::Line<'rope>, width: usize) -> lines::Line<'rope>
where
    Above: Iterator<Item = lines::Line<'rope>> + Clone,
{
    let starts_with_closer = |line: &lines::Line<'_>| line.content().trim_start().starts_with([')', ']', '>']);
    if !starts_with_closer(&line) {
        return line;
    }
    let mut lookahead = above.clone();
    for _ in 0..MAX_FALLBACK_SIGNATURE_LINES {
        let Some(previous) = lookahead.next() else { break };
        let content = previous.content();
        if !content.trim().is_empty() && lines::indent_width(&content) <= width && !starts_with_closer(&previous) {
            *above = lookahead;
            return previous;
        }
    }
    line
}

/// Words that open a definition in some language we might be guessing about.
const DEFINITION_KEYWORDS: &[&str] = &[
    "def",
    "class",
    "module",
    "function",
    "fn",
    "func",
    "fun",
    "impl",
    "trait",
    "struct",
    "enum",
    "union",
    "interface",
    "namespace",
    "object",
    "protocol",
    "extension",
    "mod",
    "record",
    "sub",
    "proc",
    "macro_rules!",
];

/// Control flow opens blocks too, but its line says little about where we are.
const CONTROL_KEYWORDS: &[&str] = &[
    "if", "else", "elif", "elsif", "for", "foreach", "while", "loop", "do", "try", "except", "catch", "finally",
    "with", "match", "case", "when", "switch", "return", "unless", "until", "begin", "rescue", "ensure",
];

fn looks_like_opener(trimmed: &str) -> bool {
    let first_word = trimmed.split(|character: char| !is_word_char(character)).next().unwrap_or("");
    let after_closer = trimmed.trim_start_matches(['}', ')', ']', ' ']);
    let first_word_after_closer = after_closer.split(|character: char| !is_word_char(character)).next().unwrap_or("");
    if CONTROL_KEYWORDS.contains(&first_word) || CONTROL_KEYWORDS.contains(&first_word_after_closer) {
        return false;
    }
    if trimmed.starts_with("//") || trimmed.starts_with('#') && !trimmed.starts_with("#[") {
        return false;
    }
    let defines = trimmed
        .split(|character: char| character.is_whitespace() || character == '(')
        .take(6)
        .any(|word| DEFINITION_KEYWORDS.contains(&word));
    defines || trimmed.ends_with('{') || trimmed.ends_with(':') && !trimmed.ends_with("::")
}

fn is_word_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// Tidies a raw signature: continuation lines lose the scope's own indentation, long multi-line
/// signatures collapse to one line, and very long ones are cut.
fn candidate(start_byte: usize, line: usize, raw: &str, indent_col: usize) -> Option<ScopeCandidate> {
    let mut signature_lines: Vec<&str> = raw
        .lines()
        .enumerate()
        .map(|(idx, text)| if idx == 0 { text.trim() } else { dedent(text, indent_col).trim_end() })
        .collect();
    while signature_lines.last().is_some_and(|text| text.is_empty()) {
        signature_lines.pop();
    }
    let joined = signature_lines.join("\n");
    let mut signature = if signature_lines.len() > MAX_MULTILINE_SIGNATURE_LINES
        || signature_lines.len() > 1 && joined.len() > MAX_MULTILINE_SIGNATURE_BYTES
    {
        collapse_whitespace(&joined)
    } else {
        joined
    };
    if signature.is_empty() {
        return None;
    }
    let shortened = signature.len() > MAX_SIGNATURE_BYTES;
    if shortened {
        signature = format!("{} …", lines::truncate_at_char(&signature, MAX_SIGNATURE_BYTES - 4).trim_end());
    }
    Some(ScopeCandidate { start_byte, line, signature, shortened })
}

/// Removes up to `n_bytes` of leading whitespace.
fn dedent(text: &str, n_bytes: usize) -> &str {
    let n_whitespace = lines::indent_len(text).min(n_bytes);
    &text[n_whitespace..]
}

/// One line, single spaces, and no space just inside brackets (`fn f( a: u32, )` → `fn f(a: u32,)`).
fn collapse_whitespace(text: &str) -> String {
    let mut collapsed = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glue = collapsed.ends_with(['(', '[']) || word.starts_with([')', ']']);
        if !collapsed.is_empty() && !glue {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    collapsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback(text: &str) -> Vec<(usize, String)> {
        let cursor = text.find("<|>").unwrap_or_default();
        let text = text.replace("<|>", "");
        let rope = Rope::from_str(&text);
        by_indentation(&rope, cursor).into_iter().map(|scope| (scope.line, scope.signature)).collect()
    }

    #[test]
    fn the_fallback_finds_openers_by_indentation() {
        let scopes = fallback(
            "mod outer {\n    impl Foo {\n        fn bar(\n            x: u32,\n        ) -> u32 {\n            if x {\n                <|>\n",
        );
        assert_eq!(
            scopes,
            [
                (0, "mod outer {".to_owned()),
                (1, "impl Foo {".to_owned()),
                (2, "fn bar(\n    x: u32,\n) -> u32 {".to_owned())
            ]
        );
        let python = fallback("class A:\n    x = 1\n\n    def f(self):\n        for i in x:\n            y<|>\n");
        assert_eq!(python, [(0, "class A:".to_owned()), (3, "def f(self):".to_owned())]);
        assert!(fallback("top <|>level\n").is_empty());
        assert!(fallback("").is_empty());
    }

    #[test]
    fn long_signatures_collapse_and_are_cut() {
        let raw = "fn long(\n    first: u32,\n    second: u32,\n    third: u32,\n) -> u32 {";
        let Some(scope) = candidate(0, 0, raw, 0) else { panic!("a signature") };
        assert_eq!(scope.signature, "fn long(first: u32, second: u32, third: u32,) -> u32 {");
        let huge = format!("fn f({}) {{", "a: u8, ".repeat(100));
        let Some(scope) = candidate(0, 0, &huge, 0) else { panic!("a signature") };
        assert!(scope.shortened && scope.signature.len() <= MAX_SIGNATURE_BYTES && scope.signature.ends_with(" …"));
    }
}
