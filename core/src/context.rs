//! Context extraction: from a document snapshot, a cursor and a token budget, the plain data a
//! prompt is built from. Pure: no I/O, never fails, degrades when syntax is missing.
//!
//! What a [`CompletionContext`] holds, and how the budget is spent, in priority order:
//! 1. the cursor line, whole on both sides (cut at a character boundary only if it alone is over
//!    budget);
//! 2. the signatures of the enclosing scopes (`impl Foo for Bar {`, `fn baz(&self) {`) that start
//!    above the window, however far up, capped at [`ContextBudget::max_scopes_percent`];
//! 3. the file's imports above the window, in order, capped at
//!    [`ContextBudget::max_imports_percent`];
//! 4. the prefix and suffix windows, whole lines, split [`ContextBudget::prefix_percent`] to the
//!    prefix, a cut prefix starting at a syntax boundary ([`window`]).
//!
//! Scopes and imports already visible in the prefix window are left out, and the budget they would
//! have taken goes back to the window. Everything is read from the rope by byte ranges: the cost
//! depends on the budget, not on the document's size.
//!
//! Syntax comes from the snapshot's tree through [`crate::syntax`]'s context queries; without a
//! tree (plain text, a grammar we lack, a parse that gave up), indentation and per-language line
//! prefixes stand in.

mod imports;
mod lines;
pub mod region;
mod scope;
mod window;

use std::fmt;

use crate::documents::DocumentSnapshot;
use crate::text::bytes_for_tokens;

use imports::ImportCandidate;
pub use lines::line_texts;
use scope::ScopeCandidate;

/// How much context to gather, in estimated tokens ([`crate::text::estimate_tokens`]), and how to
/// share it. Percentages above 100 count as 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextBudget {
    /// Everything in the context together: imports, scopes, prefix and suffix.
    pub max_tokens: usize,
    /// The prefix's share of the window (what is left after scopes and imports); the suffix gets
    /// the rest. Before the cursor matters more to a completion than after it.
    pub prefix_percent: u8,
    /// At most this share of `max_tokens` goes to scope signatures.
    pub max_scopes_percent: u8,
    /// At most this share of `max_tokens` goes to imports.
    pub max_imports_percent: u8,
}

impl ContextBudget {
    /// A budget of `max_tokens` with the default shares: 3/4 of the window to the prefix, at most
    /// a fifth each to scopes and imports.
    pub const fn new(max_tokens: usize) -> Self {
        Self { max_tokens, prefix_percent: 75, max_scopes_percent: 20, max_imports_percent: 20 }
    }
}

impl Default for ContextBudget {
    fn default() -> Self {
        Self::new(1024)
    }
}

/// Everything around the cursor that a prompt may use. Plain data: strings and numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionContext {
    /// The canonical language name (`rust`, `tsx`, `c_sharp`...); `None` for plain text.
    pub language: Option<&'static str>,
    pub path: String,
    /// Import statements that start above the prefix window, in document order, each whole.
    pub imports: Vec<Import>,
    /// Signatures of the scopes enclosing the cursor that start above the prefix window,
    /// outermost first.
    pub scopes: Vec<Scope>,
    /// From the start of a line (or a character boundary, if the cursor line alone is over budget)
    /// up to the cursor.
    pub prefix: String,
    /// From the cursor to the end of a line, line break included (or a character boundary).
    pub suffix: String,
    /// Where the windows are in the document.
    pub window: Window,
    pub truncated: Truncated,
}

/// One import statement (or other header item), verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// Zero-based line where it starts.
    pub line: usize,
    pub text: String,
}

/// One enclosing scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Zero-based line where the scope (its signature) starts.
    pub line: usize,
    /// From the start of the scope to its body, trimmed; the body's `{` is kept. Continuation lines
    /// are dedented; long multi-line signatures are collapsed to one line and very long ones cut
    /// with ` …`.
    pub signature: String,
}

/// A position in the document, for reports and for mapping the context back to the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextPoint {
    pub byte_offset: usize,
    /// Zero-based.
    pub line: usize,
}

/// The window: `prefix` is `prefix_start..cursor`, `suffix` is `cursor..suffix_end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub prefix_start: TextPoint,
    /// The cursor after clamping to the document and snapping back out of a character or a CRLF.
    pub cursor: TextPoint,
    pub suffix_end: TextPoint,
}

/// What the budget left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Truncated {
    /// The prefix does not reach the start of the document.
    pub prefix: bool,
    /// The suffix does not reach the end of the document.
    pub suffix: bool,
    /// Some imports above the window were left out.
    pub imports: bool,
    /// Some enclosing scopes above the window were left out, or a signature was cut.
    pub scopes: bool,
}

/// Extracts the context around `byte_offset` (clamped into the document and snapped to a
/// character boundary) within `budget`. Never panics, whatever the offset and budget.
/// Compiles what extraction needs for `language` (its context query, and that query again with
/// only its import patterns), once per process: a few milliseconds per language (about 4 ms
/// for Python in a release build) that a caller on an event loop runs on a thread of its own.
pub fn warm_up(language: &'static crate::syntax::Language) {
    let _ = language.context_query();
    imports::warm_up(language);
}

/// Whether [`warm_up`] has been done for `language`, so extraction compiles nothing.
pub fn is_warm(language: &'static crate::syntax::Language) -> bool {
    language.context_query_is_ready() && imports::is_compiled(language)
}

pub fn extract(snapshot: &DocumentSnapshot, byte_offset: usize, budget: ContextBudget) -> CompletionContext {
    let rope = snapshot.rope();
    let tree = snapshot.tree();
    let cursor = lines::normalize_cursor(rope, byte_offset);
    let cursor_line = lines::line_of(rope, cursor);
    let cursor_line_bounds = lines::line_bounds(rope, cursor_line);
    let total_bytes = bytes_for_tokens(budget.max_tokens);
    let caps = Caps {
        scopes: percent_of(total_bytes, budget.max_scopes_percent),
        imports: percent_of(total_bytes, budget.max_imports_percent),
    };
    // The cursor line comes first: scopes and imports may only use what it leaves.
    let cursor_line_bytes = cursor_line_bounds.next_start - cursor_line_bounds.start;
    let extras_allowance = total_bytes.saturating_sub(cursor_line_bytes);

    let scope_candidates = scope::enclosing_scopes(snapshot, cursor);
    let import_candidates = imports::header_imports(snapshot, cursor_line);

    // Reserve room for what lies above the cursor line, pick the window with what is left, then
    // drop what the window already shows and give that back to the window. The window only grows
    // from round to round, so a few rounds settle it.
    let mut reserved =
        pick(&scope_candidates, &import_candidates, cursor_line_bounds.start, caps, extras_allowance).n_bytes;
    let mut scores = window::LineScores::default();
    let mut span = window::select(rope, tree, cursor, total_bytes - reserved, budget.prefix_percent, &mut scores);
    for _ in 0..3 {
        let needed = pick(&scope_candidates, &import_candidates, span.start, caps, extras_allowance).n_bytes;
        if needed >= reserved {
            break;
        }
        reserved = needed;
        span = window::select(rope, tree, cursor, total_bytes - reserved, budget.prefix_percent, &mut scores);
    }
    let picked = pick(&scope_candidates, &import_candidates, span.start, caps, total_bytes.saturating_sub(span.len()));

    let point = |byte_offset: usize| TextPoint { byte_offset, line: lines::line_of(rope, byte_offset) };
    CompletionContext {
        language: snapshot.language().map(|language| language.name),
        path: snapshot.path().to_owned(),
        imports: picked.imports,
        scopes: picked.scopes,
        prefix: lines::text(rope, span.start, cursor).into_owned(),
        suffix: lines::text(rope, cursor, span.end).into_owned(),
        window: Window { prefix_start: point(span.start), cursor: point(cursor), suffix_end: point(span.end) },
        truncated: Truncated {
            prefix: span.start > 0,
            suffix: span.end < rope.len_bytes(),
            imports: picked.imports_truncated,
            scopes: picked.scopes_truncated,
        },
    }
}

fn percent_of(n_bytes: usize, percent: u8) -> usize {
    n_bytes * usize::from(percent.min(100)) / 100
}

#[derive(Debug, Clone, Copy)]
struct Caps {
    scopes: usize,
    imports: usize,
}

#[derive(Debug, Default)]
struct Picked {
    scopes: Vec<Scope>,
    imports: Vec<Import>,
    scopes_truncated: bool,
    imports_truncated: bool,
    /// What they cost: text plus one line break each.
    n_bytes: usize,
}

/// Chooses the scopes and imports that start before `window_start`, within their caps and
/// `max_bytes` together. Scopes go first, innermost first (the nearest scope says most); imports
/// follow in order, skipping any that do not fit so smaller later ones still can.
fn pick(
    scopes: &[ScopeCandidate],
    imports: &[ImportCandidate],
    window_start: usize,
    caps: Caps,
    max_bytes: usize,
) -> Picked {
    let mut picked = Picked::default();
    let mut scope_bytes = 0;
    let mut kept_scopes = Vec::new();
    for scope in scopes.iter().rev().filter(|scope| scope.start_byte < window_start) {
        let cost = scope.signature.len() + 1;
        if scope_bytes + cost <= caps.scopes && picked.n_bytes + cost <= max_bytes {
            scope_bytes += cost;
            picked.n_bytes += cost;
            picked.scopes_truncated |= scope.shortened;
            kept_scopes.push(Scope { line: scope.line, signature: scope.signature.clone() });
        } else {
            picked.scopes_truncated = true;
        }
    }
    kept_scopes.reverse();
    picked.scopes = kept_scopes;

    let mut import_bytes = 0;
    for import in imports.iter().filter(|import| import.start_byte < window_start) {
        let cost = import.text.len() + 1;
        if import_bytes + cost <= caps.imports && picked.n_bytes + cost <= max_bytes {
            import_bytes += cost;
            picked.n_bytes += cost;
            picked.imports.push(Import { line: import.line, text: import.text.clone() });
        } else {
            picked.imports_truncated = true;
        }
    }
    picked
}

/// The marker that stands for the cursor in [`CompletionContext::render`] and in test fixtures.
pub const CURSOR_MARKER: &str = "<|>";

impl CompletionContext {
    /// Bytes of everything in the context: prefix, suffix, and imports and scopes one per line.
    /// [`extract`] keeps this within `bytes_for_tokens(budget.max_tokens)`.
    pub fn n_bytes(&self) -> usize {
        self.prefix.len()
            + self.suffix.len()
            + self.imports.iter().map(|import| import.text.len() + 1).sum::<usize>()
            + self.scopes.iter().map(|scope| scope.signature.len() + 1).sum::<usize>()
    }

    /// The context as human-readable text: a header, the imports and scopes with their 1-based
    /// line numbers, then the window with [`CURSOR_MARKER`] at the cursor. Snapshot tests and the
    /// CLI's `--explain` print this.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for CompletionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = &self.window;
        // A suffix that ends with its line break ends at the start of the next line; the last
        // line shown is the one before.
        let last_line = if self.suffix.ends_with(['\n', '\r']) {
            window.suffix_end.line.saturating_sub(1)
        } else {
            window.suffix_end.line
        };
        writeln!(f, "language: {}", self.language.unwrap_or("plain text"))?;
        writeln!(f, "path: {}", self.path)?;
        writeln!(
            f,
            "window: L{}-L{}, bytes {}..{}, cursor L{} byte {}; context {} bytes",
            window.prefix_start.line + 1,
            last_line + 1,
            window.prefix_start.byte_offset,
            window.suffix_end.byte_offset,
            window.cursor.line + 1,
            window.cursor.byte_offset,
            self.n_bytes(),
        )?;
        let truncated = &self.truncated;
        let cut: Vec<&str> = [
            (truncated.prefix, "prefix"),
            (truncated.suffix, "suffix"),
            (truncated.imports, "imports"),
            (truncated.scopes, "scopes"),
        ]
        .into_iter()
        .filter_map(|(is_cut, name)| is_cut.then_some(name))
        .collect();
        writeln!(f, "truncated: {}", if cut.is_empty() { "nothing".to_owned() } else { cut.join(", ") })?;
        if !self.imports.is_empty() {
            writeln!(f, "--- imports ---")?;
            for import in &self.imports {
                write_numbered(f, import.line, 0, &import.text)?;
            }
        }
        if !self.scopes.is_empty() {
            writeln!(f, "--- scopes ---")?;
            for (depth, scope) in self.scopes.iter().enumerate() {
                write_numbered(f, scope.line, depth, &scope.signature)?;
            }
        }
        writeln!(f, "--- window ---")?;
        write!(f, "{}{CURSOR_MARKER}{}", self.prefix, self.suffix)?;
        if self.suffix.ends_with('\n') || self.suffix.is_empty() && self.prefix.ends_with('\n') {
            writeln!(f, "--- end ---")
        } else {
            writeln!(f, "\n--- end (no line break) ---")
        }
    }
}

/// `L12  text`, continuation lines aligned under the first, indented two spaces per `depth`.
fn write_numbered(f: &mut fmt::Formatter<'_>, line: usize, depth: usize, text: &str) -> fmt::Result {
    let label = format!("L{}", line + 1);
    let indent = "  ".repeat(depth);
    for (idx, text_line) in text.lines().enumerate() {
        if idx == 0 {
            writeln!(f, "{label:<6}{indent}{text_line}")?;
        } else {
            writeln!(f, "{:<6}{indent}{text_line}", "")?;
        }
    }
    Ok(())
}
