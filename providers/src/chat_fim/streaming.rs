//! The code of a chat model's FIM answer, handed on while the answer streams.
//!
//! [`super::extract_completion`] needs the whole answer: the echoed prefix is only known once
//! the code diverges from it, the echoed suffix only at the end, and the fence may close
//! anywhere. [`Extractor`] gives the same text as `extract_completion` of the whole answer,
//! but passes each piece on as soon as no later text can change it: it holds back only what
//! could still turn out to be an echo of the prefix, an echo of the suffix, trailing
//! whitespace, the start of a closing fence or of a marker. The server's stop rules (one line,
//! the end of a block) therefore apply to chat providers as they do to native FIM ones, and a
//! closing fence ends the upstream request instead of paying for the chatter after it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};

use super::{CURSOR, CURSOR_PIPE, extract_completion, strip_prefix_echo};
use crate::answer;
use crate::provider::{FimPrompt, ProviderError, StreamEvent, TextStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the code: reasoning, blank lines, a sentence that introduces it.
    Lead,
    /// Inside the first fenced block, whose body starts at this offset of the visible answer.
    Fenced { body_start: usize, fence_char: char, fence_len: usize },
    /// The answer has no fence where one was expected: it is cleaned up whole at the end.
    Whole,
    /// Everything has been handed on.
    Done,
}

/// Tokens whose start, at the end of the text so far, is held back until it is known whether
/// the token follows: markers the model may leave in (removed), and a reasoning block.
const HELD_TOKENS: [&str; 3] = [CURSOR, CURSOR_PIPE, "<think>"];

/// Turns the pieces of one answer into the pieces of its code.
pub(crate) struct Extractor {
    fim: Arc<FimPrompt>,
    raw: String,
    /// What has been handed on; always a prefix of the final code.
    emitted: String,
    phase: Phase,
    /// Bytes of echoed prefix at the start of the code, once decided.
    echo: Option<usize>,
    /// Set when a held-back rule was ever violated: the rest then comes only at the end.
    diverged: bool,
}

impl Extractor {
    /// `lead` is text the answer is known to start with (an assistant prefill).
    pub(crate) fn new(fim: Arc<FimPrompt>, lead: &str) -> Self {
        Self { fim, raw: lead.to_owned(), emitted: String::new(), phase: Phase::Lead, echo: None, diverged: false }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Takes the next piece of the answer; returns the code that can be handed on now.
    pub(crate) fn push(&mut self, piece: &str) -> String {
        if self.phase == Phase::Done {
            return String::new();
        }
        self.raw.push_str(piece);
        self.advance(false)
    }

    /// The answer ended: returns the rest of the code.
    pub(crate) fn finish(&mut self) -> String {
        self.advance(true)
    }

    fn advance(&mut self, end: bool) -> String {
        if self.phase == Phase::Done {
            return String::new();
        }
        let visible = answer::strip_thinking(&self.raw);
        if self.phase == Phase::Lead {
            self.phase = lead_phase(&self.raw, &visible, end);
        }
        match self.phase {
            Phase::Lead | Phase::Done => String::new(),
            Phase::Whole if !end => String::new(),
            Phase::Whole => self.finish_with_whole_answer(),
            Phase::Fenced { body_start, fence_char, fence_len } => {
                let body = &visible[body_start..];
                let (code, closed) = open_code(body, fence_char, fence_len);
                if closed || end {
                    return self.finish_with_whole_answer();
                }
                let code = code.replace(CURSOR, "").replace(CURSOR_PIPE, "");
                let code = &code[..code.len() - held_token_start(&code)];
                let echo = match self.echo {
                    Some(echo) => echo,
                    None if could_still_echo(code, &self.fim.prefix) => return String::new(),
                    None => *self.echo.insert(code.len() - strip_prefix_echo(code, &self.fim.prefix).len()),
                };
                let Some(candidate) = code.get(echo..) else { return String::new() };
                let ready = settled(candidate, &self.fim.suffix);
                if self.diverged || ready.len() <= self.emitted.len() {
                    return String::new();
                }
                if !ready.starts_with(self.emitted.as_str()) {
                    tracing::debug!("chat answer streaming diverged; the rest comes at the end");
                    self.diverged = true;
                    return String::new();
                }
                let out = ready[self.emitted.len()..].to_owned();
                self.emitted.push_str(&out);
                out
            }
        }
    }

    /// The final code, from the whole answer; returns what was not handed on yet.
    fn finish_with_whole_answer(&mut self) -> String {
        self.phase = Phase::Done;
        let code = extract_completion(&self.raw, &self.fim);
        match code.strip_prefix(self.emitted.as_str()) {
            Some(rest) => rest.to_owned(),
            None => {
                // Cannot happen if the holding rules are right (the tests check every split of a
                // corpus); if it does, the text already inserted stays and nothing wrong follows.
                tracing::warn!("chat answer streaming handed on text the whole answer does not have");
                String::new()
            }
        }
    }
}

/// Where the code starts, once it is known: after reasoning, blank lines and an introducing
/// sentence comes either a fence (the code is inside) or something else (cleaned up whole).
fn lead_phase(raw: &str, visible: &str, end: bool) -> Phase {
    let open_thinking = raw.rfind("<think>").is_some_and(|open| !raw[open..].contains("</think>"));
    if open_thinking && !end {
        return Phase::Lead;
    }
    let mut offset = 0;
    for line in visible.split_inclusive('\n') {
        let line_end = offset + line.len();
        if !line.ends_with('\n') {
            break;
        }
        offset = line_end;
        let trimmed = line.trim();
        if trimmed.is_empty() || answer::starts_like_chatter(trimmed) {
            continue;
        }
        return match fence_of(trimmed) {
            Some((fence_char, fence_len)) => Phase::Fenced { body_start: line_end, fence_char, fence_len },
            None => Phase::Whole,
        };
    }
    if end { Phase::Whole } else { Phase::Lead }
}

/// The fence character and length a line opens with, if it is a fence (three or more).
fn fence_of(trimmed: &str) -> Option<(char, usize)> {
    let fence_char = trimmed.chars().next().filter(|ch| matches!(ch, '`' | '~'))?;
    let fence_len = trimmed.chars().take_while(|ch| *ch == fence_char).count();
    (fence_len >= 3).then_some((fence_char, fence_len))
}

/// The code in a fenced body so far, without a last line that may be the closing fence still
/// arriving; and whether the closing fence has come.
fn open_code(body: &str, fence_char: char, fence_len: usize) -> (&str, bool) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let complete = line.ends_with('\n');
        if trimmed.starts_with(fence_char) {
            if !complete {
                return (&body[..offset], false);
            }
            let run = trimmed.chars().take_while(|ch| *ch == fence_char).count();
            if run >= fence_len && trimmed[run..].trim().is_empty() {
                return (&body[..offset], true);
            }
        }
        offset += line.len();
    }
    (body, false)
}

/// Bytes at the end of `code` that may be the start of a held token.
fn held_token_start(code: &str) -> usize {
    HELD_TOKENS
        .iter()
        .flat_map(|token| (1..token.len()).rev().filter(move |len| code.ends_with(&token[..*len])))
        .max()
        .unwrap_or(0)
}

/// Whether more text could make `code` a longer echo of the prefix: `code` occurs in the prefix
/// somewhere it does not reach the prefix's end. The empty start always could.
fn could_still_echo(code: &str, prefix: &str) -> bool {
    let Some(last) = prefix.chars().next_back() else { return false };
    prefix[..prefix.len() - last.len_utf8()].contains(code)
}

/// The part of `candidate` no later text can remove: without a tail that may be the start of
/// an echoed suffix (the suffix, or the suffix from its first non-blank), and without trailing
/// whitespace.
fn settled<'a>(candidate: &'a str, suffix: &str) -> &'a str {
    let suffix_from_text = suffix.trim_start();
    let longest = suffix.len() + candidate.len() - candidate.trim_end().len();
    let mut hold_from = candidate.len();
    for (index, _) in candidate.char_indices().rev() {
        let tail = &candidate[index..];
        if tail.len() > longest {
            break;
        }
        let text = tail.trim_end();
        if text.is_empty() || suffix.starts_with(text) || suffix_from_text.starts_with(text) {
            hold_from = index;
        }
    }
    candidate[..hold_from].trim_end_matches([' ', '\t'])
}

/// Streams the code of each answer in `inner` (the first and any alternatives) as it comes.
/// With one answer expected, a closing fence ends the upstream request.
pub(crate) fn stream_completion(inner: TextStream, fim: Arc<FimPrompt>, lead: String, one_answer: bool) -> TextStream {
    struct State {
        inner: Option<TextStream>,
        fim: Arc<FimPrompt>,
        lead: String,
        one_answer: bool,
        first: Extractor,
        alternatives: BTreeMap<u32, Extractor>,
        queue: VecDeque<Result<StreamEvent, ProviderError>>,
    }
    let state = State {
        first: Extractor::new(Arc::clone(&fim), &lead),
        inner: Some(inner),
        fim,
        lead,
        one_answer,
        alternatives: BTreeMap::new(),
        queue: VecDeque::new(),
    };
    let events = futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.queue.pop_front() {
                return Some((event, state));
            }
            let inner = state.inner.as_mut()?;
            match inner.next().await {
                Some(Ok(StreamEvent::Text(piece))) => {
                    let out = state.first.push(&piece);
                    if !out.is_empty() {
                        state.queue.push_back(Ok(StreamEvent::Text(out)));
                    }
                    if state.first.is_done() && state.one_answer {
                        // Usage the vendor already sent (Gemini puts it in the last chunk) is
                        // kept; then dropping the upstream stream closes the connection, so no
                        // tokens are paid for after the code.
                        while let Some(Some(event)) = inner.next().now_or_never() {
                            if let Ok(usage @ StreamEvent::Usage(_)) = event {
                                state.queue.push_back(Ok(usage));
                            }
                        }
                        state.inner = None;
                    }
                }
                Some(Ok(StreamEvent::Alternative { choice, text })) => {
                    let (fim, lead) = (&state.fim, &state.lead);
                    let extractor =
                        state.alternatives.entry(choice).or_insert_with(|| Extractor::new(Arc::clone(fim), lead));
                    let out = extractor.push(&text);
                    if !out.is_empty() {
                        state.queue.push_back(Ok(StreamEvent::Alternative { choice, text: out }));
                    }
                }
                Some(Ok(usage @ StreamEvent::Usage(_))) => state.queue.push_back(Ok(usage)),
                Some(Err(error)) => {
                    state.inner = None;
                    state.queue.push_back(Err(error));
                }
                None => {
                    state.inner = None;
                    let out = state.first.finish();
                    if !out.is_empty() {
                        state.queue.push_back(Ok(StreamEvent::Text(out)));
                    }
                    for (choice, extractor) in &mut state.alternatives {
                        let out = extractor.finish();
                        if !out.is_empty() {
                            state.queue.push_back(Ok(StreamEvent::Alternative { choice: *choice, text: out }));
                        }
                    }
                }
            }
        }
    });
    Box::pin(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust_fim() -> FimPrompt {
        FimPrompt {
            prefix: "fn add(a: i32, b: i32) -> i32 {\n    ".into(),
            suffix: "\n}\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n".into(),
            ..FimPrompt::default()
        }
    }

    fn mid_line_fim() -> FimPrompt {
        FimPrompt {
            prefix: "def total(items):\n    return sum(item.price for item in ".into(),
            suffix: ")\n".into(),
            ..FimPrompt::default()
        }
    }

    fn end_of_line_fim() -> FimPrompt {
        FimPrompt {
            prefix: "def f(rows):\n    out = []\n    for row in rows:\n        ".into(),
            suffix: "\n    return out\n".into(),
            ..FimPrompt::default()
        }
    }

    /// Answers as chat models give them, for the prompts above.
    fn corpus() -> Vec<(FimPrompt, &'static str)> {
        let rust = [
            "```rust\na + b\n```",
            "```\na + b\n```",
            "Here is the code to insert:\n\n```rust\na + b\n```\n\nThis returns the sum of `a` and `b`.",
            "Sure! Here's the completion:\na + b",
            "a + b\n\nThis adds the two numbers.",
            "```rust\n    a + b\n```",
            "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {\n    println!(\"{}\", add(1, 2));\n}\n```",
            "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a.checked_add(b).unwrap_or(i32::MAX)\n```",
            "```rust\na + b",
            "<think>The function should add.</think>\n```rust\na + b\n```",
            "<think>a\n```\nwrong\n```\n</think>```rust\na + b\n```",
            "```rust\n<CURSOR>a + b\n```",
            "```rust\na <|cursor|>+ b\n```",
            "~~~rust\na + b\n~~~",
            "````rust\nlet s = \"```\";\n```\ns\n````",
            "```rust\nlet sum = a + b;\n    sum\n```",
            "```rust\nlet sum = a + b;   \n    sum  \n```\nmore text",
            "```rust\r\nlet sum = a + b;\r\n    sum\r\n```\r\n",
            "```rust\n```",
            "```rust\nif a > b {\n        a - b\n    } else {\n        b - a\n    }\n}\n```",
            "```rust\na + b // `sum`\n`not a fence\n```",
            "<think>never finished",
            "",
            "```rust\n🦀 + é\n```",
        ];
        let mid = [
            "```python\nitems)\n```",
            "```python\nreturn sum(item.price for item in items)\n```",
            "item.price for item in items",
            "```python\nitems if item.price > 0\n```",
        ];
        let eol = [
            "```python\nout.append(row * 2)\n```",
            "```python\nif row:\n            out.append(row)\n    return out\n```",
            "```python\nout.append(row)\n    return out\n```\nThe loop appends.",
            "```python\nfor row in rows:\n        out.append(row)\n```",
            "```python\nout.append(row)\n    return\n```",
        ];
        let mut all = Vec::new();
        all.extend(rust.into_iter().map(|answer| (rust_fim(), answer)));
        all.extend(mid.into_iter().map(|answer| (mid_line_fim(), answer)));
        all.extend(eol.into_iter().map(|answer| (end_of_line_fim(), answer)));
        all
    }

    /// Feeds `pieces` to an extractor, checking along the way that nothing handed on is ever
    /// taken back; returns everything handed on.
    fn run(fim: &FimPrompt, lead: &str, pieces: &[&str]) -> String {
        let mut extractor = Extractor::new(Arc::new(fim.clone()), lead);
        let mut out = String::new();
        for piece in pieces {
            out.push_str(&extractor.push(piece));
        }
        out.push_str(&extractor.finish());
        assert!(!extractor.diverged, "streaming diverged for {pieces:?}");
        out
    }

    fn char_boundaries(text: &str) -> Vec<usize> {
        text.char_indices().map(|(index, _)| index).chain(std::iter::once(text.len())).collect()
    }

    #[test]
    fn every_split_gives_the_whole_answer_s_code() {
        for (fim, answer) in corpus() {
            let whole = extract_completion(answer, &fim);
            assert_eq!(run(&fim, "", &[answer]), whole, "answer: {answer:?}");
            let bounds = char_boundaries(answer);
            for &cut in &bounds {
                assert_eq!(run(&fim, "", &[&answer[..cut], &answer[cut..]]), whole, "answer {answer:?} cut at {cut}");
            }
            // One character at a time, as a slow stream delivers it.
            let chars: Vec<String> = answer.chars().map(String::from).collect();
            let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
            assert_eq!(run(&fim, "", &pieces), whole, "answer {answer:?} char by char");
        }
    }

    #[test]
    fn every_three_way_split_of_the_tricky_answers() {
        for (fim, answer) in corpus().into_iter().filter(|(_, answer)| answer.len() < 90) {
            let whole = extract_completion(answer, &fim);
            let bounds = char_boundaries(answer);
            for (i, &first) in bounds.iter().enumerate() {
                for &second in &bounds[i..] {
                    let pieces = [&answer[..first], &answer[first..second], &answer[second..]];
                    assert_eq!(run(&fim, "", &pieces), whole, "answer {answer:?} cut at {first} and {second}");
                }
            }
        }
    }

    #[test]
    fn code_is_handed_on_before_the_answer_ends() {
        let fim = end_of_line_fim();
        let mut extractor = Extractor::new(fim.into(), "");
        assert_eq!(extractor.push("```python\nout"), "", "may still echo the prefix (`out = []`)");
        assert_eq!(extractor.push(".app"), "out.app");
        assert_eq!(extractor.push("end(row * 2)"), "end(row * 2)");
        // A line end may be the start of the echoed suffix: held until the next line shows it is not.
        assert_eq!(extractor.push("\n        "), "");
        assert_eq!(extractor.push("log(row)\n"), "\n        log(row)");
        assert!(!extractor.is_done());
        assert_eq!(extractor.push("```\nThis appends each row."), "");
        assert!(extractor.is_done(), "the closing fence ends the code");
        assert_eq!(extractor.push("more"), "");
    }

    #[test]
    fn an_echoed_suffix_is_held_back_until_the_answer_shows_it_is_one() {
        let fim = FimPrompt { suffix: "\n    return sorted(out)\n".into(), ..end_of_line_fim() };
        let mut extractor = Extractor::new(fim.into(), "");
        assert_eq!(extractor.push("```python\nout.append(row)\n    return"), "out.append(row)");
        assert_eq!(extractor.push(" sorted(out)\n```\n"), "");
        assert!(extractor.is_done());
    }

    #[test]
    fn an_assistant_prefill_is_the_start_of_the_answer() {
        let fim = rust_fim();
        assert_eq!(run(&fim, "```rust", &["\na + ", "b\n``", "`\nDone."]), "a + b");
        let mut extractor = Extractor::new(fim.into(), "```rust");
        assert_eq!(extractor.push("\na.wrapping_add(b)"), "a.wrapping_add(b)");
    }

    #[tokio::test]
    async fn the_stream_ends_at_the_closing_fence_and_keeps_alternatives_apart() {
        use futures_util::StreamExt;
        let pieces = ["```rust\na", " + b\n", "```\n", "Explanation that is never read."];
        let inner: TextStream = Box::pin(futures_util::stream::iter(
            pieces.into_iter().map(|piece| Ok(StreamEvent::Text(piece.into()))).chain(std::iter::once(Err(
                ProviderError::new(crate::provider::ErrorKind::Network, "p", "read after the fence"),
            ))),
        ));
        let events: Vec<_> = stream_completion(inner, rust_fim().into(), String::new(), true).collect().await;
        let texts: Vec<String> = events
            .into_iter()
            .map(|event| match event {
                Ok(StreamEvent::Text(text)) => text,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(texts.concat(), "a + b");

        let inner: TextStream = Box::pin(futures_util::stream::iter(vec![
            Ok(StreamEvent::Text("```rust\na + b".into())),
            Ok(StreamEvent::Alternative { choice: 1, text: "```rust\nb + a\n```".into() }),
            Ok(StreamEvent::Text("\n```".into())),
            Ok(StreamEvent::Usage(crate::provider::Usage::default())),
        ]));
        let events: Vec<_> = stream_completion(inner, rust_fim().into(), String::new(), false).collect().await;
        let mut first = String::new();
        let mut second = String::new();
        let mut usage = false;
        for event in events {
            match event.expect("no error") {
                StreamEvent::Text(text) => first.push_str(&text),
                StreamEvent::Alternative { choice: 1, text } => second.push_str(&text),
                StreamEvent::Usage(_) => usage = true,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((first.as_str(), second.as_str(), usage), ("a + b", "b + a", true));
    }
}
