//! Small text helpers shared by the post-processing steps: indentation (the core's one width),
//! blank lines, words, brackets.

pub(super) use switchboard_core::text::{indent_of, indent_width};

/// Width in columns of a run of indentation (the one indentation width, on a run).
pub(super) fn width(ws: &str) -> usize {
    indent_width(ws)
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

/// Every block-ending word of the table's keyword languages, for steps that do not know the
/// language's own (a line that only closes something is not worth showing in any language).
pub(super) const ANY_END_WORDS: &[&str] = &["end", "fi", "done", "esac"];

/// Whether `line` is a line that only closes brackets (`}`, `});`, `],`) or one of the
/// language's `end_words` (`end`, `fi`, `done`, `esac`, `end)`).
pub(super) fn is_closer_line(line: &str, end_words: &[&str]) -> bool {
    let trimmed = line.trim();
    let punctuation_only = |s: &str| s.chars().all(|c| is_closer(c) || matches!(c, ';' | ',' | '.' | ' '));
    if trimmed.starts_with(is_closer) {
        return punctuation_only(trimmed);
    }
    let word = first_word(trimmed);
    if end_words.contains(&word) {
        return punctuation_only(&trimmed[word.len()..]);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_width_counts_tabs_as_a_level() {
        assert_eq!(indent_of("\t  x"), "\t  ");
        assert_eq!(indent_width("\t  x"), switchboard_core::text::TAB_WIDTH + 2);
        assert_eq!(indent_width("x"), 0);
    }

    #[test]
    fn closer_lines_are_recognised() {
        assert!(is_closer_line("    });", &[]));
        assert!(is_closer_line("},", &[]));
        assert!(!is_closer_line("} else {", &[]));
        assert!(!is_closer_line("end", &[]));
        assert!(is_closer_line("  end", &["end"]));
        assert!(is_closer_line("end)", &["end"]));
        assert!(!is_closer_line("ending = 1", &["end"]));
    }

    #[test]
    fn first_word_stops_at_punctuation() {
        assert_eq!(first_word("  elif x:"), "elif");
        assert_eq!(first_word("}"), "");
    }
}
