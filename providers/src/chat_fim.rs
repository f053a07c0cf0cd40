//! Fill-in-the-middle for chat-only models: render a FIM prompt as a chat request, and pull
//! the code back out of the answer.
//!
//! A minimal first version so chat-only providers answer FIM requests; vendor files call only
//! [`to_chat`] and [`extract_code`], so a better adapter can replace the insides.

use crate::provider::{ChatMessage, ChatPrompt, ChatRole, FimPrompt};

/// Where the answer goes in the rendered code.
pub const CURSOR: &str = "<CURSOR>";

const SYSTEM: &str = "You are a code completion engine. You are shown a file with the marker <CURSOR> where the \
user's cursor is. Reply with only the code to insert at <CURSOR>, in one fenced code block, without repeating \
the code before or after the cursor and without explanations.";

/// Renders a FIM prompt as a chat prompt: other files' snippets first, then the file with the
/// cursor marker, fenced.
pub fn to_chat(fim: &FimPrompt) -> ChatPrompt {
    let language = fim.language.as_deref().unwrap_or("");
    let mut user = String::new();
    for snippet in &fim.extra {
        user.push_str(&format!("From {}:\n```{language}\n{}\n```\n\n", snippet.path, snippet.text));
    }
    if let Some(path) = &fim.path {
        user.push_str(&format!("Complete the code at {CURSOR} in {path}:\n"));
    } else {
        user.push_str(&format!("Complete the code at {CURSOR}:\n"));
    }
    user.push_str(&format!("```{language}\n{}{CURSOR}{}\n```", fim.prefix, fim.suffix));
    ChatPrompt { system: Some(SYSTEM.to_owned()), messages: vec![ChatMessage { role: ChatRole::User, content: user }] }
}

/// The code in a chat answer: the inside of the first fenced block if there is one (an
/// unterminated fence runs to the end), else the answer as it is.
pub fn extract_code(answer: &str) -> String {
    let Some(open) = answer.find("```") else { return answer.to_owned() };
    let after_fence = &answer[open + 3..];
    // The rest of the opening fence line is the language tag.
    let body = match after_fence.find('\n') {
        Some(newline) => &after_fence[newline + 1..],
        None => return String::new(),
    };
    let code = match body.find("```") {
        Some(close) => &body[..close],
        None => body,
    };
    code.strip_suffix('\n').unwrap_or(code).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cursor() {
        let fim = FimPrompt { prefix: "fn a() {".into(), suffix: "}".into(), ..FimPrompt::default() };
        let chat = to_chat(&fim);
        assert!(chat.messages[0].content.contains("fn a() {<CURSOR>}"));
    }

    #[test]
    fn extracts_fenced_code() {
        assert_eq!(extract_code("Sure:\n```rust\nlet x = 1;\n```\nDone"), "let x = 1;");
        assert_eq!(extract_code("```\na\nb"), "a\nb");
        assert_eq!(extract_code("plain"), "plain");
    }
}
