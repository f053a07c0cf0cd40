//! Context extraction: from a document snapshot, a cursor and a token budget, the plain data a
//! prompt is built from. Pure: no I/O, never fails, degrades when syntax is missing.
//!
//! STUB: to be replaced by the context implementation.

use crate::documents::DocumentSnapshot;

/// How much context to gather, in estimated tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextBudget {
    pub max_tokens: usize,
}

/// Everything around the cursor that a prompt may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionContext {
    pub language: Option<&'static str>,
    pub path: String,
    pub prefix: String,
    pub suffix: String,
}

pub fn extract(snapshot: &DocumentSnapshot, byte_offset: usize, _budget: ContextBudget) -> CompletionContext {
    let text = snapshot.text();
    let cursor = byte_offset.min(text.len());
    CompletionContext {
        language: snapshot.language().map(|language| language.name),
        path: snapshot.path().to_owned(),
        prefix: text[..cursor].to_owned(),
        suffix: text[cursor..].to_owned(),
    }
}
