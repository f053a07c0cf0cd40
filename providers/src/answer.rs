//! Cleaning a chat model's answer down to what was asked for, for every feature that asks a
//! chat model for code (completion through `chat_fim`, code actions in the server): reasoning
//! blocks (`<think>`), markdown fences and the sentences models put around code.

/// The code in a chat answer: reasoning blocks removed, then the inside of the first fenced
/// block, or, without a fence, the answer without its leading and trailing chatter.
pub fn code(answer: &str) -> String {
    let answer = strip_thinking(answer);
    match fenced_block(&answer) {
        Some(code) => code.to_owned(),
        None => strip_chatter(&answer),
    }
}

/// Prose for the user (an explanation): reasoning blocks removed, the rest trimmed.
pub fn prose(answer: &str) -> String {
    strip_thinking(answer).trim().to_owned()
}

/// Drops `<think>…</think>` blocks that reasoning models put before the answer. An unclosed one
/// means the answer never came.
pub fn strip_thinking(answer: &str) -> String {
    let mut rest = answer;
    let mut kept = String::new();
    while let Some(open) = rest.find("<think>") {
        kept.push_str(&rest[..open]);
        match rest[open..].find("</think>") {
            Some(close) => rest = &rest[open + close + "</think>".len()..],
            None => return kept,
        }
    }
    kept.push_str(rest);
    kept
}

/// The inside of the first fenced block (``` or ~~~, any length, any info string). An
/// unterminated fence runs to the end of the answer, which is what a cut-off stream looks like.
pub fn fenced_block(answer: &str) -> Option<&str> {
    let mut offset = 0;
    let mut open: Option<(char, usize, usize)> = None;
    for line in answer.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let fence_char = match trimmed.chars().next() {
            Some(ch @ ('`' | '~')) => ch,
            _ => continue,
        };
        let fence_len = trimmed.chars().take_while(|ch| *ch == fence_char).count();
        if fence_len < 3 {
            continue;
        }
        match open {
            None => open = Some((fence_char, fence_len, offset)),
            Some((open_char, open_len, body_start))
                if open_char == fence_char && fence_len >= open_len && trimmed[fence_len..].trim().is_empty() =>
            {
                let body = &answer[body_start..start];
                return Some(body.strip_suffix('\n').map_or(body, |body| body.strip_suffix('\r').unwrap_or(body)));
            }
            Some(_) => {}
        }
    }
    let (_, _, body_start) = open?;
    Some(answer[body_start..].trim_end_matches(['\n', '\r']))
}

/// Sentences chat models wrap around bare code. Only whole lines that start like this are
/// removed, and only at the very start or after a blank line at the end: code rarely begins a
/// line with "Here is" and a colon, and removing code by mistake is worse than keeping chatter.
const LEADING_CHATTER: &[&str] = &[
    "here is",
    "here's",
    "here are",
    "sure",
    "certainly",
    "of course",
    "okay",
    "ok,",
    "the code",
    "the completion",
    "the missing",
    "below is",
    "completion:",
    "to complete",
];

const TRAILING_CHATTER: &[&str] = &[
    "this ",
    "the above",
    "the code above",
    "note:",
    "note that",
    "explanation",
    "i've ",
    "i have ",
    "let me know",
    "hope this",
    "these lines",
];

/// Whether a line opens like the sentence chat models put before code ("Here is the code:").
pub fn starts_like_chatter(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    LEADING_CHATTER.iter().any(|opener| lower.starts_with(opener))
}

pub fn strip_chatter(answer: &str) -> String {
    let mut lines: Vec<&str> = answer.lines().collect();
    // A leading sentence ends with a colon, or is followed by a blank line.
    while let Some(first) = lines.first() {
        let lower = first.trim().to_lowercase();
        let is_chatter = LEADING_CHATTER.iter().any(|opener| lower.starts_with(opener))
            && (lower.ends_with(':') || lines.get(1).is_some_and(|next| next.trim().is_empty()) || lines.len() == 1);
        if !is_chatter {
            break;
        }
        lines.remove(0);
        while lines.first().is_some_and(|line| line.trim().is_empty()) {
            lines.remove(0);
        }
    }
    // A trailing paragraph that starts like an explanation goes, with everything after it.
    let mut index = 1;
    while index < lines.len() {
        let lower = lines[index].trim().to_lowercase();
        if lines[index - 1].trim().is_empty() && TRAILING_CHATTER.iter().any(|opener| lower.starts_with(opener)) {
            lines.truncate(index);
            break;
        }
        index += 1;
    }
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_comes_from_the_first_fence_without_thinking_or_chatter() {
        let answer = "<think>the user wants a docstring</think>Here is the function:\n\n```python\ndef f():\n    \"\"\"Doc.\"\"\"\n```\n\nThis adds a docstring.";
        assert_eq!(code(answer), "def f():\n    \"\"\"Doc.\"\"\"");
        assert_eq!(code("Sure:\nx = 1\n\nThis sets x."), "x = 1");
        assert_eq!(code("<think>never finished"), "");
        assert_eq!(prose("<think>a</think>\n It does X.\n"), "It does X.");
    }
}
