//! The final gate: suggestions that would only waste the user's attention are not shown.

use super::PostprocessInput;
use super::repetition::is_repetitive;
use super::text::{ANY_END_WORDS, is_blank, is_closer_line, lines};

/// Lines shorter than this are too common (`}`, `end`, `x`) to prove a copy.
const MIN_COPIED_LINE: usize = 4;

pub(super) fn accept(text: String, input: &PostprocessInput) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let suffix = input.line_suffix.trim();
    // Nothing new: the rest of the line already says it.
    if !text.contains('\n') && !suffix.is_empty() && suffix.starts_with(trimmed) {
        return None;
    }
    if is_repetitive(&text, input.line_prefix) || copies_neighbourhood(&text, input) {
        return None;
    }
    Some(text)
}

/// Whether every line of the suggestion is already among the lines around the cursor (the
/// model copied the context), with at least one line long enough to prove it.
fn copies_neighbourhood(text: &str, input: &PostprocessInput) -> bool {
    let lines = lines(text);
    let whole = |i: usize, line: &str| -> String {
        if i > 0 {
            return line.trim().to_owned();
        }
        let suffix = if lines.len() == 1 { input.line_suffix } else { "" };
        format!("{}{line}{suffix}", input.line_prefix).trim().to_owned()
    };
    let near: Vec<&str> = input.preceding_lines.iter().chain(input.following_lines).map(|line| line.trim()).collect();
    let mut proven = false;
    for (i, line) in lines.iter().enumerate() {
        if is_blank(line) {
            continue;
        }
        let whole = whole(i, line);
        if !near.contains(&whole.as_str()) {
            return false;
        }
        proven |= whole.len() >= MIN_COPIED_LINE && !is_closer_line(&whole, ANY_END_WORDS);
    }
    proven
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept_with(text: &str, prefix: &str, suffix: &str, preceding: &[&str], following: &[&str]) -> Option<String> {
        let input = PostprocessInput {
            line_prefix: prefix,
            line_suffix: suffix,
            preceding_lines: preceding,
            following_lines: following,
            ..Default::default()
        };
        accept(text.to_owned(), &input)
    }

    #[test]
    fn blank_suggestions_are_rejected() {
        assert_eq!(accept_with("  \n ", "", "", &[], &[]), None);
    }

    #[test]
    fn what_the_suffix_already_has_is_rejected() {
        assert_eq!(accept_with("b)", "f(a, ", "b)", &[], &[]), None);
        assert_eq!(accept_with("b", "f(a, ", "b)", &[], &[]), None);
        assert_eq!(accept_with("c, b", "f(a, ", "b)", &[], &[]), Some("c, b".to_owned()));
    }

    #[test]
    fn copies_of_the_neighbourhood_are_rejected() {
        let preceding = ["    let a = load();", "    let b = a + 1;"];
        assert_eq!(accept_with("let b = a + 1;", "    ", "", &preceding, &[]), None);
        assert_eq!(accept_with(" = a + 1;", "    let b", "", &preceding, &[]), None);
        assert_eq!(accept_with("let c = b + 1;", "    ", "", &preceding, &[]), Some("let c = b + 1;".to_owned()));
    }

    #[test]
    fn a_common_short_line_is_no_proof_of_copying() {
        assert_eq!(accept_with("}", "", "", &[], &["}"]), Some("}".to_owned()));
    }

    #[test]
    fn loops_are_rejected() {
        assert_eq!(accept_with("x\nx\nx", "", "", &[], &[]), None);
    }
}
