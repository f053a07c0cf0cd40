//! Whether to suggest a completion at a cursor, and whether it may span several lines.
//!
//! The rules, in order: never in the middle of an identifier; never when real code follows the
//! cursor on its line (closing brackets, quotes and separators are fine: they are what the
//! suggestion will end before); several lines at an empty block body, on a blank line inside a
//! block, or right after a block opener; one line otherwise, and always inside strings and
//! comments. The syntax tree refines the text rules when there is one.

use ropey::Rope;
use tree_sitter::{Node, Tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Do not suggest here.
    Skip(SkipReason),
    /// Suggest; `multiline` says whether the suggestion may continue past the cursor's line.
    Complete { multiline: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    MidIdentifier,
    CodeAfterCursor,
}

fn is_identifier_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Characters that may follow the cursor on its line without blocking a suggestion.
fn is_closing(ch: char) -> bool {
    matches!(ch, ')' | ']' | '}' | '>' | '"' | '\'' | '`' | ';' | ',' | ':') || ch.is_whitespace()
}

/// Line openers after which the next lines are a new block.
fn opens_block(line_before_cursor: &str) -> bool {
    let trimmed = line_before_cursor.trim_end();
    trimmed.ends_with('{')
        || trimmed.ends_with('(')
        || trimmed.ends_with('[')
        || trimmed.ends_with(':')
        || trimmed.ends_with("=>")
        || trimmed.ends_with("->")
        || trimmed.ends_with(" do")
        || trimmed.ends_with(" then")
}

/// Decides placement at `byte_offset` (must be a char boundary; it is clamped to the text).
pub fn placement(rope: &Rope, tree: Option<&Tree>, byte_offset: usize) -> Placement {
    let byte_offset = byte_offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(byte_offset);
    let line_idx = rope.char_to_line(char_idx);
    let line = rope.line(line_idx);
    let line_start_char = rope.line_to_char(line_idx);
    let col_chars = char_idx - line_start_char;
    let before: String = line.slice(..col_chars).chars().collect();
    let after: String = line.slice(col_chars..).chars().take_while(|&ch| ch != '\n' && ch != '\r').collect();

    let prev = before.chars().next_back();
    let next = after.chars().next();
    if prev.is_some_and(is_identifier_char) && next.is_some_and(is_identifier_char) {
        return Placement::Skip(SkipReason::MidIdentifier);
    }
    if !after.chars().all(is_closing) {
        return Placement::Skip(SkipReason::CodeAfterCursor);
    }

    let node = tree.map(|tree| {
        let root = tree.root_node();
        root.descendant_for_byte_range(byte_offset.saturating_sub(1), byte_offset).unwrap_or(root)
    });
    if let Some(node) = node
        && inside_kind(node, byte_offset, &["string", "comment", "char_literal", "heredoc", "template"])
    {
        return Placement::Complete { multiline: false };
    }

    let blank_before = before.trim().is_empty();
    let closers_follow = !after.trim().is_empty();
    // With closers after the cursor (`call(<|>)`) one line is what fits, except in an empty
    // brace pair (`fn f() {<|>}`), which the suggestion will fill with a body.
    let opener = if closers_follow {
        before.trim_end().ends_with('{') && after.trim_start().starts_with('}')
    } else {
        opens_block(&before)
    };
    let multiline = opener
        || (blank_before && (line_idx > 0 || rope.len_lines() > 1))
        || node.is_some_and(|node| in_empty_body(node, byte_offset));
    Placement::Complete { multiline }
}

/// Whether the cursor sits strictly inside a node whose kind contains one of `kinds`.
fn inside_kind(node: Node<'_>, byte_offset: usize, kinds: &[&str]) -> bool {
    let mut current = Some(node);
    while let Some(node) = current {
        let kind = node.kind();
        // A line comment ends where the line does, so a cursor at its end is still inside it;
        // a cursor right after a string's closing quote is not.
        let reaches =
            if kind.contains("comment") { byte_offset <= node.end_byte() } else { byte_offset < node.end_byte() };
        if kinds.iter().any(|needle| kind.contains(needle)) && node.start_byte() < byte_offset && reaches {
            return true;
        }
        current = node.parent();
    }
    false
}

/// Whether the cursor is inside a block-like node that has no statements yet.
fn in_empty_body(node: Node<'_>, byte_offset: usize) -> bool {
    let mut current = Some(node);
    while let Some(node) = current {
        let kind = node.kind();
        let is_body = ["block", "body", "compound_statement", "declaration_list", "statement_block"]
            .iter()
            .any(|needle| kind.contains(needle));
        if is_body && node.start_byte() < byte_offset && byte_offset <= node.end_byte() {
            return node.named_child_count() == 0;
        }
        current = node.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::DocumentSnapshot;

    /// Runs `placement` at the `<|>` marker of `fixture`.
    fn check(language_id: &str, fixture: &str) -> Placement {
        let offset = fixture.find("<|>").expect("cursor marker");
        let text = fixture.replacen("<|>", "", 1);
        let snapshot = DocumentSnapshot::from_text(&format!("file:///t.{language_id}"), language_id, &text);
        placement(snapshot.rope(), snapshot.tree(), offset)
    }

    #[test]
    fn text_rules() {
        assert_eq!(check("plaintext", "let val<|>ue = 1;"), Placement::Skip(SkipReason::MidIdentifier));
        assert_eq!(check("plaintext", "call(<|>x, y)"), Placement::Skip(SkipReason::CodeAfterCursor));
        assert_eq!(check("plaintext", "call(<|>)"), Placement::Complete { multiline: false });
        assert_eq!(check("plaintext", "let x = foo<|>"), Placement::Complete { multiline: false });
        assert_eq!(check("plaintext", "if ok {<|>"), Placement::Complete { multiline: true });
        assert_eq!(check("plaintext", "a\n    <|>\nb"), Placement::Complete { multiline: true });
        assert_eq!(check("plaintext", "x = [1, 2<|>];"), Placement::Complete { multiline: false });
        // An assignment's value is one line unless it opens a bracket.
        assert_eq!(check("plaintext", "result = <|>\nprint(result)"), Placement::Complete { multiline: false });
        assert_eq!(check("plaintext", "config = {<|>"), Placement::Complete { multiline: true });
        assert_eq!(check("plaintext", "fn f() {<|>}"), Placement::Complete { multiline: true });
    }

    #[test]
    fn syntax_rules() {
        // Inside a string: one line, even after an opener.
        assert_eq!(
            check("rust", "fn main() {\n    let s = \"a {<|>\";\n}\n"),
            Placement::Complete { multiline: false }
        );
        assert_eq!(check("python", "def f():\n    # todo: <|>\n"), Placement::Complete { multiline: false });
        // An empty body: several lines.
        assert_eq!(check("rust", "fn f() {<|>}\n"), Placement::Complete { multiline: true });
        assert_eq!(check("python", "def f():\n    <|>\n"), Placement::Complete { multiline: true });
        // Mid-expression: one line.
        assert_eq!(check("python", "def f():\n    x = compute(1)<|>\n"), Placement::Complete { multiline: false });
    }

    #[test]
    fn out_of_range_offsets_never_panic() {
        let rope = Rope::from_str("abc\r\n");
        for offset in [0, 3, 4, 5, 99] {
            let _ = placement(&rope, None, offset);
        }
        let _ = placement(&Rope::new(), None, 0);
    }
}
