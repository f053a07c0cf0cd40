//! Models often start by repeating what is already there: the cursor line's prefix (chat
//! models answering with the whole line or function), or the last token before the cursor
//! (`compute(` + `compute(a, b)`). This step removes the repetition.

use super::text::{ANY_END_WORDS, is_blank, is_closer_line, is_ident, lines};

/// Minimum non-whitespace characters of a partial echo (the end of the prefix): shorter
/// overlaps (`x`, `b + `) are as likely to be intended as to be repeated.
const MIN_PARTIAL_ECHO: usize = 3;
/// Minimum non-whitespace characters of an echo of the whole cursor line.
const MIN_LINE_ECHO: usize = 2;

pub(super) fn strip(text: &str, line_prefix: &str, preceding: &[&str]) -> String {
    let lines = lines(text);
    let lines = &lines[echoed_context_lines(&lines, line_prefix, preceding)..];
    let Some((first, rest)) = lines.split_first() else { return String::new() };
    let first = strip_prefix_echo(first, line_prefix);
    std::iter::once(first).chain(rest.iter().copied()).collect::<Vec<_>>().join("\n")
}

fn non_ws(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// How many leading lines repeat the lines before the cursor (a chat model answering with the
/// whole function). With a non-blank prefix, they must be followed by a line that starts with
/// it; with a blank one, they must be exactly the last lines before the cursor.
fn echoed_context_lines(lines: &[&str], line_prefix: &str, preceding: &[&str]) -> usize {
    let prefix = line_prefix.trim();
    let meaningful =
        |echoed: &[&str]| echoed.iter().any(|line| !is_blank(line) && !is_closer_line(line, ANY_END_WORDS));
    if !prefix.is_empty() {
        let seen = |line: &&str| is_blank(line) || preceding.iter().any(|p| p.trim() == line.trim());
        for j in 1..lines.len().min(preceding.len() + 1) {
            if !seen(&lines[j - 1]) {
                break;
            }
            if lines[j].trim_start().starts_with(prefix) && meaningful(&lines[..j]) {
                return j;
            }
        }
        return 0;
    }
    (1..lines.len().min(preceding.len() + 1))
        .rev()
        .find(|&k| {
            let tail = &preceding[preceding.len() - k..];
            tail.iter().zip(&lines[..k]).all(|(p, l)| p.trim() == l.trim()) && meaningful(&lines[..k])
        })
        .unwrap_or(0)
}

/// The first line without a repeated prefix: the whole trimmed cursor line, or the longest end
/// of it that starts at a token boundary.
fn strip_prefix_echo<'a>(first: &'a str, line_prefix: &str) -> &'a str {
    let prefix = line_prefix.trim_start();
    if non_ws(prefix) >= MIN_LINE_ECHO
        && let Some(rest) = first.trim_start().strip_prefix(prefix)
    {
        return rest;
    }
    let mut chars = prefix.char_indices();
    // The non-blank characters of `tail` below, kept as it shrinks (counting each tail again
    // was quadratic in the line's length).
    let mut tail_non_ws = non_ws(prefix) - chars.next().map_or(0, |(_, c)| usize::from(!c.is_whitespace()));
    for (at, c) in chars {
        let tail = &prefix[at..];
        debug_assert_eq!(tail_non_ws, non_ws(tail));
        if tail_non_ws < MIN_PARTIAL_ECHO {
            break;
        }
        tail_non_ws -= usize::from(!c.is_whitespace());
        let before = prefix[..at].chars().next_back().unwrap_or(' ');
        let boundary = !is_ident(before) || !is_ident(c);
        if boundary && let Some(rest) = first.strip_prefix(tail) {
            return rest;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_cursor_line_repeated_is_removed() {
        assert_eq!(strip("def add(a, b):\n    return a + b", "def add(a, b):", &[]), "\n    return a + b");
        assert_eq!(strip("    let x = compute(a, b);", "    let x = ", &[]), "compute(a, b);");
    }

    #[test]
    fn the_last_token_repeated_is_removed() {
        assert_eq!(strip("range(10):", "for i in range(", &[]), "10):");
        assert_eq!(strip("self, x):", "    def __init__(self", &[]), ", x):");
    }

    #[test]
    fn short_or_mid_word_overlaps_are_kept() {
        // `b + ` could be meant: `a + b + b + c` is odd but not an echo we can prove.
        assert_eq!(strip("b + c", "x = a + b + ", &[]), "b + c");
        // `ount` starts inside the identifier `count`: not a token boundary.
        assert_eq!(strip("ountry", "let c = count", &[]), "ountry");
    }

    #[test]
    fn repeated_context_lines_are_removed() {
        let preceding = ["fn add(a: i32, b: i32) -> i32 {"];
        assert_eq!(strip("fn add(a: i32, b: i32) -> i32 {\n    a + b\n}", "    ", &preceding), "    a + b\n}");
        assert_eq!(strip("fn add(a: i32, b: i32) -> i32 {\n    let s = a + b;", "    let s", &preceding), " = a + b;");
    }

    #[test]
    fn a_closing_brace_alone_is_not_an_echo() {
        assert_eq!(strip("}\nfn b() {}", "", &["}"]), "}\nfn b() {}");
    }
}
