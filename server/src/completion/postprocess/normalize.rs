//! Line endings and whitespace: the cheap normalisations every other step relies on.

use super::text::{is_blank, lines};

/// `\r\n` and lone `\r` become `\n`; the caller re-applies the document's line ending.
pub(super) fn line_endings(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

/// Removes whitespace nobody wants to see:
/// - trailing whitespace on every line but the last, and trailing blank lines;
/// - the last line's trailing whitespace when the rest of the cursor line is blank or starts
///   with whitespace anyway (otherwise `if <|>{` + `x ` must keep its space);
/// - leading spaces when the prefix already ends with one (`let x = ` + ` 5`).
pub(super) fn trim_whitespace(text: &str, line_prefix: &str, line_suffix: &str) -> String {
    let mut lines: Vec<String> = lines(text).into_iter().map(str::to_owned).collect();
    if !is_blank(line_prefix)
        && line_prefix.ends_with([' ', '\t'])
        && let Some(first) = lines.first_mut()
    {
        *first = first.trim_start_matches([' ', '\t']).to_owned();
    }
    let last = lines.len() - 1;
    for line in &mut lines[..last] {
        line.truncate(line.trim_end().len());
    }
    trim_end(&lines.join("\n"), line_suffix)
}

/// Trailing whitespace and blank lines at the very end, when the rest of the cursor line is
/// blank or starts with whitespace; otherwise a trailing newline or space may be intended (a
/// closing `)` of the suffix that goes on its own line).
pub(super) fn trim_end(text: &str, line_suffix: &str) -> String {
    if is_blank(line_suffix) || line_suffix.starts_with(char::is_whitespace) {
        text.trim_end().to_owned()
    } else {
        text.to_owned()
    }
}

/// Single-line mode: everything up to the first newline.
pub(super) fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_old_mac_line_endings_become_lf() {
        assert_eq!(line_endings("a\r\nb\rc\n"), "a\nb\nc\n");
    }

    #[test]
    fn trailing_whitespace_and_blank_lines_go() {
        assert_eq!(trim_whitespace("a  \n  b\t\n\n  \n", "x", ""), "a\n  b");
    }

    #[test]
    fn a_leading_newline_is_kept() {
        assert_eq!(trim_whitespace("\n    return 1\n", "def f():", ""), "\n    return 1");
    }

    #[test]
    fn the_space_the_prefix_already_has_is_not_doubled() {
        assert_eq!(trim_whitespace(" 5;", "let x = ", ""), "5;");
        // An indentation-only prefix is not "a space before the cursor": the indent step owns it.
        assert_eq!(trim_whitespace("  x", "    ", ""), "  x");
    }

    #[test]
    fn the_end_is_kept_when_the_suffix_is_glued_to_it() {
        assert_eq!(trim_whitespace("x > 0 ", "if ", "{"), "x > 0 ");
        assert_eq!(trim_whitespace("x > 0 ", "if ", " {"), "x > 0");
        assert_eq!(trim_whitespace("\n    a,\n", "foo(", ")"), "\n    a,\n");
    }

    #[test]
    fn first_line_cuts_at_the_newline() {
        assert_eq!(first_line("a\nb"), "a");
        assert_eq!(first_line("\nb"), "");
    }
}
