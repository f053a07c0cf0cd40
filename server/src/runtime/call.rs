//! One model call, read only as far as the feature needs and cut at its deadline.
//!
//! The chain picks the provider (failing over between vendors); the stream is read until the
//! feature's [`Reading`] says each answer is complete, then dropped, which closes the upstream
//! connection: no tokens are paid for text nobody will use. A request may ask for several
//! answers (`GenerateRequest::choices`); each is read until it is complete.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use switchboard_core::secrets::Masks;
use switchboard_providers::chain::{Chain, ChainError};

use super::redact::Redaction;
use switchboard_providers::{ErrorKind, GenerateRequest, StreamEvent};

/// How a feature reads an answer.
pub trait Reading {
    /// Whether `text` (the answer so far) is all the feature wants.
    fn is_complete(&self, text: &str) -> bool;
    /// What is usable of an unfinished answer when the deadline passes; `None` makes the
    /// deadline an error.
    fn at_deadline(&self, text: &str) -> Option<String>;
}

/// Reads whole answers and treats a deadline as a failure (actions: half an edit is no edit).
#[derive(Debug, Clone, Copy)]
pub struct WholeAnswer;

impl Reading for WholeAnswer {
    fn is_complete(&self, _: &str) -> bool {
        false
    }

    fn at_deadline(&self, _: &str) -> Option<String> {
        None
    }
}

/// The answers of one call and the provider that gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub provider: String,
    /// Non-empty answers, the first choice first. They may use the placeholders of `masks`.
    pub texts: Vec<String>,
    /// The secrets masked in the prompt (see [`super::redact`]).
    pub masks: Masks,
}

/// Runs `request` on `chain` and reads its answers with `reading`, until `deadline` after the
/// start. `progress` sees the length of the first answer as it grows. Secrets in the prompt are
/// masked by `redaction` before anything is sent: this is the one place every prompt passes.
pub async fn run(
    chain: Arc<Chain>,
    mut request: GenerateRequest,
    reading: &(impl Reading + ?Sized),
    deadline: Duration,
    redaction: &Redaction,
    mut progress: impl FnMut(usize),
) -> Result<Answers, ChainError> {
    let started = tokio::time::Instant::now();
    let masks = redaction.mask(&mut request.prompt);
    let wanted = request.choices.max(1) as usize;
    let chain_stream = chain.stream(request).await?;
    let provider = chain_stream.provider;
    let mut events = chain_stream.stream;
    let mut texts = vec![String::new(); wanted];
    let mut complete = vec![false; wanted];
    let until = started + deadline;
    loop {
        let (choice, piece) = match tokio::time::timeout_at(until, events.next()).await {
            Err(_) => {
                let usable: Option<Vec<String>> = texts.iter().map(|text| reading.at_deadline(text)).collect();
                return match usable {
                    Some(usable) => {
                        let texts = usable.into_iter().filter(|text| !text.is_empty()).collect();
                        Ok(Answers { provider, texts, masks })
                    }
                    None => Err(timed_out(&provider, deadline)),
                };
            }
            Ok(None) => break,
            Ok(Some(Ok(StreamEvent::Text(piece)))) => (0, piece),
            Ok(Some(Ok(StreamEvent::Alternative { choice, text }))) => (choice as usize, text),
            Ok(Some(Ok(StreamEvent::Usage(_)))) => continue,
            Ok(Some(Err(error))) => {
                if texts.iter().all(String::is_empty) {
                    return Err(ChainError {
                        kind: error.kind,
                        message: error.to_string(),
                        errors: vec![error],
                        skipped: Vec::new(),
                    });
                }
                break;
            }
        };
        let Some(text) = texts.get_mut(choice).filter(|_| !complete[choice]) else { continue };
        text.push_str(&piece);
        if choice == 0 {
            progress(text.len());
        }
        if reading.is_complete(text) {
            complete[choice] = true;
            if complete.iter().all(|done| *done) {
                // Dropping the stream closes the connection: no more tokens are paid for.
                break;
            }
        }
    }
    texts.retain(|text| !text.is_empty());
    Ok(Answers { provider, texts, masks })
}

fn timed_out(provider: &str, deadline: Duration) -> ChainError {
    let message = format!("{provider} did not finish its answer within {} s", deadline.as_secs());
    ChainError { kind: ErrorKind::Timeout, message, errors: Vec::new(), skipped: Vec::new() }
}
