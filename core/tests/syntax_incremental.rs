//! Property test: random edit sequences applied through `Document::apply_changes` (which edits the
//! tree without parsing), with incremental reparses after some of them, leave a tree identical to
//! a fresh parse of the final text: the same S-expression and the same byte range for every node.
//!
//! Two properties, because tree-sitter itself does not promise that an incremental parse equals a
//! fresh one for every input: on broken or ambiguous text its error recovery and conflict
//! resolution can depend on the old tree (we found such a case: `ret/*urn [x]` in Python).
//! - Random edits (proptest): our tree equals tree-sitter's own incremental parse of a plain
//!   `String` edited with `InputEdit`s computed independently here. This is the part we control,
//!   and it catches any wrong offset or point in our edits.
//! - Typical edits (a fixed table per language): our incremental tree equals a fresh parse.
// Without any of the languages below there is nothing to test.
#![cfg(any(
    feature = "lang-rust",
    feature = "lang-python",
    feature = "lang-javascript",
    feature = "lang-typescript",
    feature = "lang-go"
))]

use proptest::prelude::*;
use switchboard_core::documents::position::{from_byte_offset, to_byte_offset};
use switchboard_core::documents::{ContentChange, Document, PositionEncoding, Range};
use switchboard_core::syntax::{Language, language_for};
use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

/// Seed programs: realistic enough that edits land inside functions, strings, comments and
/// nested blocks.
const SEEDS: &[(&str, &str, &str)] = &[
    (
        "rust",
        "file:///a.rs",
        "use std::fmt;\n\n/// Doc.\nfn main() {\n    let s = \"héllo 日本\";\n    if s.len() > 2 { println!(\"{s}\"); }\n}\n\nimpl A {\n    fn f(&self) -> u8 { 1 }\n}\n",
    ),
    (
        "python",
        "file:///a.py",
        "import os\n\nclass A:\n    def f(self, x):\n        # comment é\n        return [x, 'ß', {\"k\": 1}]\n\ndef g():\n    pass\n",
    ),
    (
        "javascript",
        "file:///a.js",
        "import x from \"x\";\n\nclass A {\n  f(a) {\n    return `t ${a} 😀`;\n  }\n}\n\nconst g = (b) => {\n  if (b) { return [1, 2]; }\n};\n",
    ),
    (
        "typescript",
        "file:///a.ts",
        "interface I {\n  n: number;\n}\n\nexport function f(a: I): string {\n  const m = new Map<string, number>();\n  return `${a.n} ü`;\n}\n",
    ),
    (
        "go",
        "file:///a.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tfmt.Println(\"é\", i)\n\t}\n}\n",
    ),
];

/// Fragments to insert: multi-byte text, every kind of line break, brackets, quotes and keywords,
/// so edits open and close blocks and strings and cross token boundaries.
const FRAGMENTS: &[&str] = &[
    "",
    "x",
    "é",
    "日本",
    "😀",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    "`",
    ";",
    ":",
    ",",
    "fn ",
    "def ",
    "function ",
    "class ",
    "return ",
    "if ",
    "else ",
    "let x = 1;",
    "    ",
    "// c\n",
    "# c\n",
    "/*",
    "*/",
    "=>",
    "struct S {}",
    "pass\n",
    "{\n}\n",
];

#[derive(Debug, Clone)]
struct Edit {
    /// Where the replacement starts and how long it is, as fractions of the text's characters.
    start: f64,
    len: f64,
    text: String,
    /// Reparse (incrementally) after this edit.
    parse_after: bool,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let text = prop::collection::vec(prop::sample::select(FRAGMENTS), 0..4).prop_map(|parts| parts.concat());
    (0.0..=1.0f64, prop_oneof![3 => Just(0.0), 2 => 0.0..0.05f64, 1 => 0.0..0.5f64], text, prop::bool::weighted(0.4))
        .prop_map(|(start, len, text, parse_after)| Edit { start, len, text, parse_after })
}

fn language(name: &str) -> &'static Language {
    match language_for(name, "") {
        Some(language) => language,
        None => panic!("{name} is enabled in the default features"),
    }
}

/// Applies `edit` to `document` the way an editor would (a UTF-8 LSP range on char boundaries),
/// and returns the replaced byte range.
fn apply(document: &mut Document, version: i32, edit: &Edit) -> std::ops::Range<usize> {
    let rope = document.rope().clone();
    let n_chars = rope.len_chars();
    let start_char = ((n_chars as f64) * edit.start) as usize;
    let end_char = (start_char + ((n_chars as f64) * edit.len) as usize).min(n_chars);
    let start = from_byte_offset(&rope, rope.char_to_byte(start_char), PositionEncoding::Utf8);
    let end = from_byte_offset(&rope, rope.char_to_byte(end_char), PositionEncoding::Utf8);
    let change = ContentChange::replace(Range::new(start, end), edit.text.clone());
    document.apply_changes(version, &[change], PositionEncoding::Utf8);
    // A cut between `\r` and `\n` is not a position: it snapped back before the `\r`.
    to_byte_offset(&rope, start, PositionEncoding::Utf8)..to_byte_offset(&rope, end, PositionEncoding::Utf8)
}

/// Tree-sitter's own point for a byte offset: rows count `\n` only.
fn point(text: &str, byte: usize) -> Point {
    let before = &text[..byte];
    let row = before.matches('\n').count();
    let column = before.rfind('\n').map_or(byte, |newline| byte - newline - 1);
    Point { row, column }
}

/// The reference: a plain String and a tree edited with tree-sitter's API directly, parsed
/// again only after an edit, as the document is. (The history matters: tree-sitter reuses
/// subtrees of the old tree, and where the grammar is ambiguous, as Python's `retu/*rn [x]` is, a
/// reparse of an unchanged tree changes which parse the next incremental one settles on.)
struct Reference {
    text: String,
    tree: Tree,
    parser: Parser,
    edited: bool,
}

impl Reference {
    fn new(language: &Language, text: &str) -> Self {
        let mut parser = Parser::new();
        parser.set_language(&language.ts_language()).expect("grammar loads");
        let tree = parser.parse(text, None).expect("no timeout on small texts");
        Self { text: text.to_owned(), tree, parser, edited: false }
    }

    fn edit(&mut self, replaced: std::ops::Range<usize>, new_text: &str) {
        let start_position = point(&self.text, replaced.start);
        let old_end_position = point(&self.text, replaced.end);
        self.text.replace_range(replaced.clone(), new_text);
        let new_end_byte = replaced.start + new_text.len();
        self.tree.edit(&InputEdit {
            start_byte: replaced.start,
            old_end_byte: replaced.end,
            new_end_byte,
            start_position,
            old_end_position,
            new_end_position: point(&self.text, new_end_byte),
        });
        self.edited = true;
    }

    fn reparse(&mut self) {
        if std::mem::take(&mut self.edited) {
            self.tree = self.parser.parse(&self.text, Some(&self.tree)).expect("no timeout on small texts");
        }
    }
}

fn fresh_parse(language: &Language, text: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&language.ts_language()).expect("grammar loads");
    parser.parse(text, None).expect("no timeout on small texts")
}

/// Every node, in pre-order, as (kind, byte range, is_missing), so that two trees compare by
/// structure and offsets, not only by the S-expression (which omits ranges and anonymous nodes).
fn nodes(tree: &Tree) -> Vec<(String, std::ops::Range<usize>, bool)> {
    fn visit(node: Node, out: &mut Vec<(String, std::ops::Range<usize>, bool)>) {
        out.push((node.kind().to_owned(), node.byte_range(), node.is_missing()));
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            visit(child, out);
        }
    }
    let mut out = Vec::new();
    visit(tree.root_node(), &mut out);
    out
}

fn check_matches_reference(document: &mut Document, reference: &mut Reference) -> Result<(), TestCaseError> {
    let text = document.rope().to_string();
    prop_assert_eq!(&text, &reference.text);
    let Some(incremental) = document.ensure_parsed().cloned() else {
        return Err(TestCaseError::fail("no tree"));
    };
    reference.reparse();
    prop_assert_eq!(incremental.root_node().to_sexp(), reference.tree.root_node().to_sexp(), "text: {:?}", text);
    prop_assert_eq!(nodes(&incremental), nodes(&reference.tree), "text: {:?}", text);
    Ok(())
}

fn run(name: &str, edits: &[Edit]) -> Result<(), TestCaseError> {
    let Some((_, uri, seed)) = SEEDS.iter().find(|(seed_name, _, _)| *seed_name == name) else {
        return Err(TestCaseError::fail(format!("no seed for {name}")));
    };
    let language = language(name);
    let mut document = Document::new(uri, name, 0, seed);
    let mut reference = Reference::new(language, seed);
    // Start from a parsed tree so the first edits are incremental too.
    check_matches_reference(&mut document, &mut reference)?;
    for (idx, edit) in edits.iter().enumerate() {
        let replaced = apply(&mut document, idx as i32 + 1, edit);
        // A no-op edit changes nothing for the document either.
        let no_op = replaced.is_empty() && edit.text.is_empty();
        if !no_op {
            reference.edit(replaced, &edit.text);
        }
        prop_assert!(
            document.snapshot().tree().is_none() || no_op,
            "a tree that missed an edit must not be handed out"
        );
        if edit.parse_after {
            check_matches_reference(&mut document, &mut reference)?;
        }
    }
    check_matches_reference(&mut document, &mut reference)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[cfg(feature = "lang-rust")]
    #[test]
    fn rust_incremental_parse_matches_fresh(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        run("rust", &edits)?;
    }

    #[cfg(feature = "lang-python")]
    #[test]
    fn python_incremental_parse_matches_fresh(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        run("python", &edits)?;
    }

    #[cfg(feature = "lang-javascript")]
    #[test]
    fn javascript_incremental_parse_matches_fresh(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        run("javascript", &edits)?;
    }

    #[cfg(feature = "lang-typescript")]
    #[test]
    fn typescript_incremental_parse_matches_fresh(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        run("typescript", &edits)?;
    }

    #[cfg(feature = "lang-go")]
    #[test]
    fn go_incremental_parse_matches_fresh(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        run("go", &edits)?;
    }
}

/// Typical typing: insert a statement, delete it again, add a line, type inside a string and a
/// block, at the same offsets in every seed. After each, the incremental tree equals a fresh parse.
#[test]
fn typical_edits_give_the_same_tree_as_a_fresh_parse() {
    let typical: &[(f64, f64, &str)] = &[
        (0.5, 0.0, "\n"),
        (0.5, 0.0, "x"),
        (0.3, 0.0, "    "),
        (0.9, 0.0, "\n"),
        (0.5, 0.01, ""),
        (0.2, 0.0, "é"),
        (0.7, 0.0, "1"),
        (0.1, 0.0, "\r\n"),
    ];
    for (name, uri, seed) in SEEDS {
        let Some(language) = language_for(name, "") else { continue };
        let mut document = Document::new(uri, name, 0, seed);
        document.ensure_parsed();
        for (idx, (start, len, text)) in typical.iter().enumerate() {
            let edit = Edit { start: *start, len: *len, text: (*text).to_owned(), parse_after: true };
            apply(&mut document, idx as i32 + 1, &edit);
            let incremental = document.ensure_parsed().cloned().expect("a tree");
            let text = document.rope().to_string();
            let fresh = fresh_parse(language, &text);
            assert_eq!(
                incremental.root_node().to_sexp(),
                fresh.root_node().to_sexp(),
                "{name} after edit {idx}: {text:?}"
            );
            assert_eq!(nodes(&incremental), nodes(&fresh), "{name} after edit {idx}: {text:?}");
        }
    }
}
