//! Fill-in-the-middle for chat-only models: render a FIM prompt as a chat request, and pull
//! the code back out of the answer.
//!
//! Chat models are asked for the code at a cursor marker and told to reply with nothing else;
//! they still wrap it in fences, add a sentence before or after, or echo the line they were
//! completing. [`extract_completion`] undoes all three, so what reaches the editor is only the
//! text that goes at the cursor. Vendor files call [`to_chat`] and [`extract_completion`] (or
//! [`extract_code`] when they do not have the FIM prompt at hand).

mod streaming;

pub(crate) use streaming::stream_completion;

use std::sync::Arc;

use crate::provider::{ChatMessage, ChatPrompt, ChatRole, FimPrompt, StablePrefix, TextStream};

/// The default cursor marker: plain words that no language uses as syntax.
pub const CURSOR: &str = "<CURSOR>";

/// A marker in the style of chat-model special tokens, for models that echo `<CURSOR>` as HTML.
pub const CURSOR_PIPE: &str = "<|cursor|>";

/// How the prompt marks the hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CursorMarker {
    #[default]
    Cursor,
    Pipe,
}

impl CursorMarker {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cursor => CURSOR,
            Self::Pipe => CURSOR_PIPE,
        }
    }
}

/// Renders a FIM prompt as a chat prompt with the default marker.
pub fn to_chat(fim: &FimPrompt) -> ChatPrompt {
    to_chat_with(fim, CursorMarker::default())
}

/// Renders a FIM prompt as a chat prompt: a system prompt that asks for only the code at the
/// marker, and one user message with the file's header, the other files' snippets, and the code
/// around the cursor with the marker.
///
/// The message is ordered for vendors' prompt caches, which discount a prefix repeated from an
/// earlier request: what changes least comes first. The system prompt never changes; the
/// file's header (imports, the signatures of the scopes around the cursor) changes when the
/// cursor moves to another function; the snippets change with the identifiers near the cursor;
/// the window around the cursor changes with every keystroke, so it comes last. The end of the
/// snippets is the prompt's [`StablePrefix`](crate::provider::StablePrefix), and the start of
/// the cursor's line its second depth: what stays while the user types on one line.
pub fn to_chat_with(fim: &FimPrompt, marker: CursorMarker) -> ChatPrompt {
    let marker = marker.as_str();
    let system = format!(
        "You are a code completion engine inside an editor. You are shown a file with the marker {marker} \
         where the user's cursor is. Reply with only the code to insert at {marker}: no explanations, no \
         repetition of the code before or after the marker, and no marker. Keep the indentation and style of \
         the surrounding code. If nothing should be inserted, reply with an empty code block."
    );
    let language = fim.language.as_deref().unwrap_or("");
    let (header, window) = fim.split_prefix();
    // The marker holds no backtick, so no run of them crosses it.
    let fence = fence_longer_than(longest_backtick_run(&fim.prefix).max(longest_backtick_run(&fim.suffix)));
    let file = match (&fim.path, fim.language.as_deref()) {
        (Some(path), Some(language)) => format!("File {path} ({language})"),
        (Some(path), None) => format!("File {path}"),
        (None, Some(language)) => format!("A {language} file"),
        (None, None) => "The file".to_owned(),
    };
    let mut user = String::new();
    // The header ends a line (`header_len` is at a line start), so the fence closes it.
    let header = if header.ends_with('\n') { header } else { "" };
    if !header.is_empty() {
        user.push_str(&format!(
            "{file}, its imports and the definitions around the cursor:\n{fence}{language}\n{header}{fence}\n\n"
        ));
    }
    if !fim.extra.is_empty() {
        user.push_str("Other files, for context:\n\n");
        for snippet in &fim.extra {
            let snippet_fence = fence_for(&snippet.text);
            user.push_str(&format!(
                "{}:\n{snippet_fence}{language}\n{}\n{snippet_fence}\n\n",
                snippet.path, snippet.text
            ));
        }
    }
    let stable_bytes = user.len();
    let window = if header.is_empty() { fim.prefix.as_str() } else { window };
    let around = if header.is_empty() { "" } else { ", around the cursor" };
    user.push_str(&format!("{file}{around}:\n{fence}{language}\n"));
    // The window's lines above the cursor's line stay while the user types on it.
    let (lines_above, cursor_line) = window.split_at(window.rfind('\n').map_or(0, |newline| newline + 1));
    user.push_str(lines_above);
    let line_bytes = user.len();
    user.push_str(&format!("{cursor_line}{marker}{}\n{fence}\n\n", fim.suffix));
    user.push_str(&format!("Reply with only the code that goes at {marker}, in one fenced code block."));
    let system = fim.system_prompt.clone().unwrap_or(system);
    ChatPrompt {
        system: Some(system),
        messages: vec![ChatMessage { role: ChatRole::User, content: user }],
        stable_prefix: Some(StablePrefix { message: 0, bytes: stable_bytes, line_bytes }),
    }
}

/// A fence longer than any backtick run in `code`, so Markdown files cannot close it early.
fn fence_for(code: &str) -> String {
    fence_longer_than(longest_backtick_run(code))
}

fn fence_longer_than(run: usize) -> String {
    "`".repeat(run.max(2) + 1)
}

/// The longest run of backticks in `text`, found with memchr (a prompt is kilobytes of code
/// with few backticks, and looking at each character was most of building a chat prompt).
fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run, mut next) = (0, 0, 0);
    for index in memchr::memchr_iter(b'`', text.as_bytes()) {
        run = if index == next && run > 0 { run + 1 } else { 1 };
        longest = longest.max(run);
        next = index + 1;
    }
    longest
}

/// The code in a chat answer, without knowing the prompt: reasoning blocks, fences and chatter
/// removed. Prefer [`extract_completion`], which also removes echoed context.
pub fn extract_code(answer: &str) -> String {
    crate::answer::code(answer).replace(CURSOR, "").replace(CURSOR_PIPE, "")
}

/// For a FIM prompt sent as chat (`fim` set), hands on the code of the answer as it streams
/// ([`streaming`]); any other answer passes unchanged. With `one_answer`, the closing fence ends
/// the upstream request.
pub(crate) fn extract_from_answer(answer: TextStream, fim: Option<Arc<FimPrompt>>, one_answer: bool) -> TextStream {
    match fim {
        Some(fim) => streaming::stream_completion(answer, fim, String::new(), one_answer),
        None => answer,
    }
}

/// The stop sequences a FIM request keeps when it is asked of a chat model: not those without a
/// visible character. The answer opens with a fence line (the prompt asks for one fenced block),
/// so a line-end stop, which a single-line completion uses, would end the answer at the fence
/// with no code in it. The caller ends a single-line answer at its first line end itself.
pub(crate) fn chat_stops(stop: &[String]) -> Vec<String> {
    stop.iter().filter(|stop| !stop.trim().is_empty()).cloned().collect()
}

/// The text to insert at the cursor: [`extract_code`], then the tail of the prefix or the head
/// of the suffix removed when the model repeated them.
pub fn extract_completion(answer: &str, fim: &FimPrompt) -> String {
    let code = extract_code(answer);
    let without_prefix = strip_prefix_echo(&code, &fim.prefix);
    let mut kept = strip_suffix_echo(without_prefix, &fim.suffix);
    // A model that restated the current line from its start also restated the rest of it: the
    // text after the cursor on the same line is then an echo too, however short (a `)` or `;`).
    if without_prefix.len() < code.len() && kept.len() == without_prefix.len() {
        let rest_of_line = fim.suffix.split('\n').next().unwrap_or("").trim();
        if !rest_of_line.is_empty()
            && let Some(stripped) = kept.trim_end().strip_suffix(rest_of_line)
        {
            kept = stripped;
        }
    }
    kept.to_owned()
}

/// Echoed prefix text shorter than this (non-whitespace characters) is only removed when it
/// starts at the beginning of a line: a short coincidental overlap is more likely real code.
const MIN_ECHO_CHARS: usize = 10;

/// Removes the longest tail of `prefix` that `code` starts with, when that tail is clearly an
/// echo: it starts at a line start (or a line's first non-blank character), or it is long.
fn strip_prefix_echo<'a>(code: &'a str, prefix: &str) -> &'a str {
    // Only a tail no longer than `code` can start it: the prompt's prefix is kilobytes long, the
    // code a line or a few, so the search starts there (at a char boundary).
    let mut first = prefix.len().saturating_sub(code.len());
    while !prefix.is_char_boundary(first) {
        first += 1;
    }
    // Longest first: the first tail that qualifies is the answer.
    for (offset, _) in prefix[first..].char_indices() {
        let index = first + offset;
        let tail = &prefix[index..];
        if !code.starts_with(tail) {
            continue;
        }
        let line_start = prefix[..index].rfind('\n').map_or(0, |newline| newline + 1);
        let at_line_start = prefix[line_start..index].trim().is_empty();
        if at_line_start || non_blank_chars(tail) >= MIN_ECHO_CHARS {
            return &code[tail.len()..];
        }
    }
    code
}

/// Removes the longest head of `suffix` that `code` ends with (ignoring trailing blanks on
/// both), when it ends at a line end and is long. A lone `}` or `)` is never taken for an echo:
/// the model may be closing a block of its own.
fn strip_suffix_echo<'a>(code: &'a str, suffix: &str) -> &'a str {
    let trimmed_code = code.trim_end();
    let mut best: Option<&str> = None;
    // The non-blank characters of `suffix[..index]`, counted as the heads grow (counting each
    // head afresh made this quadratic in the suffix, which is kilobytes long).
    let mut non_blank = 0;
    let mut chars = suffix.char_indices().peekable();
    while let Some((_, ch)) = chars.next() {
        non_blank += usize::from(!ch.is_whitespace());
        let index = chars.peek().map_or(suffix.len(), |(index, _)| *index);
        let head = suffix[..index].trim_end();
        // A head only grows (trimming removes blanks after its last non-blank character): once
        // longer than the code, no later one can end it.
        if head.len() > trimmed_code.len() {
            break;
        }
        let at_line_end = index == suffix.len() || suffix[index..].starts_with(['\n', '\r']);
        if !at_line_end || non_blank < MIN_ECHO_CHARS {
            continue;
        }
        if let Some(kept) = trimmed_code.strip_suffix(head)
            && best.is_none_or(|best| kept.len() < best.len())
        {
            best = Some(kept);
        }
    }
    match best {
        Some(kept) => kept.trim_end_matches([' ', '\t']),
        None => code,
    }
}

fn non_blank_chars(text: &str) -> usize {
    text.chars().filter(|ch| !ch.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Snippet;

    /// The echo strippers as first written, scanning every tail and head: the reference the
    /// linear ones must agree with.
    fn reference_strip_prefix_echo<'a>(code: &'a str, prefix: &str) -> &'a str {
        let mut best = 0;
        for (index, _) in prefix.char_indices() {
            let tail = &prefix[index..];
            if tail.len() <= best || !code.starts_with(tail) {
                continue;
            }
            let line_start = prefix[..index].rfind('\n').map_or(0, |newline| newline + 1);
            if prefix[line_start..index].trim().is_empty() || non_blank_chars(tail) >= MIN_ECHO_CHARS {
                best = tail.len();
            }
        }
        &code[best..]
    }

    fn reference_strip_suffix_echo<'a>(code: &'a str, suffix: &str) -> &'a str {
        let trimmed_code = code.trim_end();
        let mut best: Option<&str> = None;
        for (index, _) in suffix.char_indices().skip(1).chain(std::iter::once((suffix.len(), ' '))) {
            let head = suffix[..index].trim_end();
            let at_line_end = index == suffix.len() || suffix[index..].starts_with(['\n', '\r']);
            if !at_line_end || head.trim().is_empty() || non_blank_chars(head) < MIN_ECHO_CHARS {
                continue;
            }
            if let Some(kept) = trimmed_code.strip_suffix(head)
                && best.is_none_or(|best| kept.len() < best.len())
            {
                best = Some(kept);
            }
        }
        match best {
            Some(kept) => kept.trim_end_matches([' ', '\t']),
            None => code,
        }
    }

    #[test]
    fn the_longest_backtick_run_is_counted_over_the_whole_text() {
        for (text, longest) in [("", 0), ("a", 0), ("`", 1), ("a``b`", 2), ("```x````", 4), ("`é``é```", 3), ("``", 2)]
        {
            assert_eq!(longest_backtick_run(text), longest, "{text:?}");
        }
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }

    proptest::proptest! {
        /// Code that repeats a piece of the prompt's end or start, between texts of a few
        /// characters, blanks and line breaks: both strippers give what the references give.
        #[test]
        fn the_echo_strippers_agree_with_scanning_every_tail_and_head(
            prefix in "[ab \n\té]{0,40}",
            suffix in "[ab \n\r}é]{0,40}",
            before in "[ab \n]{0,6}",
            after in "[ab \n]{0,6}",
            cut in 0usize..40,
        ) {
            let mut tail_start = prefix.len().saturating_sub(cut);
            while !prefix.is_char_boundary(tail_start) {
                tail_start += 1;
            }
            let mut head_end = cut.min(suffix.len());
            while !suffix.is_char_boundary(head_end) {
                head_end += 1;
            }
            let code = format!("{}{before}{after}{}", &prefix[tail_start..], &suffix[..head_end]);
            proptest::prop_assert_eq!(strip_prefix_echo(&code, &prefix), reference_strip_prefix_echo(&code, &prefix));
            proptest::prop_assert_eq!(strip_suffix_echo(&code, &suffix), reference_strip_suffix_echo(&code, &suffix));
        }
    }

    #[test]
    fn a_configured_system_prompt_replaces_the_built_in_one() {
        let fim = FimPrompt { system_prompt: Some("Complete like a pirate.".into()), ..rust_fim() };
        assert_eq!(to_chat(&fim).system.as_deref(), Some("Complete like a pirate."));
        assert!(to_chat(&rust_fim()).system.is_some_and(|system| system.contains("code completion engine")));
    }

    fn rust_fim() -> FimPrompt {
        FimPrompt {
            prefix: "fn add(a: i32, b: i32) -> i32 {\n    ".into(),
            suffix: "\n}\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n".into(),
            path: Some("src/main.rs".into()),
            language: Some("rust".into()),
            ..FimPrompt::default()
        }
    }

    #[test]
    fn renders_the_golden_prompt() {
        let fim = FimPrompt {
            prefix: "import { sub } from './util';\nexport const add = (a, b) => ".into(),
            suffix: ";\n".into(),
            extra: vec![Snippet { path: "src/util.ts".into(), text: "export const sub = (a, b) => a - b;".into() }],
            path: Some("src/add.ts".into()),
            language: Some("typescript".into()),
            system_prompt: None,
            header_len: "import { sub } from './util';\n".len(),
        };
        let chat = to_chat(&fim);
        assert_eq!(
            chat.system.as_deref(),
            Some(
                "You are a code completion engine inside an editor. You are shown a file with the marker <CURSOR> \
                 where the user's cursor is. Reply with only the code to insert at <CURSOR>: no explanations, no \
                 repetition of the code before or after the marker, and no marker. Keep the indentation and style \
                 of the surrounding code. If nothing should be inserted, reply with an empty code block."
            )
        );
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.messages[0].role, ChatRole::User);
        assert_eq!(
            chat.messages[0].content,
            "File src/add.ts (typescript), its imports and the definitions around the cursor:\n\
             ```typescript\nimport { sub } from './util';\n```\n\n\
             Other files, for context:\n\n\
             src/util.ts:\n```typescript\nexport const sub = (a, b) => a - b;\n```\n\n\
             File src/add.ts (typescript), around the cursor:\n\
             ```typescript\nexport const add = (a, b) => <CURSOR>;\n\n```\n\n\
             Reply with only the code that goes at <CURSOR>, in one fenced code block."
        );
        // The stable part: everything before the code around the cursor.
        let (_, stable, rest) = chat.split_stable().unwrap();
        assert!(stable.ends_with("a - b;\n```\n\n") && rest.starts_with("File src/add.ts (typescript), around"));
    }

    #[test]
    fn renders_with_the_pipe_marker_and_no_metadata() {
        let fim = FimPrompt { prefix: "x = ".into(), suffix: "\n".into(), ..FimPrompt::default() };
        let chat = to_chat_with(&fim, CursorMarker::Pipe);
        assert_eq!(
            chat.messages[0].content,
            "The file:\n```\nx = <|cursor|>\n\n```\n\nReply with only the code that goes at <|cursor|>, in one \
             fenced code block."
        );
        assert!(chat.system.unwrap_or_default().contains("<|cursor|>"));
    }

    #[test]
    fn a_markdown_file_gets_a_longer_fence() {
        let fim = FimPrompt {
            prefix: "# Usage\n```sh\n".into(),
            suffix: "\n```\n".into(),
            language: Some("markdown".into()),
            ..FimPrompt::default()
        };
        let content = &to_chat(&fim).messages[0].content;
        assert!(
            content.starts_with("A markdown file:\n````markdown\n# Usage\n```sh\n<CURSOR>\n```\n\n````"),
            "{content}"
        );
    }

    /// Realistic answers, as chat models give them, and the text that must reach the editor.
    #[test]
    fn extracts_the_completion_from_realistic_answers() {
        let fim = rust_fim();
        let corpus: &[(&str, &str)] = &[
            // The ideal answer.
            ("```rust\na + b\n```", "a + b"),
            // No language tag.
            ("```\na + b\n```", "a + b"),
            // Chatter before and after the fence.
            ("Here is the code to insert:\n\n```rust\na + b\n```\n\nThis returns the sum of `a` and `b`.", "a + b"),
            // Bare code with a leading sentence.
            ("Sure! Here's the completion:\na + b", "a + b"),
            // Bare code with a trailing explanation paragraph.
            ("a + b\n\nThis adds the two numbers.", "a + b"),
            // The model repeated the indentation it was given.
            ("```rust\n    a + b\n```", "a + b"),
            // The model rewrote the whole function and the rest of the file.
            (
                "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n```",
                "a + b",
            ),
            // The model echoed the signature line only.
            (
                "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a.checked_add(b).unwrap_or(i32::MAX)\n```",
                "a.checked_add(b).unwrap_or(i32::MAX)",
            ),
            // A stream cut off inside the fence.
            ("```rust\na + b", "a + b"),
            // A reasoning model's thoughts come first.
            ("<think>The function should add.</think>\n```rust\na + b\n```", "a + b"),
            // The model left the marker in.
            ("```rust\n<CURSOR>a + b\n```", "a + b"),
            // Tilde fences.
            ("~~~rust\na + b\n~~~", "a + b"),
            // A multi-line body keeps its inner indentation.
            ("```rust\nlet sum = a + b;\n    sum\n```", "let sum = a + b;\n    sum"),
            // An empty block means: insert nothing.
            ("```rust\n```", ""),
        ];
        for (answer, expected) in corpus {
            assert_eq!(extract_completion(answer, &fim), *expected, "answer: {answer:?}");
        }
    }

    #[test]
    fn mid_line_echoes() {
        let fim = FimPrompt {
            prefix: "def total(items):\n    return sum(item.price for item in ".into(),
            suffix: ")\n".into(),
            ..FimPrompt::default()
        };
        // The model repeated the whole line, closing parenthesis included.
        assert_eq!(extract_completion("return sum(item.price for item in items)", &fim), "items");
        // A long mid-line echo without the line start is still an echo.
        assert_eq!(extract_completion("item.price for item in items", &fim), "items");
        // A short coincidental overlap is kept.
        let fim = FimPrompt { prefix: "let v = vec![1, 2, ".into(), suffix: "];\n".into(), ..FimPrompt::default() };
        assert_eq!(extract_completion("2, 3", &fim), "2, 3");
    }

    #[test]
    fn a_lone_closing_brace_is_kept() {
        let fim = FimPrompt { prefix: "fn f() {\n    ".into(), suffix: "\n}\n".into(), ..FimPrompt::default() };
        assert_eq!(
            extract_completion("```rust\nif ready {\n        go();\n    }\n```", &fim),
            "if ready {\n        go();\n    }"
        );
    }

    #[test]
    fn extract_code_without_a_prompt() {
        assert_eq!(extract_code("Sure:\n```rust\nlet x = 1;\n```\nDone"), "let x = 1;");
        assert_eq!(extract_code("```\na\nb"), "a\nb");
        assert_eq!(extract_code("plain"), "plain");
        assert_eq!(extract_code("````md\n```sh\nls\n```\n````"), "```sh\nls\n```");
        assert_eq!(extract_code("<think>unfinished"), "");
        assert_eq!(extract_code("```python\r\nx = 1\r\n```"), "x = 1");
    }

    #[test]
    fn code_that_looks_like_chatter_in_the_middle_is_kept() {
        assert_eq!(extract_code("let here = 1;\n\nthis.y = 2;"), "let here = 1;\n\nthis.y = 2;");
        assert_eq!(extract_code("x = 1\nThis is fine = 2"), "x = 1\nThis is fine = 2");
        assert_eq!(extract_code("x = 1\n\nThis sets x."), "x = 1");
    }
}
