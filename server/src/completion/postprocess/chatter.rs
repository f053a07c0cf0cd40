//! Chat models wrap code in markdown fences and talk around it; FIM models sometimes leak
//! special tokens. This step keeps only the code.

use super::lang::Lang;
use super::text::{is_blank, is_ident, lines};

/// The code left after stripping, and whether the output looked like a chat answer (a fence or
/// chatter): such code is often written from column 0, which the indent step then re-bases.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Stripped {
    pub(super) text: String,
    pub(super) chat: bool,
}

pub(super) fn strip(text: &str, lang: &Lang) -> Stripped {
    let text = cut_at_special_token(text);
    if lang.fences_are_content {
        // Fences and prose are the content of a markdown file.
        return Stripped { text: text.to_owned(), chat: false };
    }
    let lines = lines(text);
    if let Some(code) = fenced_code(&lines) {
        return Stripped { text: code.join("\n"), chat: true };
    }
    let start = lines.iter().position(|line| !is_blank(line) && !is_chatter(line)).unwrap_or(lines.len());
    let leading_chatter = lines[..start].iter().any(|line| is_chatter(line));
    let start = if leading_chatter { start } else { 0 };
    let end = trailing_explanation(&lines, start).unwrap_or(lines.len());
    Stripped { text: lines[start..end].join("\n"), chat: leading_chatter || end < lines.len() }
}

/// Everything before the first special token (`<|endoftext|>`, `<|fim_middle|>`, `<EOT>`,
/// `</s>`, `<｜end▁of▁sentence｜>`): what follows one is never part of the completion.
fn cut_at_special_token(text: &str) -> &str {
    let token_char = |c: char| is_ident(c) || matches!(c, '-' | '▁' | '.');
    let mut cut = text.len();
    for (open, close) in [("<|", "|>"), ("<｜", "｜>")] {
        let mut from = 0;
        while let Some(at) = text[from..].find(open).map(|i| i + from) {
            let inner_start = at + open.len();
            if let Some(len) = text[inner_start..].find(close)
                && len > 0
                && len <= 40
                && text[inner_start..inner_start + len].chars().all(token_char)
            {
                cut = cut.min(at);
                break;
            }
            from = inner_start;
        }
    }
    for token in ["<EOT>", "</s>", "<|EOT|>"] {
        if let Some(at) = text.find(token) {
            cut = cut.min(at);
        }
    }
    &text[..cut]
}

fn is_fence(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// The lines of the first fenced block. A lone closing fence after code (the opening one was
/// in the prompt) keeps the code before it.
fn fenced_code<'a>(lines: &[&'a str]) -> Option<Vec<&'a str>> {
    let open = lines.iter().position(|line| is_fence(line))?;
    let close = lines[open + 1..].iter().position(|line| is_fence(line)).map(|i| i + open + 1);
    let before_is_prose = lines[..open].iter().all(|line| is_blank(line) || is_chatter(line) || is_prose(line));
    match close {
        Some(close) => Some(lines[open + 1..close].to_vec()),
        None if before_is_prose => Some(lines[open + 1..].to_vec()),
        None => Some(lines[..open].to_vec()),
    }
}

/// Whether `word` starts `lower` as a whole word.
fn starts_with_word(lower: &str, word: &str) -> bool {
    lower.strip_prefix(word).is_some_and(|rest| !rest.starts_with(is_ident))
}

/// A chat model's preamble: "Here's the completion:", "Sure! Here is the code.", "Certainly:".
/// It must both start like one and end like a sentence, so no code line matches.
fn is_chatter(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let opening = [
        "here's",
        "here is",
        "sure",
        "certainly",
        "of course",
        "okay",
        "the completion",
        "the completed",
        "the missing",
        "completion",
        "to complete",
        "you can complete",
        "below is",
        // Refusals and apologies are never code either.
        "i'm sorry",
        "sorry",
        "i cannot",
        "i can't",
        "unfortunately",
        "as an ai",
    ];
    opening.iter().any(|word| starts_with_word(&lower, word)) && lower.ends_with([':', '.', '!'])
}

/// An explanation sentence: "This function returns the sum of `a` and `b`.", "Note: ...".
fn is_prose(line: &str) -> bool {
    let trimmed = line.trim();
    let first = trimmed.split(' ').next().unwrap_or("");
    let starters = [
        "This",
        "The",
        "These",
        "That",
        "It",
        "In",
        "I",
        "I've",
        "We",
        "You",
        "Here",
        "Now",
        "With",
        "Explanation:",
        "Note:",
        "Note",
        "Explanation",
    ];
    if !starters.contains(&first) || !trimmed.ends_with(['.', ':', '!']) {
        return false;
    }
    first.ends_with(':') || trimmed.split_whitespace().count() >= 4
}

/// Start of an explanation after the code: a blank line followed by a prose sentence.
fn trailing_explanation(lines: &[&str], start: usize) -> Option<usize> {
    (start + 1..lines.len()).find(|&i| is_blank(lines[i - 1]) && is_prose(lines[i])).map(|i| {
        // Also drop the blank lines that separated the code from the explanation.
        let mut end = i;
        while end > start && is_blank(lines[end - 1]) {
            end -= 1;
        }
        end
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust() -> &'static Lang {
        super::super::lang::for_name(Some("rust"))
    }

    #[test]
    fn fenced_code_is_kept_and_the_talk_around_it_goes() {
        let raw = "Here's the completion:\n\n```rust\n    a + b\n}\n```\n\nThis adds the numbers.";
        assert_eq!(strip(raw, rust()), Stripped { text: "    a + b\n}".to_owned(), chat: true });
    }

    #[test]
    fn an_unclosed_fence_keeps_what_follows_it() {
        assert_eq!(strip("```python\nreturn x\n", rust()).text, "return x\n");
    }

    #[test]
    fn a_lone_closing_fence_keeps_the_code_before_it() {
        assert_eq!(strip("a + b\n}\n```\nDone.", rust()).text, "a + b\n}");
    }

    #[test]
    fn chatter_without_a_fence_is_dropped() {
        let raw = "Sure! Here is the code:\n    return a + b\n\nThis returns the sum of a and b.";
        assert_eq!(strip(raw, rust()), Stripped { text: "    return a + b".to_owned(), chat: true });
    }

    #[test]
    fn a_refusal_leaves_nothing() {
        assert_eq!(strip("I'm sorry, but I can't help with that.", rust()).text, "");
    }

    #[test]
    fn plain_code_is_untouched() {
        let raw = "\n    let here = 1;\n\n    // The end.\n    x";
        assert_eq!(strip(raw, rust()), Stripped { text: raw.to_owned(), chat: false });
    }

    #[test]
    fn special_tokens_end_the_completion() {
        assert_eq!(strip("a + b<|endoftext|>junk", rust()).text, "a + b");
        assert_eq!(strip("x<｜end▁of▁sentence｜>", rust()).text, "x");
        assert_eq!(strip("x<EOT>y", rust()).text, "x");
        // Haskell's and Elixir's `<|>` operator is not a token.
        assert_eq!(strip("a <|> b", rust()).text, "a <|> b");
    }

    #[test]
    fn markdown_files_keep_their_fences() {
        let md = super::super::lang::for_name(Some("markdown"));
        assert_eq!(strip("```sh\nls\n```", md).text, "```sh\nls\n```");
    }
}
