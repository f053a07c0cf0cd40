//! Listing: which actions make sense at a range, computed from the document alone. Never calls
//! a model, never waits: an editor asks on every cursor move.

use std::ops::Range;

use switchboard_core::context::region::{self, Region, RegionKind};
use switchboard_core::documents::DocumentSnapshot;

use super::Diagnostic;
use super::catalog::{ActionDef, Scope};

/// At most this many diagnostics get a "Fix" action each.
const MAX_FIXES: usize = 3;
/// A diagnostic inside a longer symbol is fixed in the lines around it, not the whole symbol.
const MAX_FIX_SYMBOL_LINES: usize = 80;
const FIX_CONTEXT_LINES: usize = 3;
/// How far above the range an instruction comment is looked for.
const COMMENT_LOOKBACK: usize = 2;
/// How many lines of a region are searched for an instruction comment.
const COMMENT_SEARCH_LINES: usize = 200;

/// One action offered at a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub action_id: String,
    pub title: String,
    pub kind: String,
    /// The document lines it works on (0-based, end exclusive).
    pub lines: Range<usize>,
    /// For a fix: the index of its diagnostic in the request's list.
    pub diagnostic: Option<usize>,
    /// For "do what the comment says": the instruction.
    pub instruction: Option<String>,
    pub preferred: bool,
}

/// Where the editor asks.
#[derive(Debug)]
pub struct Site<'a> {
    pub snapshot: &'a DocumentSnapshot,
    /// The editor's range, as byte offsets.
    pub start: usize,
    pub end: usize,
    pub diagnostics: &'a [Diagnostic],
}

/// The actions offered at `site`, in catalog order.
pub fn offers(actions: &[ActionDef], site: &Site<'_>) -> Vec<Offer> {
    let snapshot = site.snapshot;
    let language_id = snapshot.language_id();
    let recognised = snapshot.language_entry().map_or("", |language| language.name);
    let widened = region::region(snapshot, site.start, site.end);
    let symbol = match widened.kind {
        RegionKind::Symbol { .. } => Some(widened.clone()),
        _ => region::symbol(snapshot, site.start, site.end),
    };
    let n_lines = line_count(snapshot);
    let mut offers = Vec::new();
    for action in actions {
        if !action.languages.is_empty() && !action.languages.iter().any(|id| id == language_id || id == recognised) {
            continue;
        }
        let offer = |lines: Range<usize>, title_symbol: &str| Offer {
            action_id: action.id.clone(),
            title: title(&action.title, title_symbol, "", ""),
            kind: action.kind.clone(),
            lines,
            diagnostic: None,
            instruction: None,
            preferred: false,
        };
        match action.scope {
            Scope::Diagnostic => {
                for (idx, diagnostic) in site.diagnostics.iter().enumerate().take(MAX_FIXES) {
                    let lines = fix_lines(snapshot, diagnostic, n_lines);
                    offers.push(Offer {
                        title: title(&action.title, "", &short(&diagnostic.message), ""),
                        diagnostic: Some(idx),
                        preferred: true,
                        ..offer(lines, "")
                    });
                }
            }
            Scope::Comment => {
                if let Some((lines, instruction)) = instruction_comment(snapshot, &widened, symbol.as_ref()) {
                    offers.push(Offer {
                        title: title(&action.title, "", "", &short(&instruction)),
                        instruction: Some(instruction),
                        ..offer(lines, "")
                    });
                }
            }
            Scope::Symbol => {
                if let Some(symbol) = &symbol {
                    offers.push(offer(symbol.lines.clone(), &symbol_title(symbol)));
                }
            }
            Scope::Function => {
                if let Some(symbol) = symbol.as_ref().filter(|symbol| symbol.is_function()) {
                    offers.push(offer(symbol.lines.clone(), &symbol_title(symbol)));
                }
            }
            Scope::Selection => match widened.kind {
                RegionKind::Selection => offers.push(offer(widened.lines.clone(), "the selection")),
                RegionKind::Symbol { .. } => offers.push(offer(widened.lines.clone(), &symbol_title(&widened))),
                RegionKind::Line => {}
            },
            Scope::Line => {
                let line = snapshot.rope().byte_to_line(site.start.min(snapshot.rope().len_bytes()));
                offers.push(offer(line..line + 1, "this line"));
            }
            Scope::File => offers.push(offer(0..n_lines.max(1), "this file")),
            Scope::AnyDiagnostics => {
                if let Some(first) = site.diagnostics.first() {
                    let lines =
                        symbol.as_ref().map_or_else(|| fix_lines(snapshot, first, n_lines), |s| s.lines.clone());
                    offers.push(Offer { diagnostic: Some(0), ..offer(lines, "") });
                }
            }
        }
    }
    offers
}

fn line_count(snapshot: &DocumentSnapshot) -> usize {
    let rope = snapshot.rope();
    // A final line break does not start a line of its own here.
    let n = rope.len_lines();
    if n > 1 && rope.line(n - 1).len_bytes() == 0 { n - 1 } else { n }
}

fn title(template: &str, symbol: &str, diagnostic: &str, instruction: &str) -> String {
    template.replace("{symbol}", symbol).replace("{diagnostic}", diagnostic).replace("{instruction}", instruction)
}

fn symbol_title(region: &Region) -> String {
    match region.name() {
        Some(name) => format!("`{name}`"),
        None => "this block".to_owned(),
    }
}

/// A menu entry stays one short line.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The lines a fix rewrites: the enclosing symbol when it is short, else the diagnostic's lines
/// with a little context.
fn fix_lines(snapshot: &DocumentSnapshot, diagnostic: &Diagnostic, n_lines: usize) -> Range<usize> {
    let rope = snapshot.rope();
    let start = rope.line_to_byte(diagnostic.lines.start.min(rope.len_lines().saturating_sub(1)));
    let end = rope.line_to_byte(diagnostic.lines.end.min(rope.len_lines())).max(start);
    if let Some(symbol) = region::symbol(snapshot, start, end.saturating_sub(1).max(start))
        && symbol.lines.len() <= MAX_FIX_SYMBOL_LINES
    {
        return symbol.lines;
    }
    let first = diagnostic.lines.start.saturating_sub(FIX_CONTEXT_LINES);
    let last = (diagnostic.lines.end + FIX_CONTEXT_LINES).min(n_lines.max(1));
    first..last.max(first + 1)
}

/// An instruction comment (`# AI: make this async`) in the region or just above it, and the
/// lines the instruction is about: the symbol it is in, or the symbol (else the paragraph) that
/// follows it.
fn instruction_comment(
    snapshot: &DocumentSnapshot,
    widened: &Region,
    symbol: Option<&Region>,
) -> Option<(Range<usize>, String)> {
    let rope = snapshot.rope();
    let n_lines = line_count(snapshot);
    let from = widened.lines.start.saturating_sub(COMMENT_LOOKBACK);
    let to = widened.lines.end.min(from + COMMENT_SEARCH_LINES).min(n_lines);
    let (line, instruction) = (from..to).find_map(|line| {
        let text = rope.line(line).to_string();
        instruction_in(&text).map(|instruction| (line, instruction))
    })?;
    if let Some(symbol) = symbol.filter(|symbol| symbol.lines.contains(&line)) {
        return Some((symbol.lines.clone(), instruction));
    }
    // The comment is above what it is about.
    let next = (line + 1..n_lines).find(|&next| !rope.line(next).to_string().trim().is_empty())?;
    let next_start = rope.line_to_byte(next);
    let indent = rope.line(next).to_string().chars().take_while(|ch| ch.is_whitespace()).count();
    if let Some(following) = region::symbol(snapshot, next_start + indent, next_start + indent)
        && following.lines.start >= line
    {
        return Some((line..following.lines.end, instruction));
    }
    let end = (next..n_lines).find(|&l| rope.line(l).to_string().trim().is_empty()).unwrap_or(n_lines);
    Some((line..end.min(next + 30), instruction))
}

/// The instruction of a comment line such as `# AI: …`, `// ai: …`, `-- AI: …`, `/* AI: … */`.
pub fn instruction_in(line: &str) -> Option<String> {
    let trimmed = line.trim();
    let body = ["//", "#", "--", ";", "/*", "*", "<!--", "%"]
        .iter()
        .find_map(|token| trimmed.strip_prefix(token))?
        .trim_start_matches(['/', '#', '-', ';', '*', '!'])
        .trim_start();
    let rest = body.strip_prefix("AI:").or_else(|| body.strip_prefix("ai:")).or_else(|| body.strip_prefix("Ai:"))?;
    let instruction = rest.trim().trim_end_matches("*/").trim_end_matches("-->").trim();
    (!instruction.is_empty()).then(|| instruction.to_owned())
}

#[cfg(test)]
mod tests {
    use switchboard_core::documents::{DocumentStore, StoreLimits};

    use super::*;
    use crate::actions::catalog;

    fn snapshot(uri: &str, text: &str) -> DocumentSnapshot {
        let store = DocumentStore::new(StoreLimits::default());
        store.open(uri, "", 1, text);
        store.snapshot_with_syntax(uri).expect("open")
    }

    fn ids(offers: &[Offer]) -> Vec<&str> {
        offers.iter().map(|offer| offer.action_id.as_str()).collect()
    }

    const PYTHON: &str = "import os\n\n\ndef parse(text):\n    # AI: strip whitespace first\n    return text.split(',')\n\n\nvalue = parse('a')\n";

    #[test]
    fn inside_a_function_every_builtin_that_fits_is_offered() {
        let doc = snapshot("file:///p.py", PYTHON);
        let at = PYTHON.find("return").expect("return");
        let diagnostics =
            [Diagnostic { lines: 5..6, message: "Missing type annotation".into(), ..Diagnostic::default() }];
        let offers =
            offers(&catalog::all(&[]), &Site { snapshot: &doc, start: at, end: at, diagnostics: &diagnostics });
        assert_eq!(ids(&offers), ["fix", "comment", "document", "improve", "tests", "explain"]);
        let titles: Vec<&str> = offers.iter().map(|offer| offer.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "AI: Fix: Missing type annotation",
                "AI: Do what the comment says: strip whitespace first",
                "AI: Document `parse`",
                "AI: Improve and simplify `parse`",
                "AI: Write tests for `parse`",
                "AI: Explain `parse`",
            ]
        );
        assert!(offers.iter().all(|offer| offer.lines == (3..6)), "{offers:?}");
        assert!(offers[0].preferred && offers[0].kind == "quickfix");
    }

    #[test]
    fn outside_any_symbol_only_what_fits_the_line_is_offered() {
        let doc = snapshot("file:///p.py", PYTHON);
        let at = PYTHON.find("value =").expect("value");
        let offers = offers(&catalog::all(&[]), &Site { snapshot: &doc, start: at, end: at, diagnostics: &[] });
        assert!(ids(&offers).is_empty(), "{offers:?}");
        // A selection gets improve and explain.
        let offers = super::offers(
            &catalog::all(&[]),
            &Site { snapshot: &doc, start: 0, end: PYTHON.find("def").expect("def"), diagnostics: &[] },
        );
        assert_eq!(ids(&offers), ["improve", "explain"]);
        assert_eq!(offers[0].title, "AI: Improve and simplify the selection");
        assert_eq!(offers[0].lines, 0..3);
    }

    #[test]
    fn a_comment_above_a_function_is_about_the_function() {
        let text = "// AI: make it generic over the number type\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
        let doc = snapshot("file:///a.rs", text);
        let offers = offers(&catalog::all(&[]), &Site { snapshot: &doc, start: 3, end: 3, diagnostics: &[] });
        let comment = offers.iter().find(|offer| offer.action_id == "comment").expect("comment offered");
        assert_eq!(comment.lines, 0..4);
        assert_eq!(comment.instruction.as_deref(), Some("make it generic over the number type"));
    }

    #[test]
    fn instruction_comments_in_several_languages() {
        assert_eq!(instruction_in("    # AI: use a set").as_deref(), Some("use a set"));
        assert_eq!(instruction_in("/* ai: cache this */").as_deref(), Some("cache this"));
        assert_eq!(instruction_in("-- AI: index this column").as_deref(), Some("index this column"));
        assert_eq!(instruction_in("<!-- AI: add alt text -->").as_deref(), Some("add alt text"));
        assert_eq!(instruction_in("/// AI: explain").as_deref(), Some("explain"));
        assert_eq!(instruction_in("x = 1  # AI: no"), None);
        assert_eq!(instruction_in("# AI:"), None);
        assert_eq!(instruction_in("# TODO: later"), None);
    }

    #[test]
    fn custom_actions_follow_their_scope_and_languages() {
        let custom = vec![
            crate::config::CustomAction {
                id: "types".into(),
                title: "Add type hints to {symbol}".into(),
                languages: vec!["python".into()],
                prompt: "Add type hints:\n{code_block}".into(),
                ..Default::default()
            },
            crate::config::CustomAction {
                id: "rust-only".into(),
                title: "Rust thing".into(),
                languages: vec!["rust".into()],
                prompt: "x".into(),
                scope: crate::config::ActionScope::File,
                ..Default::default()
            },
        ];
        let doc = snapshot("file:///p.py", PYTHON);
        let at = PYTHON.find("return").expect("return");
        let offers = offers(&catalog::all(&custom), &Site { snapshot: &doc, start: at, end: at, diagnostics: &[] });
        let types = offers.iter().find(|offer| offer.action_id == "types").expect("offered for python");
        assert_eq!(types.title, "Add type hints to `parse`");
        assert!(!ids(&offers).contains(&"rust-only"));
    }
}
