//! Bracket balance: a suggestion must not close what nothing opened, nor what the rest of the
//! cursor line closes itself, and must not end on a half-written line that leaves brackets
//! open. When in doubt it is cut at the last complete line: a shorter suggestion beats broken
//! code.

use super::PostprocessInput;
use super::lang::Lang;
use super::scope::unclosed_openers;
use super::text::{is_opener, lines, opener_of};

pub(super) fn balance(text: &str, input: &PostprocessInput, lang: &Lang) -> String {
    if !lang.brackets_reliable {
        return text.to_owned();
    }
    let text = cut_at_stray_closer(text, input, lang);
    drop_open_last_lines(&text, lang)
}

/// Brackets still open at the cursor, from the lines before it and the cursor line's prefix.
fn open_at_cursor(input: &PostprocessInput, lang: &Lang) -> Vec<char> {
    let mut stack = Vec::new();
    for line in input.preceding_lines.iter().chain(std::iter::once(&input.line_prefix)) {
        for (_, c) in lang.brackets(line) {
            if is_opener(c) {
                stack.push(c);
            } else if let Some(at) = stack.iter().rposition(|&open| open == opener_of(c)) {
                // Lenient: a few lines of context may start mid-construct.
                stack.truncate(at);
            }
        }
    }
    stack
}

/// How many brackets from before the cursor the rest of the cursor line closes.
fn closed_by_suffix(line_suffix: &str, lang: &Lang) -> usize {
    let mut own = 0usize;
    let mut closes = 0;
    for (_, c) in lang.brackets(line_suffix) {
        if is_opener(c) {
            own += 1;
        } else if own > 0 {
            own -= 1;
        } else {
            closes += 1;
        }
    }
    closes
}

/// Cuts at the first closing bracket that pairs with the wrong opener, or closes a bracket the
/// rest of the cursor line closes too. On the first line the cut is at the bracket; on a later
/// line the whole line goes.
fn cut_at_stray_closer(text: &str, input: &PostprocessInput, lang: &Lang) -> String {
    let mut outer = open_at_cursor(input, lang);
    let suffix_closes = closed_by_suffix(input.line_suffix, lang) > 0;
    let lines = lines(text);
    let mut own = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for (col, c) in lang.brackets(line) {
            if is_opener(c) {
                own.push(c);
                continue;
            }
            let fits = match own.pop() {
                Some(open) => open == opener_of(c),
                // Closing what was open before the cursor: fine unless the suffix closes it, or
                // it is the wrong kind. Past what we can see, we cannot tell: let it be.
                None => !suffix_closes && outer.pop().is_none_or(|open| open == opener_of(c)),
            };
            if !fits {
                return if i == 0 { line[..col].trim_end().to_owned() } else { lines[..i].join("\n") };
            }
        }
    }
    text.to_owned()
}

/// Drops trailing lines of a multi-line suggestion that open brackets they do not close (the
/// model stopped mid-statement: `    foo(a,`), and, where a block needs a body (Python), a
/// trailing block opener without one (`else:`).
fn drop_open_last_lines(text: &str, lang: &Lang) -> String {
    let mut lines = lines(text);
    while lines.len() > 1 {
        let last = lines[lines.len() - 1];
        let bodiless = lang.block_needs_body && lang.opens_block(last);
        let still_open = unclosed_openers(last, lang) > 0 && left_open(&lines, lang) > 0;
        if !(bodiless || still_open) {
            break;
        }
        lines.pop();
    }
    lines.join("\n")
}

/// Brackets the suggestion opens and never closes.
fn left_open(lines: &[&str], lang: &Lang) -> usize {
    let mut stack = Vec::new();
    for line in lines {
        for (_, c) in lang.brackets(line) {
            if is_opener(c) {
                stack.push(c);
            } else if stack.last() == Some(&opener_of(c)) {
                stack.pop();
            }
        }
    }
    stack.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balance_in(lang: &str, text: &str, preceding: &[&str], prefix: &str, suffix: &str) -> String {
        let input = PostprocessInput {
            preceding_lines: preceding,
            line_prefix: prefix,
            line_suffix: suffix,
            ..Default::default()
        };
        balance(text, &input, super::super::lang::for_name(Some(lang)))
    }

    #[test]
    fn a_mismatched_closer_is_cut() {
        assert_eq!(balance_in("rust", "a, b]", &[], "foo(", ""), "a, b");
        assert_eq!(balance_in("rust", "\n    x();\n    ]\n    y();", &[], "fn f() {", ""), "\n    x();");
    }

    #[test]
    fn a_closer_the_suffix_also_has_is_cut() {
        assert_eq!(balance_in("rust", "a)", &[], "foo(", ")"), "a");
    }

    #[test]
    fn closing_what_is_open_before_the_cursor_is_fine() {
        assert_eq!(balance_in("rust", "b)", &["foo(", "    a,"], "    ", ""), "b)");
        assert_eq!(balance_in("rust", "x();\n}", &[], "    ", ""), "x();\n}");
    }

    #[test]
    fn a_last_line_left_open_is_dropped() {
        assert_eq!(balance_in("rust", "\n    let a = 1;\n    foo(a,", &[], "fn f() {", ""), "\n    let a = 1;");
        assert_eq!(balance_in("rust", "\n    x();\n    if y {", &[], "{", ""), "\n    x();");
    }

    #[test]
    fn a_single_line_may_open_a_block() {
        assert_eq!(balance_in("rust", "if x > 0 {", &[], "    ", ""), "if x > 0 {");
    }

    #[test]
    fn a_python_block_opener_without_body_is_dropped() {
        assert_eq!(balance_in("python", "\n    a = 1\nelse:", &[], "if x:", ""), "\n    a = 1");
    }
}
