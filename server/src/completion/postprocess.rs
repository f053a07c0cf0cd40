//! Post-processing: turns a model's raw output into the suggestion an editor shows, or nothing.
//!
//! Raw model output is messy: chat models wrap code in markdown fences and chatter, FIM models
//! echo the cursor line, run past the end of the block, repeat what follows the cursor, or loop.
//! Each cleanup is a small pure function in its own file; [`postprocess`] applies them in this
//! order, and the order matters:
//!
//! 1. [`normalize::line_endings`]: `\r\n` and lone `\r` become `\n` so every later step is
//!    line-based on one separator (the caller re-applies the document's line ending).
//! 2. [`chatter::strip`]: special tokens, markdown fences, leading chatter ("Here's the
//!    completion:") and trailing explanations. It runs before the echo step because the fenced
//!    code is where a chat model echoes the context.
//! 3. [`echo::strip`]: the model repeated the lines before the cursor and/or the cursor line's
//!    prefix (or its last token) at the start.
//! 4. [`normalize::trim_whitespace`]: trailing whitespace on lines, trailing blank lines, and the
//!    space the prefix already ends with.
//! 5. [`normalize::first_line`]: single-line mode keeps the first line only. Before the scope and
//!    overlap steps, so that they see what will really be shown.
//! 6. [`repetition::cut_loops`]: a degenerate loop (the same line or block three times, a token
//!    pattern repeated many times) is cut before any step reasons about its brackets.
//! 7. [`indent::fix`]: re-bases column-0 snippets to the cursor line, follows the file's tabs or
//!    spaces. Before the scope step, which compares indentation with the cursor line's.
//! 8. [`scope::limit`]: stops at the end of the current block (brackets, or indentation for
//!    Python/YAML and `end`-keyword languages).
//! 9. [`overlap::trim`]: drops trailing lines that repeat the lines after the cursor and the tail
//!    that the rest of the cursor line already has (`foo(<|>)` + `a, b)` → `a, b`).
//! 10. [`brackets::balance`]: cuts at a closing bracket nothing needs, and drops a last line left
//!     open mid-statement: a shorter suggestion beats broken code.
//! 11. [`filter::accept`]: the final gate: nothing left, nothing new, a loop, or a copy of the
//!     neighbourhood → `None`.
//!
//! Everything here is pure: no I/O, no LSP or provider types. Offsets are byte offsets into
//! `&str` and are only ever taken at char boundaries.

mod brackets;
mod chatter;
mod echo;
mod filter;
mod indent;
mod lang;
mod normalize;
mod overlap;
mod repetition;
mod scope;
mod text;

/// What the post-processor knows about the cursor and the model's answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct PostprocessInput<'a> {
    /// What the model produced for the cursor position.
    pub raw: &'a str,
    /// Text of the cursor line before the cursor.
    pub line_prefix: &'a str,
    /// Text of the cursor line after the cursor.
    pub line_suffix: &'a str,
    /// A few lines after the cursor line, nearest first (overlap and repeated-lines checks).
    pub following_lines: &'a [&'a str],
    /// A few lines before the cursor line, in document order: the last one is the line just
    /// above the cursor (repetition and echo checks).
    pub preceding_lines: &'a [&'a str],
    /// Detected indentation unit of the file (`"    "`, `"\t"`), if known.
    pub indent_unit: Option<&'a str>,
    /// Whether a multi-line suggestion is allowed here.
    pub multiline: bool,
    /// The language (`rust`, `python`, `markdown`...; a name, `languageId` or file type), whose
    /// entry in the language table gives the language-specific rules; plain text and unknown
    /// names get the table's default rules.
    pub language: Option<&'a str>,
}

/// Turns raw model output into the text to insert at the cursor, or `None` to show nothing.
///
/// The result uses `\n` line endings and never ends with whitespace when the rest of the cursor
/// line is blank.
pub fn postprocess(input: &PostprocessInput) -> Option<String> {
    let lang = lang::for_name(input.language);
    let text = normalize::line_endings(input.raw);
    let stripped = chatter::strip(&text, lang);
    let text = echo::strip(&stripped.text, input.line_prefix, input.preceding_lines);
    let text = normalize::trim_whitespace(&text, input.line_prefix, input.line_suffix);
    let text = if input.multiline { text } else { normalize::first_line(&text).to_owned() };
    let text = repetition::cut_loops(&text, input.line_prefix);
    let text = indent::fix(&text, input.line_prefix, input.indent_unit, stripped.chat, lang);
    let text = scope::limit(&text, input.line_prefix, lang);
    let text = overlap::trim(&text, input, lang);
    let text = brackets::balance(&text, input, lang);
    let text = normalize::trim_end(&text, input.line_suffix);
    filter::accept(text, input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(raw: &str, prefix: &str, suffix: &str) -> Option<String> {
        postprocess(&PostprocessInput {
            raw,
            line_prefix: prefix,
            line_suffix: suffix,
            multiline: true,
            language: Some("rust"),
            ..PostprocessInput::default()
        })
    }

    #[test]
    fn a_clean_completion_passes_through_unchanged() {
        assert_eq!(run("a + b", "    let c = ", ""), Some("a + b".to_owned()));
    }

    #[test]
    fn empty_and_blank_output_shows_nothing() {
        assert_eq!(run("", "x", ""), None);
        assert_eq!(run(" \n\t\n", "x", ""), None);
    }

    #[test]
    fn single_line_mode_keeps_the_first_line() {
        let input = PostprocessInput {
            raw: "a, b);\n    let d = 4;",
            line_prefix: "    foo(",
            line_suffix: "",
            multiline: false,
            ..PostprocessInput::default()
        };
        assert_eq!(postprocess(&input), Some("a, b);".to_owned()));
    }

    /// Pseudo-random text from fragments that stress every step: brackets, quotes, comment
    /// markers, fences, tokens, multi-byte characters, line endings.
    fn random_text(seed: &mut u64, max_parts: u64) -> String {
        const PARTS: &[&str] = &[
            "a",
            "é",
            "日本",
            " ",
            "    ",
            "\t",
            "\n",
            "\r\n",
            "\r",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "'",
            "`",
            "//",
            "#",
            "--",
            "/*",
            "*/",
            "```",
            "<|",
            "|>",
            "<|endoftext|>",
            ":",
            ";",
            ",",
            "end",
            "def f():",
            "fn x() {",
            "0, ",
            "Here's the code:",
            "This is it.",
            "\\",
        ];
        let mut next = || {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *seed >> 33
        };
        let count = next() % max_parts;
        (0..count).map(|_| PARTS[usize::try_from(next()).unwrap_or(0) % PARTS.len()]).collect()
    }

    #[test]
    fn arbitrary_input_never_panics_and_keeps_the_invariants() {
        let mut seed = 7;
        let languages =
            [None, Some("rust"), Some("python"), Some("ruby"), Some("bash"), Some("yaml"), Some("markdown")];
        for round in 0..3000 {
            let raw = random_text(&mut seed, 40);
            let prefix = random_text(&mut seed, 6).replace(['\n', '\r'], "");
            let suffix = random_text(&mut seed, 4).replace(['\n', '\r'], "");
            let around = [random_text(&mut seed, 6).replace(['\n', '\r'], ""), "}".to_owned()];
            let around: Vec<&str> = around.iter().map(String::as_str).collect();
            let input = PostprocessInput {
                raw: &raw,
                line_prefix: &prefix,
                line_suffix: &suffix,
                following_lines: &around,
                preceding_lines: &around,
                indent_unit: [None, Some("\t"), Some("  ")][round % 3],
                multiline: round % 4 != 0,
                language: languages[round % languages.len()],
            };
            let Some(out) = postprocess(&input) else { continue };
            let context = format!("raw {raw:?}, prefix {prefix:?}, suffix {suffix:?}");
            assert!(!out.trim().is_empty(), "blank suggestion for {context}");
            assert!(!out.contains('\r'), "carriage return in {out:?} for {context}");
            assert!(input.multiline || !out.contains('\n'), "several lines in single-line mode for {context}");
            if suffix.trim().is_empty() {
                assert_eq!(out.trim_end(), out, "trailing whitespace for {context}");
            }
        }
    }

    #[test]
    fn crlf_output_comes_back_with_lf() {
        assert_eq!(run("\r\n    x();\r\n}", "fn f() {", ""), Some("\n    x();\n}".to_owned()));
    }
}
