//! Property test: random edit sequences applied through `Document::apply_changes` (which edits the
//! tree without parsing), with incremental reparses after some of them, leave a tree identical to
//! a fresh parse of the final text: the same S-expression and the same byte range for every node.
// Without any of the languages below there is nothing to test.
#![cfg(any(
    feature = "lang-rust",
    feature = "lang-python",
    feature = "lang-javascript",
    feature = "lang-typescript",
    feature = "lang-go"
))]

use proptest::prelude::*;
use switchboard_core::documents::position::from_byte_offset;
use switchboard_core::documents::{ContentChange, Document, PositionEncoding, Range};
use switchboard_core::syntax::{Language, language_for};
use tree_sitter::{Node, Parser, Tree};

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

/// Applies `edit` to `document` the way an editor would: a UTF-8 LSP range on char boundaries.
fn apply(document: &mut Document, version: i32, edit: &Edit) {
    let rope = document.rope().clone();
    let n_chars = rope.len_chars();
    let start_char = ((n_chars as f64) * edit.start) as usize;
    let end_char = (start_char + ((n_chars as f64) * edit.len) as usize).min(n_chars);
    let start = from_byte_offset(&rope, rope.char_to_byte(start_char), PositionEncoding::Utf8);
    let end = from_byte_offset(&rope, rope.char_to_byte(end_char), PositionEncoding::Utf8);
    let change = ContentChange::replace(Range::new(start, end), edit.text.clone());
    document.apply_changes(version, &[change], PositionEncoding::Utf8);
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

fn check_matches_fresh_parse(document: &mut Document, language: &Language) -> Result<(), TestCaseError> {
    let text = document.rope().to_string();
    let Some(incremental) = document.ensure_parsed().cloned() else {
        return Err(TestCaseError::fail("no tree"));
    };
    let fresh = fresh_parse(language, &text);
    prop_assert_eq!(incremental.root_node().to_sexp(), fresh.root_node().to_sexp(), "text: {:?}", text);
    prop_assert_eq!(nodes(&incremental), nodes(&fresh), "text: {:?}", text);
    Ok(())
}

fn run(name: &str, edits: &[Edit]) -> Result<(), TestCaseError> {
    let Some((_, uri, seed)) = SEEDS.iter().find(|(seed_name, _, _)| *seed_name == name) else {
        return Err(TestCaseError::fail(format!("no seed for {name}")));
    };
    let language = language(name);
    let mut document = Document::new(uri, name, 0, seed);
    // Start from a parsed tree so the first edits are incremental too.
    check_matches_fresh_parse(&mut document, language)?;
    for (idx, edit) in edits.iter().enumerate() {
        apply(&mut document, idx as i32 + 1, edit);
        prop_assert!(document.snapshot().tree().is_none(), "a tree that missed an edit must not be handed out");
        if edit.parse_after {
            check_matches_fresh_parse(&mut document, language)?;
        }
    }
    check_matches_fresh_parse(&mut document, language)
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
