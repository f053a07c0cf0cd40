//! What both completion surfaces share: where the cursor is (as a byte offset, and the word it
//! ends in, as an LSP range), whether completion is allowed there (exclusions, disabled
//! languages, trigger mode: see `runtime::gate`), and how suggestion text is written back (the document's line
//! endings).

use switchboard_core::documents::{LineCol, Range, position};
use tower_lsp_server::gen_lsp_types as lsp;

use crate::completion::{Outcome, Trigger};
use crate::config::{self, Config};
use crate::lsp::convert;
use crate::lsp::session::Session;
use crate::runtime::gate::Feature;

/// A cursor where a completion may be offered.
#[derive(Debug, Clone)]
pub struct Site {
    uri: String,
    pub byte_offset: usize,
    /// The document version the site was resolved in.
    pub version: i32,
    /// The identifier characters just before the cursor (what the user has typed of a word).
    pub word: String,
    word_start: LineCol,
    cursor: LineCol,
    crlf: bool,
    pub language: Option<&'static str>,
}

fn is_word_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

impl Site {
    /// Resolves a cursor, or `None` when no completion may be offered there.
    pub fn resolve(session: &Session, uri: &str, at: LineCol, trigger: Trigger, config: &Config) -> Option<Self> {
        let completion = &config.completion;
        if !completion.enabled || (completion.trigger == config::Trigger::Invoked && trigger == Trigger::Automatic) {
            return None;
        }
        let Some(snapshot) = session.documents.snapshot(uri) else {
            tracing::warn!(uri, "completion for a document that is not open");
            return None;
        };
        if let Err(refusal) = session.may_send(&snapshot, Feature::Completion, config) {
            tracing::debug!(path = snapshot.path(), %refusal, "no completion");
            return None;
        }
        let encoding = session.encoding();
        let rope = snapshot.rope();
        // On a character boundary within the line's content (the conversion clamps), so both
        // positions below are columns of the text before it on its line.
        let byte_offset = position::to_byte_offset(rope, at, encoding);
        let line_idx = rope.byte_to_line(byte_offset);
        let line_start = rope.line_to_byte(line_idx);
        let before: String = String::from(rope.byte_slice(line_start..byte_offset));
        let word_start_byte = before
            .char_indices()
            .rev()
            .take_while(|(_, ch)| is_word_char(*ch))
            .last()
            .map_or(before.len(), |(idx, _)| idx);
        let word = before[word_start_byte..].to_owned();
        let line_number = u32::try_from(line_idx).unwrap_or(u32::MAX);
        let cursor = LineCol::new(line_number, position::column_of(&before, encoding));
        let word_start = LineCol::new(line_number, position::column_of(&before[..word_start_byte], encoding));
        let line = rope.line(line_idx);
        let crlf =
            line.len_chars() >= 2 && line.char(line.len_chars() - 1) == '\n' && line.char(line.len_chars() - 2) == '\r';
        Some(Self {
            uri: uri.to_owned(),
            byte_offset,
            version: snapshot.version(),
            word,
            word_start,
            cursor,
            crlf,
            language: snapshot.language().map(|l| l.name),
        })
    }

    /// The range from the start of the word to the cursor: what an item replaces.
    pub fn word_range(&self) -> lsp::Range {
        convert::lsp_range(Range::new(self.word_start, self.cursor))
    }

    /// Suggestion text as the editor should insert it (the document's line endings).
    pub fn editor_text(&self, text: &str) -> String {
        if self.crlf { text.replace('\n', "\r\n") } else { text.to_owned() }
    }

    /// The document's text in `range` (for `selectedCompletionInfo`).
    pub fn text_in_range(&self, session: &Session, range: Range) -> Option<String> {
        let snapshot = session.documents.snapshot(&self.uri)?;
        let encoding = session.encoding();
        let start = position::to_byte_offset(snapshot.rope(), range.start, encoding);
        let end = position::to_byte_offset(snapshot.rope(), range.end, encoding);
        (start <= end).then(|| String::from(snapshot.rope().byte_slice(start..end)))
    }
}

/// An explicit request (the user pressed Helix's `C-x`, Neovim's `<C-x><C-o>`, VS Code's
/// trigger) that comes to nothing because no provider answers is told every time, even when the
/// provider events already told it: in Helix a message vanishes at the next key, and a user who
/// asks is waiting for an answer. Automatic requests stay quiet (the events tell each episode once).
pub async fn tell_explicit_failure(session: &Session, trigger: Trigger, outcome: &Outcome) {
    if trigger != Trigger::Invoked {
        return;
    }
    let message = match outcome {
        Outcome::Failed(error) => {
            format!("no suggestion: {error}. Run `switchboard doctor` to check each provider.")
        }
        Outcome::Suggestions { suggestions, .. }
            if suggestions.is_empty() && session.features.completion.chain().is_none() =>
        {
            "no suggestion: no provider is configured or detected. Run `switchboard doctor` to see what it looked for."
                .to_owned()
        }
        _ => return,
    };
    session.show(lsp::MessageType::Error, &message).await;
}

/// Logs what a completion came to; failures reach the user through provider events.
pub fn report(outcome: &Outcome) {
    match outcome {
        Outcome::Failed(error) => tracing::warn!(%error, "completion failed"),
        Outcome::Nothing(reason) => tracing::debug!(reason, "no completion"),
        Outcome::Superseded => tracing::trace!("completion superseded"),
        Outcome::Suggestions { suggestions, from_cache } => {
            tracing::debug!(n = suggestions.len(), from_cache, "completion");
        }
    }
}
