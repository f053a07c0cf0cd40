//! Drop what the document already has after the cursor: the tail of the cursor line
//! (`foo(<|>)` + `a, b)` → `a, b`) and trailing lines that repeat the next lines of the file.

use super::PostprocessInput;
use super::lang::Lang;
use super::text::{is_blank, is_ident, is_opener, lines, opener_of};

pub(super) fn trim(text: &str, input: &PostprocessInput, lang: &Lang) -> String {
    let text = drop_following_lines(text, input.line_prefix, input.line_suffix, input.following_lines);
    drop_suffix_overlap(&text, input.line_suffix, lang)
}

/// Cuts the suggestion where it starts copying the lines after the cursor: from there on it
/// either is exactly the start of those lines, or matches at least two of them.
fn drop_following_lines(text: &str, line_prefix: &str, line_suffix: &str, following: &[&str]) -> String {
    let following: Vec<&str> = following.iter().map(|line| line.trim_end()).filter(|line| !is_blank(line)).collect();
    if following.is_empty() {
        return text.to_owned();
    }
    let lines = lines(text);
    // The first line is a whole line of the document only when the cursor has nothing but
    // indentation on either side.
    let first_is_whole = is_blank(line_prefix) && is_blank(line_suffix);
    let whole = |i: usize| if i == 0 { format!("{line_prefix}{}", lines[0]) } else { lines[i].to_owned() };
    for i in usize::from(!first_is_whole)..lines.len() {
        if is_blank(lines[i]) {
            continue;
        }
        let rest: Vec<String> =
            (i..lines.len()).map(whole).filter(|line| !is_blank(line)).map(|line| line.trim_end().to_owned()).collect();
        let matched = rest.iter().zip(&following).take_while(|(line, next)| line == *next).count();
        if matched == rest.len() || matched >= 2 {
            return lines[..i].join("\n").trim_end_matches(['\n', ' ', '\t']).to_owned();
        }
    }
    text.to_owned()
}

/// Byte offsets of the closing brackets that close nothing the suggestion opened.
pub(super) fn unmatched_closers(text: &str, lang: &Lang) -> Vec<usize> {
    let mut stack = Vec::new();
    let mut unmatched = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        for (col, c) in lang.brackets(line) {
            if is_opener(c) {
                stack.push(c);
            } else if stack.last() == Some(&opener_of(c)) {
                stack.pop();
            } else {
                unmatched.push(offset + col);
            }
        }
        offset += line.len() + 1;
    }
    unmatched
}

/// Drops the tail of the last line that the rest of the cursor line already provides. Every
/// closing bracket dropped must close something from before the cursor, or the suggestion's
/// own pairs would break (`f(<|>);` + `g(a)` keeps its `)`).
fn drop_suffix_overlap(text: &str, line_suffix: &str, lang: &Lang) -> String {
    let suffix = line_suffix.trim_end();
    if is_blank(suffix) {
        return text.to_owned();
    }
    let unmatched = unmatched_closers(text, lang);
    let last_start = text.rfind('\n').map_or(0, |i| i + 1);
    let last = &text[last_start..];
    let closers_in_last: Vec<usize> =
        lang.brackets(last).into_iter().filter(|&(_, c)| !is_opener(c)).map(|(col, _)| last_start + col).collect();
    let droppable = |from: usize| closers_in_last.iter().filter(|&&at| at >= from).all(|at| unmatched.contains(at));
    let cut = |from: usize| {
        let kept = &text[..from];
        // Keep the indentation of a line that only held the overlap: the suffix lands there.
        if is_blank(&text[last_start..from]) { kept.to_owned() } else { kept.trim_end_matches([' ', '\t']).to_owned() }
    };

    // The whole rest of the line, at a token boundary.
    if let Some(from) = text.len().checked_sub(suffix.len())
        && last.ends_with(suffix)
        && droppable(from)
    {
        let glued = suffix.starts_with(is_ident) && text[..from].ends_with(is_ident);
        if !glued {
            return cut(from);
        }
    }
    // The start of the rest of the line, when it is punctuation: `)` of `);`, `"` of `")`.
    for k in (1..suffix.len()).rev().filter(|&k| suffix.is_char_boundary(k)) {
        let part = &suffix[..k];
        if part.trim().is_empty() || part.contains(is_ident) {
            continue;
        }
        if last.ends_with(part) && droppable(text.len() - k) {
            return cut(text.len() - k);
        }
    }
    // More than the rest of the line: `foo(<|>)` + `a, b);` → `a, b` (an insertion cannot
    // replace the `)` that is there, and `foo(a, b);)` is broken).
    let first_suffix_char = suffix.trim_start().chars().next();
    if let Some(&at) = unmatched.iter().find(|&&at| at >= last_start)
        && text[at..].chars().next() == first_suffix_char
    {
        return cut(at);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trim_rust(text: &str, prefix: &str, suffix: &str, following: &[&str]) -> String {
        let input = PostprocessInput {
            line_prefix: prefix,
            line_suffix: suffix,
            following_lines: following,
            ..Default::default()
        };
        trim(text, &input, super::super::lang::for_name(Some("rust")))
    }

    #[test]
    fn the_closing_bracket_the_suffix_has_is_dropped() {
        assert_eq!(trim_rust("a, b)", "foo(", ")", &[]), "a, b");
        assert_eq!(trim_rust("a, b);", "foo(", ");", &[]), "a, b");
        assert_eq!(trim_rust("a, b)", "foo(", ");", &[]), "a, b");
        assert_eq!(trim_rust("hello\")", "print(\"", "\")", &[]), "hello");
    }

    #[test]
    fn a_longer_tail_is_cut_at_the_bracket_the_suffix_has() {
        assert_eq!(trim_rust("a, b);", "foo(", ")", &[]), "a, b");
    }

    #[test]
    fn the_suggestions_own_pairs_are_kept() {
        assert_eq!(trim_rust("g(a)", "f(", ");", &[]), "g(a)");
        assert_eq!(trim_rust("g(a))", "f(", ")", &[]), "g(a)");
    }

    #[test]
    fn identifiers_are_not_cut_in_half() {
        assert_eq!(trim_rust("max", "let y = ", "x;", &[]), "max");
    }

    #[test]
    fn a_closing_line_keeps_its_indentation_for_the_suffix() {
        assert_eq!(trim_rust("\n    a,\n)", "foo(", ")", &[]), "\n    a,\n");
    }

    #[test]
    fn trailing_lines_the_file_already_has_are_dropped() {
        let following = ["    }", "}"];
        assert_eq!(trim_rust("x();\n    }\n}", "        ", "", &following), "x();");
        assert_eq!(trim_rust("\n    x\n}", "fn f() {", "", &["}"]), "\n    x");
    }

    #[test]
    fn copying_the_next_lines_and_going_on_is_cut() {
        let following = ["    let b = 2;", "    let c = 3;", "}"];
        assert_eq!(
            trim_rust("let a = 1;\n    let b = 2;\n    let c = 3;\n    let d = 4;", "    ", "", &following),
            "let a = 1;"
        );
    }

    #[test]
    fn a_line_that_only_looks_like_the_next_one_is_kept() {
        assert_eq!(trim_rust("x();\n    }", "        ", "", &["}"]), "x();\n    }");
    }
}
