//! Reading a model's streamed answer only as far as it is useful: stop at the end of the first
//! line for a single-line suggestion, stop once a multi-line suggestion leaves the cursor's
//! scope, and at the deadline keep what arrived only up to its last complete line.

use switchboard_core::text::indent_width;

/// Decides, as text arrives, whether the suggestion is already complete.
#[derive(Debug, Clone)]
pub struct StopRule {
    pub multiline: bool,
    /// Indentation width (in columns) of the cursor's line.
    pub cursor_indent: usize,
    /// Maximum number of lines in a suggestion.
    pub max_lines: usize,
}

impl StopRule {
    /// Whether `text` (everything received so far) is complete: reading further is waste.
    pub fn is_complete(&self, text: &str) -> bool {
        let trimmed = text.trim_start_matches(['\n', '\r']);
        if !self.multiline {
            return trimmed.contains('\n');
        }
        let lines: Vec<&str> = trimmed.split('\n').collect();
        // Only lines that are known to be complete (followed by a newline) are judged.
        let complete = &lines[..lines.len().saturating_sub(1)];
        if complete.len() >= self.max_lines {
            return true;
        }
        // Past the first line, a non-empty line indented less than the cursor's line (and
        // not a closing bracket that ends the block) means the model has left the scope.
        complete.iter().skip(1).any(|line| {
            let content = line.trim();
            !content.is_empty()
                && indent_width(line) < self.cursor_indent
                && !content.starts_with(['}', ')', ']'])
                && !content.starts_with("end")
        }) || has_blank_run(complete)
    }
}

impl crate::runtime::call::Reading for StopRule {
    fn is_complete(&self, text: &str) -> bool {
        StopRule::is_complete(self, text)
    }

    /// A suggestion keeps its complete lines at the deadline.
    fn at_deadline(&self, text: &str) -> Option<String> {
        Some(usable_at_deadline(text).to_owned())
    }
}

/// Two blank lines in a row after some code: the model has moved on to something else.
fn has_blank_run(lines: &[&str]) -> bool {
    let mut seen_code = false;
    let mut blanks = 0;
    for line in lines {
        if line.trim().is_empty() {
            blanks += 1;
            if seen_code && blanks >= 2 {
                return true;
            }
        } else {
            seen_code = true;
            blanks = 0;
        }
    }
    false
}

/// What is usable of a stream cut short by the deadline: up to the last complete line.
pub fn usable_at_deadline(text: &str) -> &str {
    match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_stops_at_the_first_newline_after_text() {
        let rule = StopRule { multiline: false, cursor_indent: 4, max_lines: 30 };
        assert!(!rule.is_complete("let x = 1"));
        assert!(rule.is_complete("let x = 1;\nlet"));
        assert!(!rule.is_complete("\n"), "a leading newline is not a finished line");
    }

    #[test]
    fn multiline_stops_when_leaving_the_scope() {
        let rule = StopRule { multiline: true, cursor_indent: 4, max_lines: 30 };
        assert!(!rule.is_complete("if x {\n        y();\n    }\n"));
        assert!(rule.is_complete("a();\n    b();\n}\n\nfn next() {\n"));
        assert!(rule.is_complete("a();\n\n\nb\n"), "a blank run ends it");
        let short = StopRule { multiline: true, cursor_indent: 0, max_lines: 2 };
        assert!(short.is_complete("a\nb\nc"));
    }

    #[test]
    fn deadline_keeps_complete_lines() {
        assert_eq!(usable_at_deadline("one\ntwo\nthr"), "one\ntwo");
        assert_eq!(usable_at_deadline("partial"), "");
    }
}
