//! Stop a multi-line suggestion at the end of the current scope: models happily write the rest
//! of the file, and the user asked for the block they are in.
//!
//! Two rules, both applied where they make sense:
//! - brackets (every language but shells): the suggestion ends once it closes a bracket opened
//!   before the cursor line (a closing-only line such as `}` is kept: the overlap step drops
//!   it if the file already has it), or once it closes, on a later line, the brackets the
//!   cursor line left open (`fn main() {` … `}`);
//! - indentation (Python, YAML and `end`-keyword languages): the suggestion ends at the first
//!   line dedented below the block it writes in, keeping a dedented `end`/closer line.

use super::lang::{BlockStyle, Lang};
use super::text::{indent_width, is_blank, is_closer_line, is_opener, lines, opener_of, width};

pub(super) fn limit(text: &str, line_prefix: &str, lang: &Lang) -> String {
    let text = if lang.brackets_reliable { by_brackets(text, line_prefix, lang) } else { text.to_owned() };
    match lang.block_style {
        BlockStyle::Braces | BlockStyle::None => text,
        BlockStyle::Indentation | BlockStyle::Keywords => by_indentation(&text, line_prefix, lang),
    }
}

/// Brackets a line opens and does not close.
pub(super) fn unclosed_openers(line: &str, lang: &Lang) -> usize {
    let mut stack = Vec::new();
    for (_, c) in lang.brackets(line) {
        if is_opener(c) {
            stack.push(c);
        } else if stack.last() == Some(&opener_of(c)) {
            stack.pop();
        }
    }
    stack.len()
}

fn by_brackets(text: &str, line_prefix: &str, lang: &Lang) -> String {
    let lines = lines(text);
    let unclosed = i64::try_from(unclosed_openers(line_prefix, lang)).unwrap_or(i64::MAX);
    let prefix_blank = is_blank(line_prefix);
    let mut depth = 0i64;
    for (i, line) in lines.iter().enumerate() {
        for (col, c) in lang.brackets(line) {
            depth += if is_opener(c) { 1 } else { -1 };
            if depth >= -unclosed {
                continue;
            }
            // Closes a bracket opened before the cursor line.
            if i == 0 && !prefix_blank {
                return line[..col].trim_end().to_owned();
            }
            let end = if is_closer_line(line, &lang.end_words) { i + 1 } else { i };
            return lines[..end].join("\n");
        }
        if i > 0 && unclosed > 0 && depth <= -unclosed {
            // The construct the cursor line opened is complete.
            return lines[..=i].join("\n");
        }
    }
    text.to_owned()
}

fn by_indentation(text: &str, line_prefix: &str, lang: &Lang) -> String {
    let lines = lines(text);
    // The line that sets the block's indentation: the cursor line, or with a blank prefix the
    // suggestion's first line of code.
    let (start, base, opener) = if is_blank(line_prefix) {
        let Some(first) = lines.iter().position(|line| !is_blank(line)) else { return text.to_owned() };
        let base = if first == 0 { width(line_prefix) + indent_width(lines[0]) } else { indent_width(lines[first]) };
        (first + 1, base, lines[first].to_owned())
    } else {
        (1, indent_width(line_prefix), format!("{line_prefix}{}", lines[0]))
    };
    let opens = lang.opens_block(&opener);
    // When the user is writing the block opener, its body is the scope: a line back at the
    // opener's level ends it. From a blank line, the scope is the block the cursor sits in,
    // and the suggestion's own opener may be followed by siblings.
    let writing_opener = opens && !is_blank(line_prefix);
    for (i, line) in lines.iter().enumerate().skip(start) {
        if is_blank(line) {
            continue;
        }
        let w = indent_width(line);
        let closer = is_closer_line(line, &lang.end_words);
        if opens && w == base && closer {
            // The `end` of the construct the suggestion opened.
            return lines[..=i].join("\n");
        }
        let dedented = if writing_opener { w <= base } else { w < base };
        if !dedented || (opens && w == base && lang.continues_block(line)) {
            continue;
        }
        let end = if closer { i + 1 } else { i };
        return lines[..end].join("\n");
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_in(lang: &str, text: &str, prefix: &str) -> String {
        limit(text, prefix, super::super::lang::for_name(Some(lang)))
    }

    #[test]
    fn a_block_opened_on_the_cursor_line_ends_at_its_closing_line() {
        let text = "\n    println!(\"hi\");\n}\n\nfn other() {}";
        assert_eq!(limit_in("rust", text, "fn main() {"), "\n    println!(\"hi\");\n}");
    }

    #[test]
    fn closing_the_enclosing_block_keeps_the_closing_line_and_stops() {
        let text = "return x;\n}\n\nfunction next() {\n}";
        assert_eq!(limit_in("javascript", text, "    "), "return x;\n}");
    }

    #[test]
    fn a_line_that_closes_and_reopens_is_cut() {
        let text = "x();\n    } else {\n        y();\n    }";
        assert_eq!(limit_in("c", text, "        "), "x();");
    }

    #[test]
    fn closing_an_outer_bracket_on_the_cursor_line_cuts_there() {
        assert_eq!(limit_in("go", "x + 1 }", "    return"), "x + 1");
    }

    #[test]
    fn the_cursor_lines_own_brackets_may_close_and_the_block_go_on() {
        let text = "a, b);\n    let y = 2;";
        assert_eq!(limit_in("rust", text, "    let x = foo("), text);
    }

    #[test]
    fn python_stops_at_the_dedent_after_a_function_body() {
        let text = "\n    return a + b\n\ndef sub(a, b):\n    return a - b";
        assert_eq!(limit_in("python", text, "def add(a, b):"), "\n    return a + b\n");
    }

    #[test]
    fn python_keeps_else_at_the_openers_level() {
        let text = "\n        a()\n    else:\n        b()\n    return 1";
        assert_eq!(limit_in("python", text, "    if x:"), "\n        a()\n    else:\n        b()");
    }

    #[test]
    fn python_stops_below_the_cursor_block() {
        let text = "y = 2\n    return y\nprint(f())";
        assert_eq!(limit_in("python", text, "        "), "y = 2");
    }

    #[test]
    fn python_from_a_blank_line_keeps_siblings_of_its_own_opener() {
        let text = "if not items:\n            raise IndexError()\n        return items.pop()\n    def other(self):";
        assert_eq!(
            limit_in("python", text, "        "),
            "if not items:\n            raise IndexError()\n        return items.pop()"
        );
    }

    #[test]
    fn a_keyword_block_from_a_blank_line_ends_at_its_end() {
        let text = "def greet\n    puts 1\n  end\n\n  def other\n  end";
        assert_eq!(limit_in("ruby", text, "  "), "def greet\n    puts 1\n  end");
    }

    #[test]
    fn ruby_keeps_the_end_line() {
        let text = "\n  puts x\nend\n\ndef other\nend";
        assert_eq!(limit_in("ruby", text, "def show(x)"), "\n  puts x\nend");
    }

    #[test]
    fn shells_ignore_brackets() {
        let text = "\n  a) echo a ;;\n  b) echo b ;;\nesac\necho done";
        assert_eq!(limit_in("bash", text, "case \"$x\" in"), "\n  a) echo a ;;\n  b) echo b ;;\nesac");
    }
}
