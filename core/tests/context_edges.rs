//! Context extraction at the edges: budget balancing, degenerate cursors and documents, caps on
//! scopes and imports, the no-tree fallback, and a property test that nothing ever panics or
//! breaks the context's invariants.

#[path = "context_support/fixture.rs"]
mod fixture;

use expect_test::expect;
use proptest::prelude::*;
use switchboard_core::context::{CompletionContext, ContextBudget, extract};
use switchboard_core::documents::{Document, DocumentSnapshot};
use switchboard_core::text::bytes_for_tokens;

fn context_at(uri: &str, language_id: &str, fixture: &str, budget: ContextBudget) -> CompletionContext {
    let (snapshot, cursor) = fixture::snapshot(uri, language_id, fixture);
    extract(&snapshot, cursor, budget)
}

/// The invariants of `extract`, for any input.
fn check_invariants(text: &str, context: &CompletionContext, max_tokens: usize) {
    let window = &context.window;
    assert!(context.n_bytes() <= bytes_for_tokens(max_tokens));
    assert!(window.prefix_start.byte_offset <= window.cursor.byte_offset);
    assert!(window.cursor.byte_offset <= window.suffix_end.byte_offset);
    assert!(window.suffix_end.byte_offset <= text.len());
    assert_eq!(context.prefix, text[window.prefix_start.byte_offset..window.cursor.byte_offset]);
    assert_eq!(context.suffix, text[window.cursor.byte_offset..window.suffix_end.byte_offset]);
    for scope in &context.scopes {
        assert!(scope.line < window.prefix_start.line);
    }
    for import in &context.imports {
        assert!(import.line < window.prefix_start.line);
    }
}

/// A Rust file with a long method: `n_before` statements above the cursor, three after.
fn long_method(n_before: usize) -> String {
    let mut text = String::from("use std::fmt;\nuse std::io;\n\nimpl Widget {\n    fn draw(&self, out: &mut Out) {\n");
    for idx in 0..n_before {
        text.push_str(&format!("        out.line({idx});\n"));
    }
    text.push_str("        <|>\n");
    for idx in 0..3 {
        text.push_str(&format!("        out.tail({idx});\n"));
    }
    text.push_str("    }\n}\n");
    text
}

#[test]
fn the_prefix_gets_three_quarters_and_the_suffix_the_rest() {
    let fixture = format!("{}{}", long_method(200), "// tail\n".repeat(200));
    let context = context_at("file:///w.rs", "rust", &fixture, ContextBudget::new(400));
    let window_bytes = context.prefix.len() + context.suffix.len();
    let prefix_percent = context.prefix.len() * 100 / window_bytes;
    assert!((70..=80).contains(&prefix_percent), "prefix share {prefix_percent}%");
    assert_eq!(context.scopes.len(), 2);
    assert_eq!(context.imports.len(), 2);
}

#[test]
fn what_one_side_cannot_use_flows_to_the_other() {
    // Near the top: the prefix is short, so the suffix takes the rest of the window.
    let fixture = format!("fn a() {{\n    <|>\n{}}}\n", "    x();\n".repeat(400));
    let context = context_at("file:///w.rs", "rust", &fixture, ContextBudget::new(300));
    assert!(!context.truncated.prefix);
    assert!(context.suffix.len() > bytes_for_tokens(300) * 9 / 10, "suffix {}", context.suffix.len());
    // Near the end: the suffix is short, so the prefix takes it.
    let fixture = format!("fn a() {{\n{}    <|>\n}}\n", "    x();\n".repeat(400));
    let context = context_at("file:///w.rs", "rust", &fixture, ContextBudget::new(300));
    assert!(!context.truncated.suffix);
    assert!(context.prefix.len() > bytes_for_tokens(300) * 9 / 10, "prefix {}", context.prefix.len());
}

#[test]
fn scopes_and_imports_inside_the_window_are_not_repeated() {
    let context = context_at("file:///w.rs", "rust", &long_method(5), ContextBudget::new(4000));
    assert!(context.scopes.is_empty() && context.imports.is_empty());
    assert_eq!(context.truncated, Default::default());
    expect![[r#"
        language: rust
        path: /w.rs
        window: L1-L16, bytes 0..263, cursor L11 byte 191; context 263 bytes
        truncated: nothing
        --- window ---
        use std::fmt;
        use std::io;

        impl Widget {
            fn draw(&self, out: &mut Out) {
                out.line(0);
                out.line(1);
                out.line(2);
                out.line(3);
                out.line(4);
                <|>
                out.tail(0);
                out.tail(1);
                out.tail(2);
            }
        }
        --- end ---
    "#]]
    .assert_eq(&context.render());
}

#[test]
fn scopes_are_capped_innermost_first_and_imports_in_order() {
    let mut fixture = String::new();
    for idx in 0..30 {
        fixture.push_str(&format!("use crate::module_{idx}::Thing{idx};\n"));
    }
    for depth in 0..8 {
        fixture.push_str(&format!("{}mod level_{depth}_with_a_longer_name {{\n", "    ".repeat(depth)));
    }
    fixture.push_str(&format!("{}fn f() {{\n", "    ".repeat(8)));
    fixture.push_str(&"    x();\n".repeat(100));
    fixture.push_str("<|>\n");
    fixture.push_str(&"}\n".repeat(9));
    let budget = ContextBudget::new(200);
    let context = context_at("file:///w.rs", "rust", &fixture, budget);
    assert!(context.truncated.scopes && context.truncated.imports, "{}", context.render());
    let cap = bytes_for_tokens(200) / 5;
    assert!(context.scopes.iter().map(|scope| scope.signature.len() + 1).sum::<usize>() <= cap);
    assert!(context.imports.iter().map(|import| import.text.len() + 1).sum::<usize>() <= cap);
    assert_eq!(context.scopes.last().map(|scope| scope.signature.as_str()), Some("fn f() {"));
    assert_eq!(context.imports.first().map(|import| import.line), Some(0));
    let lines: Vec<usize> = context.scopes.iter().map(|scope| scope.line).collect();
    assert!(lines.windows(2).all(|pair| pair[0] < pair[1]), "outermost first: {lines:?}");
}

#[test]
fn empty_documents_and_cursors_past_the_end() {
    let empty = DocumentSnapshot::from_text("file:///e.rs", "rust", "");
    for byte_offset in [0, 1, usize::MAX] {
        let context = extract(&empty, byte_offset, ContextBudget::new(100));
        assert_eq!((context.prefix.as_str(), context.suffix.as_str()), ("", ""));
        assert_eq!(context.window.cursor.byte_offset, 0);
    }
    let snapshot = DocumentSnapshot::from_text("file:///a.py", "python", "import os\nx = 1\n");
    let context = extract(&snapshot, 10_000, ContextBudget::new(100));
    assert_eq!(context.window.cursor.byte_offset, 16);
    assert_eq!(context.prefix, "import os\nx = 1\n");
    assert_eq!(context.suffix, "");
}

#[test]
fn cursors_inside_a_crlf_or_a_character_snap_back() {
    let text = "let a = \"é\";\r\nlet b = 2;\r\n";
    let snapshot = DocumentSnapshot::from_text("file:///a.rs", "rust", text);
    // Between `\r` and `\n`: before the `\r`, at the end of the first line's content.
    let crlf = text.find("\r\n").unwrap_or_default();
    let context = extract(&snapshot, crlf + 1, ContextBudget::new(100));
    assert_eq!(context.window.cursor.byte_offset, crlf);
    assert_eq!((context.prefix.as_str(), context.suffix.as_str()), ("let a = \"é\";", "\r\nlet b = 2;\r\n"));
    // Inside `é`: before it.
    let e_acute = text.find('é').unwrap_or_default();
    let context = extract(&snapshot, e_acute + 1, ContextBudget::new(100));
    assert_eq!(context.window.cursor.byte_offset, e_acute);
    assert!(context.suffix.starts_with("é"));
}

#[test]
fn a_zero_budget_gives_an_empty_context() {
    let context = context_at("file:///w.rs", "rust", &long_method(50), ContextBudget::new(0));
    assert_eq!((context.prefix.as_str(), context.suffix.as_str()), ("", ""));
    assert!(context.scopes.is_empty() && context.imports.is_empty());
    assert!(context.truncated.prefix && context.truncated.suffix);
}

#[test]
fn a_huge_line_is_cut_at_character_boundaries_around_the_cursor() {
    let half = "日本語".repeat(50_000);
    let fixture = format!("fn f() {{\n    let s = \"{half}<|>{half}\";\n}}\n");
    let budget = ContextBudget::new(100);
    let context = context_at("file:///w.rs", "rust", &fixture, budget);
    let window_bytes = context.prefix.len() + context.suffix.len();
    assert!(window_bytes <= bytes_for_tokens(100) && window_bytes > bytes_for_tokens(100) - 8);
    assert!(context.prefix.chars().all(|character| "日本語".contains(character)));
    assert!(context.truncated.prefix && context.truncated.suffix);
    // The cut keeps the split: most of it before the cursor.
    assert!(context.prefix.len() > context.suffix.len());
}

#[test]
fn the_cursor_line_is_whole_when_it_fits() {
    let fixture =
        format!("{}    let value = compute(<|>first, second);\n{}", "x();\n".repeat(100), "y();\n".repeat(100));
    let context = context_at("file:///w.rs", "rust", &fixture, ContextBudget::new(30));
    assert!(context.prefix.ends_with("\n    let value = compute("), "{:?}", context.prefix);
    assert!(context.suffix.starts_with("first, second);\n"), "{:?}", context.suffix);
}

#[test]
fn without_a_tree_rust_degrades_to_indentation_and_line_prefixes() {
    let parsed = match fixture::parse(&long_method(60)) {
        Ok(parsed) => parsed,
        Err(error) => panic!("{error}"),
    };
    // A document that was never parsed gives a snapshot without a tree.
    let snapshot = Document::new("file:///w.rs", "rust", 1, &parsed.text).snapshot();
    assert!(snapshot.tree().is_none());
    let context = extract(&snapshot, parsed.cursor, ContextBudget::new(200));
    let scopes: Vec<&str> = context.scopes.iter().map(|scope| scope.signature.as_str()).collect();
    assert_eq!(scopes, ["impl Widget {", "fn draw(&self, out: &mut Out) {"]);
    let imports: Vec<&str> = context.imports.iter().map(|import| import.text.as_str()).collect();
    assert_eq!(imports, ["use std::fmt;", "use std::io;"]);
    // The same as with a tree.
    let with_tree = context_at("file:///w.rs", "rust", &long_method(60), ContextBudget::new(200));
    assert_eq!((with_tree.scopes, with_tree.imports), (context.scopes, context.imports));
}

#[test]
fn a_syntax_boundary_beats_a_mid_statement_start() {
    // A window that would start inside the argument list of a long call starts at the next
    // statement instead.
    let mut fixture = String::from("fn f() {\n");
    for idx in 0..20 {
        fixture.push_str(&format!("    call(\n        argument_{idx},\n        other_{idx},\n    );\n"));
    }
    fixture.push_str("    <|>\n}\n");
    for max_tokens in 60..120 {
        let context = context_at("file:///w.rs", "rust", &fixture, ContextBudget::new(max_tokens));
        assert!(context.prefix.starts_with("    call(\n"), "{max_tokens}: {:?}", &context.prefix[..30]);
    }
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "fn f() {",
        "}",
        "\n",
        "\r\n",
        "\r",
        "    ",
        "\t",
        "use a::b;",
        "class A:",
        "  def g(self):",
        "é",
        "日本",
        "😀",
        "x = 1",
        "import os",
        "(",
        ")",
        "{",
        "\"",
        "//",
        "#include <a.h>",
        " ",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_and_keeps_its_invariants(
        text in arbitrary_text(),
        byte_offset in 0usize..400,
        max_tokens in 0usize..120,
        language_id in prop::sample::select(vec!["rust", "python", "c", "plaintext", "yaml"]),
        prefix_percent in 0u8..=120,
    ) {
        let snapshot = DocumentSnapshot::from_text("file:///p", language_id, &text);
        let budget = ContextBudget { prefix_percent, ..ContextBudget::new(max_tokens) };
        let context = extract(&snapshot, byte_offset, budget);
        check_invariants(&text, &context, max_tokens);
        let _ = context.render();
    }
}
