//! Degenerate loops: a model stuck repeating a line, a block, or a token pattern. The loop is
//! never part of what the user wants, and even its first instance is suspect, so the
//! suggestion is cut before it (or dropped when the loop starts at once).

use super::text::{is_blank, lines};

/// Consecutive repetitions of a line or block that make a loop.
const LINE_REPEATS: usize = 3;
/// Longest block (in lines) whose repetition is detected.
const MAX_BLOCK: usize = 4;
/// Repetitions of a short pattern within a line that make a loop when they run to the end of
/// the suggestion (the model was cut off mid-loop), and anywhere.
const TAIL_PATTERN_REPEATS: usize = 8;
const PATTERN_REPEATS: usize = 16;
const MAX_PATTERN: usize = 16;

/// `line_prefix` completes the first line when it is only indentation, so that a loop of
/// whole lines starting at the cursor is seen as one.
pub(super) fn cut_loops(text: &str, line_prefix: &str) -> String {
    let lines = lines(text);
    match loop_start(&whole_lines(&lines, line_prefix)) {
        Some(start) => lines[..start].join("\n"),
        None => text.to_owned(),
    }
}

/// Whether the text still contains a loop (the final gate's check).
pub(super) fn is_repetitive(text: &str, line_prefix: &str) -> bool {
    loop_start(&whole_lines(&lines(text), line_prefix)).is_some()
}

fn whole_lines(lines: &[&str], line_prefix: &str) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .map(
            |(i, line)| {
                if i == 0 && is_blank(line_prefix) { format!("{line_prefix}{line}") } else { (*line).to_owned() }
            },
        )
        .collect()
}

/// Index of the first line of the first loop.
fn loop_start(lines: &[String]) -> Option<usize> {
    let last = lines.len().saturating_sub(1);
    (0..lines.len()).find(|&i| {
        let block_loop = (1..=MAX_BLOCK).any(|size| {
            let block = &lines[i..(i + size).min(lines.len())];
            i + LINE_REPEATS * size <= lines.len()
                && block.iter().any(|line| !is_blank(line))
                && (1..LINE_REPEATS).all(|k| lines[i + k * size..i + (k + 1) * size] == *block)
        });
        block_loop || pattern_loop(&lines[i], i == last)
    })
}

/// A short pattern repeated within one line: `0, 0, 0, …`, `);););`, `foo.foo.foo.`. A pattern
/// of one repeated character is not a loop: `// ======` and `"----"` are decorations.
fn pattern_loop(line: &str, is_last: bool) -> bool {
    let chars: Vec<char> = line.chars().collect();
    // No loop is shorter than this many units: starts with less room are not looked at.
    let fewest = TAIL_PATTERN_REPEATS.min(PATTERN_REPEATS);
    for size in 2..=MAX_PATTERN {
        let last_start = chars.len().saturating_sub(size).min((chars.len() + 1).saturating_sub(fewest * size));
        for start in 0..last_start {
            let unit = &chars[start..start + size];
            if chars[start + size..start + 2 * size] != *unit
                || unit.iter().all(|&c| c == unit[0])
                || unit.iter().all(|c| c.is_whitespace())
            {
                continue;
            }
            let repeats = chars[start..].chunks(size).take_while(|chunk| *chunk == unit).count();
            // Cut off mid-loop: what follows the repeats is the start of one more.
            let rest = &chars[start + repeats * size..];
            let reaches_end = unit.starts_with(rest);
            if repeats >= PATTERN_REPEATS || (is_last && reaches_end && repeats >= TAIL_PATTERN_REPEATS) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_repeated_three_times_is_cut_before_the_loop() {
        let text = "let x = 1;\nfoo();\nfoo();\nfoo();\nfoo();";
        assert_eq!(cut_loops(text, ""), "let x = 1;");
        assert_eq!(cut_loops("foo();\nfoo();\nfoo();", ""), "");
        // The cursor's indentation makes the first line whole.
        assert_eq!(cut_loops("foo();\n    foo();\n    foo();", "    "), "");
    }

    #[test]
    fn a_repeated_block_is_a_loop() {
        assert_eq!(cut_loops("a\nb();\nc();\nb();\nc();\nb();\nc();", ""), "a");
    }

    #[test]
    fn twice_is_not_a_loop() {
        let text = "    }\n    }\nx";
        assert_eq!(cut_loops(text, ""), text);
        assert!(!is_repetitive("i += 1;\ni += 1;", ""));
    }

    #[test]
    fn blank_lines_are_not_a_loop() {
        assert!(!is_repetitive("a\n\n\n\nb", ""));
    }

    #[test]
    fn a_token_pattern_running_off_the_end_is_a_loop() {
        assert!(is_repetitive("vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0", ""));
        assert!(is_repetitive("x);););););););););););););););););", ""));
        assert_eq!(cut_loops("let v = [\n    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1", ""), "let v = [");
    }

    #[test]
    fn short_literal_arrays_and_decorations_are_not_loops() {
        assert!(!is_repetitive("let zeros = [0, 0, 0, 0, 0, 0, 0, 0];", ""));
        assert!(!is_repetitive("let zeros = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];", ""));
        assert!(!is_repetitive("// ===================================================", ""));
        assert!(!is_repetitive("let s = \"abababab\";", ""));
    }
}
