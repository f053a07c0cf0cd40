//! Small text helpers shared by the post-processing steps: indentation, blank lines, words.

/// Columns a tab counts for when indentation widths are compared. Only relative comparisons
/// within one suggestion use it, so the exact value matters little.
pub(super) const TAB_WIDTH: usize = 4;

/// The leading spaces and tabs of a line.
pub(super) fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Width in columns of a run of indentation.
pub(super) fn width(ws: &str) -> usize {
    ws.chars().map(|c| if c == '\t' { TAB_WIDTH } else { 1 }).sum()
}

/// Width in columns of a line's indentation.
pub(super) fn indent_width(line: &str) -> usize {
    width(indent_of(line))
}

pub(super) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

pub(super) fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub(super) fn is_closer(c: char) -> bool {
    matches!(c, ')' | ']' | '}')
}

pub(super) fn is_opener(c: char) -> bool {
    matches!(c, '(' | '[' | '{')
}

/// The opening bracket a closing bracket pairs with.
pub(super) fn opener_of(closer: char) -> char {
    match closer {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

/// The first word of a trimmed line (identifier characters only).
pub(super) fn first_word(line: &str) -> &str {
    let trimmed = line.trim_start();
    let end = trimmed.find(|c: char| !is_ident(c)).unwrap_or(trimmed.len());
    &trimmed[..end]
}

/// Splits on `\n`, keeping a trailing empty line (a suggestion ending in a newline).
pub(super) fn lines(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

/// Whether `line` is a line that only closes brackets (`}`, `});`, `],`) or, with
/// `end_keywords`, a block-ending keyword (`end`, `fi`, `done`, `esac`, `end)`).
pub(super) fn is_closer_line(line: &str, end_keywords: bool) -> bool {
    let trimmed = line.trim();
    let punctuation_only = |s: &str| s.chars().all(|c| is_closer(c) || matches!(c, ';' | ',' | '.' | ' '));
    if trimmed.starts_with(is_closer) {
        return punctuation_only(trimmed);
    }
    if end_keywords {
        let word = first_word(trimmed);
        if matches!(word, "end" | "fi" | "done" | "esac") {
            return punctuation_only(&trimmed[word.len()..]);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_width_counts_tabs_as_a_level() {
        assert_eq!(indent_of("\t  x"), "\t  ");
        assert_eq!(indent_width("\t  x"), TAB_WIDTH + 2);
        assert_eq!(indent_width("x"), 0);
    }

    #[test]
    fn closer_lines_are_recognised() {
        assert!(is_closer_line("    });", false));
        assert!(is_closer_line("},", false));
        assert!(!is_closer_line("} else {", false));
        assert!(!is_closer_line("end", false));
        assert!(is_closer_line("  end", true));
        assert!(is_closer_line("end)", true));
        assert!(!is_closer_line("ending = 1", true));
    }

    #[test]
    fn first_word_stops_at_punctuation() {
        assert_eq!(first_word("  elif x:"), "elif");
        assert_eq!(first_word("}"), "");
    }
}
